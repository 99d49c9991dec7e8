"""Serialising frames and results to JSON / GeoJSON (WGS-84)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.coords import convert
from geo.jsonable import plain, records

__all__ = ["feature_collection", "plain", "records"]


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
