"""The planner page in a real headless Chromium, from a live server on 127.0.0.1 with its
own scenario store, every other request aborted: figures, suggestions, what-if with undo,
save with the token, refused uploads, exports that reopen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import openpyxl
import pandas as pd
import pyogrio
import pytest

from api.app import create_app
from api.server import serve_in_background
from api.settings import Settings
from geo.coords import convert
from geo.scenario import load_scenario
from tests.api.conftest import TOKEN

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JINGKOU = load_scenario("jingkou")
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
STATIONS = int((JINGKOU.stations["kind"] == "station").sum())


@pytest.fixture
def planner_server(tmp_path: Path, settings_for: Callable[..., Settings]) -> Iterator[str]:
    """A live server with its own empty store: the test may save edits."""
    with serve_in_background(create_app(settings_for(tmp_path, basemap="none"))) as url:
        yield url


@pytest.fixture
def planner(chromium: Any, planner_server: str) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def open_page(viewport: dict[str, int], *, path: str = "/planner", **options: Any) -> Any:
        context = chromium.new_context(viewport=viewport, accept_downloads=True, **options)
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.api_calls = []  # type: ignore[attr-defined]
        page.on(
            "request",
            lambda request: (
                page.api_calls.append(request.url)  # type: ignore[attr-defined]
                if "/api/" in request.url
                else None
            ),
        )
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith((planner_server + "/", "blob:"))
                else route.abort()
            ),
        )
        page.on("pageerror", lambda error: page.errors.append(str(error)))  # type: ignore[attr-defined]
        page.goto(planner_server + path, wait_until="load")
        _wait_for(page, "document.querySelector('.folium-map').dataset.plannerStatus === 'ready'")
        return page

    yield open_page
    for context in contexts:
        context.close()


def _wait_for(page: Any, expression: str, *, timeout: float = 30_000) -> None:
    """Wait until ``expression`` is true, polled as a function: the page's
    Content-Security-Policy forbids evaluating strings (eval) in it."""
    page.wait_for_function(f"() => ({expression})", timeout=timeout)


def _ready(page: Any) -> None:
    _wait_for(
        page,
        "['ready', 'error'].includes(document.querySelector('.folium-map').dataset.plannerStatus)",
    )


def _whatif(page: Any, edits: int) -> dict[str, str]:
    _wait_for(
        page,
        "document.querySelector('.folium-map').dataset.whatifStatus === 'done'"
        f" && document.querySelectorAll('.circles-edit').length === {edits}",
    )
    return {
        key: page.locator(f".circles-figure-{key} .circles-after").inner_text()
        for key in ("covered", "share", "underserved")
    }


def _before(page: Any) -> dict[str, str]:
    return {
        key: page.locator(f".circles-figure-{key} .circles-before").inner_text()
        for key in ("covered", "share", "underserved")
    }


def _map_call(page: Any, script: str) -> Any:
    # No eval or new Function: the page's Content-Security-Policy forbids them.
    return page.evaluate(
        f"() => {{ const map = window[document.querySelector('.folium-map').id]; {script} }}"
    )


def _worst_grid_point(api: str) -> tuple[float, float]:
    grids = httpx.get(api + "/api/grids", params={"layer": "stations"}, timeout=60).json()
    worst = max(
        grids["features"],
        key=lambda f: f["properties"]["residents"] - f["properties"]["residents_covered"],
    )
    props = worst["properties"]
    inner = JINGKOU.grids.set_index("grid_id").loc[props["grid_id"]].geometry
    point = inner.representative_point()
    return point.x, point.y


#: The position of the marker titled ``name`` on the page's Leaflet map, [lon, lat].
_MARKER_AT = """(name) => {
  const key = Object.keys(window).find((k) => /^map_[0-9a-f]+$/.test(k));
  let found = null;
  window[key].eachLayer((layer) => {
    if (layer.getLatLng && layer.options && layer.options.title === name) {
      const at = layer.getLatLng();
      found = [at.lng, at.lat];
    }
  });
  return found;
}"""


def test_planner_on_amap_draws_grids_facilities_and_sites_in_gcj02(
    planner: Any, planner_server: str
) -> None:
    page = planner(VIEWPORTS["desktop"], path="/planner?basemap=amap")
    drawn = {urlparse(url).path: parse_qs(urlparse(url).query) for url in page.api_calls}
    for path in ("/api/grids", "/api/coverage", "/api/layers/stations"):
        assert drawn[path]["out_crs"] == ["gcj02"], path
    station = JINGKOU.stations[JINGKOU.stations["kind"] == "station"].iloc[0]
    lon, lat = convert([station.geometry.x], [station.geometry.y], "wgs84", "gcj02")
    at = page.evaluate(_MARKER_AT, station["name"])
    assert at == pytest.approx([lon[0], lat[0]], abs=1e-6)  # on Amap's tiles, not ~500 m off

    page.locator(".circles-sites-run").click()
    _wait_for(page, "document.querySelector('.folium-map').dataset.sitesStatus === 'done'")
    assert parse_qs(urlparse(page.api_calls[-1]).query)["out_crs"] == ["gcj02"]
    answer = httpx.post(
        planner_server + "/api/sites", json={"layer": "stations", "k": 10}, timeout=120
    ).json()
    first = answer["features"][0]
    lon, lat = convert(*([c] for c in first["geometry"]["coordinates"]), "wgs84", "gcj02")
    at = page.evaluate(_MARKER_AT, first["properties"]["name"])
    assert at == pytest.approx([lon[0], lat[0]], abs=1e-6)
    assert page.errors == []


@pytest.mark.parametrize("size", VIEWPORTS)
def test_planner_first_view_figures_and_colourings(
    planner: Any, planner_server: str, artifacts: Path, size: str
) -> None:
    page = planner(VIEWPORTS[size])
    assert page.locator("path.circles-grid").count() == len(JINGKOU.grids)
    assert page.locator(".circles-marker-station").count() == STATIONS
    # the first view frames the grids, clear of the panel
    framed = _map_call(
        page,
        "const b = L.latLngBounds(map.circlesGrids ? [] : []);"
        " let all = null; map.eachLayer(l => { if (l.feature && l.feature.properties"
        " && l.feature.properties.grid_id) { all = all ? all.extend(l.getBounds())"
        " : L.latLngBounds(l.getBounds().getSouthWest(), l.getBounds().getNorthEast()); } });"
        " return map.getBounds().contains(all.pad(-0.02));",
    )
    assert framed, "the first view shows every grid"
    summary = httpx.get(planner_server + "/api/grids", params={"layer": "stations"}).json()
    before = _before(page)
    assert before["covered"] == f"{round(summary['summary']['residents_covered']):,}"
    assert before["share"] == f"{100 * summary['summary']['share_covered']:.1f}%"
    # one grid colouring at a time, with its legend
    legend = page.locator(".circles-grid-legend")
    assert legend.count() == 1 and "未覆盖居民" in legend.inner_text()
    fills = page.locator("path.circles-grid").evaluate_all(
        "nodes => new Set(nodes.map(n => n.getAttribute('fill'))).size"
    )
    page.locator("select[name=colouring]").select_option("share")
    assert "覆盖比例" in legend.inner_text() and "未覆盖居民" not in legend.inner_text()
    assert fills >= 3
    page.locator("select[name=colouring]").select_option("uncovered")
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / f"planner-{size}.png"))
    assert "OSM" in page.locator(".circles-banner-approximate").inner_text()
    assert page.errors == []


def test_planner_suggestions_match_the_api_and_the_cli_default_k(
    planner: Any, planner_server: str, artifacts: Path
) -> None:
    page = planner(VIEWPORTS["desktop"])
    assert page.locator("input[name=k]").input_value() == "10"
    page.locator(".circles-sites-run").click()
    _wait_for(page, "document.querySelector('.folium-map').dataset.sitesStatus === 'done'")
    answer = httpx.post(
        planner_server + "/api/sites", json={"layer": "stations", "k": 10}, timeout=120
    ).json()
    names = page.locator(".circles-site-name").all_inner_texts()
    assert names == [f["properties"]["name"] for f in answer["features"]]
    assert len(names) == 10
    assert page.locator(".circles-marker-site").count() == 10
    page.screenshot(path=str(artifacts / "planner-sites-desktop.png"))
    assert page.errors == []


@pytest.mark.parametrize("size", VIEWPORTS)
def test_planner_whatif_add_move_close_undo_and_save(
    planner: Any, planner_server: str, artifacts: Path, size: str
) -> None:
    page = planner(VIEWPORTS[size])
    before = _before(page)
    lon, lat = _worst_grid_point(planner_server)

    # add: press the button, tap the map in the worst-served grid
    page.locator(".circles-whatif-add").click()
    _map_call(page, f"map.fire('click', {{latlng: L.latLng({lat}, {lon})}});")
    added = _whatif(page, 1)
    assert int(added["covered"].replace(",", "")) > int(before["covered"].replace(",", ""))
    assert (
        int(page.evaluate("() => document.querySelector('.folium-map').dataset.changedGrids")) > 0
    )
    assert page.locator(".circles-marker-added").count() == 1

    # move: drag the added station some 600 m east
    _map_call(page, f"map.setView([{lat}, {lon}], 15, {{animate: false}});")
    box = page.locator(".circles-marker-added").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y, steps=8)
    page.mouse.move(x + 80, y, steps=8)
    page.mouse.up()
    moved = _whatif(page, 2)
    assert moved != added

    # close: an existing station, from its popup; centre the nearest one, since the worst
    # grid may lie far from every station (Xinminzhou's, across the river)
    stations = JINGKOU.facilities("stations").geometry
    near = stations.iloc[int(((stations.x - lon) ** 2 + (stations.y - lat) ** 2).argmin())]
    _map_call(page, f"map.setView([{near.y}, {near.x}], 15, {{animate: false}});")
    spot = page.evaluate(
        """() => { for (const m of document.querySelectorAll('.circles-marker-open')) {
            const b = m.getBoundingClientRect();
            const x = b.left + b.width / 2, y = b.top + b.height / 2;
            if (m.contains(document.elementFromPoint(x, y))) return [x, y]; } return null; }"""
    )
    assert spot is not None
    page.mouse.click(*spot)
    page.locator(".circles-whatif-close").click()
    closed = _whatif(page, 3)
    assert page.locator(".circles-marker-closed").count() == 1
    page.screenshot(path=str(artifacts / f"planner-whatif-{size}.png"))

    # undo the close: the figures of the two edits come back
    page.locator(".circles-whatif-undo").click()
    assert _whatif(page, 2) == moved
    assert closed != moved or closed["covered"] == moved["covered"]

    # save with a wrong token: refused in the page, nothing changes on the server
    stations_before = httpx.get(planner_server + "/api/layers/stations").json()
    page.locator(".circles-whatif-save").click()
    page.locator("input[name=token]").fill("wrong-token-000000")
    page.locator(".circles-whatif-save").click()
    _wait_for(page, "document.querySelector('.folium-map').dataset.whatifStatus === 'error'")
    assert "令牌不正确" in page.locator(".circles-whatif-status").inner_text()
    assert httpx.get(planner_server + "/api/layers/stations").json() == stations_before
    assert page.locator(".circles-edit").count() == 2

    # the right token: both edits are saved and the page shows the new scenario
    page.locator("input[name=token]").fill(TOKEN)
    page.locator(".circles-whatif-save").click()
    _wait_for(page, "document.querySelector('.folium-map').dataset.whatifStatus === 'saved'")
    after = httpx.get(planner_server + "/api/layers/stations").json()
    assert len(after["features"]) == len(stations_before["features"]) + 1
    new = [f for f in after["features"] if f["properties"]["facility_id"].startswith("new-")]
    assert len(new) == 1 and new[0]["geometry"]["coordinates"][0] > lon
    _ready(page)
    assert _before(page)["covered"] == moved["covered"]
    assert page.locator(".circles-edit").count() == 0
    assert page.evaluate("() => sessionStorage.getItem('circles-planner-token')") == TOKEN
    assert page.errors == []


def test_planner_whatif_compares_under_the_chosen_circle(planner: Any, planner_server: str) -> None:
    page = planner(VIEWPORTS["desktop"])
    page.select_option("select[name=preset]", "custom")
    page.fill("input[name=limit]", "5")
    page.dispatch_event("input[name=limit]", "change")
    _ready(page)
    lon, lat = _worst_grid_point(planner_server)
    page.locator(".circles-whatif-add").click()
    _map_call(page, f"map.fire('click', {{latlng: L.latLng({lat}, {lon})}});")
    after = _whatif(page, 1)
    five = httpx.get(
        planner_server + "/api/coverage", params={"layer": "stations", "minutes": 5}, timeout=60
    ).json()["summary"]
    # "before" is the chosen 5-minute circle's coverage, not the layer's own 10 minutes
    assert int(_before(page)["covered"].replace(",", "")) == five["residents_covered"]
    assert int(after["covered"].replace(",", "")) >= five["residents_covered"]


def test_planner_refused_upload_shows_its_report(
    planner: Any, planner_server: str, tmp_path: Path, artifacts: Path
) -> None:
    page = planner(VIEWPORTS["desktop"])
    bad = tmp_path / "stations.csv"
    bad.write_text(
        "名称,类型,经度,纬度\n"
        "东园社区党群服务中心,党群服务中心,119.45,32.21\n"
        "第1网格党群服务站,网格党群服务站,119.46,219.4\n"
        "第2网格党群服务站,外星站,119.47,32.22\n",
        encoding="utf-8",
    )
    before = httpx.get(planner_server + "/api/layers/stations").json()
    page.locator("select[name=upload_layer]").select_option("stations")
    page.locator("input[name=file]").set_input_files(str(bad))
    page.locator("input[name=token]").evaluate(
        "node => { node.closest('.circles-token').hidden = false; }"
    )
    page.locator("input[name=token]").fill(TOKEN)
    page.locator(".circles-upload-run").click()
    _wait_for(page, "document.querySelector('.folium-map').dataset.uploadStatus === 'refused'")
    status = page.locator(".circles-upload-status").inner_text()
    assert status.startswith("文件未被接受：2 个错误") and "219.4" not in status
    table = page.locator(".circles-report-table")
    assert table.locator("th").all_inner_texts() == ["行", "列", "值", "问题", "修改建议"]
    rows = table.locator("tr").all_inner_texts()[1:]
    assert len(rows) >= 2
    assert any("219.4" in row for row in rows) and any("外星站" in row for row in rows)
    assert httpx.get(planner_server + "/api/layers/stations").json() == before
    page.locator(".circles-report").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "planner-upload-refused-desktop.png"))
    assert page.errors == []


def test_planner_exports_download_files_that_reopen(
    planner: Any, tmp_path: Path, planner_server: str
) -> None:
    page = planner(VIEWPORTS["desktop"])
    lon, lat = _worst_grid_point(planner_server)
    page.locator(".circles-whatif-add").click()
    _map_call(page, f"map.fire('click', {{latlng: L.latLng({lat}, {lon})}});")
    _whatif(page, 1)
    page.locator("select[name=out_crs]").select_option("gcj02")
    files = {}
    for fmt in ("gpkg", "xlsx", "csv", "png"):
        with page.expect_download(timeout=180_000) as info:
            page.locator(f".circles-export[data-format={fmt}]").click()
            _wait_for(
                page,
                "document.querySelector('.circles-export-status').dataset.kind !== ''",
                timeout=180_000,
            )
            status = page.locator(".circles-export-status").inner_text()
            assert "已下载" in status, status
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        files[fmt] = target
    assert files["gpkg"].name == "jingkou-stations-gcj02.gpkg"
    assert files["xlsx"].name == "jingkou-stations-gcj02.xlsx"
    # no coordinates in these two: their names claim no coordinate system
    assert files["csv"].name == "jingkou-stations.csv"
    assert files["png"].name == "jingkou-stations.png"
    layers = {str(row[0]) for row in pyogrio.list_layers(files["gpkg"])}
    assert "grids" in layers or any("grid" in name for name in layers)
    stations = pyogrio.read_dataframe(files["gpkg"], layer="stations")
    assert len(stations) == len(JINGKOU.stations) + 1, "the unsaved addition is in the export"
    wgs = JINGKOU.stations.set_index("facility_id").geometry
    shifted = stations.set_index("facility_id").geometry
    first = wgs.index[0]
    # GCJ-02, some 500 m off WGS-84 here
    assert abs(shifted[first].x - wgs[first].x) > 0.003
    book = openpyxl.load_workbook(files["xlsx"], read_only=True)
    assert len(book.sheetnames) >= 3
    notes = list(book[book.sheetnames[0]].iter_rows(values_only=True))
    assert any(row[0] == "坐标系" and str(row[1]).startswith("GCJ-02") for row in notes)
    table = pd.read_csv(files["csv"])
    assert len(table) == 3 * len(JINGKOU.grids), "a row per grid and analysis layer"
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.errors == []
