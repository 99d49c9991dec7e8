"""Planner edits of a scenario's data layers: add, move, close, replace.

Each function takes the current scenario and returns a new one with the audit detail
(what an audit log records); nothing is changed in place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
import shapely

from geo.coords import check_coordinate_system, convert
from geo.errors import (
    AnalysisError,
    ConflictingEditError,
    GeoError,
    UnknownFacilityError,
    UnknownLayerError,
)
from geo.scenario import Scenario, check_analysis_layer, check_data_layer

__all__ = [
    "EDITABLE_LAYERS",
    "Change",
    "add_facility",
    "apply_change",
    "check_editable",
    "close_facility",
    "move_facility",
    "numbered",
    "replace_layer",
    "source_layer",
]

#: Data layers whose facilities can be added, moved and closed one by one.
EDITABLE_LAYERS: tuple[str, ...] = ("stations", "rest_points")
#: The data layer holding each analysis layer's facilities.
_SOURCE = {"stations": "stations", "centres": "stations", "rest_points": "rest_points"}
_KIND = {"stations": "station", "centres": "centre"}


@dataclass(frozen=True)
class Change:
    """One planner change of an analysis layer, for ``District.whatif`` and ``District.apply``.

    Attributes
    ----------
    action
        {"add", "move", "close"}.
    layer
        The analysis layer.
    facility_id
        The facility to move or close; the id of an added one (generated if None).
    lon, lat
        New location (add, move), degrees in the coordinate system given with the changes.
    name
        Name of an added facility.
    """

    action: Literal["add", "move", "close"]
    layer: str
    facility_id: str | None = None
    lon: float | None = None
    lat: float | None = None
    name: str | None = None

    def check(self) -> None:
        """Refuse a change that lacks what its action needs.

        Raises
        ------
        UnknownLayerError
            If ``layer`` is not an analysis layer.
        AnalysisError
            If an add or move has no lon/lat, or a move or close no facility id.
        """
        check_analysis_layer(self.layer)
        if self.action in ("move", "close") and self.facility_id is None:
            msg = f"'{self.action}' needs the facility_id"
            raise AnalysisError(msg)
        if self.action in ("add", "move") and (self.lon is None or self.lat is None):
            msg = f"'{self.action}' needs lon and lat"
            raise AnalysisError(msg)


def apply_change(scenario: Scenario, change: Change, *, crs: str = "wgs84") -> Scenario:
    """The scenario after one planner change of an analysis layer (lon/lat in ``crs``).

    An added facility gets the id ``whatif-<n>`` unless the change gives one, and the
    kind of its layer (stations: station, centres: centre).

    Raises
    ------
    UnknownLayerError, AnalysisError
        If the change is incomplete (see :meth:`Change.check`).
    UnknownFacilityError, ConflictingEditError
        If the facility to move or close does not exist, or an added id is in use.
    """
    change.check()
    source = _SOURCE[change.layer]
    if change.action == "close":
        return close_facility(scenario, source, str(change.facility_id))[0]
    lon, lat = float(change.lon or 0.0), float(change.lat or 0.0)
    if change.action == "move":
        return move_facility(scenario, source, str(change.facility_id), lon=lon, lat=lat, crs=crs)[
            0
        ]
    frame = getattr(scenario, source)
    values = {
        "facility_id": change.facility_id or f"whatif-{len(frame)}",
        "name": change.name or "",
        "kind": _KIND.get(change.layer, ""),
    }
    return add_facility(scenario, source, values, lon=lon, lat=lat, crs=crs)[0]


def source_layer(layer: str) -> str:
    """The data layer holding an analysis layer's facilities (centres: stations).

    Raises
    ------
    UnknownLayerError
        If ``layer`` is not an analysis layer.
    """
    check_analysis_layer(layer)
    return _SOURCE[layer]


@contextmanager
def numbered(index: int, count: int, change: Change) -> Iterator[None]:
    """Name the change in the error raised inside the block.

    The error keeps its class and reads "edit 4 of 5 (move 'JK-S01' in stations): ...";
    its detail gains ``index`` (counting from 0) beside what it held (a detail that is
    not a mapping moves to ``detail["detail"]``).

    Parameters
    ----------
    index
        Position of the change among the changes, from 0.
    count
        How many changes there are.
    change
        The change.
    """
    try:
        yield
    except GeoError as error:
        if type(error).__init__ is not GeoError.__init__:  # e.g. a validation report
            raise
        target = f" {change.facility_id!r}" if change.facility_id else ""
        msg = f"edit {index + 1} of {count} ({change.action}{target} in {change.layer}): {error}"
        known = error.detail
        detail = {**known} if isinstance(known, Mapping) else {"detail": known}
        raise type(error)(msg, detail={**detail, "index": index}) from error


def check_editable(layer: str) -> None:
    """Raise :class:`UnknownLayerError` unless ``layer`` is one of :data:`EDITABLE_LAYERS`."""
    if layer not in EDITABLE_LAYERS:
        msg = f"unknown facility layer {layer!r}; use one of {', '.join(EDITABLE_LAYERS)}"
        raise UnknownLayerError(msg, detail={"known": list(EDITABLE_LAYERS)})


def _wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    x, y = convert([lon], [lat], check_coordinate_system(crs), "wgs84")
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
    crs: str = "wgs84",
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
    UnknownLayerError
        If ``layer`` is not editable.
    ConflictingEditError
        If the facility id is already in use in the layer.
    """
    check_editable(layer)
    frame: gpd.GeoDataFrame = getattr(scenario, layer)
    facility_id = str(values["facility_id"])
    if (frame["facility_id"].astype(str) == facility_id).any():
        msg = f"facility id {facility_id!r} is already in use in {layer!r}; choose another id"
        raise ConflictingEditError(msg, detail={"facility_id": facility_id})
    x, y = _wgs84(lon, lat, crs)
    row = {column: values.get(column, "") for column in frame.columns if column != "geometry"}
    row["demo"] = False
    addition = gpd.GeoDataFrame([row], geometry=[shapely.Point(x, y)], crs="EPSG:4326")
    addition = addition.astype({c: frame[c].dtype for c in row if c in frame.columns})
    edited = gpd.GeoDataFrame(
        pd.concat([frame, addition], ignore_index=True), geometry="geometry", crs="EPSG:4326"
    )
    detail = {"facility_id": facility_id, "name": row.get("name"), "lon": x, "lat": y}
    return replace_layer(scenario, layer, edited)[0], detail


def move_facility(
    scenario: Scenario, layer: str, facility_id: str, *, lon: float, lat: float, crs: str = "wgs84"
) -> tuple[Scenario, dict[str, Any]]:
    """Move one facility to a new location (degrees in ``crs``).

    Raises
    ------
    UnknownLayerError
        If ``layer`` is not editable.
    UnknownFacilityError
        If the layer has no such facility.
    """
    check_editable(layer)
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
    return replace_layer(scenario, layer, edited)[0], detail


def close_facility(
    scenario: Scenario, layer: str, facility_id: str
) -> tuple[Scenario, dict[str, Any]]:
    """Close (remove) one facility.

    Raises
    ------
    UnknownLayerError
        If ``layer`` is not editable.
    UnknownFacilityError
        If the layer has no such facility.
    """
    check_editable(layer)
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
    return replace_layer(scenario, layer, edited)[0], detail


def replace_layer(
    scenario: Scenario,
    layer: str,
    frame: gpd.GeoDataFrame | None,
    *,
    whole: bool = False,
) -> tuple[Scenario, dict[str, Any]]:
    """A copy of ``scenario`` with one data layer replaced (demo flag recomputed).

    Parameters
    ----------
    scenario
        The current scenario.
    layer
        One of :data:`~geo.scenario.DATA_LAYERS`.
    frame
        The new layer (EPSG:4326), or None to drop the optional candidates layer.
    whole
        Stations only: replace the whole layer. By default only the kinds present in
        ``frame`` are replaced, so a file of grid stations keeps the centres.

    Returns
    -------
    scenario, detail
        The new scenario and what was replaced: ``layer``, ``features``, ``kinds``
        (stations: the kinds replaced), ``kept`` (stations: features of other kinds
        kept).

    Raises
    ------
    UnknownLayerError
        If ``layer`` is not a data layer.
    """
    check_data_layer(layer)
    detail: dict[str, Any] = {"layer": layer, "features": 0 if frame is None else len(frame)}
    if layer == "stations" and frame is not None:
        kinds = sorted(str(kind) for kind in frame["kind"].dropna().unique())
        current = scenario.stations
        kept = current.iloc[0:0] if whole else current.loc[~current["kind"].isin(kinds)]
        if len(kept):
            frame = gpd.GeoDataFrame(
                pd.concat([kept, frame], ignore_index=True), geometry="geometry", crs="EPSG:4326"
            )
        detail["kinds"] = sorted({*kinds, *current["kind"].unique()}) if whole else kinds
        detail["kept"] = len(kept)
    changes: dict[str, Any] = {layer: frame}
    edited = replace(scenario, **changes)
    demo = any(
        "demo" in getattr(edited, name).columns and bool(getattr(edited, name)["demo"].any())
        for name in ("grids", "stations", "rest_points")
    )
    return replace(edited, demo=demo), detail
