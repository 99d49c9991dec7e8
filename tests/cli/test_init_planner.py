"""A planner's own district end to end: their files -> circles init -> analyze, sites,
report and serve on that folder.

The files are made here as a planner's office would hand them over: an XLSX of stations
with Chinese headers in GCJ-02 (Amap) and no kind column, a GBK-encoded CSV of rest
points in BD-09 (Baidu), grids as GeoJSON in WGS-84, and the Dantu boundary by adcode.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import httpx
import numpy as np
import openpyxl
import prcoords
import pytest
import shapely
from click.testing import CliRunner, Result

from api.app import create_app
from api.cli import main
from api.server import serve_in_background
from api.settings import Settings
from geo import settings
from geo.coords import convert
from geo.folders import bundled_boundary
from geo.manifest import MANIFEST_FILE, read_manifest
from geo.scenario import load_scenario

#: A spot inside Dantu District, WGS-84 (a point on the outline's surface).
ORIGIN = (119.4027, 32.0313)
STEP = 0.01  # degrees between grid corners, about 1 km


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _planner_files(folder: Path) -> dict[str, object]:
    """The planner's three files and the true WGS-84 locations behind them."""
    outline = bundled_boundary("321112").geometry.iloc[0]
    x0, y0 = ORIGIN
    cells = [
        shapely.box(x0 + i * STEP, y0 + j * STEP, x0 + (i + 1) * STEP, y0 + (j + 1) * STEP)
        for i in range(-2, 2)
        for j in range(-2, 2)
    ]
    assert all(outline.contains(cell) for cell in cells)
    grids = gpd.GeoDataFrame(
        {
            "grid_id": [f"DT-G{n:02d}" for n in range(len(cells))],
            "name": [f"第{n + 1}网格" for n in range(len(cells))],
            "population": [800 + 150 * n for n in range(len(cells))],
        },
        geometry=cells,
        crs="EPSG:4326",
    )
    grids.to_file(folder / "网格.geojson", driver="GeoJSON")
    rng = np.random.default_rng(321112)
    station_lon = x0 + rng.uniform(-2 * STEP, 2 * STEP, 6)
    station_lat = y0 + rng.uniform(-2 * STEP, 2 * STEP, 6)
    gcj_lon, gcj_lat = convert(station_lon, station_lat, "wgs84", "gcj02")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "服务站"
    sheet.append(["编号", "名称", "地址", "经度", "纬度"])
    for n in range(6):
        sheet.append(
            [f"DT-S{n + 1}", f"丹徒第{n + 1}服务站", f"丹徒区示例路{n + 1}号",
             float(gcj_lon[n]), float(gcj_lat[n])]
        )  # fmt: skip
    book.save(folder / "服务站.xlsx")
    rest_lon = x0 + rng.uniform(-2 * STEP, 2 * STEP, 4)
    rest_lat = y0 + rng.uniform(-2 * STEP, 2 * STEP, 4)
    bd_lon, bd_lat = convert(rest_lon, rest_lat, "wgs84", "bd09")
    rows = ["编号,名称,经度,纬度"] + [
        f"DT-R{n + 1},暖新驿站{n + 1},{bd_lon[n]:.8f},{bd_lat[n]:.8f}" for n in range(4)
    ]
    (folder / "驿站.csv").write_bytes("\n".join(rows).encode("gbk"))
    return {"gcj": (gcj_lon, gcj_lat), "bd": (bd_lon, bd_lat), "grids": grids}


def test_planner_district_end_to_end(tmp_path: Path) -> None:
    given = tmp_path / "from the office"
    given.mkdir()
    truth = _planner_files(given)
    district = tmp_path / "dantu"
    result = run(
        "init", str(district), "--boundary", "321112",
        "--grids", str(given / "网格.geojson"), "--stations", str(given / "服务站.xlsx"),
        "--rest-points", str(given / "驿站.csv"),
        "--crs", "stations=gcj02", "--crs", "rest_points=bd09",
        "--stations-kind", "station",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = read_manifest(district)
    assert manifest.adcode == "321112"
    assert manifest.title_zh == "丹徒区"
    assert manifest.layers["stations"].crs == "gcj02"
    assert manifest.layers["stations"].default_kind == "station"
    assert manifest.layers["grids"].crs is None

    # Only the stations and the rest points were converted; each against prcoords.
    scenario = load_scenario(district)
    assert set(scenario.stations["kind"]) == {"station"}
    gcj_lon, gcj_lat = truth["gcj"]  # type: ignore[misc]
    bd_lon, bd_lat = truth["bd"]  # type: ignore[misc]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expected_stations = [
            prcoords.gcj_wgs_bored((lat, lon)) for lon, lat in zip(gcj_lon, gcj_lat, strict=True)
        ]
        expected_rest = [
            prcoords.bd_wgs_bored((lat, lon)) for lon, lat in zip(bd_lon, bd_lat, strict=True)
        ]
    for point, expected in zip(scenario.stations.geometry, expected_stations, strict=True):
        assert (point.x, point.y) == pytest.approx((expected.lon, expected.lat), abs=2e-6)
    for point, expected in zip(scenario.rest_points.geometry, expected_rest, strict=True):
        assert (point.x, point.y) == pytest.approx((expected.lon, expected.lat), abs=2e-6)
    grids = truth["grids"]
    assert isinstance(grids, gpd.GeoDataFrame)
    assert shapely.equals_exact(
        scenario.grids.geometry.iloc[0], grids.geometry.iloc[0], tolerance=1e-9
    )

    analysis = tmp_path / "analysis"
    result = run("analyze", "--scenario", str(district), "--no-progress", "--out", str(analysis))
    assert result.exit_code == 0, result.output
    summary = json.loads((analysis / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "dantu"
    stations = summary["layers"]["stations"]
    assert stations["facilities"] == 6
    assert stations["residents_total"] == pytest.approx(float(grids["population"].sum()))
    assert 0 < stations["residents_covered"] <= stations["residents_total"]

    sites = tmp_path / "sites"
    result = run("sites", "--scenario", str(district), "-k", "2", "--generate", "--out", str(sites))
    assert result.exit_code == 0, result.output
    figures = json.loads((sites / "summary.json").read_text(encoding="utf-8"))
    assert figures["scenario"] == "dantu"
    assert figures["residents_covered_before"] == pytest.approx(
        stations["residents_covered"], abs=0.1
    )
    assert figures["residents_covered_after"] >= figures["residents_covered_before"]

    report = tmp_path / "report"
    result = run("report", "--scenario", str(district), "-k", "2", "--out", str(report))
    assert result.exit_code == 0, result.output
    assert (report / "report.gpkg").is_file()

    served = Settings(
        scenario=str(district), data_dir=tmp_path / "store", cache_dir=tmp_path / "cache"
    )
    with serve_in_background(create_app(served)) as url, httpx.Client(base_url=url) as http:
        health = http.get("/healthz", timeout=60).json()
        assert health["scenario"] == "dantu"
        answer = http.get("/api/coverage", params={"layer": "stations"}, timeout=120).json()
        assert answer["summary"]["residents_covered"] == pytest.approx(
            stations["residents_covered"],
            abs=1.0,  # the API gives whole residents
        )
        layers = http.get("/api/layers", timeout=60).json()
        counts = {row["name"]: row["features"] for row in layers["layers"]}
        assert counts["stations"] == 6
        assert counts["rest_points"] == 4


def test_init_reports_every_problem_and_writes_nothing(tmp_path: Path) -> None:
    given = tmp_path / "files"
    given.mkdir()
    _planner_files(given)
    (given / "bad_grids.csv").write_text("name,population\n网格一,-5\n", encoding="utf-8")
    (given / "bad_rest.csv").write_text("name,lon,lat\n驿站一,119.4,219.0\n", encoding="utf-8")
    district = tmp_path / "dantu"
    result = run(
        "init", str(district), "--boundary", "321112",
        "--grids", str(given / "bad_grids.csv"), "--stations", str(given / "服务站.xlsx"),
        "--rest-points", str(given / "bad_rest.csv"), "--crs", "stations=gcj02",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "grids (bad_grids.csv)" in result.output
    assert "rest_points (bad_rest.csv)" in result.output
    # the stations file has no kind column and no --stations-kind was given
    assert "stations (服务站.xlsx)" in result.output
    assert "nothing was written" in result.output
    assert not district.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["files"]
    assert not (tmp_path / "files" / MANIFEST_FILE).exists()


def test_init_refuses_a_bad_crs_and_an_unknown_adcode(tmp_path: Path) -> None:
    given = tmp_path / "files"
    given.mkdir()
    _planner_files(given)
    common = ["--grids", str(given / "网格.geojson"), "--stations", str(given / "服务站.xlsx"),
              "--rest-points", str(given / "驿站.csv")]  # fmt: skip
    bad_crs = run("init", str(tmp_path / "a"), "--boundary", "321112", *common,
                  "--crs", "stations=mars")  # fmt: skip
    assert bad_crs.exit_code == 2
    assert "--crs 'stations=mars'" in bad_crs.output
    unknown = run("init", str(tmp_path / "b"), "--boundary", "999999", *common,
                  "--stations-kind", "station")  # fmt: skip
    assert unknown.exit_code == 1
    assert "no bundled boundary has adcode '999999'" in unknown.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_init_reads_the_sheet_named_for_a_layer(tmp_path: Path) -> None:
    given = tmp_path / "files"
    given.mkdir()
    _planner_files(given)
    book = openpyxl.load_workbook(given / "服务站.xlsx")
    notes = book.create_sheet("说明", 0)  # a notes sheet before the table, as offices do
    notes.append(["本表坐标为高德（GCJ-02）"])
    book.save(given / "两表.xlsx")
    common = ["--boundary", "321112", "--grids", str(given / "网格.geojson"),
              "--stations", str(given / "两表.xlsx"), "--rest-points", str(given / "驿站.csv"),
              "--crs", "stations=gcj02", "--crs", "rest_points=bd09",
              "--stations-kind", "station"]  # fmt: skip

    unnamed = run("init", str(tmp_path / "a"), *common)
    assert unnamed.exit_code == 1
    assert "'说明'" in unnamed.output and "'服务站'" in unnamed.output
    wrong = run("init", str(tmp_path / "b"), *common, "--sheet", "stations=站点")
    assert wrong.exit_code == 1
    assert "no sheet named '站点'" in wrong.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    bad = run("init", str(tmp_path / "c"), *common, "--sheet", "stops=服务站")
    assert bad.exit_code == 2
    assert "--sheet 'stops=服务站'" in bad.output

    district = tmp_path / "dantu"
    named = run("init", str(district), *common, "--sheet", "stations=服务站")
    assert named.exit_code == 0, named.output
    assert read_manifest(district).layers["stations"].source_layer == "服务站"
    stations = load_scenario(district).stations
    assert sorted(stations["facility_id"]) == [f"DT-S{n}" for n in range(1, 7)]
