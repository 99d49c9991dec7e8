"""Nearest facilities from a point, with walking routes."""

from __future__ import annotations

import functools
import math
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.routes._deps import current_snapshot
from geo.coords import convert
from geo.hours import DISTRICT_TIMEZONE, OpeningHours, opening_hours
from geo.layers import AMENITY_KEYS
from geo.scenario import ANALYSIS_LAYERS

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["nearest"])

_ZONE = ZoneInfo(DISTRICT_TIMEZONE)


Crs = Literal["wgs84", "gcj02", "bd09", "cgcs2000"]


class NearestQuery(BaseModel):
    """The query parameters of ``GET /api/nearest``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    lon: float = Field(ge=-180, le=180, description="Longitude, degrees in `crs`.")
    lat: float = Field(ge=-90, le=90, description="Latitude, degrees in `crs`.")
    layer: str = Field(
        "stations",
        max_length=64,
        description=(
            f"Analysis layer, one of {', '.join(ANALYSIS_LAYERS)}: grid service stations "
            "(10-min walk), party-mass service centres (15-min walk), rest points (1 km)."
        ),
        examples=["stations"],
    )
    k: int = Field(3, ge=1, le=50, description="How many facilities.")
    crs: Crs = Field(
        "wgs84",
        description=(
            "Coordinate system of lon/lat: GPS and OpenStreetMap give wgs84; Amap, "
            "Tencent and most phone map pickers in China give gcj02; Baidu gives bd09."
        ),
    )
    out_crs: Crs = Field(
        "wgs84",
        description=(
            "Coordinate system of the answer's coordinates (gcj02 for Amap tiles, bd09 for Baidu)."
        ),
    )
    amenity: list[str] | None = Field(
        None,
        max_length=len(AMENITY_KEYS),
        description=(
            "Rest points only: keep those offering every amenity given (repeat the "
            f"parameter for several), among {', '.join(AMENITY_KEYS)}; "
            "e.g. amenity=toilet&amenity=microwave."
        ),
    )
    open_24h: bool = Field(False, description="Rest points only: keep those open 24 hours.")


def _openapi_parameters() -> list[dict[str, Any]]:
    """The query parameters of :class:`NearestQuery`, as OpenAPI documents them."""
    schema = NearestQuery.model_json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        described = dict(prop)
        description = described.pop("description", "")
        described.pop("title", None)
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "description": description,
                "schema": described,
            }
        )
    return parameters


def _parse(request: Request) -> NearestQuery:
    """Validate the query string in one pass of the compiled model.

    The busiest route parses its parameters itself: FastAPI's per-parameter extraction
    inspects each parameter's annotation on every request, which cost about as much as
    the nearest search. Errors answer 422 in the same shape as every other route's.
    """
    params = request.query_params
    data: dict[str, Any] = {key: params[key] for key in params}
    if "amenity" in params:
        data["amenity"] = params.getlist("amenity")
    try:
        return NearestQuery.model_validate(data)
    except ValidationError as error:
        problems = [{**problem, "loc": ("query", *problem["loc"])} for problem in error.errors()]
        raise RequestValidationError(problems) from None


@router.get(
    "/nearest",
    summary="The nearest facilities by walking time, with routes",
    openapi_extra={"parameters": _openapi_parameters()},
)
async def nearest(request: Request) -> JSONResponse:
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
    query = _parse(request)
    lon, lat, layer, k, crs, out_crs = (
        query.lon, query.lat, query.layer, query.k, query.crs, query.out_crs
    )  # fmt: skip
    amenity, open_24h = query.amenity, query.open_24h
    snapshot = current_snapshot(request)
    answer = snapshot.district.nearest(
        layer, lon, lat, k=k, crs=crs, amenities=amenity or (), open_24h=open_24h
    )
    origin = _shifted([[lon, lat]], crs, out_crs)[0]
    circle = answer.circle
    local_now = datetime.now(_ZONE).replace(tzinfo=None)
    answers = [
        {
            **hit.details,
            "rank": hit.rank,
            "facility_id": hit.facility_id,
            "name": hit.name,
            "metres": _rounded(hit.metres, 0),
            "minutes": _rounded(hit.minutes, 1),
            "access_m": _rounded(hit.access_m, 0),
            "open_now": _open_at(hit.details.get("hours"), local_now),
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


@functools.lru_cache(maxsize=4096)
def _hours(text: str | None) -> OpeningHours | None:
    """The opening hours a text reads (None if unknown), parsed once per text."""
    return opening_hours(text)


def _open_at(text: object, moment: datetime) -> bool | None:
    """Whether a place whose hours read ``text`` is open at ``moment`` (district time);
    None when the hours are unknown or not in a form the reader knows."""
    hours = _hours(text if isinstance(text, str) else None)
    return None if hours is None else bool(hours.open_at(moment))


def _shifted(points: list[Any], src: str, dst: str) -> list[list[float]]:
    """Coordinates as ``[[lon, lat], ...]`` lists from ``src`` to ``dst``, to 6 decimals."""
    if src == dst:  # nothing to convert: no arrays for a handful of points
        return [[round(float(x), 6), round(float(y), 6)] for x, y in points]
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
