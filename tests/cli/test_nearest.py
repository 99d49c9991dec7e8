"""``circles nearest``: the nearest facilities of a point, as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyrosm
import pytest
import shapely
from click.testing import CliRunner, Result

from api.cli import main
from geo import settings
from geo.analysis import NearestFacilities, network_from_osm_file
from geo.coords import convert
from geo.scenario import DEMO_NOTICE_ZH, load_scenario


@pytest.fixture(autouse=True)
def no_cached_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a walking network cached on this machine out of the tests."""
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")


def run(*args: str) -> tuple[Result, dict[str, Any]]:
    result = CliRunner().invoke(main, ["nearest", *args], catch_exceptions=False)
    answer = json.loads(result.output) if result.exit_code == 0 else {}
    return result, answer


def _metres(network_crs: str, lon: float, lat: float, route: dict[str, Any]) -> float:
    line = gpd.GeoSeries([shapely.geometry.shape(route)], crs="EPSG:4326").to_crs(network_crs)
    return float(line.length.iloc[0])


def test_demo_scenario_in_approximate_mode() -> None:
    scenario = load_scenario("jingkou")
    centre = scenario.facilities("rest_points").geometry.iloc[0]
    lon, lat = centre.x + 0.004, centre.y + 0.003

    result, answer = run("--lon", str(lon), "--lat", str(lat), "--layer", "rest_points", "-k", "3")

    assert result.exit_code == 0, result.output
    assert answer["approximate"] is True and answer["network"] == "approximate"
    assert answer["notice"] == DEMO_NOTICE_ZH and answer["demo"] is True
    results = answer["results"]
    assert [r["rank"] for r in results] == [1, 2, 3]
    metres = [r["metres"] for r in results]
    assert metres == sorted(metres)
    rest = scenario.facilities("rest_points")
    utm = rest.estimate_utm_crs()
    here = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs(utm).iloc[0]
    straight = rest.to_crs(utm).distance(here).sort_values()
    np.testing.assert_allclose(
        metres, straight.iloc[:3].to_numpy() * settings.detour_factor, rtol=1e-3
    )
    for r in results:
        assert r["approximate"] is True
        assert r["route"]["type"] == "LineString"
        assert r["minutes"] == pytest.approx(r["metres"] / 75.0, abs=0.01)
        assert r["facility_id"] in set(rest["facility_id"])


def test_gcj02_point_gives_the_same_answer_as_its_wgs84_twin() -> None:
    station = load_scenario("jingkou").facilities("stations").geometry.iloc[3]
    lon, lat = station.x + 0.002, station.y - 0.002
    gcj_lon, gcj_lat = (float(v) for v in convert(lon, lat, "wgs84", "gcj02"))
    assert abs(gcj_lon - lon) > 1e-3

    _, wgs = run("--lon", str(lon), "--lat", str(lat), "--layer", "stations", "-k", "2")
    _, gcj = run(
        "--lon", str(gcj_lon), "--lat", str(gcj_lat), "--crs", "gcj02",
        "--layer", "stations", "-k", "2",
    )  # fmt: skip

    assert gcj["query"]["crs"] == "gcj02"
    assert gcj["query"]["lon_wgs84"] == pytest.approx(lon, abs=1e-6)
    assert [r["facility_id"] for r in gcj["results"]] == [r["facility_id"] for r in wgs["results"]]
    np.testing.assert_allclose(
        [r["metres"] for r in gcj["results"]], [r["metres"] for r in wgs["results"]], atol=0.2
    )


@pytest.fixture
def test_pbf_layers(tmp_path: Path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    """Stations and rest points placed near streets of pyrosm's test.osm.pbf."""
    network = network_from_osm_file(pyrosm.get_data("test_pbf"))
    arrays = network.arrays
    assert arrays is not None
    lon, lat = network.to_wgs84(arrays.node_x, arrays.node_y)
    pick = np.random.default_rng(1).choice(arrays.n_nodes, 7, replace=False)
    stations = gpd.GeoDataFrame(
        {"facility_id": ["S1", "S2", "S3", "C1"], "name": ["s1", "s2", "s3", "c1"],
         "kind": ["station", "station", "station", "centre"]},
        geometry=shapely.points(lon[pick[:4]], lat[pick[:4]] + 1e-4), crs="EPSG:4326",
    )  # fmt: skip
    rest = gpd.GeoDataFrame(
        {"facility_id": ["R1", "R2", "R3"], "name": ["r1", "r2", "r3"]},
        geometry=shapely.points(lon[pick[4:]] + 1e-4, lat[pick[4:]]), crs="EPSG:4326",
    )  # fmt: skip
    stations.to_file(tmp_path / "stations.geojson")
    rest.to_file(tmp_path / "rest_points.geojson")
    return tmp_path / "stations.geojson", tmp_path / "rest_points.geojson", lon, lat


def test_own_layers_on_a_real_osm_file(
    test_pbf_layers: tuple[Path, Path, np.ndarray, np.ndarray],
) -> None:
    stations, rest_points, lon, lat = test_pbf_layers
    q_lon, q_lat = float(np.median(lon)), float(np.median(lat))

    result, answer = run(
        "--lon", str(q_lon), "--lat", str(q_lat), "--layer", "rest_points", "-k", "3",
        "--stations", str(stations), "--rest-points", str(rest_points),
        "--osm", pyrosm.get_data("test_pbf"),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert answer["approximate"] is False and answer["network"] == "osm_file"
    assert answer["demo"] is False and "notice" not in answer
    network = network_from_osm_file(pyrosm.get_data("test_pbf"))
    expected = NearestFacilities(network, gpd.read_file(rest_points)).query(q_lon, q_lat, k=3)
    assert [r["facility_id"] for r in answer["results"]] == [r.facility_id for r in expected]
    np.testing.assert_allclose(
        [r["metres"] for r in answer["results"]], [r.metres for r in expected], atol=0.1
    )
    utm = network.crs.to_string()
    rest = gpd.read_file(rest_points).set_index("facility_id")
    for r in answer["results"]:
        route = shapely.geometry.shape(r["route"])
        assert route.coords[0] == pytest.approx((q_lon, q_lat), abs=1e-6)
        end = rest.loc[r["facility_id"], "geometry"]
        assert route.coords[-1] == pytest.approx((end.x, end.y), abs=1e-6)
        walked = _metres(utm, q_lon, q_lat, r["route"])
        assert walked == pytest.approx(r["metres"], rel=0.01, abs=1.0)


def test_centres_are_told_apart_from_stations(
    test_pbf_layers: tuple[Path, Path, np.ndarray, np.ndarray],
) -> None:
    stations, _, lon, lat = test_pbf_layers

    result, answer = run(
        "--lon", str(float(lon[0])), "--lat", str(float(lat[0])), "--layer", "centres",
        "-k", "3", "--stations", str(stations), "--osm", pyrosm.get_data("test_pbf"),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert [r["facility_id"] for r in answer["results"]] == ["C1"]


def test_layer_without_its_file_is_refused(
    test_pbf_layers: tuple[Path, Path, np.ndarray, np.ndarray],
) -> None:
    stations, _, _, _ = test_pbf_layers

    result, _ = run(
        "--lon", "26.95", "--lat", "60.53", "--layer", "rest_points", "--stations", str(stations)
    )

    assert result.exit_code == 2
    assert "--layer rest_points needs --rest-points FILE" in result.output


def test_unknown_coordinate_system_is_refused() -> None:
    result, _ = run("--lon", "119.45", "--lat", "32.2", "--crs", "mars")

    assert result.exit_code == 2
    assert "'mars' is not one of" in result.output
