"""``circles analyze``: summary, GeoJSON files and map from the command line."""

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
from geo.analysis import DEFAULT_RULES, CoverageEngine, gb50180_rules, network_from_osm_file
from geo.export import approximate_notice
from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH, load_scenario

LAYERS = ["stations", "centres", "rest_points", "rest_points_circle"]
FILES = ["summary.json", "grids.geojson", "underserved.geojson", "service_areas.geojson"]


@pytest.fixture(autouse=True)
def no_cached_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a walking network cached on this machine out of the tests."""
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["analyze", "--no-progress", *args], catch_exceptions=False)


def read(folder: Path, name: str) -> dict[str, Any]:
    content: dict[str, Any] = json.loads((folder / name).read_text(encoding="utf-8"))
    return content


@pytest.fixture(scope="module")
def jingkou_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One approximate-mode analysis of the demo scenario, shared by the tests."""
    folder = tmp_path_factory.mktemp("jingkou")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "cache_folder", folder / "cache")
        result = run("--scenario", "jingkou", "--out", str(folder / "out"))
    assert result.exit_code == 0, result.output
    return folder / "out"


def test_demo_summary_has_every_layer_and_the_notices(jingkou_out: Path) -> None:
    summary = read(jingkou_out, "summary.json")
    scenario = load_scenario("jingkou")

    assert summary["notice"] == DEMO_NOTICE_ZH
    assert summary["notice_en"] == DEMO_NOTICE_EN
    assert summary["approximate"] is True
    assert summary["approximate_notice_en"] == approximate_notice("en")
    assert summary["network"]["source"] == "approximate"
    assert list(summary["layers"]) == LAYERS
    for key, layer in summary["layers"].items():
        facility_layer = "rest_points" if key == "rest_points_circle" else key
        assert layer["facilities"] == len(scenario.facilities(facility_layer))
        assert layer["approximate"] is (key != "rest_points_circle")
        assert 0 < layer["residents_covered"] <= layer["residents_total"]
        assert layer["share_covered"] == pytest.approx(
            layer["residents_covered"] / layer["residents_total"], abs=1e-5
        )
    assert summary["layers"]["stations"]["rule"] == "10 min walk"
    assert summary["layers"]["stations"]["limit_m"] == 750.0
    assert summary["layers"]["rest_points_circle"]["rule"] == "1 km circle"


def test_demo_grids_carry_per_layer_coverage(jingkou_out: Path) -> None:
    grids = read(jingkou_out, "grids.geojson")
    scenario = load_scenario("jingkou")
    summary = read(jingkou_out, "summary.json")

    assert grids["notice"] == DEMO_NOTICE_ZH
    assert len(grids["features"]) == len(scenario.grids)
    first = grids["features"][0]["properties"]
    assert first["demo"] is True and first["notice"] == DEMO_NOTICE_ZH
    for key in LAYERS:
        shares = [f["properties"][f"{key}_share_covered"] for f in grids["features"]]
        assert all(0.0 <= s <= 1.0 for s in shares)
        minutes = [f["properties"][f"{key}_nearest_minutes"] for f in grids["features"]]
        assert all(m is None or m >= 0 for m in minutes)
        covered = sum(f["properties"][f"{key}_residents_covered"] for f in grids["features"])
        assert covered == pytest.approx(summary["layers"][key]["residents_covered"], abs=1.0)
    frame = gpd.read_file(jingkou_out / "grids.geojson")
    assert set(frame["grid_id"]) == set(scenario.grids["grid_id"])


def test_demo_underserved_ranked_per_layer(jingkou_out: Path) -> None:
    underserved = read(jingkou_out, "underserved.geojson")
    grids = read(jingkou_out, "grids.geojson")["features"]

    assert underserved["notice"] == DEMO_NOTICE_ZH
    by_layer: dict[str, list[dict[str, Any]]] = {}
    for feature in underserved["features"]:
        by_layer.setdefault(feature["properties"]["layer"], []).append(feature["properties"])
    assert set(by_layer) <= set(LAYERS) and "centres" in by_layer
    for rows in by_layer.values():
        assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
        uncovered = [r["residents_uncovered"] for r in rows]
        assert uncovered == sorted(uncovered, reverse=True)
        key = rows[0]["layer"]
        short = {
            g["properties"]["grid_id"]
            for g in grids
            if g["properties"][f"{key}_share_covered"] < 1 - 1e-6
        }
        assert {r["grid_id"] for r in rows} == short


def test_demo_service_areas_have_layer_and_facility(jingkou_out: Path) -> None:
    areas = gpd.read_file(jingkou_out / "service_areas.geojson")
    scenario = load_scenario("jingkou")

    assert {"layer", "facility_id", "name", "rule", "notice"} <= set(areas.columns)
    for key in LAYERS:
        facility_layer = "rest_points" if key == "rest_points_circle" else key
        rows = areas.loc[areas["layer"] == key]
        assert sorted(rows["facility_id"]) == sorted(
            scenario.facilities(facility_layer)["facility_id"]
        )
    circles = areas.loc[areas["layer"] == "rest_points_circle"].to_crs(areas.estimate_utm_crs())
    np.testing.assert_allclose(circles.area, np.pi * 1000.0**2, rtol=5e-3)
    walks = areas.loc[areas["layer"] == "rest_points"].to_crs(areas.estimate_utm_crs())
    np.testing.assert_allclose(
        walks.area, np.pi * (1000.0 / settings.detour_factor) ** 2, rtol=5e-3
    )


def test_demo_map_has_layer_control_and_notices(jingkou_out: Path) -> None:
    page = (jingkou_out / "map.html").read_text(encoding="utf-8")

    assert "L.control.layers" in page
    assert DEMO_NOTICE_ZH in page and DEMO_NOTICE_EN in page
    assert approximate_notice("zh") in page
    for name in ["网格党群服务站", "党群服务中心"]:
        assert name in page


def test_demo_map_shares_the_planner_look(jingkou_out: Path) -> None:
    from api.maps._look import COLOURINGS

    page = (jingkou_out / "map.html").read_text(encoding="utf-8")
    colouring = COLOURINGS["uncovered"]
    assert colouring.titles["zh"] in page
    for colour, label in zip(colouring.colours, colouring.labels["zh"], strict=True):
        assert f"background:{colour}" in page and label in page
    assert "imperial: false" in page and "L.control.scale()" not in page


def _custom_layers(folder: Path) -> dict[str, Path]:
    """Grids, stations and rest points inside pyrosm's test.osm.pbf, as GeoJSON files."""
    network = network_from_osm_file(pyrosm.get_data("test_pbf"))
    arrays = network.arrays
    assert arrays is not None
    lon, lat = network.to_wgs84(arrays.node_x, arrays.node_y)
    west, east = np.quantile(lon, [0.05, 0.95])
    south, north = np.quantile(lat, [0.05, 0.95])
    mid_lon, mid_lat = (west + east) / 2, (south + north) / 2
    boxes = [
        shapely.box(west, south, mid_lon, mid_lat),
        shapely.box(mid_lon, south, east, mid_lat),
        shapely.box(west, mid_lat, mid_lon, north),
        shapely.box(mid_lon, mid_lat, east, north),
    ]
    grids = gpd.GeoDataFrame(
        {"grid_id": ["A", "B", "C", "D"], "name": ["a", "b", "c", "d"],
         "population": [1200, 800, 500, 1500]},
        geometry=boxes, crs="EPSG:4326",
    )  # fmt: skip
    pick = np.random.default_rng(0).choice(arrays.n_nodes, 5, replace=False)
    stations = gpd.GeoDataFrame(
        {"facility_id": ["S1", "S2", "C1"], "name": ["s1", "s2", "c1"],
         "kind": ["station", "station", "centre"]},
        geometry=shapely.points(lon[pick[:3]] + 2e-4, lat[pick[:3]]), crs="EPSG:4326",
    )  # fmt: skip
    rest = gpd.GeoDataFrame(
        {"facility_id": ["R1", "R2"], "name": ["r1", "r2"]},
        geometry=shapely.points(lon[pick[3:]], lat[pick[3:]] + 1e-4), crs="EPSG:4326",
    )  # fmt: skip
    paths = {"grids": folder / "grids.geojson", "stations": folder / "stations.geojson",
             "rest_points": folder / "rest_points.geojson"}  # fmt: skip
    grids.to_file(paths["grids"])
    stations.to_file(paths["stations"])
    rest.to_file(paths["rest_points"])
    return paths


def test_own_files_on_a_real_osm_file(tmp_path: Path) -> None:
    files = _custom_layers(tmp_path)
    out = tmp_path / "out"

    result = run(
        "--grids", str(files["grids"]), "--stations", str(files["stations"]),
        "--rest-points", str(files["rest_points"]), "--osm", pyrosm.get_data("test_pbf"),
        "--rules", "gb50180", "--out", str(out),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    summary = read(out, "summary.json")
    assert summary["approximate"] is False
    assert "notice" not in summary and "approximate_notice" not in summary
    assert summary["network"]["source"] == "osm_file"
    assert summary["network"]["nodes"] > 100
    rules = gb50180_rules()
    for key in ["stations", "centres", "rest_points"]:
        assert summary["layers"][key]["limit_m"] == rules[key].max_metres
        assert summary["layers"][key]["approximate"] is False
    assert summary["layers"]["stations"]["facilities"] == 2
    assert summary["layers"]["centres"]["facilities"] == 1

    grids = gpd.read_file(files["grids"])
    network = network_from_osm_file(pyrosm.get_data("test_pbf"), boundary=grids)
    engine = CoverageEngine(network, grids, progress=False)
    expected = engine.layer_coverage(gpd.read_file(files["stations"]).iloc[:2], rules["stations"])
    assert summary["layers"]["stations"]["residents_covered"] == pytest.approx(
        expected.summary["residents_covered"], abs=0.1
    )
    assert 0 < expected.summary["share_covered"] < 1

    areas = gpd.read_file(out / "service_areas.geojson")
    assert not areas["demo"].any()
    stations = gpd.read_file(files["stations"])
    own = areas.loc[areas["layer"] == "stations"].set_index("facility_id")
    for row in stations.loc[stations["kind"] == "station"].itertuples():
        assert own.loc[row.facility_id, "geometry"].contains(row.geometry)
    page = (out / "map.html").read_text(encoding="utf-8")
    assert DEMO_NOTICE_ZH not in page and approximate_notice("zh") not in page
    assert "L.control.layers" in page
    assert "approximate" not in result.output.lower()


def test_default_rules_are_the_commitments(tmp_path: Path) -> None:
    files = _custom_layers(tmp_path)

    result = run(
        "--grids", str(files["grids"]), "--stations", str(files["stations"]),
        "--rest-points", str(files["rest_points"]), "--out", str(tmp_path / "out"),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    layers = read(tmp_path / "out", "summary.json")["layers"]
    for key in ["stations", "centres", "rest_points"]:
        assert layers[key]["limit_m"] == DEFAULT_RULES[key].max_metres
        assert layers[key]["approximate"] is True
    assert "Approximate mode" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "jingkou", "--grids", "{grids}"], "not both"),
        (["--grids", "{grids}"], "needs --stations, --rest-points too"),
        (["--osm", "{grids}", "--graphml", "{grids}"], "--osm or --graphml, not both"),
    ],
)
def test_wrong_option_combinations_are_refused(
    tmp_path: Path, args: list[str], message: str
) -> None:
    grids = tmp_path / "grids.geojson"
    grids.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")

    result = run(*[a.format(grids=grids) for a in args], "--out", str(tmp_path / "out"))

    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "out").exists()


def test_unknown_scenario_says_which_exist(tmp_path: Path) -> None:
    result = run("--scenario", "atlantis", "--out", str(tmp_path / "out"))

    assert result.exit_code == 1
    assert "no bundled scenario named 'atlantis'" in result.output
    assert "jingkou" in result.output


def test_analyze_in_bd09_names_the_system(tmp_path: Path) -> None:
    import json

    from geo.coords import convert

    out = tmp_path / "bd"
    result = run("--scenario", "jingkou", "--out-crs", "bd09", "--out", str(out))
    assert result.exit_code == 0, result.output
    plain = run("--scenario", "jingkou", "--out", str(tmp_path / "wgs"))
    assert plain.exit_code == 0, plain.output
    shifted = json.loads((out / "grids.geojson").read_text(encoding="utf-8"))
    wgs = json.loads((tmp_path / "wgs" / "grids.geojson").read_text(encoding="utf-8"))
    assert shifted["coordinate_system"] == "BD-09" and wgs["coordinate_system"] == "WGS-84"
    x, y = wgs["features"][0]["geometry"]["coordinates"][0][0]
    lon, lat = convert([x], [y], "wgs84", "bd09")
    got = shifted["features"][0]["geometry"]["coordinates"][0][0]
    assert got == pytest.approx([float(lon[0]), float(lat[0])], abs=2e-6)
