"""Shared fixtures of the API tests: apps on the Jingkou demo scenario, a live server, a browser."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.server import serve_in_background
from api.settings import Settings

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
