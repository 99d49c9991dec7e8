"""The FastAPI application: ``create_app(settings)``.

The scenario, its walking network and everything derived from them are built once in
the lifespan and handed to routes through a dependency (``api.routes._deps``). Static
files (Leaflet, Swagger UI, the maps' own scripts) are served from ``api/static``, so the
maps and the API docs work without internet.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

import geo
from api._json import RoundedJSONResponse
from api._middleware import TILE_HOSTS, BodySizeLimit, SecurityHeaders
from api.errors import add_exception_handlers
from api.routes import coverage, docs, exports, health, layers, maps, nearest, scenario, sites
from api.settings import Settings
from api.state import build_state
from api.store import StoreLock

__all__ = ["STATIC_FOLDER", "create_app"]

logger = logging.getLogger(__name__)

_GZIP_MIN_BYTES = 4096

#: Folder of the files served under /static.
STATIC_FOLDER = Path(__file__).resolve().parent / "static"

_DESCRIPTION = """
Service circles of grassroots service stations, party-mass service centres and
warm-new rest points: coverage, underserved grids, nearest facilities with walking
routes, site suggestions and what-if edits. All coordinates are WGS-84 unless a
request says otherwise.

Maps: [public](/) · [courier](/courier) · [planner](/planner).
Every answer says whether it comes from demo data (`demo`) and whether distances are
approximate (`approximate`), with `notices` to show to users.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Create the application.

    Parameters
    ----------
    settings
        Service settings; None reads them from ``CIRCLES_*`` environment variables.

    Returns
    -------
    fastapi.FastAPI
        The application; its state is built when the server starts it (lifespan).
    """
    chosen = Settings() if settings is None else settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One writer per store: refuse to start while another process serves it.
        guard = StoreLock(chosen.store_folder, chosen.scenario)
        guard.acquire()
        try:
            state = build_state(chosen)
        except BaseException:
            guard.release()
            raise
        app.state.circles = state
        # The scenario, network and indexes live as long as the process: keep them out
        # of the garbage collector's scans, which would otherwise pause busy requests.
        gc.collect()
        gc.freeze()
        warming = threading.Thread(target=state.warm, name="circles-warm", daemon=True)
        warming.start()
        try:
            yield
        finally:
            # Geometry work still running when the interpreter exits crashes it.
            warming.join()
            guard.release()

    app = FastAPI(
        title="service-circles",
        version=geo.__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # Numbers rounded to what they mean (metres, minutes, shares, residents).
        default_response_class=RoundedJSONResponse,
    )
    app.add_middleware(BodySizeLimit, limit=chosen.max_upload_bytes)
    # Around every answer (a 413 too), inside the compression: it reads the pages' scripts.
    app.add_middleware(SecurityHeaders, tile_hosts=TILE_HOSTS[chosen.basemap])
    # Map pages and layers are hundreds of kB of JSON-like text: compress them for phones.
    # Small answers (a nearest query is ~2 kB) are sent as they are.
    app.add_middleware(GZipMiddleware, minimum_size=_GZIP_MIN_BYTES)
    add_exception_handlers(app)
    for module in (health, layers, coverage, nearest, sites, scenario, exports, maps, docs):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_FOLDER), name="static")
    return app
