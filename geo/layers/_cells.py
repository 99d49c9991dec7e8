"""Reading single cells: text, numbers, counts and yes/no flags, as spreadsheets give them."""

from __future__ import annotations

import math
import re

__all__ = ["cell_text", "is_blank", "show", "to_count", "to_flag", "to_float"]

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_TRUE = frozenset({"true", "yes", "y", "1", "t", "是", "真"})
_FALSE = frozenset({"false", "no", "n", "0", "f", "否", "假"})


def is_blank(value: object) -> bool:
    """Tell whether a cell is empty: None, NaN, NA or only whitespace."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(value != value)  # pandas.NA, NaT
    except TypeError:
        return False


def cell_text(value: object) -> str:
    """Return a cell as stripped text; ``""`` for a blank cell, ``"12"`` for the number 12.0."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def show(value: object) -> str:
    """Format a value for a message: text in quotes, numbers as they are."""
    if isinstance(value, str):
        return repr(value)
    return str(value)


def to_float(value: object) -> float:
    """Read a number; raise ValueError if the cell does not hold one.

    Parameters
    ----------
    value
        A cell: a number, or text such as ``"119.45"`` or ``" 32.2 "``.
    """
    if isinstance(value, bool):
        raise ValueError("a yes/no value is not a number")
    number = float(value) if isinstance(value, int | float) else float(str(value).strip())
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def to_count(value: object) -> int:
    """Read a whole number such as a household count.

    Accepts ``12``, ``12.0``, ``"12"``, ``"1,234"``.

    Raises
    ------
    ValueError
        With the reason: not a number, or not a whole number.
    """
    text = cell_text(value).replace(" ", "")
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        number = to_float(text)
    except ValueError:
        raise ValueError("is not a number") from None
    if not number.is_integer():
        raise ValueError("is not a whole number")
    return int(number)


def to_flag(value: object) -> bool:
    """Read a yes/no cell: true/false, yes/no, 1/0, 是/否.

    Raises
    ------
    ValueError
        If the cell holds anything else.
    """
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("is not a yes/no value")
