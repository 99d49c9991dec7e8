"""Nearest facilities from a point, with walking routes."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.routes._deps import current_snapshot
from api.routes._params import LayerName
from api.state import check_analysis_layer
from geo.analysis.rules import DEFAULT_RULES
from geo.coords import convert

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
        Literal["wgs84", "gcj02"],
        Query(description="Coordinate system of the answer's coordinates (gcj02 for Amap tiles)."),
    ] = "wgs84",
) -> JSONResponse:
    """The ``k`` facilities of the layer nearest to the point by walking time, nearest
    first, each with walking metres and minutes, its details and the route (GeoJSON
    LineString) and ``within_circle``: whether it lies inside the layer's service circle
    (``circle``: 1 km for rest points, 10 minutes for stations, 15 minutes for centres).
    In approximate mode the route is the straight line. Points far outside
    the scenario's area (more than about 50 km) answer 422.

    This is the busiest route: it answers on the event loop (one query takes well under a
    millisecond in approximate mode and a bounded street search otherwise) and takes the
    snapshot without dependency injection."""
    snapshot = current_snapshot(request)
    check_analysis_layer(layer)
    snapshot.check_within_reach(lon, lat, crs)
    results = snapshot.nearest[layer].query(lon, lat, k=k, crs=crs)
    details = snapshot.facility_details(layer)
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
                "metres": _finite(result.metres),
                "minutes": _finite(result.minutes),
                "access_m": _finite(result.access_m),
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
        "results": answers,
        **snapshot.meta(),
    }
    return JSONResponse(body)


def _shifted(points: list[Any], src: str, dst: str) -> list[list[float]]:
    """Coordinates as ``[[lon, lat], ...]`` lists, converted from ``src`` to ``dst``."""
    if src == dst:
        return [[float(x), float(y)] for x, y in points]
    array = np.asarray(points, dtype=float)
    lon, lat = convert(array[:, 0], array[:, 1], src, dst)
    shifted: list[list[float]] = np.column_stack([lon, lat]).tolist()
    return shifted


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
