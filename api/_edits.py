"""Planner edits of a scenario's facility layers: add, move, close, replace.

Each function takes the current scenario and returns a new one with the audit detail;
nothing is changed in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from api.errors import ConflictError, UnknownFacilityError, UnknownLayerError
from api.state import replace_layer
from geo.coords import convert
from geo.scenario import Scenario

__all__ = ["EDITABLE_LAYERS", "add_facility", "check_editable", "close_facility", "move_facility"]

#: Data layers whose facilities can be added, moved and closed one by one.
EDITABLE_LAYERS: tuple[str, ...] = ("stations", "rest_points")


def check_editable(layer: str) -> None:
    """Raise :class:`UnknownLayerError` (404) unless ``layer`` is editable."""
    if layer not in EDITABLE_LAYERS:
        msg = f"unknown facility layer {layer!r}; use one of {', '.join(EDITABLE_LAYERS)}"
        raise UnknownLayerError(msg, detail={"known": list(EDITABLE_LAYERS)})


def _wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    x, y = convert([lon], [lat], crs, "wgs84")
    return round(float(x[0]), 7), round(float(y[0]), 7)


def _row_of(frame: gpd.GeoDataFrame, layer: str, facility_id: str) -> int:
    matches = (frame["facility_id"].astype(str) == facility_id).to_numpy().nonzero()[0]
    if matches.size == 0:
        msg = f"no facility {facility_id!r} in layer {layer!r}; list them at /api/layers/{layer}"
        raise UnknownFacilityError(msg, detail={"layer": layer, "facility_id": facility_id})
    return int(matches[0])


def add_facility(
    scenario: Scenario,
    layer: str,
    values: Mapping[str, Any],
    *,
    lon: float,
    lat: float,
    crs: str,
) -> tuple[Scenario, dict[str, Any]]:
    """Add one facility.

    Parameters
    ----------
    scenario
        The current scenario.
    layer
        {"stations", "rest_points"}.
    values
        Column values of the new row (``facility_id``, ``name``, ...); columns the layer
        lacks are ignored, columns missing here are left empty.
    lon, lat
        Location, degrees in ``crs``.
    crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"}.

    Returns
    -------
    scenario, detail
        The new scenario and what the audit log records.

    Raises
    ------
    ConflictError
        If the facility id is already in use in the layer.
    """
    frame: gpd.GeoDataFrame = getattr(scenario, layer)
    facility_id = str(values["facility_id"])
    if (frame["facility_id"].astype(str) == facility_id).any():
        msg = f"facility id {facility_id!r} is already in use in {layer!r}; choose another id"
        raise ConflictError(msg, detail={"facility_id": facility_id})
    x, y = _wgs84(lon, lat, crs)
    row = {column: values.get(column, "") for column in frame.columns if column != "geometry"}
    row["demo"] = False
    addition = gpd.GeoDataFrame([row], geometry=[shapely.Point(x, y)], crs="EPSG:4326")
    addition = addition.astype({c: frame[c].dtype for c in row if c in frame.columns})
    edited = gpd.GeoDataFrame(
        pd.concat([frame, addition], ignore_index=True), geometry="geometry", crs="EPSG:4326"
    )
    detail = {"facility_id": facility_id, "name": row.get("name"), "lon": x, "lat": y}
    return replace_layer(scenario, layer, edited), detail


def move_facility(
    scenario: Scenario, layer: str, facility_id: str, *, lon: float, lat: float, crs: str
) -> tuple[Scenario, dict[str, Any]]:
    """Move one facility to a new location (degrees in ``crs``).

    Raises
    ------
    UnknownFacilityError
        If the layer has no such facility.
    """
    frame: gpd.GeoDataFrame = getattr(scenario, layer)
    position = _row_of(frame, layer, facility_id)
    before = frame.geometry.iloc[position]
    x, y = _wgs84(lon, lat, crs)
    geometry = frame.geometry.copy()
    geometry.iloc[position] = shapely.Point(x, y)
    edited = frame.set_geometry(geometry)
    detail = {
        "facility_id": facility_id,
        "from": [float(before.x), float(before.y)],
        "to": [x, y],
    }
    return replace_layer(scenario, layer, edited), detail


def close_facility(
    scenario: Scenario, layer: str, facility_id: str
) -> tuple[Scenario, dict[str, Any]]:
    """Close (remove) one facility.

    Raises
    ------
    UnknownFacilityError
        If the layer has no such facility.
    """
    frame: gpd.GeoDataFrame = getattr(scenario, layer)
    position = _row_of(frame, layer, facility_id)
    closed = frame.iloc[position]
    edited = frame.drop(index=frame.index[position]).reset_index(drop=True)
    detail = {
        "facility_id": facility_id,
        "name": str(closed["name"]),
        "lon": float(closed.geometry.x),
        "lat": float(closed.geometry.y),
    }
    return replace_layer(scenario, layer, edited), detail
