"""Nearest facilities from a point, with walking routes."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.routes._deps import current_snapshot
from api.routes._params import LayerName
from geo.coords import convert
from geo.hours import is_open
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
    answer = snapshot.district.nearest(
        layer, lon, lat, k=k, crs=crs, amenities=amenity or (), open_24h=open_24h
    )
    origin = _shifted([[lon, lat]], crs, out_crs)[0]
    circle = answer.circle
    answers = [
        {
            **hit.details,
            "rank": hit.rank,
            "facility_id": hit.facility_id,
            "name": hit.name,
            "metres": _rounded(hit.metres, 0),
            "minutes": _rounded(hit.minutes, 1),
            "access_m": _rounded(hit.access_m, 0),
            "open_now": is_open(hit.details.get("hours")),
            "far_from_street": hit.far_from_street,
            "within_circle": hit.within_circle,
            "location": _shifted([hit.details["location"]], "wgs84", out_crs)[0],
            "route": {
                "type": "LineString",
                "coordinates": _shifted(list(hit.route.coords), "wgs84", out_crs),
            },
        }
        for hit in answer.hits
    ]
    body = {
        "layer": layer,
        "k": k,
        "crs": out_crs,
        "origin": {"lon": origin[0], "lat": origin[1]},
        "circle": {**circle.to_dict(), "metres": circle.max_metres},
        "filter": {"amenity": list(answer.amenities), "open_24h": answer.open_24h},
        "place": answer.place.to_dict(),
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
