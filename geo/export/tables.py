"""Tables for a meeting: grid coverage, summary and site suggestions as CSV and XLSX."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from geo.coords import check_coordinate_system
from geo.export._atomic import atomic_path
from geo.export._crs import CRS_NAMES, coordinate_header, in_crs
from geo.export._labels import (
    CANDIDATE_KINDS,
    GRID_COLUMNS,
    SHEETS,
    SUGGESTION_COLUMNS,
    SUMMARY_COLUMNS,
    Language,
    approximate_notice,
    facility_layer,
    header,
    layer_name,
    rule_text,
)
from geo.export._safe import text_as_text, write_safe_csv
from geo.scenario import LANGUAGES

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from geo.analysis.coverage import LayerCoverage
    from geo.analysis.siting import SiteSuggestions
    from geo.scenario import Scenario

__all__ = [
    "grid_coverage_table",
    "grid_table",
    "labelled",
    "suggestion_table",
    "summary_table",
    "write_csv",
    "write_xlsx",
]

logger = logging.getLogger(__name__)

#: A sheet to write: name, table, header mapping (None: write the table as it is).
_Sheet = tuple[str, pd.DataFrame, Mapping[str, tuple[str, str]] | None]

#: Decimals kept per column in the tables.
_DECIMALS: dict[str, int] = {
    "residents": 1,
    "residents_covered": 1,
    "residents_uncovered": 1,
    "residents_total": 1,
    "residents_added": 1,
    "residents_covered_after": 1,
    "share_covered": 4,
    "area_share_covered": 4,
    "nearest_minutes": 1,
    "nearest_m": 0,
    "lon": 6,
    "lat": 6,
}
#: Excel number formats per column.
_FORMATS: dict[str, str] = {
    "residents": "#,##0",
    "residents_covered": "#,##0",
    "residents_uncovered": "#,##0",
    "residents_total": "#,##0",
    "residents_added": "#,##0",
    "residents_covered_after": "#,##0",
    "share_covered": "0.0%",
    "area_share_covered": "0.0%",
    "nearest_minutes": "0.0",
    "nearest_m": "#,##0",
}


def _rounded(table: pd.DataFrame) -> pd.DataFrame:
    decimals = {column: places for column, places in _DECIMALS.items() if column in table}
    return table.round(decimals)


def grid_table(scenario: Scenario, coverage: LayerCoverage, *, layer: str) -> pd.DataFrame:
    """Return one analysis layer's coverage per grid, a row per grid.

    Parameters
    ----------
    scenario
        The scenario analysed (for each grid's street and the facilities' names).
    coverage
        Coverage of the layer.
    layer
        The coverage key, one of {"stations", "centres", "rest_points",
        "rest_points_circle"}.

    Returns
    -------
    pandas.DataFrame
        Columns ``grid_id``, ``name``, ``community``, ``street``, ``residents``,
        ``residents_covered``, ``residents_uncovered``, ``share_covered``,
        ``area_share_covered``, ``nearest_minutes``, ``nearest_m``,
        ``nearest_facility_id``, ``nearest_facility_name`` (see ``GRID_COLUMNS`` for
        their headers), rounded for reading; in the coverage's grid order.
    """
    table = pd.DataFrame(coverage.grids.drop(columns=coverage.grids.geometry.name))
    if "street" in scenario.grids.columns and "street" not in table.columns:
        streets = scenario.grids.set_index("grid_id")["street"]
        table["street"] = table["grid_id"].map(streets)
    table["residents_uncovered"] = (table["residents"] - table["residents_covered"]).clip(lower=0.0)
    names = scenario.facilities(facility_layer(layer)).set_index("facility_id")["name"]
    table["nearest_facility_name"] = table["nearest_facility_id"].map(names)
    columns = [column for column in GRID_COLUMNS if column in table.columns]
    return _rounded(table[columns].reset_index(drop=True))


def grid_coverage_table(
    scenario: Scenario,
    coverage: Mapping[str, LayerCoverage],
    *,
    language: Language = "zh",
) -> pd.DataFrame:
    """Return the coverage of every grid by every analysis layer, a row per grid and layer.

    Parameters
    ----------
    scenario
        The scenario analysed.
    coverage
        Coverage per analysis layer.
    language
        {"zh", "en"}: language of the ``layer`` column's values.

    Returns
    -------
    pandas.DataFrame
        :func:`grid_table` of each layer, stacked, with a first column ``layer``
        holding the layer's display name.
    """
    parts = [
        grid_table(scenario, layer_coverage, layer=layer).assign(layer=layer_name(layer, language))
        for layer, layer_coverage in coverage.items()
    ]
    table = pd.concat(parts, ignore_index=True)
    return table[[column for column in GRID_COLUMNS if column in table.columns]]


def summary_table(
    coverage: Mapping[str, LayerCoverage], *, language: Language = "zh"
) -> pd.DataFrame:
    """Return a row per analysis layer: rule, facilities, residents covered and not.

    Parameters
    ----------
    coverage
        Coverage per analysis layer.
    language
        {"zh", "en"}: language of the layer names and rules.

    Returns
    -------
    pandas.DataFrame
        Columns of ``SUMMARY_COLUMNS``.
    """
    rows = []
    for layer, layer_coverage in coverage.items():
        summary = layer_coverage.summary
        total = float(summary["residents_total"])
        covered = float(summary["residents_covered"])
        rows.append(
            {
                "layer": layer_name(layer, language),
                "rule": rule_text(layer_coverage.rule, language),
                "facilities": int(summary["facilities"]),
                "residents_total": total,
                "residents_covered": covered,
                "residents_uncovered": total - covered,
                "share_covered": float(summary["share_covered"]),
                "approximate": header(
                    SHEETS, "yes" if layer_coverage.approximate else "no", language
                ),
            }
        )
    return _rounded(pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)))


def suggestion_table(
    suggestions: SiteSuggestions, *, language: Language = "zh", out_crs: str = "wgs84"
) -> pd.DataFrame:
    """Return suggested sites as a plain table with their coordinates.

    Parameters
    ----------
    suggestions
        Suggested sites from ``geo.analysis.siting``.
    language
        {"zh", "en"}: language of the candidate kinds.
    out_crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"}: system of ``lon`` / ``lat``.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``candidate_id``, ``name``, ``kind``, ``residents_added``,
        ``residents_covered_after``, ``grids_served`` (grid ids separated by ";", most
        residents first), ``n_grids_served``, ``lon`` / ``lat`` (degrees in ``out_crs``).
    """
    sites = in_crs(suggestions.sites, out_crs)
    table = pd.DataFrame(sites.drop(columns=sites.geometry.name))
    if "kind" in table.columns:
        table["kind"] = [
            header(CANDIDATE_KINDS, kind, language) if kind in CANDIDATE_KINDS else kind
            for kind in table["kind"]
        ]
    table["lon"] = sites.geometry.x.to_numpy()
    table["lat"] = sites.geometry.y.to_numpy()
    columns = [column for column in SUGGESTION_COLUMNS if column in table.columns]
    return _rounded(table[columns].reset_index(drop=True))


def labelled(
    table: pd.DataFrame,
    columns: Mapping[str, tuple[str, str]],
    *,
    language: Language = "zh",
    out_crs: str = "wgs84",
) -> pd.DataFrame:
    """Return ``table`` with its headers in ``language``; unknown columns keep their names.

    Parameters
    ----------
    table
        A table of this module.
    columns
        Its header mapping, e.g. ``GRID_COLUMNS``.
    language
        {"zh", "en"}.
    out_crs
        The system of the ``lon`` / ``lat`` columns, named in their headers
        (``经度(GCJ-02)``).

    Returns
    -------
    pandas.DataFrame
        A renamed copy.
    """
    names = {
        column: header(columns, str(column), language) for column in table if column in columns
    }
    for column in ("lon", "lat"):
        if column in names:
            names[column] = coordinate_header(names[column], out_crs)
    return table.rename(columns=names)


def write_csv(
    path: str | os.PathLike[str],
    table: pd.DataFrame,
    *,
    columns: Mapping[str, tuple[str, str]] | None = None,
    language: Language = "zh",
    out_crs: str = "wgs84",
) -> Path:
    """Write a table as CSV, UTF-8 with a byte-order mark so that Excel reads Chinese.

    Text that a spreadsheet would take for a formula (starting with ``= + - @``, tab or
    CR) gets a leading apostrophe; numbers are written as they are.

    Parameters
    ----------
    path
        Target file; replaced in one step once written.
    table
        The table, e.g. from :func:`grid_coverage_table` or :func:`suggestion_table`.
    columns
        Header mapping to label the columns with (``GRID_COLUMNS``,
        ``SUGGESTION_COLUMNS``, ...), or None to keep the column names.
    language
        {"zh", "en"}: language of the headers.
    out_crs
        The system of the table's ``lon`` / ``lat``, named in their headers.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    output = (
        table if columns is None else labelled(table, columns, language=language, out_crs=out_crs)
    )
    target = Path(path)
    with atomic_path(target) as temporary:
        write_safe_csv(temporary, output)
    logger.info("wrote %s: %d rows", target, len(output))
    return target


def _notes_table(
    scenario: Scenario,
    coverage: Mapping[str, LayerCoverage],
    suggestions: SiteSuggestions | None,
    suggestion_layer: str | None,
    language: Language,
) -> pd.DataFrame:
    """Rows of (item, content): scenario, notices, rules and the siting figures."""

    def label(key: str, in_language: Language = language) -> str:
        return header(SHEETS, key, in_language)

    rows: list[tuple[str, str]] = [
        (label("scenario"), scenario.name),
        (label("created"), dt.datetime.now().astimezone().isoformat(timespec="seconds")),
    ]
    rows += [
        (label("data_notice", lang), notice)
        for lang in LANGUAGES
        if (notice := scenario.demo_notice(lang)) is not None
    ]
    if any(item.approximate for item in coverage.values()):
        rows += [
            (label("network", "zh"), approximate_notice("zh")),
            (label("network", "en"), approximate_notice("en")),
        ]
    else:
        rows.append((label("network"), label("network_exact")))
    rows += [
        (layer_name(layer, language), rule_text(item.rule, language))
        for layer, item in coverage.items()
    ]
    if suggestion_layer is not None:
        rows.append((label("suggestion_layer"), layer_name(suggestion_layer, language)))
    if suggestions is not None:
        figures = suggestions.summary
        gap = f"{figures['optimality_gap']:.2%}"
        rows += [
            (label("method"), str(figures["method"])),
            (label("covered_before"), f"{figures['residents_covered_before']:,.0f}"),
            (label("covered_after"), f"{figures['residents_covered_after']:,.0f}"),
            (label("optimality_gap"), f"≤ {gap}" if figures["gap_is_bound"] else gap),
        ]
    return pd.DataFrame(rows, columns=[label("item"), label("content")])


def _crs_note(out_crs: str, language: Language) -> tuple[str, str]:
    """The notes row naming the workbook's coordinate system."""
    name = CRS_NAMES[out_crs]
    if language == "zh":
        text = f"{name}（经纬度，度）"
        if out_crs in ("gcj02", "bd09"):
            text += "：已按该坐标系偏移，可直接用于高德/腾讯或百度地图"
        return ("坐标系", text)
    text = f"{name} (lon/lat degrees)"
    if out_crs in ("gcj02", "bd09"):
        text += ": shifted for Amap/Tencent or Baidu maps"
    return ("Coordinate system", text)


def _display_width(text: str) -> int:
    """Width of ``text`` in Excel columns: Chinese characters take two."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _format_sheet(sheet: Worksheet, keys: list[str], *, table: bool = True) -> None:
    """Set column widths and number formats; freeze and filter the header row."""
    from openpyxl.utils import get_column_letter  # only workbooks need it

    for position, key in enumerate(keys, start=1):
        letter = get_column_letter(position)
        cells = [str(cell.value) for cell in sheet[letter] if cell.value is not None]
        width = max((_display_width(text) for text in cells), default=8)
        sheet.column_dimensions[letter].width = min(max(width + 2, 8), 80)
        number_format = _FORMATS.get(key)
        if number_format is not None:
            for cell in sheet[letter][1:]:
                cell.number_format = number_format
    if table and sheet.max_row > 1:
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions


def _sheet_name(name: str) -> str:
    """Return ``name`` made valid as an Excel sheet name (31 characters, no []:*?/\\)."""
    cleaned = "".join("_" if char in "[]:*?/\\" else char for char in name)
    return cleaned[:31]


def write_xlsx(
    path: str | os.PathLike[str],
    *,
    scenario: Scenario,
    coverage: Mapping[str, LayerCoverage],
    suggestions: SiteSuggestions | None = None,
    suggestion_layer: str | None = None,
    language: Language = "zh",
    out_crs: str = "wgs84",
) -> Path:
    """Write a workbook for a meeting. Every text cell is a string cell, never a formula.

    Sheets, in order: notes (说明: scenario, the demo-data notice in Chinese and English
    when the scenario is demo data, the approximate-mode notice when any coverage is
    approximate, the rules, the siting figures), summary (汇总: a row per analysis
    layer), a sheet per analysis layer named after it (a row per grid, see
    :func:`grid_table`) and, when given, the suggestions (选址建议: rank, residents
    added, grids served, ...).

    Parameters
    ----------
    path
        Target ``.xlsx`` file; replaced in one step once written.
    scenario
        The scenario analysed.
    coverage
        Coverage per analysis layer.
    suggestions
        Suggested sites, or None.
    suggestion_layer
        The analysis layer the suggestions are for, noted in the notes sheet.
    language
        {"zh", "en"}: language of headers, sheet names and notes.
    out_crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"}: the system of every coordinate in the
        workbook, named in the notes sheet and in the lon/lat headers.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    check_coordinate_system(out_crs)
    notes = _notes_table(scenario, coverage, suggestions, suggestion_layer, language)
    notes = pd.concat(
        [notes, pd.DataFrame([_crs_note(out_crs, language)], columns=notes.columns)],
        ignore_index=True,
    )
    sheets: list[_Sheet] = [
        (header(SHEETS, "notes", language), notes, None),
        (header(SHEETS, "summary", language), summary_table(coverage, language=language),
         SUMMARY_COLUMNS),
    ]  # fmt: skip
    sheets += [
        (layer_name(layer, language), grid_table(scenario, item, layer=layer), GRID_COLUMNS)
        for layer, item in coverage.items()
    ]
    if suggestions is not None:
        sheets.append(
            (header(SHEETS, "suggestions", language),
             suggestion_table(suggestions, language=language, out_crs=out_crs),
             SUGGESTION_COLUMNS)
        )  # fmt: skip
    target = Path(path)
    with (
        atomic_path(target) as temporary,
        pd.ExcelWriter(temporary, engine="openpyxl") as writer,
    ):
        for name, table, columns in sheets:
            output = (
                table
                if columns is None
                else labelled(table, columns, language=language, out_crs=out_crs)
            )
            sheet_name = _sheet_name(name)
            output.to_excel(writer, sheet_name=sheet_name, index=False)
            text_as_text(writer.sheets[sheet_name])
            _format_sheet(writer.sheets[sheet_name], list(table.columns), table=columns is not None)
    logger.info("wrote %s: %d sheets", target, len(sheets))
    return target
