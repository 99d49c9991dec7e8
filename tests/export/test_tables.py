"""XLSX and CSV exports: Chinese headers, row counts, totals, notices, BOM."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geo.analysis.coverage import LayerCoverage
from geo.analysis.siting import SiteSuggestions
from geo.export import (
    GRID_COLUMNS,
    grid_coverage_table,
    write_csv,
    write_xlsx,
)
from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH, Scenario

LAYER_SHEETS = ["网格党群服务站", "党群服务中心", "暖“新”驿站", "暖“新”驿站(直线距离)"]


def _rows(sheet: object) -> list[tuple[object, ...]]:
    return list(sheet.iter_rows(values_only=True))  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def workbook(report: dict[str, Path]) -> openpyxl.Workbook:
    return openpyxl.load_workbook(report["xlsx"])


def test_workbook_has_notes_summary_a_sheet_per_layer_and_suggestions(
    workbook: openpyxl.Workbook,
) -> None:
    assert workbook.sheetnames == ["说明", "汇总", *LAYER_SHEETS, "选址建议"]


def test_layer_sheets_have_chinese_headers_a_row_per_grid_and_the_totals(
    workbook: openpyxl.Workbook, coverage: dict[str, LayerCoverage]
) -> None:
    for sheet_name, layer in zip(LAYER_SHEETS, coverage, strict=True):
        rows = _rows(workbook[sheet_name])
        header, body = rows[0], rows[1:]
        assert header[:8] == (
            "网格编号", "网格名称", "社区", "街道", "常住人口", "覆盖人口", "未覆盖人口", "覆盖比例"
        )  # fmt: skip
        assert "最近设施步行时间(分钟)" in header
        assert len(body) == 295
        column = {name: index for index, name in enumerate(header)}
        residents = sum(float(row[column["常住人口"]]) for row in body)  # type: ignore[arg-type]
        covered = sum(float(row[column["覆盖人口"]]) for row in body)  # type: ignore[arg-type]
        assert residents == pytest.approx(355_757, abs=1)
        assert covered == pytest.approx(coverage[layer].summary["residents_covered"], abs=30)
        share_cell = workbook[sheet_name].cell(row=2, column=column["覆盖比例"] + 1)
        assert share_cell.number_format == "0.0%"
        assert workbook[sheet_name].freeze_panes == "A2"


def test_summary_sheet_matches_the_coverage(
    workbook: openpyxl.Workbook, coverage: dict[str, LayerCoverage]
) -> None:
    rows = _rows(workbook["汇总"])
    assert rows[0][:5] == ("服务圈", "服务标准", "设施数量", "常住人口", "覆盖人口")
    by_layer = {row[0]: row for row in rows[1:]}
    stations = by_layer["网格党群服务站"]
    assert stations[1] == "步行10分钟"
    assert stations[2] == 160
    assert stations[4] == pytest.approx(coverage["stations"].summary["residents_covered"], abs=0.1)
    assert by_layer["暖“新”驿站(直线距离)"][1] == "直线1公里"


def test_suggestions_sheet_lists_rank_residents_added_and_grids(
    workbook: openpyxl.Workbook, suggestions: SiteSuggestions
) -> None:
    rows = _rows(workbook["选址建议"])
    header, body = rows[0], rows[1:]
    assert header[:2] == ("排名", "候选点编号")
    column = {name: index for index, name in enumerate(header)}
    assert {"新增覆盖人口", "服务网格", "经度(WGS-84)", "纬度(WGS-84)"} <= set(column)
    assert len(body) == len(suggestions.sites)
    assert [row[column["排名"]] for row in body] == list(range(1, len(body) + 1))
    added = sum(float(row[column["新增覆盖人口"]]) for row in body)  # type: ignore[arg-type]
    assert added == pytest.approx(suggestions.summary["residents_added"], abs=1)
    assert body[0][column["服务网格"]] == suggestions.sites["grids_served"].iloc[0]
    assert body[0][column["类型"]] in {"小区出入口", "超市", "社区活动室"}


def test_notes_sheet_carries_the_demo_and_approximate_notices(
    workbook: openpyxl.Workbook,
) -> None:
    contents = [row[1] for row in _rows(workbook["说明"])]
    assert DEMO_NOTICE_ZH in contents
    assert DEMO_NOTICE_EN in contents
    assert any(str(text).startswith("近似模式") for text in contents)
    assert any(str(text).startswith("Approximate mode") for text in contents)


def test_real_data_gets_no_demo_notice_and_english_headers_on_request(
    tmp_path: Path, scenario: Scenario, coverage: dict[str, LayerCoverage]
) -> None:
    real = dataclasses.replace(scenario, demo=False)
    path = write_xlsx(tmp_path / "en.xlsx", scenario=real, coverage=coverage, language="en")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:2] == ["Notes", "Summary"]
    assert "Suggestions" not in " ".join(book.sheetnames)
    contents = [row[1] for row in _rows(book["Notes"])]
    assert DEMO_NOTICE_ZH not in contents and DEMO_NOTICE_EN not in contents
    header = _rows(book["Grid service stations"])[0]
    assert header[:3] == ("Grid ID", "Grid name", "Community")


def test_grid_csv_is_utf8_with_bom_and_chinese_headers(
    report: dict[str, Path], coverage: dict[str, LayerCoverage]
) -> None:
    raw = report["grids_csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(report["grids_csv"], encoding="utf-8-sig")
    assert list(table.columns[:4]) == ["服务圈", "网格编号", "网格名称", "社区"]
    assert len(table) == 295 * len(coverage)
    stations = table.loc[table["服务圈"] == "网格党群服务站"]
    assert stations["常住人口"].sum() == pytest.approx(355_757, abs=1)
    assert stations["覆盖人口"].sum() == pytest.approx(
        coverage["stations"].summary["residents_covered"], abs=30
    )


def test_suggestions_csv_matches_the_sites(
    report: dict[str, Path], suggestions: SiteSuggestions
) -> None:
    assert report["suggestions_csv"].read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(report["suggestions_csv"], encoding="utf-8-sig")
    assert list(table.columns[:3]) == ["排名", "候选点编号", "名称"]
    assert list(table["候选点编号"]) == list(suggestions.sites["candidate_id"])
    assert table["新增覆盖人口"].sum() == pytest.approx(
        suggestions.summary["residents_added"], abs=1
    )


def test_csv_headers_follow_the_language(
    tmp_path: Path, scenario: Scenario, coverage: dict[str, LayerCoverage]
) -> None:
    table = grid_coverage_table(scenario, {"centres": coverage["centres"]}, language="en")
    path = write_csv(tmp_path / "grids.csv", table, columns=GRID_COLUMNS, language="en")
    read = pd.read_csv(path, encoding="utf-8-sig")
    assert list(read.columns[:3]) == ["Service circle", "Grid ID", "Grid name"]
    assert set(read["Service circle"]) == {"Party-mass service centres"}
    assert "Walk to nearest facility (min)" in read.columns
