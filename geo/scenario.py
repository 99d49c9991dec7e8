"""Scenarios: the set of layers one analysis works on.

A scenario holds a boundary, grids, stations (centres and grid stations), rest points
and, optionally, candidate sites. It lives in a folder with a ``scenario.toml`` manifest
(:mod:`geo.manifest`). :func:`load_scenario` reads a bundled scenario by name
(``data/scenarios/<name>/`` under ``settings.data_folder``) or any scenario folder by
path; :func:`scenario_from_files` builds one from a user's files.

The bundled ``jingkou`` scenario is illustrative demo data: the district outline and the
counts are real, the locations are generated. Every map, export, command line answer and
API answer of a demo scenario shows its notice, :meth:`Scenario.demo_notice`: the
manifest's ``notice_zh`` / ``notice_en``, else the standard :data:`DEMO_NOTICE_ZH` /
:data:`DEMO_NOTICE_EN`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast, get_args

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.coords import CoordinateSystem, check_coordinate_system
from geo.errors import ScenarioError, UnknownLayerError
from geo.layers.boundary import boundary_from_file
from geo.layers.candidates import candidates_from_file
from geo.layers.grids import grids_from_file
from geo.layers.rest_points import rest_points_from_file
from geo.layers.stations import StationKind, stations_from_file
from geo.manifest import MANIFEST_FILE, Manifest, read_manifest

if TYPE_CHECKING:
    from geo.analysis.rules import ServiceRule

__all__ = [
    "ANALYSIS_LAYERS",
    "DATA_LAYERS",
    "DEMO_NOTICE_EN",
    "DEMO_NOTICE_ZH",
    "LANGUAGES",
    "AnalysisLayer",
    "DataLayer",
    "Language",
    "Scenario",
    "available_scenarios",
    "check_analysis_layer",
    "check_data_layer",
    "facilities_scenario",
    "load_scenario",
    "scenario_folder",
    "scenario_from_files",
]

logger = logging.getLogger(__name__)

#: Notice shown with every map and export of demo data, in Chinese.
DEMO_NOTICE_ZH = "示意数据：站点位置为演示用途生成，并非官方位置。"
#: Notice shown with every map and export of demo data, in English.
DEMO_NOTICE_EN = (
    "Illustrative demo data: locations are generated for demonstration and are not "
    "official locations."
)

#: Language of a text shown to users.
Language = Literal["zh", "en"]
#: The languages of every notice, Chinese first.
LANGUAGES: tuple[Language, ...] = get_args(Language)

AnalysisLayer = Literal["stations", "centres", "rest_points"]
#: The analysis layers, in their usual order.
ANALYSIS_LAYERS: tuple[AnalysisLayer, ...] = get_args(AnalysisLayer)
DataLayer = Literal["boundary", "grids", "stations", "rest_points", "candidates"]
#: The data layers of a scenario, as stored.
DATA_LAYERS: tuple[DataLayer, ...] = get_args(DataLayer)
_STATION_KIND: dict[str, str] = {"stations": "station", "centres": "centre"}
_SCENARIO_FILES = ("grids", "stations", "rest_points")

PathLike = str | os.PathLike[str]


def check_analysis_layer(layer: str) -> AnalysisLayer:
    """``layer`` if it is one of :data:`ANALYSIS_LAYERS`.

    Raises
    ------
    UnknownLayerError
        If it is not; the error's ``detail`` lists the known layers.
    """
    if layer not in ANALYSIS_LAYERS:
        msg = f"unknown layer {layer!r}; use one of {', '.join(ANALYSIS_LAYERS)}"
        raise UnknownLayerError(msg, detail={"known": list(ANALYSIS_LAYERS)})
    return layer


def check_data_layer(layer: str) -> DataLayer:
    """``layer`` if it is one of :data:`DATA_LAYERS`.

    Raises
    ------
    UnknownLayerError
        If it is not; the error's ``detail`` lists the known layers.
    """
    if layer not in DATA_LAYERS:
        msg = f"unknown layer {layer!r}; use one of {', '.join(DATA_LAYERS)}"
        raise UnknownLayerError(msg, detail={"known": list(DATA_LAYERS)})
    return layer


@dataclass(frozen=True)
class Scenario:
    """The layers of one analysis, all in EPSG:4326.

    Attributes
    ----------
    name
        Scenario name, e.g. "jingkou" or "custom".
    demo
        True if the manifest says ``demo = true`` or any grid, station or rest point is
        flagged as demo data; every output then carries :meth:`demo_notice`.
    boundary
        The area outline: ``name``, ``adcode``, (Multi)Polygon geometry.
    grids
        Grid polygons (schema: ``geo.layers`` grids).
    stations
        Centres and grid stations, told apart by ``kind`` in {"centre", "station"}.
    rest_points
        Warm-new rest points.
    candidates
        Candidate sites for new facilities, or None.
    rules
        The scenario's own service rule per analysis layer; layers without one use the
        "default" preset.
    speed_kmh
        The scenario's walking speed in km/h, or None for ``settings.walk_speed_kmh``.
    title_zh, title_en
        Titles for maps and reports, or None (the boundary's name is used).
    osm_file, graphml
        The scenario's own street file (``.osm``/``.osm.pbf`` or GraphML), or None.
    notice_zh, notice_en
        The text of the demo notice in Chinese and in English: the manifest's own, else
        :data:`DEMO_NOTICE_ZH` / :data:`DEMO_NOTICE_EN`. Shown only when ``demo`` is
        True; read it through :meth:`demo_notice`.
    """

    name: str
    demo: bool
    boundary: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    rest_points: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame | None
    rules: Mapping[str, ServiceRule] = field(default_factory=dict)
    speed_kmh: float | None = None
    title_zh: str | None = None
    title_en: str | None = None
    osm_file: Path | None = None
    graphml: Path | None = None
    notice_zh: str = DEMO_NOTICE_ZH
    notice_en: str = DEMO_NOTICE_EN

    def demo_notice(self, language: Language) -> str | None:
        """The notice every output of this scenario shows, or None for real data.

        Parameters
        ----------
        language
            {"zh", "en"}.

        Returns
        -------
        str or None
            The demo notice in ``language`` (the manifest's own, else the standard one),
            or None when the scenario is not demo data.
        """
        if not self.demo:
            return None
        return self.notice_zh if language == "zh" else self.notice_en

    def facilities(self, layer: AnalysisLayer) -> gpd.GeoDataFrame:
        """Return the facilities of one analysis layer, as a new frame.

        Parameters
        ----------
        layer
            One of {"stations", "centres", "rest_points"}: grid stations
            (``kind == "station"``), party-mass service centres (``kind == "centre"``)
            or rest points.

        Returns
        -------
        geopandas.GeoDataFrame
            The layer's facilities with ``facility_id``, ``name``, geometry and their
            other columns, index reset, EPSG:4326.

        Raises
        ------
        ScenarioError
            If ``layer`` is not one of the analysis layers.
        """
        if layer not in ANALYSIS_LAYERS:
            msg = f"unknown analysis layer {layer!r}; use one of {', '.join(ANALYSIS_LAYERS)}"
            raise ScenarioError(msg)
        if layer == "rest_points":
            return self.rest_points.reset_index(drop=True)
        selected = self.stations.loc[self.stations["kind"] == _STATION_KIND[layer]]
        return selected.reset_index(drop=True)


def _scenarios_folder() -> Path:
    return Path(settings.data_folder) / "scenarios"


def _is_scenario_folder(path: Path) -> bool:
    return (path / MANIFEST_FILE).is_file() or all(
        (path / f"{stem}.geojson").is_file() for stem in _SCENARIO_FILES
    )


def available_scenarios() -> list[str]:
    """Return the names of the bundled scenarios, sorted.

    Returns
    -------
    list of str
        Names of the folders under ``settings.data_folder / "scenarios"`` that hold a
        ``scenario.toml`` (or grids, stations and rest points as GeoJSON).
    """
    folder = _scenarios_folder()
    if not folder.is_dir():
        return []
    return sorted(
        path.name for path in folder.iterdir() if path.is_dir() and _is_scenario_folder(path)
    )


def scenario_folder(scenario: PathLike) -> Path:
    """The folder of a scenario given by bundled name or by path.

    Parameters
    ----------
    scenario
        A bundled scenario's name (e.g. "jingkou") or a scenario folder's path.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ScenarioError
        If it is neither a folder holding a scenario nor a bundled name.
    """
    path = Path(scenario)
    if path.is_dir():
        if not _is_scenario_folder(path):
            msg = f"{path} holds no {MANIFEST_FILE}; make a scenario folder with `circles init`"
            raise ScenarioError(msg)
        return path
    available = available_scenarios()
    if str(scenario) not in available:
        msg = (
            f"no bundled scenario named {str(scenario)!r} in {_scenarios_folder()} and no "
            f"scenario folder of that name; available: {', '.join(available) or 'none'}. "
            "Give a folder made by `circles init`"
        )
        raise ScenarioError(msg)
    return _scenarios_folder() / str(scenario)


def load_scenario(scenario: PathLike = "jingkou") -> Scenario:
    """Load a scenario: a bundled one by name, or a scenario folder by path.

    A folder is read through its ``scenario.toml`` (see :mod:`geo.manifest`): every
    layer with its own coordinate system, sheet and default kind, the rules, the
    walking speed and the street file. A folder without a manifest holds
    ``grids.geojson``, ``stations.geojson``, ``rest_points.geojson`` and optionally
    ``boundary.geojson`` and ``candidates.geojson``, all WGS-84.

    Parameters
    ----------
    scenario
        A bundled scenario's name ("jingkou": illustrative demo data for Jingkou
        District, Zhenjiang) or a scenario folder's path.

    Returns
    -------
    Scenario
        The scenario, all layers in EPSG:4326.

    Raises
    ------
    ScenarioError
        If there is no such scenario, or its manifest is not valid.
    geo.errors.LayerError
        If a layer file cannot be read or breaks its schema.
    """
    folder = scenario_folder(scenario)
    if (folder / MANIFEST_FILE).is_file():
        loaded = _from_manifest(folder, read_manifest(folder))
    else:
        optional = {stem: folder / f"{stem}.geojson" for stem in ("boundary", "candidates")}
        loaded = scenario_from_files(
            grids=folder / "grids.geojson",
            stations=folder / "stations.geojson",
            rest_points=folder / "rest_points.geojson",
            candidates=optional["candidates"] if optional["candidates"].is_file() else None,
            boundary=optional["boundary"] if optional["boundary"].is_file() else None,
            name=folder.resolve().name,
        )
    logger.info(
        "scenario %s: %d grids, %d stations, %d rest points%s",
        loaded.name,
        len(loaded.grids),
        len(loaded.stations),
        len(loaded.rest_points),
        " (demo data)" if loaded.demo else "",
    )
    return loaded


def _from_manifest(folder: Path, manifest: Manifest) -> Scenario:
    """Build the scenario a manifest describes."""
    from geo.analysis.rules import rule_for  # geo.analysis imports this module

    layers = manifest.layers

    def path(key: str) -> Path | None:
        source = layers.get(key)
        return None if source is None else folder / source.file

    scenario = scenario_from_files(
        grids=folder / layers["grids"].file,
        stations=folder / layers["stations"].file,
        rest_points=folder / layers["rest_points"].file,
        centres=path("centres"),
        candidates=path("candidates"),
        boundary=path("boundary"),
        crs={key: source.crs for key, source in layers.items() if source.crs is not None},
        source_layers={
            key: source.source_layer
            for key, source in layers.items()
            if source.source_layer is not None
        },
        stations_kind=layers["stations"].default_kind,
        name=manifest.name,
    )
    rules = {
        layer: rule_for(
            layer,
            minutes=cast("float | None", rule.get("minutes")),
            metres=cast("float | None", rule.get("metres")),
            straight_line=bool(rule.get("straight_line", False)),
            speed_kmh=manifest.speed_kmh,
        )
        for layer, rule in manifest.rules.items()
    }
    return replace(
        scenario,
        demo=scenario.demo or manifest.demo,
        title_zh=manifest.title_zh,
        title_en=manifest.title_en,
        rules=rules,
        speed_kmh=manifest.speed_kmh,
        osm_file=None if manifest.osm_file is None else folder / manifest.osm_file,
        graphml=None if manifest.graphml is None else folder / manifest.graphml,
        notice_zh=manifest.notice_zh or DEMO_NOTICE_ZH,
        notice_en=manifest.notice_en or DEMO_NOTICE_EN,
    )


LayerCrs = str | Mapping[str, str] | None


def _crs_of(crs: LayerCrs, layer: str) -> CoordinateSystem | None:
    chosen = crs.get(layer) if isinstance(crs, Mapping) else crs
    return check_coordinate_system(chosen) if chosen is not None else None


def scenario_from_files(
    *,
    grids: PathLike,
    stations: PathLike,
    rest_points: PathLike,
    centres: PathLike | None = None,
    candidates: PathLike | None = None,
    boundary: PathLike | None = None,
    crs: LayerCrs = None,
    source_layers: Mapping[str, str] | None = None,
    stations_kind: StationKind | None = None,
    name: str = "custom",
) -> Scenario:
    """Build a scenario from layer files.

    Parameters
    ----------
    grids, stations, rest_points
        Paths to the layer files (GeoJSON, GeoPackage, zipped Shapefile, CSV or XLSX).
    centres
        A file of party-mass service centres alone (their kind is "centre"), added to
        the stations layer; or None.
    candidates
        Path to candidate sites, or None for none.
    boundary
        Path to the area outline, or None to use the union of the grids.
    crs
        Coordinate system of the files' lon/lat, one of {"wgs84", "cgcs2000", "gcj02",
        "bd09"}: one for every file, or per layer key ({"boundary", "grids",
        "stations", "centres", "rest_points", "candidates"}) so that, say, a GCJ-02
        station sheet is converted and WGS-84 grids are not. A file without an entry
        is read as WGS-84 unless it declares its own CRS.
    source_layers
        Per layer key: the GeoPackage layer or XLSX sheet to read.
    stations_kind
        {"station", "centre"}: the kind of the stations file's rows when it has no kind
        column; None requires the column.
    name
        Name of the scenario.

    Returns
    -------
    Scenario
        The layers, validated and converted to EPSG:4326.

    Raises
    ------
    geo.errors.CoordinateSystemError
        If a coordinate system is not supported.
    geo.errors.LayerReadError
        If a file cannot be read.
    geo.errors.LayerValidationError
        If a file breaks its layer's schema; ``.report`` lists every problem.
    ScenarioError
        If a centre in the centres file has the id of a station.
    """
    sheets = dict(source_layers or {})
    boundary_frame = (
        boundary_from_file(
            boundary, crs=_crs_of(crs, "boundary"), source_layer=sheets.get("boundary")
        )
        if boundary is not None
        else None
    )
    grid_frame = grids_from_file(
        grids, crs=_crs_of(crs, "grids"), boundary=boundary_frame, source_layer=sheets.get("grids")
    )
    if boundary_frame is None:
        boundary_frame = _boundary_of(grid_frame, name)
    station_frame = stations_from_file(
        stations,
        crs=_crs_of(crs, "stations"),
        boundary=boundary_frame,
        source_layer=sheets.get("stations"),
        default_kind=stations_kind,
    )
    if centres is not None:
        centre_frame = stations_from_file(
            centres,
            crs=_crs_of(crs, "centres"),
            boundary=boundary_frame,
            source_layer=sheets.get("centres"),
            default_kind="centre",
        )
        station_frame = _joined(station_frame, centre_frame)
    rest_frame = rest_points_from_file(
        rest_points,
        crs=_crs_of(crs, "rest_points"),
        boundary=boundary_frame,
        source_layer=sheets.get("rest_points"),
    )
    candidate_frame = (
        candidates_from_file(
            candidates,
            crs=_crs_of(crs, "candidates"),
            boundary=boundary_frame,
            source_layer=sheets.get("candidates"),
        )
        if candidates is not None
        else None
    )
    return Scenario(
        name=name,
        demo=any(_is_demo(frame) for frame in (grid_frame, station_frame, rest_frame)),
        boundary=boundary_frame,
        grids=grid_frame,
        stations=station_frame,
        rest_points=rest_frame,
        candidates=candidate_frame,
    )


def _joined(stations: gpd.GeoDataFrame, centres: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Stations and a separate file of centres in one layer (ids must stay unique)."""
    clash = sorted(set(stations["facility_id"]) & set(centres["facility_id"]))
    if clash:
        msg = (
            f"{len(clash)} centre id(s) are also station ids (e.g. {clash[0]!r}); give "
            "the centres ids of their own"
        )
        raise ScenarioError(msg, detail={"facility_ids": clash[:20]})
    joined = pd.concat([stations, centres], ignore_index=True)
    return gpd.GeoDataFrame(joined, geometry="geometry", crs="EPSG:4326")


def _boundary_of(grids: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """Return an outline made of the union of the grids."""
    outline = grids.geometry.union_all()
    return gpd.GeoDataFrame(
        {"name": pd.array([name], dtype="str"), "adcode": pd.array([None], dtype="str")},
        geometry=[outline],
        crs="EPSG:4326",
    )


def _is_demo(frame: gpd.GeoDataFrame) -> bool:
    return bool(frame["demo"].any())


def facilities_scenario(
    boundary: gpd.GeoDataFrame,
    *,
    stations: gpd.GeoDataFrame | None = None,
    rest_points: gpd.GeoDataFrame | None = None,
    name: str = "custom",
) -> Scenario:
    """A scenario of facility layers alone, without grids: enough for nearest queries.

    Parameters
    ----------
    boundary
        The area outline (EPSG:4326); the walking network is built for it.
    stations, rest_points
        Loaded layers (``geo.layers``); a layer not given is empty.
    name
        Name of the scenario.

    Returns
    -------
    Scenario
        Empty grids; ``demo`` is True if a given layer is flagged as demo data.
    """
    empty_points = gpd.GeoDataFrame(
        {
            "facility_id": pd.array([], dtype="str"),
            "name": pd.array([], dtype="str"),
            "kind": pd.array([], dtype="str"),
            "demo": pd.array([], dtype="bool"),
        },
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
    )
    grids = gpd.GeoDataFrame(
        {"grid_id": pd.array([], dtype="str"), "name": pd.array([], dtype="str")},
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
    )
    given = [frame for frame in (stations, rest_points) if frame is not None]
    return Scenario(
        name=name,
        demo=any(
            "demo" in frame.columns and bool(frame["demo"].fillna(False).any()) for frame in given
        ),
        boundary=boundary,
        grids=grids,
        stations=empty_points if stations is None else stations,
        rest_points=empty_points if rest_points is None else rest_points,
        candidates=None,
    )
