"""The planner page saves its edits all or none, in a real headless Chromium against a live
server on 127.0.0.1 with its own store: a save refused by the server keeps every edit in
the list and says why; a save that goes through changes the served layer."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.server import serve_in_background
from api.settings import Settings
from geo.scenario import load_scenario
from tests.api.conftest import TOKEN

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JINGKOU = load_scenario("jingkou")
MAP = "document.querySelector('.folium-map')"
STATUS = ".circles-whatif-status"


@pytest.fixture
def server(tmp_path: Path, settings_for: Callable[..., Settings]) -> Iterator[str]:
    with serve_in_background(create_app(settings_for(tmp_path, basemap="none"))) as url:
        yield url


@pytest.fixture
def page(chromium: Any, server: str) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(server + "/") else route.abort()
        ),
    )
    opened.goto(server + "/planner", wait_until="load")
    _wait_for(opened, f"{MAP}.dataset.plannerStatus === 'ready'")
    yield opened
    context.close()
    assert errors == []


def _wait_for(page: Any, expression: str) -> None:
    # polled as a function: the page's Content-Security-Policy forbids eval
    page.wait_for_function(f"() => ({expression})", timeout=30_000)


def _map_call(page: Any, script: str) -> Any:
    return page.evaluate(f"() => {{ const map = window[{MAP}.id]; {script} }}")


def _stations(server: str) -> dict[str, list[float]]:
    features = httpx.get(server + "/api/layers/stations", timeout=60).json()["features"]
    return {f["properties"]["facility_id"]: f["geometry"]["coordinates"] for f in features}


def _store_digest(tmp_path: Path) -> str:
    return hashlib.sha256((tmp_path / "store" / "jingkou.gpkg").read_bytes()).hexdigest()


def test_a_refused_save_keeps_every_edit_and_a_good_one_saves_them_all(
    page: Any, server: str, tmp_path: Path
) -> None:
    # edit 1: add a station, tapped on the map
    spot = JINGKOU.grids.geometry.iloc[0].representative_point()
    page.locator(".circles-whatif-add").click()
    _map_call(page, f"map.fire('click', {{latlng: L.latLng({spot.y}, {spot.x})}});")
    _wait_for(page, "document.querySelectorAll('.circles-edit').length === 1")

    # edit 2: close an existing station from its popup
    station = JINGKOU.facilities("stations").geometry.iloc[5]
    _map_call(page, f"map.setView([{station.y}, {station.x}], 16, {{animate: false}});")
    found = page.evaluate(
        """() => { for (const m of document.querySelectorAll('.circles-marker-open')) {
            const b = m.getBoundingClientRect();
            const x = b.left + b.width / 2, y = b.top + b.height / 2;
            if (m.contains(document.elementFromPoint(x, y))) return [x, y, m.dataset.facilityId];
          } return null; }"""
    )
    assert found is not None
    x, y, closed = found
    page.mouse.click(x, y)
    page.locator(".circles-whatif-close").click()
    _wait_for(
        page,
        f"{MAP}.dataset.whatifStatus === 'done'"
        " && document.querySelectorAll('.circles-edit').length === 2",
    )

    # meanwhile another planner closes the same station: the page's version is stale
    other = httpx.delete(
        f"{server}/api/scenario/facilities/stations/{closed}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )
    assert other.status_code == 200, other.text
    served, digest = _stations(server), _store_digest(tmp_path)

    page.locator(".circles-whatif-save").click()
    page.locator("input[name=token]").fill(TOKEN)
    page.locator(".circles-whatif-save").click()
    _wait_for(
        page,
        f"{MAP}.dataset.whatifStatus === 'error' && {MAP}.dataset.plannerStatus === 'ready'"
        f" && document.querySelector('{STATUS}').textContent.includes('was saved since')",
    )
    assert page.locator(".circles-edit").count() == 2
    assert _stations(server) == served and _store_digest(tmp_path) == digest

    # saved again on the version now shown: the server refuses edit 2, and says so
    page.locator(".circles-whatif-save").click()
    _wait_for(
        page,
        f"document.querySelector('{STATUS}').textContent.includes('edit 2 of 2')",
    )
    status = page.locator(STATUS).inner_text()
    assert status.startswith("未保存任何调整：2. 关闭：")
    assert f"no facility '{closed}'" in status
    assert page.locator(".circles-edit").count() == 2
    assert page.locator(".circles-edit.is-refused").count() == 1
    assert page.locator(".circles-edit").nth(1).get_attribute("aria-invalid") == "true"
    assert _stations(server) == served and _store_digest(tmp_path) == digest

    # without the refused edit the save goes through, and the served layer has the station
    page.locator(".circles-whatif-undo").click()
    page.locator(".circles-whatif-save").click()
    _wait_for(page, f"{MAP}.dataset.whatifStatus === 'saved'")
    after = _stations(server)
    added = sorted(set(after) - set(served))
    assert len(added) == 1 and added[0].startswith("new-")
    assert after[added[0]] == pytest.approx([spot.x, spot.y], abs=1e-6)
    assert set(served) <= set(after)
    assert page.locator(".circles-edit").count() == 0
    assert page.locator(STATUS).inner_text() == "已保存 1 项调整。"
