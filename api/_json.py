"""JSON answers with numbers rounded to what they mean.

Every API answer goes through :class:`RoundedJSONResponse`: metres to 1 m, minutes to
0.1 min, shares to 0.001, residents to whole persons, coordinates to 6 decimals (~0.1 m),
seconds to 1 ms; other floats to 6 decimals. A float such as 1733.9999999999995 never
reaches a client. The rounding goes by the key a number is found under.
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi.responses import JSONResponse

__all__ = ["RoundedJSONResponse", "rounded"]

_COORDINATE_KEYS = frozenset({"coordinates", "location", "lon", "lat", "bounds", "bbox"})
_RESIDENT_KEYS = ("residents", "population", "change", "bound", "greedy_objective")


_UNKNOWN = -1


def _digits(key: str) -> int | None:
    """Decimals of a number found under ``key``; None: round as a coordinate;
    ``_UNKNOWN``: no rule of its own (it takes its parent's, else 6 decimals)."""
    if key in _COORDINATE_KEYS or key.startswith(("lon_", "lat_")):
        return None
    if "share" in key or "gap" in key:
        return 3
    if "minutes" in key:
        return 1
    if key.endswith("_m") or "metres" in key:
        return 0
    if key.startswith(_RESIDENT_KEYS) or key.endswith("_objective"):
        return 0
    if "seconds" in key:
        return 3
    if key.endswith("_kmh"):
        return 2
    return _UNKNOWN


def _number(value: float, digits: int | None) -> float | int | None:
    if not math.isfinite(value):
        return None
    if digits is None or digits == _UNKNOWN:
        return round(value, 6)
    if digits == 0:
        return round(value)
    return round(value, digits)


def rounded(value: Any, key: str = "") -> Any:
    """``value`` (a JSON-ready tree) with every float rounded by the key it is under."""
    if isinstance(value, dict):
        return {
            name: rounded(item, name if _digits(name) != _UNKNOWN else key)
            for name, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [rounded(item, key) for item in value]
    if isinstance(value, float):
        return _number(value, _digits(key))
    return value


class RoundedJSONResponse(JSONResponse):
    """A JSON answer (strict JSON: no NaN) with its numbers rounded (see :func:`rounded`)."""

    def render(self, content: Any) -> bytes:
        """Serialise ``content`` rounded, as UTF-8 JSON."""
        return json.dumps(
            rounded(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode("utf-8")
