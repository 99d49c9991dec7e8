"""Reading and checking attribute columns shared by several layers."""

from __future__ import annotations

import re
from collections.abc import Mapping

from geo.layers._cells import cell_text, is_blank, show, to_count, to_flag
from geo.layers._columns import Columns, normalise_header
from geo.layers._validate import ValidationReport

__all__ = [
    "choices",
    "counts",
    "flags",
    "identifiers",
    "item_lists",
    "names",
    "optional_texts",
    "texts",
]

_SEPARATORS = re.compile(r"[;；,，、|\n]+")


def identifiers(columns: Columns, target: str, layer: str, report: ValidationReport) -> list[str]:
    """Read a unique id column; generate ``<layer>-<row>`` where an id is missing (warning).

    Every repeated id is an error.
    """
    label = columns.label(target)
    absent = target not in columns
    if absent:
        report.warning(
            None,
            label,
            None,
            f"no {target} column: ids {layer}-<row> were generated",
            f"add a {target} column so that ids stay the same when the file changes",
        )
    seen: dict[str, int] = {}
    result = []
    for row, value in columns.cells(target):
        text = cell_text(value)
        if not text:
            text = f"{layer}-{row}"
            if not absent:
                report.warning(
                    row,
                    label,
                    None,
                    f"{target} is missing; generated {text!r}",
                    "fill in a unique id",
                )
        if text in seen:
            report.error(
                row,
                label,
                text,
                f"value {text!r} is a duplicate of row {seen[text]}",
                f"give every feature its own {target}",
            )
        else:
            seen[text] = row
        result.append(text)
    return result


def names(columns: Columns, report: ValidationReport) -> list[str]:
    """Read the required ``name`` column; a blank name is an error."""
    result = []
    for row, value in columns.cells("name"):
        text = cell_text(value)
        if not text and "name" in columns:
            report.error(row, columns.label("name"), None, "name is missing", "fill in the name")
        result.append(text)
    return result


def texts(columns: Columns, target: str) -> list[str]:
    """Read a free-text column; ``""`` where blank or absent."""
    return [cell_text(value) for _, value in columns.cells(target)]


def optional_texts(columns: Columns, target: str) -> list[str | None]:
    """Read a free-text column; None where blank or absent."""
    return [cell_text(value) or None for _, value in columns.cells(target)]


def counts(columns: Columns, target: str, report: ValidationReport) -> list[int | None]:
    """Read a column of whole numbers of 0 or more (households, population); None where blank."""
    label = columns.label(target)
    result: list[int | None] = []
    for row, value in columns.cells(target):
        number: int | None = None
        if not is_blank(value):
            try:
                number = to_count(value)
            except ValueError as exc:
                report.error(
                    row,
                    label,
                    value,
                    f"value {show(value)} {exc}",
                    f"write {target} as a whole number such as 120, or leave it empty",
                )
            else:
                if number < 0:
                    report.error(
                        row,
                        label,
                        value,
                        f"value {number} is negative",
                        f"{target} must be 0 or more; leave it empty if unknown",
                    )
                    number = None
        result.append(number)
    return result


def flags(columns: Columns, target: str, report: ValidationReport) -> list[bool]:
    """Read a yes/no column; False where blank or absent."""
    label = columns.label(target)
    result = []
    for row, value in columns.cells(target):
        flag = False
        if not is_blank(value):
            try:
                flag = to_flag(value)
            except ValueError as exc:
                report.error(
                    row,
                    label,
                    value,
                    f"value {show(value)} {exc}",
                    "write true or false (also 1/0, yes/no, 是/否)",
                )
        result.append(flag)
    return result


def choices(
    columns: Columns, target: str, allowed: Mapping[str, str], fix: str, report: ValidationReport
) -> list[str]:
    """Read a required column of closed choices, mapping each accepted spelling to its value.

    Parameters
    ----------
    allowed
        Normalised spelling (see :func:`normalise_header`) -> value.
    fix
        The fix suggested for a blank or unknown value.
    """
    label = columns.label(target)
    result = []
    for row, value in columns.cells(target):
        text = cell_text(value)
        choice = allowed.get(normalise_header(text), "")
        if target in columns and not text:
            report.error(row, label, None, f"{target} is missing", fix)
        elif target in columns and not choice:
            report.error(row, label, text, f"value {text!r} is not a known {target}", fix)
        result.append(choice)
    return result


def item_lists(
    columns: Columns, target: str, allowed: Mapping[str, str] | None, report: ValidationReport
) -> list[str]:
    """Read lists of items separated by ``;``, ``,``, ``、`` (also full-width) or new lines.

    Returns them joined by ``";"``. With ``allowed`` (normalised spelling -> key), each item
    is mapped to its key and an unknown item is dropped with a warning.
    """
    label = columns.label(target)
    result = []
    for row, value in columns.cells(target):
        items = [item.strip() for item in _SEPARATORS.split(cell_text(value)) if item.strip()]
        if allowed is not None:
            unknown = [item for item in items if normalise_header(item) not in allowed]
            if unknown:
                report.warning(
                    row,
                    label,
                    ";".join(unknown),
                    f"unknown {target} {', '.join(repr(u) for u in unknown)} ignored",
                    f"use the keys {', '.join(sorted(set(allowed.values())))} "
                    "(or their Chinese names)",
                )
            items = [allowed[normalise_header(item)] for item in items if item not in unknown]
        result.append(";".join(dict.fromkeys(items)))
    return result
