"""The map pages: public (/), courier (/courier), planner (/planner)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.errors import InvalidParameterError
from api.maps._base import MapContext
from api.maps.courier import courier_map
from api.maps.planner import planner_map
from api.maps.public import public_map
from api.routes._deps import Current, State
from api.settings import Basemap, Language
from api.state import AppState, Snapshot
from geo.district import District

__all__ = ["router"]

router = APIRouter(tags=["maps"])

LangQuery = Annotated[
    Language | None, Query(description="Language of the page: zh (default) or en.")
]
BasemapQuery = Annotated[
    Basemap | None,
    Query(description="Background tiles: osm, tianditu, amap or none; default: the server's."),
]


def _page(
    state: AppState,
    snapshot: Snapshot,
    *,
    path: str,
    lang: Language | None,
    basemap: Basemap | None,
    build: Callable[[District, MapContext], str],
) -> HTMLResponse:
    settings = state.settings
    chosen = basemap or settings.basemap
    language = lang or settings.default_lang
    if chosen == "tianditu" and settings.tianditu_key is None:
        msg = "basemap 'tianditu' needs a Tianditu key on the server (CIRCLES_TIANDITU_KEY)"
        raise InvalidParameterError(msg, detail={"basemap": chosen})
    context = MapContext(
        lang=language,
        basemap=chosen,
        demo_notice=snapshot.district.scenario.demo_notice(language),
        approximate=snapshot.district.approximate,
        path=path,
        tianditu_key=(
            settings.tianditu_key.get_secret_value() if settings.tianditu_key is not None else None
        ),
        keep_query={"basemap": basemap} if basemap else {},
        audience="operator" if path == "/planner" else "resident",
        district=_district_name(snapshot),
    )
    district = snapshot.district
    page = district.cached(("page", path, context.lang, chosen), lambda: build(district, context))
    return HTMLResponse(page)


def _district_name(snapshot: Snapshot) -> str:
    boundary = snapshot.district.scenario.boundary
    if "name" in boundary.columns and len(boundary) == 1:
        return str(boundary["name"].iloc[0])
    return ""


@router.get("/", response_class=HTMLResponse, summary="Public map")
@router.head("/", include_in_schema=False)
def public(
    state: State, snapshot: Current, lang: LangQuery = None, basemap: BasemapQuery = None
) -> HTMLResponse:
    """Stations and centres with their walking circles; "near me" by location or a tap."""
    return _page(state, snapshot, path="/", lang=lang, basemap=basemap, build=public_map)


@router.get("/courier", response_class=HTMLResponse, summary="Courier map")
@router.head("/courier", include_in_schema=False)
def courier(
    state: State, snapshot: Current, lang: LangQuery = None, basemap: BasemapQuery = None
) -> HTMLResponse:
    """Rest points with amenities and 1 km circles; the nearest with walking routes."""
    return _page(state, snapshot, path="/courier", lang=lang, basemap=basemap, build=courier_map)


@router.get("/planner", response_class=HTMLResponse, summary="Planner map")
@router.head("/planner", include_in_schema=False)
def planner(
    state: State, snapshot: Current, lang: LangQuery = None, basemap: BasemapQuery = None
) -> HTMLResponse:
    """Coverage per layer, underserved grids, suggested sites and a summary."""
    return _page(state, snapshot, path="/planner", lang=lang, basemap=basemap, build=planner_map)
