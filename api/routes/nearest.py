"""Nearest facilities from a point, with walking routes."""

from __future__ import annotations

import math
from datetime import time
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.errors import InvalidParameterError
from api.routes._deps import current_snapshot
from api.routes._params import LayerName
from api.state import Snapshot, check_analysis_layer
from geo.analysis.nearest import NearestFacilities
from geo.analysis.places import PlaceLocator
from geo.analysis.rules import DEFAULT_RULES
from geo.coords import convert
from geo.hours import is_open, opening_hours
from geo.layers import AMENITY_KEYS

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["nearest"])


@router.get("/nearest", summary="The nearest facilities by walking time, with routes")
async def nearest(
    request: Request,
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude, degrees in `crs`.")],
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude, degrees in `crs`.")],
    layer: LayerName = "stations",
    k: Annotated[int, Query(ge=1, le=50, description="How many facilities.")] = 3,
    crs: Annotated[
        Literal["wgs84", "gcj02", "bd09", "cgcs2000"],
        Query(
            description=(
                "Coordinate system of lon/lat: GPS and OpenStreetMap give wgs84; Amap, "
                "Tencent and most phone map pickers in China give gcj02; Baidu gives bd09."
            )
        ),
    ] = "wgs84",
    out_crs: Annotated[
        Literal["wgs84", "gcj02", "bd09", "cgcs2000"],
        Query(
            description=(
                "Coordinate system of the answer's coordinates (gcj02 for Amap tiles, bd09 "
                "for Baidu)."
            )
        ),
    ] = "wgs84",
    amenity: Annotated[
        list[str] | None,
        Query(
            max_length=len(AMENITY_KEYS),
            description=(
                "Rest points only: keep those offering every amenity given (repeat the "
                f"parameter for several), among {', '.join(AMENITY_KEYS)}; "
                "e.g. amenity=toilet&amenity=microwave."
            ),
        ),
    ] = None,
    open_24h: Annotated[
        bool, Query(description="Rest points only: keep those open 24 hours.")
    ] = False,
) -> JSONResponse:
    """The ``k`` facilities of the layer nearest to the point by walking time, nearest
    first, each with walking metres and minutes, its details and the route (GeoJSON
    LineString) and ``within_circle``: whether it lies inside the layer's service circle
    (``circle``: 1 km for rest points, 10 minutes for stations, 15 minutes for centres).
    In approximate mode the route is the straight line. Each result also says its
    opening hours and ``open_now`` (in the district's time zone, null when the hours are
    not in a known form). ``place`` says whether the point lies inside the district and
    which grid it is in (community, street office and the grid's public contact when
    known). Points far outside the scenario's area (more than about 50 km) answer 422.
    Metres are rounded to 1 m, minutes to 0.1 min.

    This is the busiest route: it answers on the event loop (one query takes well under a
    millisecond in approximate mode and a bounded street search otherwise) and takes the
    snapshot without dependency injection."""
    snapshot = current_snapshot(request)
    check_analysis_layer(layer)
    snapshot.check_within_reach(lon, lat, crs)
    wanted = tuple(sorted(set(amenity or ())))
    unknown = [key for key in wanted if key not in AMENITY_KEYS]
    if unknown:
        msg = f"unknown amenity {unknown[0]!r}; use one of {', '.join(AMENITY_KEYS)}"
        raise InvalidParameterError(msg, detail={"amenity": unknown, "known": list(AMENITY_KEYS)})
    if (wanted or open_24h) and layer != "rest_points":
        msg = "amenity and open_24h filter rest points only; use layer=rest_points"
        raise InvalidParameterError(msg, detail={"layer": layer, "amenity": list(wanted)})
    index = (
        _filtered_index(snapshot, wanted, open_24h)
        if wanted or open_24h
        else snapshot.nearest[layer]
    )
    results = index.query(lon, lat, k=k, crs=crs) if len(index) else []
    details = snapshot.facility_details(layer)
    place = snapshot.cached(
        ("places",), lambda: PlaceLocator(snapshot.scenario.boundary, snapshot.scenario.grids)
    ).locate(lon, lat, crs=crs)
    origin = _shifted([[lon, lat]], crs, out_crs)[0]
    circle = DEFAULT_RULES[layer]
    answers = []
    for rank, result in enumerate(results, start=1):
        facility = details[result.facility_id]
        answers.append(
            {
                **facility,
                "rank": rank,
                "facility_id": result.facility_id,
                "name": result.name,
                "metres": _rounded(result.metres, 0),
                "minutes": _rounded(result.minutes, 1),
                "access_m": _rounded(result.access_m, 0),
                "open_now": is_open(facility.get("hours")),
                "far_from_street": result.far_from_street,
                "within_circle": bool(result.metres <= circle.max_metres),
                "location": _shifted([facility["location"]], "wgs84", out_crs)[0],
                "route": {
                    "type": "LineString",
                    "coordinates": _shifted(list(result.route.coords), "wgs84", out_crs),
                },
            }
        )
    body = {
        "layer": layer,
        "k": k,
        "crs": out_crs,
        "origin": {"lon": origin[0], "lat": origin[1]},
        "circle": {"label": circle.label, "metres": circle.max_metres},
        "filter": {"amenity": list(wanted), "open_24h": open_24h},
        "place": place.to_dict(),
        "results": answers,
        **snapshot.meta(),
    }
    return JSONResponse(body)


def _shifted(points: list[Any], src: str, dst: str) -> list[list[float]]:
    """Coordinates as ``[[lon, lat], ...]`` lists from ``src`` to ``dst``, to 6 decimals."""
    array = np.asarray(points, dtype=float)
    if src != dst:
        lon, lat = convert(array[:, 0], array[:, 1], src, dst)
        array = np.column_stack([lon, lat])
    # 6 decimals of a degree are ~0.1 m: what a walking answer means.
    shifted: list[list[float]] = np.round(array, 6).tolist()
    return shifted


def _rounded(value: float, digits: int) -> float | None:
    """``value`` rounded to what it means (metres to 1 m, minutes to 0.1); None if infinite."""
    if not math.isfinite(value):
        return None
    return round(value) if digits == 0 else round(value, digits)


def _filtered_index(
    snapshot: Snapshot, amenities: tuple[str, ...], open_24h: bool
) -> NearestFacilities:
    """The nearest index of the rest points offering ``amenities`` (and open 24 h), cached."""

    def build() -> NearestFacilities:
        frame = snapshot.facilities("rest_points")
        offered = frame["amenities"].fillna("").map(lambda text: set(str(text).split(";")))
        keep = offered.map(lambda keys: set(amenities) <= keys)
        if open_24h:
            keep &= frame["hours"].map(_always_open)
        return NearestFacilities(snapshot.engine.network, frame[keep.to_numpy()])

    return snapshot.cached(("nearest-filtered", amenities, open_24h), build)


def _always_open(text: object) -> bool:
    hours = opening_hours(text if isinstance(text, str) else None)
    return hours is not None and len(hours.days) == 7 and hours.ranges == ((time(0), time(0)),)
