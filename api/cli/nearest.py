"""``circles nearest``: the nearest facilities of a layer from a point, as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import geopandas as gpd
import shapely

from api.cli._options import (
    LayerFiles,
    boundary_around,
    layer_file_options,
    load_network,
    network_options,
)
from geo.analysis.nearest import NearestFacilities, NearestResult
from geo.coords import COORDINATE_SYSTEMS, check_coordinate_system, convert
from geo.errors import GeoError
from geo.export import approximate_notice, demo_notice
from geo.layers import rest_points_from_file, stations_from_file
from geo.scenario import ANALYSIS_LAYERS, AnalysisLayer, load_scenario

__all__ = ["command"]

_KIND = {"stations": "station", "centres": "centre"}


def _facilities_and_boundary(
    files: LayerFiles, layer: AnalysisLayer, lon: float, lat: float
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, bool]:
    """The layer's facilities, the area to build the network for, and the demo flag."""
    files.check_choice()
    if files.stations is None and files.rest_points is None:
        scenario = load_scenario(files.scenario_name or "jingkou")
        outline = files.read_boundary()
        boundary = scenario.boundary if outline is None else outline
        return scenario.facilities(layer), boundary, scenario.demo
    if layer == "rest_points":
        if files.rest_points is None:
            raise click.UsageError("--layer rest_points needs --rest-points FILE")
        facilities = rest_points_from_file(files.rest_points, crs=files.crs)
    else:
        if files.stations is None:
            raise click.UsageError(f"--layer {layer} needs --stations FILE")
        stations = stations_from_file(files.stations, crs=files.crs)
        facilities = stations.loc[stations["kind"] == _KIND[layer]].reset_index(drop=True)
    outline = files.read_boundary()
    if outline is None:
        query = gpd.GeoDataFrame(geometry=[shapely.Point(lon, lat)], crs="EPSG:4326")
        points = gpd.GeoDataFrame(
            geometry=[*facilities.geometry.to_crs("EPSG:4326"), *query.geometry],
            crs="EPSG:4326",
        )
        outline = boundary_around(points)
    demo = "demo" in facilities.columns and bool(facilities["demo"].fillna(False).any())
    return facilities, outline, demo


def _result(rank: int, result: NearestResult) -> dict[str, Any]:
    return {
        "rank": rank,
        "facility_id": result.facility_id,
        "name": result.name,
        "metres": round(result.metres, 1),
        "minutes": round(result.minutes, 2),
        "access_m": round(result.access_m, 1),
        "far_from_street": result.far_from_street,
        "route": shapely.geometry.mapping(shapely.transform(result.route, lambda xy: xy.round(6))),
        "approximate": result.approximate,
    }


@click.command("nearest")
@click.option("--lon", type=float, required=True, help="Longitude of the point.")
@click.option("--lat", type=float, required=True, help="Latitude of the point.")
@click.option(
    "--crs",
    "point_crs",
    type=click.Choice(COORDINATE_SYSTEMS, case_sensitive=False),
    default="wgs84",
    show_default=True,
    help="Coordinate system of --lon/--lat (gcj02 for Amap or Tencent, bd09 for Baidu).",
)
@click.option(
    "--layer",
    type=click.Choice(ANALYSIS_LAYERS),
    default="rest_points",
    show_default=True,
    help="Facility layer to search.",
)
@click.option(
    "-k",
    "k",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Number of facilities.",
)
@layer_file_options(crs_option="--layers-crs", grids=False)
@network_options
def command(
    lon: float,
    lat: float,
    point_crs: str,
    layer: AnalysisLayer,
    k: int,
    scenario_name: str | None,
    stations: Path | None,
    rest_points: Path | None,
    boundary: Path | None,
    layers_crs: str | None,
    osm: Path | None,
    graphml: Path | None,
    download: bool | None,
    cache_folder: Path | None,
) -> None:
    """Print the k nearest facilities of a layer from a point, by walking time, as JSON.

    Each result has the facility, walking metres and minutes, and the route as a GeoJSON
    LineString (WGS-84). Without --osm, --graphml or a cached network the walking
    network is downloaded on first use (unless --offline); failing that the walk is
    approximate (straight line x detour factor), and the answer says so.
    """
    files = LayerFiles(
        scenario_name=scenario_name,
        grids=None,
        stations=stations,
        rest_points=rest_points,
        boundary=boundary,
        layers_crs=layers_crs,
    )
    try:
        system = check_coordinate_system(point_crs.lower())
        wgs_lon, wgs_lat = (float(v) for v in convert(lon, lat, system, "wgs84"))
        facilities, outline, demo = _facilities_and_boundary(files, layer, wgs_lon, wgs_lat)
        network = load_network(
            outline, osm=osm, graphml=graphml, download=download, cache_folder=cache_folder
        )
        results = NearestFacilities(network, facilities).query(lon, lat, k=k, crs=system)
    except GeoError as exc:
        raise click.ClickException(str(exc)) from exc
    answer: dict[str, Any] = {
        "query": {
            "lon": lon,
            "lat": lat,
            "crs": system,
            "lon_wgs84": round(wgs_lon, 7),
            "lat_wgs84": round(wgs_lat, 7),
        },
        "layer": layer,
        "k": k,
        "network": network.source,
        "approximate": network.approximate,
        "demo": demo,
        "results": [_result(rank, r) for rank, r in enumerate(results, start=1)],
    }
    if network.approximate:
        answer["approximate_notice"] = approximate_notice("zh")
        answer["approximate_notice_en"] = approximate_notice("en")
    if demo:
        answer["notice"] = demo_notice("zh")
        answer["notice_en"] = demo_notice("en")
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
