"""Scenarios: the set of layers one analysis works on.

A scenario holds a boundary, grids, stations (centres and grid stations), rest points
and, optionally, candidate sites. :func:`load_scenario` reads a bundled scenario from
``data/scenarios/<name>/`` (``settings.data_folder``); :func:`scenario_from_files` builds
one from a user's files.

The bundled ``jingkou`` scenario is illustrative demo data: the district outline and the
counts are real, the locations are generated. Every map and export of a demo scenario
must show :data:`DEMO_NOTICE_ZH` or :data:`DEMO_NOTICE_EN`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.coords import check_coordinate_system
from geo.errors import ScenarioError, UnknownLayerError
from geo.layers.boundary import boundary_from_file
from geo.layers.candidates import candidates_from_file
from geo.layers.grids import grids_from_file
from geo.layers.rest_points import rest_points_from_file
from geo.layers.stations import stations_from_file

if TYPE_CHECKING:
    from geo.analysis.rules import ServiceRule

__all__ = [
    "ANALYSIS_LAYERS",
    "DATA_LAYERS",
    "DEMO_NOTICE_EN",
    "DEMO_NOTICE_ZH",
    "AnalysisLayer",
    "DataLayer",
    "Scenario",
    "available_scenarios",
    "check_analysis_layer",
    "check_data_layer",
    "facilities_scenario",
    "load_scenario",
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
        True if any grid, station or rest point is flagged as demo data; maps and
        exports then carry :data:`DEMO_NOTICE_ZH` / :data:`DEMO_NOTICE_EN`.
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


def available_scenarios() -> list[str]:
    """Return the names of the bundled scenarios, sorted.

    Returns
    -------
    list of str
        Names of the folders under ``settings.data_folder / "scenarios"`` that hold
        grids, stations and rest points.
    """
    folder = _scenarios_folder()
    if not folder.is_dir():
        return []
    return sorted(
        path.name
        for path in folder.iterdir()
        if path.is_dir() and all((path / f"{stem}.geojson").is_file() for stem in _SCENARIO_FILES)
    )


def load_scenario(name: str = "jingkou") -> Scenario:
    """Load a bundled scenario from ``settings.data_folder / "scenarios" / name``.

    Parameters
    ----------
    name
        Scenario name; the bundled one is "jingkou" (illustrative demo data for Jingkou
        District, Zhenjiang).

    Returns
    -------
    Scenario
        The scenario, all layers in EPSG:4326.

    Raises
    ------
    ScenarioError
        If no bundled scenario has this name.
    """
    available = available_scenarios()
    if name not in available:
        msg = (
            f"no bundled scenario named {name!r} in {_scenarios_folder()}; available: "
            f"{', '.join(available) or 'none'}. For your own files use scenario_from_files()"
        )
        raise ScenarioError(msg)
    folder = _scenarios_folder() / name
    optional = {stem: folder / f"{stem}.geojson" for stem in ("boundary", "candidates")}
    scenario = scenario_from_files(
        grids=folder / "grids.geojson",
        stations=folder / "stations.geojson",
        rest_points=folder / "rest_points.geojson",
        candidates=optional["candidates"] if optional["candidates"].is_file() else None,
        boundary=optional["boundary"] if optional["boundary"].is_file() else None,
        name=name,
    )
    logger.info(
        "scenario %s: %d grids, %d stations, %d rest points%s",
        name,
        len(scenario.grids),
        len(scenario.stations),
        len(scenario.rest_points),
        " (demo data)" if scenario.demo else "",
    )
    return scenario


def scenario_from_files(
    *,
    grids: PathLike,
    stations: PathLike,
    rest_points: PathLike,
    candidates: PathLike | None = None,
    boundary: PathLike | None = None,
    crs: str | None = None,
    name: str = "custom",
) -> Scenario:
    """Build a scenario from layer files.

    Parameters
    ----------
    grids, stations, rest_points
        Paths to the layer files (GeoJSON, GeoPackage, zipped Shapefile, CSV or XLSX).
    candidates
        Path to candidate sites, or None for none.
    boundary
        Path to the area outline, or None to use the union of the grids.
    crs
        Coordinate system of every file, one of {"wgs84", "cgcs2000", "gcj02", "bd09"};
        None reads each file as WGS-84 unless it declares its own CRS.
    name
        Name of the scenario.

    Returns
    -------
    Scenario
        The layers, validated and converted to EPSG:4326.

    Raises
    ------
    geo.errors.CoordinateSystemError
        If ``crs`` is not a supported coordinate system.
    geo.errors.LayerReadError
        If a file cannot be read.
    geo.errors.LayerValidationError
        If a file breaks its layer's schema; ``.report`` lists every problem.
    """
    system = check_coordinate_system(crs) if crs is not None else None
    boundary_frame = boundary_from_file(boundary, crs=system) if boundary is not None else None
    grid_frame = grids_from_file(grids, crs=system, boundary=boundary_frame)
    if boundary_frame is None:
        boundary_frame = _boundary_of(grid_frame, name)
    station_frame = stations_from_file(stations, crs=system, boundary=boundary_frame)
    rest_frame = rest_points_from_file(rest_points, crs=system, boundary=boundary_frame)
    candidate_frame = (
        candidates_from_file(candidates, crs=system, boundary=boundary_frame)
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
