"""The map pages as HTML: offline assets, notices, languages, basemaps (TestClient)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.store import ScenarioStore
from geo.coords import convert
from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH, Scenario, load_scenario

PAGES = ["/", "/courier", "/planner"]
_SOURCES = re.compile(r"""<(?:script|link)[^>]+(?:src|href)=["']([^"']+)["']""")


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_only_its_own_assets(client: TestClient, path: str) -> None:
    page = client.get(path).text
    sources = _SOURCES.findall(page)
    assert "/static/vendor/leaflet/leaflet.js" in sources
    assert "/static/app/nearme.js" in sources
    assert all(source.startswith("/static/") for source in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200


def _topbar(page: str) -> str:
    return page[page.index('<header class="circles-topbar">') : page.index("</header>")]


@pytest.mark.parametrize("path", PAGES)
def test_page_is_chinese_by_default_with_the_demo_banner(client: TestClient, path: str) -> None:
    page = client.get(path).text
    assert '<html lang="zh-CN">' in page
    assert DEMO_NOTICE_ZH in page
    banners = _topbar(page)
    if path == "/planner":
        assert "近似模式" in banners and "OSM" in banners
    else:
        # residents are told that times are estimates, not what an operator must load
        assert "步行时间为估算" in banners and "OSM" not in banners and "近似模式" not in banners
    assert 'name="viewport"' in page
    assert 'class="circles-lang-switch" href="' + path + '?lang=en"' in page


@pytest.mark.parametrize("path", PAGES)
def test_page_in_english(client: TestClient, path: str) -> None:
    page = client.get(path, params={"lang": "en"}).text
    assert '<html lang="en">' in page
    assert DEMO_NOTICE_EN in page and DEMO_NOTICE_ZH not in page
    banners = _topbar(page)
    assert ("Approximate mode" in banners) == (path == "/planner")
    assert ("Walking times are estimates" in banners) == (path != "/planner")
    assert f'href="{path}?lang=zh"' in page


@pytest.mark.parametrize("path", [*PAGES, "/docs"])
def test_every_page_answers_head(client: TestClient, path: str) -> None:
    head = client.head(path)
    assert head.status_code == 200, head.text
    assert head.headers["content-type"].startswith("text/html")
    assert head.content == b""


def test_language_switch_keeps_the_basemap(client: TestClient) -> None:
    page = client.get("/courier", params={"basemap": "none"}).text
    assert 'href="/courier?basemap=none&amp;lang=en"' in page


def test_basemaps(client: TestClient) -> None:
    assert "tile.openstreetmap.org" in client.get("/").text
    assert "autonavi.com" in client.get("/", params={"basemap": "amap"}).text
    plain = client.get("/", params={"basemap": "none"}).text
    assert "tile.openstreetmap.org" not in plain and "autonavi" not in plain


def test_tianditu_needs_a_key(client: TestClient) -> None:
    response = client.get("/planner", params={"basemap": "tianditu"})
    assert response.status_code == 422
    assert "CIRCLES_TIANDITU_KEY" in response.json()["error"]["message"]


def test_tianditu_with_a_key(tmp_path: Path, settings_for: Callable[..., Settings]) -> None:
    settings = settings_for(tmp_path, basemap="tianditu", tianditu_key="abc123")
    with TestClient(create_app(settings)) as started:
        page = started.get("/").text
    assert "tianditu.gov.cn/vec_w" in page and "tk=abc123" in page
    assert "tianditu.gov.cn/cva_w" in page


def _embedded_points(page: str, facility_id: str) -> list[list[float]]:
    """Coordinates of a facility's marker as embedded in a page's GeoJSON."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r"(?:_add\(|facilityLayer\(\s*\w+,\s*)\{", page):
        collection, _ = decoder.raw_decode(page, match.end() - 1)
        for feature in collection["features"]:
            if feature["properties"].get("facility_id") == facility_id:
                found.append(feature["geometry"]["coordinates"])
    return found


def test_amap_basemap_shifts_overlays_to_gcj02(client: TestClient) -> None:
    station = load_scenario("jingkou").facilities("stations").iloc[0]
    wgs = _embedded_points(client.get("/").text, station["facility_id"])
    gcj = _embedded_points(client.get("/", params={"basemap": "amap"}).text, station["facility_id"])
    lon, lat = convert([station.geometry.x], [station.geometry.y], "wgs84", "gcj02")
    assert wgs == [pytest.approx([station.geometry.x, station.geometry.y], abs=1e-5)]
    assert gcj == [pytest.approx([float(lon[0]), float(lat[0])], abs=1e-5)]
    page = client.get("/", params={"basemap": "amap"}).text
    assert '"tapCrs": "gcj02"' in page and '"outCrs": "gcj02"' in page


@pytest.mark.parametrize("params", [{"lang": "fr"}, {"basemap": "google"}])
def test_page_parameters_are_checked(client: TestClient, params: dict) -> None:
    response = client.get("/", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_planner_page_is_driven_by_the_api(client: TestClient) -> None:
    page = client.get("/planner").text
    assert "/static/app/planner.js" in page and "circlesPlanner(" in page
    assert "/static/app/planner.js" not in client.get("/").text
    options = json.loads(re.search(r"circlesPlanner\(\w+, (\{.*\})\);", page).group(1))
    assert options["k"] == 10
    assert [layer["name"] for layer in options["layers"]] == ["stations", "centres", "rest_points"]
    assert set(options["colourings"]) == {"uncovered", "share", "minutes"}
    assert options["exports"] == ["gpkg", "xlsx", "csv", "png"]
    for url in ("grids", "coverage", "whatif", "sites"):
        assert options["api"][url].startswith("/api/")


def test_popup_fields_are_embedded(client: TestClient) -> None:
    courier = client.get("/courier").text
    assert '"amenities": "water;' in courier
    public = client.get("/").text
    assert '"hours": ' in public and '"services": ' in public and '"address": ' in public


def test_data_cannot_break_out_of_the_script(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    """A name with markup is embedded as JSON, never as HTML."""
    scenario = load_scenario("jingkou")
    stations = scenario.stations.copy()
    stations.loc[0, "name"] = "</script><script>alert(1)</script>"
    store = ScenarioStore(tmp_path / "store", "jingkou")
    store.save(
        replace(scenario, stations=stations), who="test", action="seed", layer="stations", detail={}
    )
    with TestClient(create_app(settings_for(tmp_path))) as started:
        page = started.get("/").text
    assert "<script>alert(1)</script>" not in page
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in page


def test_a_single_facility_page_shows_the_district(
    tmp_path: Path, settings_for: Callable[..., Settings], helsinki_scenario: Scenario
) -> None:
    """One rest point has bounds of no size: the courier page fits the boundary instead."""
    assert len(helsinki_scenario.rest_points) == 1
    store = ScenarioStore(tmp_path / "store", "helsinki")
    store.save(helsinki_scenario, who="test", action="seed", layer="all", detail={})
    with TestClient(create_app(settings_for(tmp_path, scenario="helsinki"))) as started:
        page = started.get("/courier", params={"basemap": "none"}).text
    fitted = re.search(r"\.fitBounds\(\s*(\[\[.*?\]\])", page, re.S)
    assert fitted is not None
    (south, west), (north, east) = json.loads(fitted.group(1))
    assert (west, south, east, north) == pytest.approx(
        tuple(helsinki_scenario.boundary.total_bounds)
    )
