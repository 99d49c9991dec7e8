"""Plain JSON values from numpy / pandas ones, for the ``to_dict()`` of results."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plain", "records"]


def plain(value: Any) -> Any:
    """``value`` with numpy / pandas scalars as Python ones and NaN, inf, NA as None.

    Mappings become dicts with text keys, tuples and lists become lists.
    """
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a plain table (no geometry) as JSON-ready dictionaries."""
    return [plain(row) for row in frame.to_dict("records")]
