"""Options shared by the analysis commands, and the loading they stand for."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import click
import geopandas as gpd
import shapely

from geo.analysis.network import WalkNetwork, walk_network
from geo.coords import COORDINATE_SYSTEMS, CoordinateSystem
from geo.district import District
from geo.layers import boundary_from_file
from geo.scenario import Scenario, load_scenario, scenario_from_files

__all__ = [
    "LayerFiles",
    "boundary_around",
    "layer_file_options",
    "load_district",
    "load_network",
    "load_scenario_option",
    "network_options",
    "offline_option",
    "out_crs_option",
    "speed_option",
]

F = TypeVar("F", bound=Callable[..., Any])

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _compose(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def _download_unless_offline(_: click.Context, __: click.Parameter, offline: bool) -> bool | None:
    """``--offline`` as the library's ``download``: False, else None (try on first use)."""
    return False if offline else None


#: ``--offline`` (or ``CIRCLES_OFFLINE=true``), received as ``download``.
offline_option = click.option(
    "--offline",
    "download",
    is_flag=True,
    envvar="CIRCLES_OFFLINE",
    callback=_download_unless_offline,
    help="Do not try to download the walking network (also CIRCLES_OFFLINE=true); without "
    "a file or cached network, distances are approximate.",
)


def _network_options(*, graphml: bool) -> Callable[[F], F]:
    """``--osm``, ``--graphml`` (if ``graphml``), ``--offline``, ``--cache-folder``."""
    options = [
        click.option(
            "--osm",
            type=_FILE,
            default=None,
            help="OpenStreetMap .osm or .osm.pbf file to build the walking network from.",
        ),
        offline_option,
        click.option(
            "--cache-folder",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Where built networks are cached (default: settings.cache_folder).",
        ),
    ]
    if graphml:
        options.insert(
            1,
            click.option(
                "--graphml",
                type=_FILE,
                default=None,
                help="A walking network saved as GraphML (osmnx format), used as is.",
            ),
        )
    return _compose(*options)


#: ``--osm``, ``--graphml``, ``--offline``, ``--cache-folder``: one district's network.
network_options = _network_options(graphml=True)
#: ``--osm``, ``--offline``, ``--cache-folder``: every district builds its own network.
districts_network_options = _network_options(graphml=False)


#: ``--speed-kmh``: the walking speed of every rule.
out_crs_option = click.option(
    "--out-crs",
    type=click.Choice(["wgs84", "cgcs2000", "gcj02", "bd09"]),
    default="wgs84",
    show_default=True,
    help="Coordinate system of the exported coordinates, named in headers and notes: "
    "gcj02 for Amap and Tencent, bd09 for Baidu, cgcs2000 for Tianditu.",
)

speed_option = click.option(
    "--speed-kmh",
    "speed_kmh",
    type=click.FloatRange(min=0.5, max=10.0),
    default=None,
    help="Walking speed in km/h of every rule (default: the scenario's, else 4.5).",
)


def layer_file_options(*, crs_option: str, grids: bool = True) -> Callable[[F], F]:
    """``--scenario`` or the layer files, ``--boundary`` and the files' coordinate system.

    Parameters
    ----------
    crs_option
        Name of the option giving the files' coordinate system (``--crs`` or
        ``--layers-crs``).
    grids
        Offer ``--grids`` (analyses need grids, nearest-facility queries do not).
    """
    grid_option = [click.option("--grids", type=_FILE, default=None, help="Grids layer file.")]
    return _compose(
        click.option(
            "--scenario",
            "scenario_name",
            default=None,
            help="Bundled scenario name (e.g. jingkou, the default when no layer file is "
            "given) or scenario folder (made by circles init).",
        ),
        *(grid_option if grids else []),
        click.option("--stations", type=_FILE, default=None, help="Stations layer file."),
        click.option("--rest-points", type=_FILE, default=None, help="Rest points layer file."),
        click.option(
            "--boundary",
            type=_FILE,
            default=None,
            help="District boundary file; the walking network is built for it (default: the "
            "scenario's, else drawn around your layers).",
        ),
        click.option(
            crs_option,
            "layers_crs",
            multiple=True,
            callback=_layers_crs,
            metavar="[LAYER=]CRS",
            help="Coordinate system of the layer files' lon/lat: CRS for every file, or "
            "LAYER=CRS for one (repeat), e.g. stations=gcj02; CRS in "
            f"{', '.join(COORDINATE_SYSTEMS)} (default: WGS-84 unless a file declares its "
            "own).",
        ),
    )


#: Layers a ``--crs LAYER=CRS`` may name.
_CRS_LAYERS = ("boundary", "grids", "stations", "rest_points")


def _layers_crs(
    _: click.Context, __: click.Parameter, values: tuple[str, ...]
) -> dict[str, CoordinateSystem]:
    """``CRS`` (every file) and ``LAYER=CRS`` (one file) values as a dict per layer."""
    chosen: dict[str, CoordinateSystem] = {}
    for value in values:
        layer, sep, system = value.rpartition("=")
        system = system.strip().lower()
        layer = layer.strip().replace("-", "_")
        if system not in COORDINATE_SYSTEMS or (sep and layer not in _CRS_LAYERS):
            msg = (
                f"{value!r}: give CRS or LAYER=CRS with CRS one of "
                f"{', '.join(COORDINATE_SYSTEMS)} and LAYER one of {', '.join(_CRS_LAYERS)}"
            )
            raise click.BadParameter(msg)
        for key in [layer] if sep else _CRS_LAYERS:
            if sep or key not in chosen:
                chosen[key] = cast(CoordinateSystem, system)
    return chosen


class LayerFiles:
    """What the layer options received.

    Parameters
    ----------
    scenario_name
        ``--scenario``.
    grids, stations, rest_points, boundary
        The layer files.
    layers_crs
        Coordinate system per layer (``--crs``).
    """

    def __init__(
        self,
        *,
        scenario_name: str | None,
        grids: Path | None,
        stations: Path | None,
        rest_points: Path | None,
        boundary: Path | None,
        layers_crs: Mapping[str, CoordinateSystem],
    ) -> None:
        self.scenario_name = scenario_name
        self.grids = grids
        self.stations = stations
        self.rest_points = rest_points
        self.boundary = boundary
        self.crs = dict(layers_crs)

    def crs_of(self, layer: str) -> CoordinateSystem | None:
        """The coordinate system given for a layer's file, or None."""
        return self.crs.get(layer)

    @property
    def any_file(self) -> bool:
        """True when a layer file was given."""
        return any(f is not None for f in (self.grids, self.stations, self.rest_points))

    def check_choice(self) -> None:
        """Refuse a scenario together with layer files."""
        if self.scenario_name is not None and self.any_file:
            msg = "give --scenario or layer files (--grids, --stations, --rest-points), not both"
            raise click.UsageError(msg)

    def read_boundary(self) -> gpd.GeoDataFrame | None:
        """The ``--boundary`` file, or None."""
        if self.boundary is None:
            return None
        return boundary_from_file(self.boundary, crs=self.crs_of("boundary"))


def load_scenario_option(files: LayerFiles) -> Scenario:
    """The scenario the options name: bundled, or built from the three layer files.

    Raises
    ------
    click.UsageError
        If files are given but not all of grids, stations and rest points.
    geo.errors.GeoError
        If a file cannot be read or breaks its schema.
    """
    files.check_choice()
    if not files.any_file:
        scenario = load_scenario(files.scenario_name or "jingkou")
        outline = files.read_boundary()
        if outline is None:
            return scenario
        return dataclasses.replace(scenario, boundary=outline)
    grids, stations, rest_points = files.grids, files.stations, files.rest_points
    if grids is None or stations is None or rest_points is None:
        missing = [
            option
            for option, value in (
                ("--grids", grids),
                ("--stations", stations),
                ("--rest-points", rest_points),
            )
            if value is None
        ]
        msg = f"an analysis of your own files needs {', '.join(missing)} too"
        raise click.UsageError(msg)
    return scenario_from_files(
        grids=grids,
        stations=stations,
        rest_points=rest_points,
        boundary=files.boundary,
        crs=files.crs,
    )


def boundary_around(points: gpd.GeoDataFrame, *, margin_m: float = 3000.0) -> gpd.GeoDataFrame:
    """An outline around points: their convex hull grown by ``margin_m`` metres.

    Parameters
    ----------
    points
        Point features, any CRS.
    margin_m
        Metres added all round.

    Returns
    -------
    geopandas.GeoDataFrame
        One polygon (``name``, ``adcode``), EPSG:4326.
    """
    wgs84 = points.to_crs("EPSG:4326")
    metric = wgs84.to_crs(wgs84.estimate_utm_crs())
    hull = shapely.convex_hull(shapely.union_all(metric.geometry.to_numpy()))
    outline = gpd.GeoSeries([hull.buffer(margin_m)], crs=metric.crs).to_crs("EPSG:4326")
    return gpd.GeoDataFrame({"name": ["points"], "adcode": [None]}, geometry=outline)


def load_district(
    scenario: Scenario,
    *,
    osm: Path | None,
    graphml: Path | None,
    download: bool | None,
    cache_folder: Path | None,
    speed_kmh: float | None,
) -> District:
    """The district of a scenario with the walking network the network options name.

    Raises
    ------
    click.UsageError
        If both ``--osm`` and ``--graphml`` are given.
    geo.errors.GeoError
        If a network file cannot be read.
    """
    if osm is None and graphml is None:
        osm, graphml = scenario.osm_file, scenario.graphml
    network = load_network(
        scenario.boundary, osm=osm, graphml=graphml, download=download, cache_folder=cache_folder
    )
    return District(scenario, network, speed_kmh=speed_kmh)


def load_network(
    boundary: gpd.GeoDataFrame,
    *,
    osm: Path | None,
    graphml: Path | None,
    download: bool | None,
    cache_folder: Path | None,
) -> WalkNetwork:
    """The walking network for the network options (approximate mode without a source).

    Raises
    ------
    click.UsageError
        If both ``--osm`` and ``--graphml`` are given.
    geo.errors.GeoError
        If a network file cannot be read.
    """
    if osm is not None and graphml is not None:
        raise click.UsageError("give --osm or --graphml, not both")
    return walk_network(
        boundary, osm_file=osm, graphml=graphml, cache_folder=cache_folder, download=download
    )
