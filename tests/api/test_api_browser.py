"""The maps in a real headless Chromium, from a live server on 127.0.0.1, with no network.

Every request that does not go to the live server is aborted, so these tests prove the
pages work offline. Screenshots are saved to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import geopandas as gpd
import pytest

from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH, load_scenario

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JINGKOU = load_scenario("jingkou")
STATIONS = int((JINGKOU.stations["kind"] == "station").sum())
REST_POINTS = len(JINGKOU.rest_points)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

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


def _wait_for(page: Any, expression: str) -> None:
    """Wait until ``expression`` is true, polled as a function: the pages'
    Content-Security-Policy forbids evaluating strings (eval) in them."""
    page.wait_for_function(f"() => ({expression})")


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
    _wait_for(
        page,
        "['done', 'error'].includes(document.querySelector('.folium-map').dataset.nearestStatus)",
    )
    assert page.evaluate("document.querySelector('.folium-map').dataset.nearestStatus") == "done"


# The centre of the marker group holding the most facilities (the town centre).
_BIGGEST_CLUSTER = """() => {
    let best = null, most = 0;
    for (const node of document.querySelectorAll('.circles-cluster')) {
        const count = parseInt(node.textContent, 10);
        const box = node.getBoundingClientRect();
        const x = box.left + box.width / 2, y = box.top + box.height / 2;
        if (count > most && node.contains(document.elementFromPoint(x, y))) {
            most = count; best = [x, y];
        }
    }
    return best;
}"""

# The open popup lies inside the part of the map that no control or panel covers.
_POPUP_INSIDE = """() => {
    const popup = document.querySelector('.leaflet-popup');
    if (!popup) return 'no popup';
    const box = popup.getBoundingClientRect();
    const map = document.querySelector('.folium-map').getBoundingClientRect();
    const problems = [];
    const controls = document.querySelectorAll(
        '.leaflet-control:not(.leaflet-control-attribution):not(.leaflet-control-scale),'
        + ' .circles-side');
    const inside = (outer) => box.top >= outer.top && box.left >= outer.left
        && box.right <= outer.right && box.bottom <= outer.bottom;
    if (!inside(map)) problems.push('outside the map ' + JSON.stringify(box));
    if (!inside({top: 0, left: 0, right: window.innerWidth, bottom: window.innerHeight})) {
        problems.push('outside the viewport');
    }
    for (const control of controls) {
        const p = control.getBoundingClientRect();
        const apart = box.right <= p.left || box.left >= p.right
            || box.bottom <= p.top || box.top >= p.bottom;
        if (p.width && !apart) problems.push('under ' + control.className);
    }
    return problems.join('; ');
}"""

VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


def _map_call(page: Any, script: str) -> Any:
    """Run ``script`` with ``map`` bound to the page's Leaflet map."""
    # No eval or new Function: the pages' Content-Security-Policy forbids them.
    return page.evaluate(
        f"() => {{ const map = window[document.querySelector('.folium-map').id]; {script} }}"
    )


def _wait_done(page: Any) -> None:
    _wait_for(
        page,
        "['done', 'error'].includes(document.querySelector('.folium-map').dataset.nearestStatus)",
    )
    assert page.evaluate("document.querySelector('.folium-map').dataset.nearestStatus") == "done"


def _tap_town(visit: Visit) -> None:
    """Tap the first view where the markers crowd (the town centre)."""
    page = visit.page
    spot = page.evaluate(_BIGGEST_CLUSTER)
    assert spot is not None, "no marker group on the first view"
    page.evaluate("document.querySelector('.folium-map').dataset.nearestStatus = 'idle'")
    page.mouse.click(*spot)
    _wait_done(page)


def _tap_at(page: Any, lon: float, lat: float) -> None:
    page.evaluate("document.querySelector('.folium-map').dataset.nearestStatus = 'idle'")
    _map_call(page, f"map.fire('click', {{latlng: L.latLng({lat}, {lon})}});")
    _wait_done(page)


# The facility a marker's popup names, and whether the drawn facility area holds it.
_AREA_HOLDS_MARKER = """() => {
    const map = window[document.querySelector('.folium-map').id];
    let areas = [], popup = null;
    map.eachLayer((layer) => {
        if (layer instanceof L.GeoJSON
            && layer.options.className === 'circles-facility-area') areas.push(layer);
        if (layer instanceof L.Popup) popup = layer;
    });
    if (areas.length !== 1 || popup === null) return 'areas: ' + areas.length;
    return areas[0].getBounds().contains(popup.getLatLng()) ? '' : 'marker outside its area';
}"""

# Metres from the centre of the drawn facility area's bounds to the open popup's point.
_AREA_CENTRE_TO_MARKER_M = """() => {
    const map = window[document.querySelector('.folium-map').id];
    let area = null, popup = null;
    map.eachLayer((layer) => {
        if (layer instanceof L.GeoJSON
            && layer.options.className === 'circles-facility-area') area = layer;
        if (layer instanceof L.Popup) popup = layer;
    });
    return map.distance(area.getBounds().getCenter(), popup.getLatLng());
}"""


def _open_marker_with_area(seen: Visit, selector: str) -> str:
    """Tap the topmost marker matching ``selector``; wait for its own area to be drawn
    and check it is that facility's. Returns the facility's id."""
    page = seen.page
    _wait_for(page, f"({_TOPMOST_MARKER})({selector!r}) !== null")
    spot = page.evaluate(_TOPMOST_MARKER, selector)
    page.mouse.click(*spot)
    return _check_facility_area(seen)


def _check_facility_area(seen: Visit, crs: str = "wgs84") -> str:
    """With a facility's popup open: wait for its own area to be drawn and check it is
    that facility's, asked for in the page's coordinate system ``crs``. Returns its id."""
    page = seen.page
    _wait_for(page, "document.querySelectorAll('.leaflet-popup').length === 1")
    _wait_for(
        page,
        "!['loading', undefined].includes("
        "document.querySelector('.folium-map').dataset.facilityArea)",
    )
    shown = page.evaluate("document.querySelector('.folium-map').dataset.facilityArea")
    assert shown not in (None, "error", "loading")
    call = urlparse(seen.api_calls[-1])
    layer, facility_id = call.path.removeprefix("/api/areas/").split("/")
    assert facility_id == shown and parse_qs(call.query)["out_crs"] == [crs]
    name = JINGKOU.facilities(layer).set_index("facility_id").loc[facility_id, "name"]
    assert page.locator(".leaflet-popup-content .circles-popup-title").inner_text() == name
    assert _count(page, "path.circles-facility-area") == 1
    assert page.evaluate(_AREA_HOLDS_MARKER) == ""
    page.wait_for_timeout(200)
    return facility_id


def _check_common_page_parts(page: Any) -> None:
    """Legend, metric-only scale, resident wording, collapsible banners."""
    legend = page.locator("details.circles-map-legend")
    assert legend.count() == 1 and legend.locator("summary").is_visible()
    scale = page.locator(".leaflet-control-scale-line")
    assert scale.count() == 1, "one metric scale line, no miles"
    assert re.fullmatch(r"\d+ k?m", scale.inner_text().strip())
    approximate = page.locator(".circles-banner-approximate").inner_text()
    assert "步行时间为估算" in approximate and "OSM" not in approximate
    assert page.locator(".circles-banner-toggle").count() == 2


@pytest.mark.parametrize("size", VIEWPORTS)
def test_public_map(visit: Any, artifacts: Path, size: str) -> None:
    seen = visit("/?basemap=none", viewport=VIEWPORTS[size])
    page = seen.page
    markers = _count(page, ".leaflet-marker-icon.circles-marker-station")
    groups = _count(page, ".circles-cluster")
    assert groups >= 1 and markers < STATIONS, "the first view groups the crowded markers"
    # each layer's service circle is one polygon; no facility's own area until asked
    assert _count(page, "path.circles-area-stations") == 1
    assert _count(page, "path.circles-area-centres") == 1
    assert _count(page, "path.circles-facility-area") == 0
    assert _count(page, "path.circles-boundary") == 1
    banner = page.locator(".circles-banner-demo")
    assert banner.is_visible() and DEMO_NOTICE_ZH in banner.inner_text()
    _check_common_page_parts(page)
    _screenshot(page, artifacts / f"public-{size}.png")

    # a first-view tap in town is a location query, not a marker's popup
    _tap_town(seen)
    assert _count(page, ".leaflet-popup") == 0
    assert _count(page, "path.circles-route") == 3
    assert _count(page, ".circles-nearme-item") == 3
    walk = page.locator(".circles-nearme-walk").first.inner_text()
    assert "直线" in walk and "估算步行约" in walk and "分钟" in walk
    label = page.locator(".circles-route-label")
    assert label.count() == 1 and "直线示意" in label.inner_text()
    assert _count(page, "path.circles-route-straight") == 3
    call = urlparse(seen.api_calls[-1])
    query = parse_qs(call.query)
    assert call.path == "/api/nearest" and query["layer"] == ["stations"]
    assert query["crs"] == ["wgs84"] and query["k"] == ["3"]
    answer = page.evaluate("url => fetch(url).then(r => r.json())", seen.api_calls[-1])
    grid = answer["place"]["grid"]
    place = page.locator(".circles-place").inner_text()
    assert grid["name"] in place and grid["community"] in place and grid["street"] in place
    _screenshot(page, artifacts / f"public-nearest-{size}.png")

    # the chosen centre's popup stays inside the map, clear of the panel
    page.locator(".circles-layer-choice[data-layer=centres]").click()
    _wait_for(
        page,
        "document.querySelector('.folium-map').dataset.nearestStatus === 'done'"
        " && new URL(performance.getEntriesByType('resource').filter(e => e.name.includes"
        "('/api/nearest')).pop().name).searchParams.get('layer') === 'centres'",
    )
    page.locator(".circles-nearme-result").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "党群服务中心" in popup.inner_text()
    # with the centre's own area (asked for before the answer is fetched again here)
    shown = _check_facility_area(seen)
    nearest = [url for url in seen.api_calls if "/api/nearest" in url][-1]
    first = page.evaluate("url => fetch(url).then(r => r.json())", nearest)["results"][0]
    assert shown == first["facility_id"]
    _wait_for(page, "!document.querySelector('.leaflet-map-pane').style.transition")
    page.wait_for_timeout(400)
    assert page.evaluate(_POPUP_INSIDE) == ""
    _screenshot(page, artifacts / f"public-popup-{size}.png")

    # a facility's own popup, once the streets are readable, with its own area
    _map_call(page, "map.closePopup(); map.setZoom(16, {animate: false});")
    selector = ".circles-marker-station, .circles-marker-centre"
    _open_marker_with_area(seen, selector)
    assert page.evaluate(_POPUP_INSIDE) == ""
    _screenshot(page, artifacts / f"public-facility-area-{size}.png")
    _map_call(page, "map.closePopup();")
    assert _count(page, "path.circles-facility-area") == 0
    assert page.evaluate("document.querySelector('.folium-map').dataset.facilityArea") is None
    assert seen.blocked == [] and seen.console_errors == []


def test_a_tap_outside_the_district_says_so(visit: Any) -> None:
    seen = visit("/?basemap=none")
    page = seen.page
    _tap_at(page, 119.25, 32.35)
    status = page.locator(".circles-nearme-status").inner_text()
    assert "不在京口区内" in status
    assert page.locator(".circles-place").is_hidden()
    assert seen.console_errors == []


def test_a_tap_far_from_every_rest_point_says_so(visit: Any) -> None:
    seen = visit("/courier?basemap=none")
    page = seen.page
    # the far east of the district, inside the boundary, kilometres from every rest point
    east = JINGKOU.boundary.geometry.iloc[0]
    rest = JINGKOU.rest_points.to_crs(32650)
    candidates = (
        east.representative_point(),
        *(p for p in JINGKOU.grids.geometry.representative_point()),
    )
    far = max(
        (p for p in candidates if east.contains(p)),
        key=lambda p: rest.distance(gpd.GeoSeries([p], crs=4326).to_crs(32650).iloc[0]).min(),
    )
    _tap_at(page, far.x, far.y)
    answer = page.evaluate("url => fetch(url).then(r => r.json())", seen.api_calls[-1])
    status = page.locator(".circles-nearme-status").inner_text()
    if answer["results"][0]["metres"] > 3000:
        assert "附近没有站点" in status
    else:
        assert status == "1公里内没有驿站，离您最近的是："
    assert seen.console_errors == []


def test_banners_collapse_for_the_visit(visit: Any) -> None:
    seen = visit("/?basemap=none")
    page = seen.page
    tall = page.locator(".circles-topbar").bounding_box()["height"]
    page.locator(".circles-banner-toggle").first.click()
    short = page.locator(".circles-topbar").bounding_box()["height"]
    assert page.locator(".circles-banner.is-collapsed").count() == 2
    assert short < tall
    one_line = page.locator(".circles-banner-demo").bounding_box()["height"]
    assert one_line <= 40
    page.reload(wait_until="load")
    page.wait_for_selector(".circles-banner-toggle")
    assert page.locator(".circles-banner.is-collapsed").count() == 2, "kept for the visit"
    assert page.locator(".circles-banner-toggle").first.inner_text() == "展开"
    map_box = page.locator(".folium-map").bounding_box()
    assert map_box["y"] == pytest.approx(short, abs=2)
    assert seen.console_errors == []


@pytest.mark.parametrize("size", VIEWPORTS)
def test_courier_map(visit: Any, artifacts: Path, size: str) -> None:
    seen = visit("/courier?basemap=none", viewport=VIEWPORTS[size])
    page = seen.page
    assert _count(page, "path.circles-rest-circle") == REST_POINTS
    assert _count(page, ".circles-cluster") >= 1
    assert page.locator(".circles-banner-demo").is_visible()
    _check_common_page_parts(page)
    legend = page.locator("details.circles-map-legend")
    if size == "phone":
        legend.locator("summary").click()
    assert _count(page, ".circles-legend-amenities li svg") == 9
    assert "卫生间" in legend.inner_text() and "微波炉" in legend.inner_text()
    assert page.locator(".circles-nearme-status").inner_text().endswith("最近的驿站和步行路线")
    _screenshot(page, artifacts / f"courier-{size}.png")
    if size == "phone":
        legend.locator("summary").click()

    _tap_town(seen)
    assert _count(page, "path.circles-route") == 3
    assert parse_qs(urlparse(seen.api_calls[-1]).query)["layer"] == ["rest_points"]
    answer = page.evaluate("url => fetch(url).then(r => r.json())", seen.api_calls[-1])
    status = page.locator(".circles-nearme-status").inner_text()
    first = answer["results"][0]
    assert status == (
        "离您最近的驿站" if first["within_circle"] else "1公里内没有驿站，离您最近的是："
    )
    items = page.locator(".circles-nearme-item")
    for index, result in enumerate(answer["results"]):
        item = items.nth(index)
        keys = result["amenities"].split(";")
        shown = item.locator("svg[data-amenity]").evaluate_all(
            "nodes => nodes.map(n => n.dataset.amenity)"
        )
        assert shown == keys
        text = item.inner_text()
        assert result["hours"] in text
        assert ("营业中" in text) == (result["open_now"] is True)
        assert ("休息中" in text) == (result["open_now"] is False)
        assert ("超出1公里" in text) == (not result["within_circle"])
    _screenshot(page, artifacts / f"courier-nearest-{size}.png")

    # the filter narrows the list to rest points offering every chosen amenity
    before = [r["facility_id"] for r in answer["results"]]
    page.locator(".circles-filter[data-amenity=toilet]").click()
    page.locator(".circles-filter[data-amenity=microwave]").click()
    _wait_for(
        page,
        "document.querySelector('.folium-map').dataset.nearestStatus === 'done'"
        " && performance.getEntriesByType('resource').filter(e => e.name.includes('/api/nearest'))"
        ".pop().name.includes('amenity=microwave')",
    )
    last = seen.api_calls[-1]
    assert parse_qs(urlparse(last).query)["amenity"] == ["microwave", "toilet"]
    narrowed = page.evaluate("url => fetch(url).then(r => r.json())", last)
    offering = set(
        JINGKOU.rest_points.loc[
            JINGKOU.rest_points["amenities"].map(
                lambda t: {"toilet", "microwave"} <= set(t.split(";"))
            ),
            "facility_id",
        ]
    )
    after = [r["facility_id"] for r in narrowed["results"]]
    assert after and set(after) <= offering
    for index in range(len(after)):
        icons = page.locator(".circles-nearme-item").nth(index).locator("svg[data-amenity]")
        keys = icons.evaluate_all("nodes => nodes.map(n => n.dataset.amenity)")
        assert {"toilet", "microwave"} <= set(keys)
    if not set(before) <= offering:
        assert after != before
    _screenshot(page, artifacts / f"courier-filtered-{size}.png")

    # a rest point's own popup stays inside the map
    page.locator(".circles-nearme-result").first.click()
    page.locator(".leaflet-popup-content").wait_for()
    page.wait_for_timeout(400)
    assert page.evaluate(_POPUP_INSIDE) == ""
    title = page.locator(".leaflet-popup-content .circles-popup-title").inner_text()
    shown = JINGKOU.rest_points.set_index("name").loc[title]
    assert _count(page, ".leaflet-popup-content .circles-amenities li svg") == len(
        shown["amenities"].split(";")
    )

    # a rest point's marker shows its own walk while its popup is open
    _map_call(page, "map.closePopup(); map.setZoom(16, {animate: false});")
    _open_marker_with_area(seen, ".circles-marker-rest_point")
    _screenshot(page, artifacts / f"courier-facility-area-{size}.png")
    _map_call(page, "map.closePopup();")
    assert _count(page, "path.circles-facility-area") == 0
    assert seen.blocked == [] and seen.console_errors == []


def test_language_switch(visit: Any, artifacts: Path) -> None:
    seen = visit("/?basemap=none")
    page = seen.page
    page.locator(".circles-lang-switch").click()
    page.wait_for_url("**lang=en**")
    page.wait_for_selector(".circles-cluster", state="attached")
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
    _wait_for(page, "document.querySelector('.folium-map').dataset.nearestStatus === 'done'")
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
    assert _count(page, "path.circles-area-stations") == 1
    notice = page.locator(".circles-tiles-notice")
    notice.wait_for()
    assert "底图无法加载" in notice.inner_text()
    _screenshot(page, artifacts / "public-osm-tiles-blocked.png")
    assert seen.blocked, "the OSM tiles were not even requested"
    assert all(urlparse(url).hostname == "tile.openstreetmap.org" for url in seen.blocked)
    assert all("tile.openstreetmap.org" in error for error in seen.console_errors)


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]
    )  # fmt: skip


@pytest.mark.parametrize("path", ["/", "/courier", "/planner"])
def test_on_a_phone_the_tiles_notice_covers_no_control(visit: Any, path: str) -> None:
    page = visit(path, viewport=PHONE).page
    notice = page.locator(".circles-tiles-notice")
    notice.wait_for()
    box = notice.bounding_box()
    controls = page.locator(
        ".leaflet-top .leaflet-control, .leaflet-top .circles-panel, .leaflet-control-zoom"
    )
    assert controls.count() >= 2
    for i in range(controls.count()):
        control = controls.nth(i).bounding_box()
        if control is not None:
            assert not _overlap(box, control), (path, i, box, control)
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_amap_basemap_draws_in_gcj02(visit: Any) -> None:
    seen = visit("/courier?basemap=amap")
    page = seen.page
    assert _count(page, "path.circles-rest-circle") == REST_POINTS
    _tap_town(seen)
    query = parse_qs(urlparse(seen.api_calls[-1]).query)
    assert query["crs"] == ["gcj02"] and query["out_crs"] == ["gcj02"]
    # the nearest rest point's own area (a circle, in approximate mode) is centred on it
    # on Amap's tiles too, not ~500 m off as an unshifted WGS-84 circle would be
    page.locator(".circles-nearme-result").first.click()
    _check_facility_area(seen, "gcj02")
    assert page.evaluate(_AREA_CENTRE_TO_MARKER_M) < 30
    assert all("autonavi.com" in url for url in seen.blocked)


def test_api_docs_work_offline(visit: Any, artifacts: Path) -> None:
    seen = visit("/docs", viewport=DESKTOP, ready=".swagger-ui .opblock")
    page = seen.page
    assert "service-circles" in page.locator(".swagger-ui .info .title").inner_text()
    assert _count(page, ".swagger-ui .opblock") >= 10
    _screenshot(page, artifacts / "docs.png")
    assert seen.blocked == [] and seen.console_errors == []
