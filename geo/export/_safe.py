"""Exported text that a spreadsheet cannot run: OWASP's rule against CSV/formula injection.

Text cells that begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be
taken for a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``) when a CSV file is
opened in Excel or WPS. In CSV such text gets a leading apostrophe, which the
spreadsheet shows as text; in XLSX every text cell is written as a string cell, which no
spreadsheet evaluates, and keeps its text unchanged. Numbers stay numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["FORMULA_START", "csv_safe", "text_as_text", "write_safe_csv"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutral(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells and headers cannot start a formula in CSV."""
    safe = table.map(_neutral)
    return safe.set_axis([_neutral(column) for column in safe.columns], axis=1)


def write_safe_csv(path: Path, table: pd.DataFrame) -> None:
    """Write ``table`` to ``path`` as CSV that Excel reads and cannot run: UTF-8 with a
    byte-order mark, text neutralised by :func:`csv_safe`, CRLF line ends (so a CR or LF
    inside a text cell is quoted, as RFC 4180 has it, and never ends a row)."""
    csv_safe(table).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def text_as_text(sheet: Worksheet) -> None:
    """Make every cell of ``sheet`` that openpyxl took for a formula a string cell.

    openpyxl writes any text beginning with ``=`` as a formula; the reports hold no
    formulas of their own, so each one is text from the data.
    """
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
