"""Exports in the user's coordinate system: shifted coordinates, named in headers and notes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

from geo.analysis.coverage import LayerCoverage
from geo.analysis.siting import SiteSuggestions
from geo.coords import convert
from geo.export import write_report
from geo.scenario import Scenario


@pytest.fixture(scope="module")
def gcj_report(
    tmp_path_factory: pytest.TempPathFactory,
    scenario: Scenario,
    coverage: dict[str, LayerCoverage],
    suggestions: SiteSuggestions,
) -> dict[str, Path]:
    return write_report(
        tmp_path_factory.mktemp("gcj02"),
        scenario=scenario,
        coverage=coverage,
        suggestions=suggestions,
        out_crs="gcj02",
    )


def test_geopackage_geometry_is_shifted_to_gcj02(
    gcj_report: dict[str, Path], scenario: Scenario
) -> None:
    stations = pyogrio.read_dataframe(gcj_report["gpkg"], layer="stations")
    lon, lat = convert(scenario.stations.geometry.x, scenario.stations.geometry.y, "wgs84", "gcj02")
    np.testing.assert_allclose(stations.geometry.x, lon, atol=1e-9)
    np.testing.assert_allclose(stations.geometry.y, lat, atol=1e-9)
    # GCJ-02 is some 500 m off WGS-84 in Zhenjiang: the shift is real
    assert float(np.abs(stations.geometry.x - scenario.stations.geometry.x).min()) > 0.003
    about = pyogrio.read_dataframe(gcj_report["gpkg"], layer="about")
    assert dict(zip(about["key"], about["value"], strict=True))["coordinate_system"] == "GCJ-02"


def test_tables_name_the_system_in_their_headers(
    gcj_report: dict[str, Path], suggestions: SiteSuggestions
) -> None:
    table = pd.read_csv(gcj_report["suggestions_csv"])
    assert "经度(GCJ-02)" in table.columns and "纬度(GCJ-02)" in table.columns
    sites = suggestions.sites.to_crs(4326)
    lon, _ = convert(sites.geometry.x, sites.geometry.y, "wgs84", "gcj02")
    np.testing.assert_allclose(table["经度(GCJ-02)"], lon, atol=1e-6)
    book = openpyxl.load_workbook(gcj_report["xlsx"], read_only=True)
    notes = [tuple(row) for row in book[book.sheetnames[0]].iter_rows(values_only=True)]
    crs_rows = [row for row in notes if row[0] == "坐标系"]
    assert len(crs_rows) == 1 and str(crs_rows[0][1]).startswith("GCJ-02")


def test_cgcs2000_is_tagged_4490(
    tmp_path: Path, scenario: Scenario, coverage: dict[str, LayerCoverage]
) -> None:
    from geo.export import write_geopackage

    target = write_geopackage(
        tmp_path / "c.gpkg", scenario=scenario, coverage=coverage, out_crs="cgcs2000"
    )
    assert pyogrio.read_info(target, layer="stations")["crs"] == "EPSG:4490"
    with pytest.raises(ValueError, match="baidu"):
        write_geopackage(tmp_path / "x.gpkg", scenario=scenario, coverage=coverage, out_crs="baidu")
