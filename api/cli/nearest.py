"""``circles nearest``: the nearest facilities of a layer from a point, as JSON."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import click
import geopandas as gpd
import shapely

from api.cli._options import (
    LayerFiles,
    boundary_around,
    layer_file_options,
    load_district,
    network_options,
    speed_option,
)
from geo.coords import COORDINATE_SYSTEMS, CoordinateSystem, check_coordinate_system, convert
from geo.errors import GeoError
from geo.export import approximate_notice
from geo.layers import rest_points_from_file, stations_from_file
from geo.results import NearestHit
from geo.scenario import (
    ANALYSIS_LAYERS,
    AnalysisLayer,
    Scenario,
    facilities_scenario,
    load_scenario,
)

__all__ = ["command"]


def _scenario(files: LayerFiles, layer: AnalysisLayer, lon: float, lat: float) -> Scenario:
    """The bundled scenario, or one of the given facility files around the point."""
    files.check_choice()
    outline = files.read_boundary()
    if files.stations is None and files.rest_points is None:
        scenario = load_scenario(files.scenario_name or "jingkou")
        return scenario if outline is None else replace(scenario, boundary=outline)
    if layer == "rest_points" and files.rest_points is None:
        raise click.UsageError("--layer rest_points needs --rest-points FILE")
    if layer != "rest_points" and files.stations is None:
        raise click.UsageError(f"--layer {layer} needs --stations FILE")
    stations = (
        None
        if files.stations is None
        else stations_from_file(files.stations, crs=files.crs_of("stations"))
    )
    rest_points = (
        None
        if files.rest_points is None
        else rest_points_from_file(files.rest_points, crs=files.crs_of("rest_points"))
    )
    if outline is None:
        chosen = rest_points if layer == "rest_points" else stations
        here = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326")
        points = gpd.GeoDataFrame(
            geometry=[*cast(gpd.GeoDataFrame, chosen).geometry.to_crs("EPSG:4326"), *here],
            crs="EPSG:4326",
        )
        outline = boundary_around(points)
    return facilities_scenario(outline, stations=stations, rest_points=rest_points)


def _result(hit: NearestHit, *, approximate: bool) -> dict[str, Any]:
    return {
        "rank": hit.rank,
        "facility_id": hit.facility_id,
        "name": hit.name,
        "metres": round(hit.metres, 1),
        "minutes": round(hit.minutes, 2),
        "access_m": round(hit.access_m, 1),
        "far_from_street": hit.far_from_street,
        "within_circle": hit.within_circle,
        "route": shapely.geometry.mapping(shapely.transform(hit.route, lambda xy: xy.round(6))),
        "approximate": approximate,
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
@speed_option
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
    layers_crs: dict[str, CoordinateSystem],
    osm: Path | None,
    graphml: Path | None,
    download: bool | None,
    cache_folder: Path | None,
    speed_kmh: float | None,
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
        district = load_district(
            _scenario(files, layer, wgs_lon, wgs_lat),
            osm=osm,
            graphml=graphml,
            download=download,
            cache_folder=cache_folder,
            speed_kmh=speed_kmh,
        )
        found = district.nearest(layer, wgs_lon, wgs_lat, k=k)
    except GeoError as exc:
        raise click.ClickException(str(exc)) from exc
    answer: dict[str, Any] = {
        "query": {
            "lon": lon,
            "lat": lat,
            "crs": system,
            "lon_wgs84": round(found.lon_wgs84, 7),
            "lat_wgs84": round(found.lat_wgs84, 7),
        },
        "layer": layer,
        "k": k,
        "circle": found.circle.to_dict(),
        "network": district.network.source,
        "approximate": found.approximate,
        "demo": district.demo,
        "results": [_result(hit, approximate=found.approximate) for hit in found.hits],
    }
    if district.approximate:
        answer["approximate_notice"] = approximate_notice("zh")
        answer["approximate_notice_en"] = approximate_notice("en")
    if district.demo:
        answer["notice"] = district.scenario.demo_notice("zh")
        answer["notice_en"] = district.scenario.demo_notice("en")
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
