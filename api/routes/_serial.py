"""Serialising frames and results to JSON / GeoJSON (WGS-84)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.analysis.rules import ServiceRule
from geo.coords import convert

__all__ = ["feature_collection", "plain", "records", "rule_json"]


def _no_constants(_name: str) -> None:
    """NaN and infinities have no JSON form: they become null."""
    return None


def feature_collection(
    frame: gpd.GeoDataFrame, *, columns: Iterable[str] | None = None, crs: str = "wgs84"
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of ``frame`` (EPSG:4326), NaN and NA as null.

    Parameters
    ----------
    frame
        Features in EPSG:4326.
    columns
        The properties to keep; None keeps all.
    crs
        Coordinate system of the output coordinates: "wgs84" (GeoJSON's own), or
        "gcj02" for clients drawing on Amap tiles.
    """
    if columns is not None:
        frame = frame[[*columns, frame.geometry.name]]
    if crs != "wgs84":
        frame = frame.set_geometry(
            [_shifted(shape, crs) if shape is not None else None for shape in frame.geometry],
            crs=frame.crs,
        )
    text = frame.to_json(na="null", drop_id=True)
    data: dict[str, Any] = json.loads(text, parse_constant=_no_constants)
    return data


def _shifted(shape: BaseGeometry, crs: str) -> BaseGeometry:
    return shapely.transform(
        shape, lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1], "wgs84", crs))
    )


def plain(value: Any) -> Any:
    """``value`` with numpy / pandas scalars as Python ones and NaN, inf, NA as None."""
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
    """The rows of a plain table as JSON-ready dictionaries."""
    return [plain(row) for row in frame.to_dict("records")]


def rule_json(rule: ServiceRule) -> dict[str, Any]:
    """A service rule as JSON."""
    return {
        "limit": rule.limit,
        "unit": rule.unit,
        "speed_kmh": rule.speed_kmh,
        "straight_line": rule.straight_line,
        "max_metres": rule.max_metres,
        "label": rule.label,
    }
