"""The maps in a real headless Chromium, from a live server on 127.0.0.1, with no network.

Every request that does not go to the live server is aborted, so these tests prove the
pages work offline. Screenshots are saved to ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH, load_scenario

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JINGKOU = load_scenario("jingkou")
STATIONS = int((JINGKOU.stations["kind"] == "station").sum())
CENTRES = int((JINGKOU.stations["kind"] == "centre").sum())
REST_POINTS = len(JINGKOU.rest_points)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# A point of the map where a tap reaches the map itself (no marker, no control).
_FREE_SPOT = """() => {
    const map = document.querySelector('.folium-map');
    const box = map.getBoundingClientRect();
    const bar = document.querySelector('.circles-topbar').getBoundingClientRect();
    for (let y = bar.bottom + 60; y < box.bottom - 320; y += 17) {
        for (let x = box.left + 70; x < box.right - 70; x += 23) {
            if (document.elementFromPoint(x, y) === map) return [x, y];
        }
    }
    return null;
}"""


# The centre of the first marker matching a selector that no other marker covers.
_TOPMOST_MARKER = """(selector) => {
    for (const marker of document.querySelectorAll(selector)) {
        const box = marker.getBoundingClientRect();
        const x = box.left + box.width / 2, y = box.top + box.height / 2;
        if (marker.contains(document.elementFromPoint(x, y))) return [x, y];
    }
    return null;
}"""


@dataclass
class Visit:
    """A page opened with every request off 127.0.0.1 aborted."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    api_calls: list[str] = field(default_factory=list)


@pytest.fixture
def visit(chromium: Any, live_server: str) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_page(
        path: str,
        *,
        viewport: dict[str, int] = PHONE,
        ready: str = ".leaflet-container",
        **options: Any,
    ) -> Visit:
        context = chromium.new_context(viewport=viewport, **options)
        contexts.append(context)
        page = context.new_page()
        visit = Visit(page)

        def route(handle: Any) -> None:
            url = handle.request.url
            if url.startswith(live_server + "/"):
                if "/api/" in url:
                    visit.api_calls.append(url)
                handle.continue_()
            else:
                visit.blocked.append(url)
                handle.abort()

        page.route("**/*", route)
        page.on(
            "console",
            lambda message: (
                visit.console_errors.append(f"{message.text} @ {message.location.get('url', '')}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: visit.console_errors.append(f"pageerror: {error}"))
        page.goto(live_server + path, wait_until="load")
        page.wait_for_selector(ready, state="attached")
        return visit

    yield open_page
    for context in contexts:
        context.close()


def _screenshot(page: Any, path: Path) -> None:
    """Save a screenshot once Leaflet's zoom and fade animations are over."""
    page.wait_for_timeout(400)
    page.screenshot(path=str(path))


def _count(page: Any, selector: str) -> int:
    return int(page.locator(selector).count())


def _tap_and_wait(visit: Visit) -> None:
    page = visit.page
    spot = page.evaluate(_FREE_SPOT)
    assert spot is not None, "no free spot on the map to tap"
    page.mouse.click(*spot)
    page.wait_for_function(
        "['done', 'error'].includes(document.querySelector('.folium-map').dataset.nearestStatus)"
    )
    assert page.evaluate("document.querySelector('.folium-map').dataset.nearestStatus") == "done"


def test_public_map(visit: Any, artifacts: Path) -> None:
    seen = visit("/?basemap=none")
    page = seen.page
    assert _count(page, ".leaflet-marker-icon.circles-marker-station") == STATIONS
    assert _count(page, ".leaflet-marker-icon.circles-marker-centre") == CENTRES
    assert _count(page, "path.circles-area-stations") == STATIONS
    assert _count(page, "path.circles-area-centres") == CENTRES
    assert _count(page, "path.circles-boundary") == 1
    banner = page.locator(".circles-banner-demo")
    assert banner.is_visible() and DEMO_NOTICE_ZH in banner.inner_text()
    assert page.locator(".circles-banner-approximate").is_visible()
    _screenshot(page, artifacts / "public.png")

    _tap_and_wait(seen)
    assert _count(page, "path.circles-route") == 3
    assert _count(page, ".circles-nearme-item") == 3
    walk = page.locator(".circles-nearme-walk").first.inner_text()
    assert "分钟" in walk and "近似" in walk
    call = urlparse(seen.api_calls[-1])
    query = parse_qs(call.query)
    assert call.path == "/api/nearest" and query["layer"] == ["stations"]
    assert query["crs"] == ["wgs84"] and query["k"] == ["3"]
    _screenshot(page, artifacts / "public-nearest.png")

    page.locator(".circles-layer-choice[data-layer=centres]").click()
    page.wait_for_function(
        "document.querySelector('.folium-map').dataset.nearestStatus === 'done'"
        " && new URL(performance.getEntriesByType('resource').filter(e => e.name.includes"
        "('/api/nearest')).pop().name).searchParams.get('layer') === 'centres'"
    )
    page.locator(".circles-nearme-result").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "党群服务中心" in popup.inner_text()
    assert seen.blocked == [] and seen.console_errors == []


def test_courier_map(visit: Any, artifacts: Path) -> None:
    seen = visit("/courier?basemap=none")
    page = seen.page
    assert _count(page, ".leaflet-marker-icon.circles-marker-rest_point") == REST_POINTS
    assert _count(page, "path.circles-rest-circle") == REST_POINTS
    assert _count(page, ".circles-marker-rest_point svg.circles-amenity-icon") >= REST_POINTS
    assert page.locator(".circles-banner-demo").is_visible()
    page.mouse.click(*page.evaluate(_TOPMOST_MARKER, ".circles-marker-rest_point"))
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    title = popup.locator(".circles-popup-title").inner_text()
    shown = JINGKOU.rest_points.set_index("name").loc[title]
    text = popup.inner_text()
    assert shown["hours"] in text and "暖新驿站" in text
    amenities = shown["amenities"].split(";")
    assert _count(page, ".leaflet-popup-content .circles-amenities li svg") == len(amenities)
    _screenshot(page, artifacts / "courier-popup.png")

    _tap_and_wait(seen)
    assert _count(page, "path.circles-route") == 3
    assert parse_qs(urlparse(seen.api_calls[-1]).query)["layer"] == ["rest_points"]
    answer = page.evaluate("url => fetch(url).then(r => r.json())", seen.api_calls[-1])
    status = page.locator(".circles-nearme-status").inner_text()
    if answer["results"][0]["metres"] <= 1000:
        assert status == "离您最近的站点"
    else:
        assert status == "服务圈内没有站点，离您最近的是："
    _screenshot(page, artifacts / "courier-nearest.png")
    assert seen.blocked == [] and seen.console_errors == []


def test_planner_map(visit: Any, artifacts: Path) -> None:
    seen = visit("/planner?basemap=none", viewport=DESKTOP)
    page = seen.page
    assert _count(page, "path.circles-grid-stations") == len(JINGKOU.grids)
    assert _count(page, "path.circles-area-stations") == STATIONS
    assert _count(page, ".leaflet-marker-icon.circles-marker-station") == STATIONS
    assert _count(page, ".leaflet-marker-icon.circles-marker-site") == 5
    assert _count(page, "path.circles-area-centres") == 0
    assert page.locator(".circles-legend").is_visible()
    summary = page.locator(".circles-summary")
    assert summary.is_visible() and "覆盖概况" in summary.inner_text()
    assert page.locator(".circles-banner-demo").is_visible()
    _screenshot(page, artifacts / "planner.png")

    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("党群服务中心（15分钟步行圈）", exact=True).check()
    assert _count(page, "path.circles-area-centres") == CENTRES
    assert _count(page, ".leaflet-marker-icon.circles-marker-centre") == CENTRES
    page.get_by_label("未覆盖居民（网格） · 网格党群服务站（10分钟步行圈）", exact=True).uncheck()
    assert _count(page, "path.circles-grid-stations") == 0
    page.mouse.move(5, 400)
    _screenshot(page, artifacts / "planner-centres.png")
    assert seen.blocked == [] and seen.console_errors == []


def test_language_switch(visit: Any, artifacts: Path) -> None:
    seen = visit("/?basemap=none")
    page = seen.page
    page.locator(".circles-lang-switch").click()
    page.wait_for_url("**lang=en**")
    page.wait_for_selector(".circles-marker-station", state="attached")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert DEMO_NOTICE_EN in page.locator(".circles-banner-demo").inner_text()
    assert page.locator(".circles-locate").inner_text() == "Locate me"
    _screenshot(page, artifacts / "public-en.png")
    assert seen.blocked == [] and seen.console_errors == []


def test_near_me_from_the_browser_location(visit: Any) -> None:
    seen = visit(
        "/?basemap=none",
        geolocation={"latitude": 32.2, "longitude": 119.45},
        permissions=["geolocation"],
    )
    page = seen.page
    page.locator(".circles-locate").click()
    page.wait_for_function("document.querySelector('.folium-map').dataset.nearestStatus === 'done'")
    query = parse_qs(urlparse(seen.api_calls[-1]).query)
    assert query["lon"] == ["119.450000"] and query["lat"] == ["32.200000"]
    assert _count(page, "path.circles-route") == 3
    # a station lies within the 10-minute circle of this point of the demo scenario
    assert page.locator(".circles-nearme-status").inner_text() == "离您最近的站点"
    assert seen.console_errors == []


def test_phone_layout(visit: Any) -> None:
    page = visit("/", viewport=PHONE).page
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for selector in (".circles-locate", ".circles-lang-switch", ".leaflet-control-zoom-in"):
        box = page.locator(selector).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, selector
    viewport = page.locator("meta[name=viewport]").get_attribute("content")
    assert "width=device-width" in viewport


def test_without_tiles_the_data_still_shows(visit: Any, artifacts: Path) -> None:
    """Default basemap (OpenStreetMap) with every tile request failing."""
    seen = visit("/")
    page = seen.page
    page.wait_for_timeout(300)
    assert _count(page, ".leaflet-marker-icon.circles-marker-station") == STATIONS
    assert _count(page, "path.circles-area-stations") == STATIONS
    _screenshot(page, artifacts / "public-osm-tiles-blocked.png")
    assert seen.blocked, "the OSM tiles were not even requested"
    assert all(urlparse(url).hostname == "tile.openstreetmap.org" for url in seen.blocked)
    assert all("tile.openstreetmap.org" in error for error in seen.console_errors)


def test_amap_basemap_draws_in_gcj02(visit: Any) -> None:
    seen = visit("/courier?basemap=amap")
    page = seen.page
    assert _count(page, ".leaflet-marker-icon.circles-marker-rest_point") == REST_POINTS
    _tap_and_wait(seen)
    query = parse_qs(urlparse(seen.api_calls[-1]).query)
    assert query["crs"] == ["gcj02"] and query["out_crs"] == ["gcj02"]
    assert all("autonavi.com" in url for url in seen.blocked)


def test_api_docs_work_offline(visit: Any, artifacts: Path) -> None:
    seen = visit("/docs", viewport=DESKTOP, ready=".swagger-ui .opblock")
    page = seen.page
    assert "service-circles" in page.locator(".swagger-ui .info .title").inner_text()
    assert _count(page, ".swagger-ui .opblock") >= 10
    _screenshot(page, artifacts / "docs.png")
    assert seen.blocked == [] and seen.console_errors == []
