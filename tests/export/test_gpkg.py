"""GeoPackage export: a valid OGC GeoPackage that reopens with identical content."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal

from geo.analysis.coverage import LayerCoverage
from geo.analysis.siting import SiteSuggestions
from geo.export import geopackage_layers, write_geopackage
from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH, Scenario

GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"


@pytest.fixture(scope="module")
def tables(
    scenario: Scenario, coverage: dict[str, LayerCoverage], suggestions: SiteSuggestions
) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    return geopackage_layers(
        scenario=scenario, coverage=coverage, suggestions=suggestions, suggestion_layer="stations"
    )


def test_file_is_an_ogc_geopackage_listing_every_layer(
    report: dict[str, Path], tables: dict[str, gpd.GeoDataFrame | pd.DataFrame]
) -> None:
    with sqlite3.connect(report["gpkg"]) as db:
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        user_version = db.execute("PRAGMA user_version").fetchone()[0]
        contents = {
            name: (data_type, srs)
            for name, data_type, srs in db.execute(
                "SELECT table_name, data_type, srs_id FROM gpkg_contents"
            )
        }
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    assert application_id == GPKG_APPLICATION_ID
    assert user_version >= 10200  # GeoPackage 1.2 or later
    assert integrity == "ok"
    assert set(contents) == set(tables)
    for name, table in tables.items():
        if isinstance(table, gpd.GeoDataFrame):
            assert contents[name] == ("features", 4326), name
        else:
            assert contents[name][0] == "attributes", name


def test_layers_are_the_expected_ones(
    report: dict[str, Path], coverage: dict[str, LayerCoverage]
) -> None:
    listed = dict(pyogrio.list_layers(report["gpkg"]))
    expected = {
        "boundary": "MultiPolygon",
        "grids": "MultiPolygon",
        "stations": "Point",
        "rest_points": "Point",
        "candidates": "Point",
        "service_union": "MultiPolygon",
        "suggestions": "Point",
        "suggestions_served": None,
        "about": None,
    }
    for layer in coverage:
        expected[f"service_areas_{layer}"] = "MultiPolygon"
        expected[f"underserved_{layer}"] = "MultiPolygon"
    assert listed == expected


def test_every_layer_reopens_with_identical_content(
    report: dict[str, Path], tables: dict[str, gpd.GeoDataFrame | pd.DataFrame]
) -> None:
    for name, written in tables.items():
        read = gpd.read_file(report["gpkg"], layer=name)
        # GDAL reads a nullable integer column back as float where it holds nulls.
        for column in written.columns:
            if isinstance(written[column].dtype, pd.Int64Dtype):
                read[column] = read[column].astype("Int64")
            # ... and a text column empty in every row (the optional grid contact) as object.
            elif isinstance(written[column].dtype, pd.StringDtype) and read[column].isna().all():
                read[column] = read[column].astype(written[column].dtype)
        if isinstance(written, gpd.GeoDataFrame):
            assert read.crs is not None and read.crs.to_epsg() == 4326
            assert_geodataframe_equal(read, written, check_less_precise=False)
        else:
            pd.testing.assert_frame_equal(pd.DataFrame(read), written)


def test_grids_carry_the_coverage_of_every_layer(
    tables: dict[str, gpd.GeoDataFrame | pd.DataFrame],
    scenario: Scenario,
    coverage: dict[str, LayerCoverage],
) -> None:
    grids = tables["grids"]
    assert len(grids) == len(scenario.grids)
    assert grids["residents"].sum() == pytest.approx(355_757)
    for layer, layer_coverage in coverage.items():
        expected = layer_coverage.grids.set_index("grid_id")
        got = grids.set_index("grid_id")
        assert got[f"{layer}_residents_covered"].sum() == pytest.approx(
            layer_coverage.summary["residents_covered"]
        )
        pd.testing.assert_series_equal(
            got[f"{layer}_nearest_minutes"], expected["nearest_minutes"], check_names=False
        )


def test_suggestions_and_notes_are_stored(
    tables: dict[str, gpd.GeoDataFrame | pd.DataFrame], suggestions: SiteSuggestions
) -> None:
    sites = tables["suggestions"]
    assert list(sites["rank"]) == list(range(1, len(suggestions.sites) + 1))
    assert sites["residents_added"].sum() == pytest.approx(suggestions.summary["residents_added"])
    assert sites["grids_served"].iloc[0] == suggestions.sites["grids_served"].iloc[0]
    about = dict(zip(tables["about"]["key"], tables["about"]["value"], strict=True))
    assert about["notice_zh"] == DEMO_NOTICE_ZH
    assert about["notice_en"] == DEMO_NOTICE_EN
    assert "Approximate mode" in about["approximate_en"]
    assert about["suggestions_layer"] == "stations"


def test_without_suggestions_there_is_no_suggestions_table(
    tmp_path: Path, scenario: Scenario, coverage: dict[str, LayerCoverage]
) -> None:
    path = write_geopackage(tmp_path / "plain.gpkg", scenario=scenario, coverage=coverage)
    names = {name for name, _ in pyogrio.list_layers(path)}
    assert "grids" in names
    assert not names & {"suggestions", "suggestions_served"}
    assert [p.name for p in tmp_path.iterdir()] == ["plain.gpkg"]


def test_a_failed_write_keeps_the_previous_file(
    tmp_path: Path,
    scenario: Scenario,
    coverage: dict[str, LayerCoverage],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = write_geopackage(tmp_path / "report.gpkg", scenario=scenario, coverage=coverage)
    before = path.read_bytes()
    calls = {"n": 0}
    original = gpd.GeoDataFrame.to_file

    def failing_to_file(self: gpd.GeoDataFrame, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", failing_to_file)
    with pytest.raises(OSError, match="disk full"):
        write_geopackage(path, scenario=scenario, coverage=coverage)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["report.gpkg"]
