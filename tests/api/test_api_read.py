"""Read endpoints on the Jingkou demo scenario (approximate mode), through TestClient."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.server import serve_in_background
from api.settings import Settings
from geo.coords import convert
from geo.scenario import DEMO_NOTICE_EN, load_scenario

JINGKOU = load_scenario("jingkou")
#: A point in the middle of the demo stations (WGS-84).
ORIGIN = (119.45, 32.20)


def _notice_codes(body: dict) -> set[str]:
    return {notice["code"] for notice in body["notices"]}


def test_healthz_says_demo_and_approximate(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["scenario"] == "jingkou"
    assert body["network"]["source"] == "approximate"
    assert body["approximate"] is True and body["demo"] is True
    assert _notice_codes(body) == {"demo_data", "approximate"}
    assert body["notices"][0]["message"] == DEMO_NOTICE_EN


def test_layers_lists_every_layer_with_counts(client: TestClient) -> None:
    body = client.get("/api/layers").json()
    counts = {layer["name"]: layer["features"] for layer in body["layers"]}
    assert counts == {
        "boundary": len(JINGKOU.boundary),
        "grids": len(JINGKOU.grids),
        "stations": len(JINGKOU.stations),
        "rest_points": len(JINGKOU.rest_points),
        "candidates": len(JINGKOU.candidates),
    }
    analysis = {layer["name"]: layer for layer in body["analysis_layers"]}
    assert analysis["stations"]["facilities"] == int((JINGKOU.stations["kind"] == "station").sum())
    assert analysis["centres"]["facilities"] == int((JINGKOU.stations["kind"] == "centre").sum())
    assert analysis["stations"]["rule"]["max_metres"] == pytest.approx(750.0)
    assert analysis["rest_points"]["rule"]["label"] == "1 km walk"


@pytest.mark.parametrize("name", ["boundary", "grids", "stations", "rest_points", "candidates"])
def test_layer_is_geojson_in_wgs84(client: TestClient, name: str) -> None:
    body = client.get(f"/api/layers/{name}").json()
    frame = getattr(JINGKOU, name)
    assert body["type"] == "FeatureCollection"
    assert len(body["features"]) == len(frame)
    assert body["demo"] is True
    parsed = gpd.GeoDataFrame.from_features(body["features"], crs="EPSG:4326")
    west, south, east, north = parsed.total_bounds
    assert 118 < west < east < 121 and 31 < south < north < 33


def test_station_properties_survive(client: TestClient) -> None:
    feature = client.get("/api/layers/stations").json()["features"][0]
    first = JINGKOU.stations.iloc[0]
    assert feature["properties"]["facility_id"] == first["facility_id"]
    assert feature["properties"]["services"] == first["services"]
    assert feature["geometry"]["coordinates"] == pytest.approx([first.geometry.x, first.geometry.y])


@pytest.mark.parametrize("name", ["nope", "centres", "grids.geojson", "..stations", "STATIONS"])
def test_unknown_layer_is_404_with_the_known_names(client: TestClient, name: str) -> None:
    response = client.get(f"/api/layers/{name}")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "unknown_layer"
    assert error["detail"]["known"] == [
        "boundary",
        "grids",
        "stations",
        "rest_points",
        "candidates",
    ]
    assert "data/scenarios" not in response.text


@pytest.mark.parametrize(
    "path", ["/api/layers/..%2F..%2Fetc%2Fpasswd", "/api/layers/../../etc/passwd"]
)
def test_path_tricks_are_a_plain_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message", "detail"}
    assert "root:" not in response.text


@pytest.mark.parametrize("layer", ["stations", "centres", "rest_points"])
def test_coverage_has_one_area_per_facility_and_a_summary(client: TestClient, layer: str) -> None:
    body = client.get("/api/coverage", params={"layer": layer}).json()
    facilities = len(JINGKOU.facilities(layer))
    assert len(body["service_areas"]["features"]) == facilities
    assert body["summary"]["facilities"] == facilities
    assert body["summary"]["residents_total"] == pytest.approx(355_757, rel=0.01)
    assert 0 < body["summary"]["share_covered"] < 1
    assert body["approximate"] is True and body["summary"]["approximate"] is True
    assert _notice_codes(body) == {"demo_data", "approximate"}
    geometry_types = {f["geometry"]["type"] for f in body["service_areas"]["features"]}
    assert geometry_types <= {"Polygon", "MultiPolygon"}


def test_coverage_grows_with_the_walking_time(client: TestClient) -> None:
    shares = [
        client.get("/api/coverage", params={"layer": "stations", "minutes": minutes}).json()[
            "summary"
        ]["share_covered"]
        for minutes in (5, 10, 20)
    ]
    assert shares[0] < shares[1] < shares[2]


@pytest.mark.parametrize(
    ("params", "metres", "label"),
    [
        ({"layer": "stations"}, 750.0, "10 min walk"),
        ({"layer": "stations", "rule": "gb50180"}, 500.0, "500 m walk"),
        ({"layer": "centres", "minutes": 5}, 375.0, "5 min walk"),
        ({"layer": "rest_points", "metres": 300}, 300.0, "300 m walk"),
        ({"layer": "rest_points", "straight_line": "true"}, 1000.0, "1 km circle"),
    ],
)
def test_rules(client: TestClient, params: dict, metres: float, label: str) -> None:
    rule = client.get("/api/coverage", params=params).json()["rule"]
    assert rule["max_metres"] == pytest.approx(metres)
    assert rule["label"] == label


@pytest.mark.parametrize(
    "params",
    [
        {"minutes": 0},
        {"minutes": 60.5},
        {"minutes": -3},
        {"metres": 5001},
        {"rule": "gb99"},
        {"minutes": 10, "metres": 500},
        {"minutes": "nan"},
    ],
)
def test_bad_rules_are_422(client: TestClient, params: dict) -> None:
    response = client.get("/api/coverage", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_grids_carry_coverage(client: TestClient) -> None:
    body = client.get("/api/grids", params={"layer": "centres"}).json()
    assert len(body["features"]) == len(JINGKOU.grids)
    props = body["features"][0]["properties"]
    for key in ("grid_id", "residents", "residents_covered", "share_covered", "nearest_minutes"):
        assert key in props
    covered = sum(f["properties"]["residents_covered"] for f in body["features"])
    # each grid's residents are rounded to whole persons: at most half a person off each
    assert abs(covered - body["summary"]["residents_covered"]) <= 0.5 * len(body["features"])


def test_underserved_grids_are_ranked(client: TestClient) -> None:
    body = client.get("/api/underserved", params={"layer": "centres", "limit": 10}).json()
    left_out = [f["properties"]["residents_uncovered"] for f in body["features"]]
    assert len(left_out) == 10
    assert left_out == sorted(left_out, reverse=True)
    assert [f["properties"]["rank"] for f in body["features"]] == list(range(1, 11))
    assert body["total_grids"] >= 10
    assert body["residents_uncovered"] >= sum(left_out)


def test_nearest_matches_a_brute_force_oracle(client: TestClient) -> None:
    body = client.get(
        "/api/nearest", params={"lon": ORIGIN[0], "lat": ORIGIN[1], "layer": "stations", "k": 5}
    ).json()
    results = body["results"]
    assert [r["rank"] for r in results] == [1, 2, 3, 4, 5]
    stations = JINGKOU.facilities("stations").to_crs(32650)
    origin = gpd.GeoSeries.from_xy([ORIGIN[0]], [ORIGIN[1]], crs=4326).to_crs(32650).iloc[0]
    expected = (stations.distance(origin) * 1.3).sort_values().head(5)
    ids = stations.loc[expected.index, "facility_id"].tolist()
    assert [r["facility_id"] for r in results] == ids
    # answers are rounded to what they mean: metres to 1 m, minutes to 0.1 min
    assert [r["metres"] for r in results] == pytest.approx(expected.tolist(), abs=0.5)
    for result in results:
        assert isinstance(result["metres"], int)
        assert result["minutes"] == round(result["minutes"], 1)
        assert result["minutes"] == pytest.approx(result["metres"] / 75.0, abs=0.06)
        assert result["route"]["type"] == "LineString"
        assert result["route"]["coordinates"][0] == pytest.approx(list(ORIGIN))
        assert result["hours"] and result["services"]
    assert body["approximate"] is True and "approximate" in _notice_codes(body)


def test_nearest_rest_points_carry_amenities(client: TestClient) -> None:
    body = client.get(
        "/api/nearest", params={"lon": ORIGIN[0], "lat": ORIGIN[1], "layer": "rest_points"}
    ).json()
    assert len(body["results"]) == 3
    assert all(result["amenities"] for result in body["results"])
    assert body["circle"]["metres"] == 1000.0


def test_nearest_says_whether_each_result_is_within_the_circle(client: TestClient) -> None:
    body = client.get(
        "/api/nearest", params={"lon": ORIGIN[0], "lat": ORIGIN[1], "layer": "rest_points", "k": 50}
    ).json()
    within = [result["within_circle"] for result in body["results"]]
    metres = [result["metres"] for result in body["results"]]
    assert within == [m <= 1000.0 for m in metres]
    assert any(within) and not all(within)


def _decimals(value: float) -> int:
    text = repr(value)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def test_answers_are_rounded_to_what_they_mean(client: TestClient) -> None:
    body = client.post(
        "/api/whatif",
        json={"edits": [{"action": "add", "layer": "stations", "lon": 119.6, "lat": 32.15}]},
    ).json()
    stations = next(row for row in body["layers"] if row["layer"] == "stations")
    assert isinstance(stations["residents_covered_b"], int)
    assert isinstance(stations["change"], int) and stations["change"] > 0
    assert _decimals(stations["share_covered_b"]) <= 3
    for grid in body["grids"]:
        assert all(isinstance(grid[key], int) for key in ("residents", "residents_covered_b"))
        assert _decimals(grid["share_covered_b"]) <= 3
    grids = client.get("/api/grids", params={"layer": "stations"}).json()
    first = grids["features"][0]["properties"]
    assert _decimals(first["nearest_minutes"]) <= 1 and isinstance(first["nearest_m"], int)
    ring = grids["features"][0]["geometry"]["coordinates"][0]
    assert all(_decimals(x) <= 6 and _decimals(y) <= 6 for x, y in ring)


def test_nearest_amenity_filter_keeps_only_rest_points_offering_all(client: TestClient) -> None:
    params = {"lon": ORIGIN[0], "lat": ORIGIN[1], "layer": "rest_points", "k": 50}
    everything = client.get("/api/nearest", params=params).json()["results"]
    wanted = {"toilet", "microwave"}
    body = client.get("/api/nearest", params={**params, "amenity": sorted(wanted)}).json()
    offering = JINGKOU.rest_points[
        JINGKOU.rest_points["amenities"].map(lambda text: wanted <= set(text.split(";")))
    ]
    assert body["filter"] == {"amenity": sorted(wanted), "open_24h": False}
    assert {r["facility_id"] for r in body["results"]} == set(offering["facility_id"])
    assert 0 < len(body["results"]) < len(everything)
    # nearest first, at the same distances as in the unfiltered answer
    metres = [r["metres"] for r in body["results"]]
    assert metres == sorted(metres)
    unfiltered = {r["facility_id"]: r["metres"] for r in everything}
    assert all(
        unfiltered[r["facility_id"]] == r["metres"]
        for r in body["results"]
        if r["facility_id"] in unfiltered
    )
    all_day = client.get("/api/nearest", params={**params, "open_24h": "true"}).json()
    assert all_day["results"] and {r["hours"] for r in all_day["results"]} == {"24小时"}


@pytest.mark.parametrize(
    ("params", "status"),
    [({"amenity": "sauna", "layer": "rest_points"}, 422), ({"amenity": "toilet"}, 422)],
)
def test_nearest_amenity_filter_is_checked(client: TestClient, params: dict, status: int) -> None:
    answer = client.get("/api/nearest", params={"lon": ORIGIN[0], "lat": ORIGIN[1], **params})
    assert answer.status_code == status
    assert (
        "amenity" in answer.json()["error"]["message"]
        or "rest points" in answer.json()["error"]["message"]
    )


def test_nearest_says_where_the_point_is(client: TestClient) -> None:
    grid = JINGKOU.grids.iloc[40]
    inner = grid.geometry.representative_point()
    body = client.get("/api/nearest", params={"lon": inner.x, "lat": inner.y}).json()
    assert body["place"]["inside"] is True
    assert body["place"]["grid"]["grid_id"] == grid["grid_id"]
    assert body["place"]["grid"]["community"] == grid["community"]
    outside = client.get("/api/nearest", params={"lon": 119.25, "lat": 32.35}).json()
    assert outside["place"] == {"inside": False, "grid": None}


def test_nearest_says_whether_each_result_is_open_now(client: TestClient) -> None:
    from geo.hours import is_open

    hours = set(JINGKOU.rest_points["hours"])
    before = {text: is_open(text) for text in hours}
    body = client.get(
        "/api/nearest", params={"lon": ORIGIN[0], "lat": ORIGIN[1], "layer": "rest_points", "k": 20}
    ).json()
    after = {text: is_open(text) for text in hours}
    for result in body["results"]:
        assert result["open_now"] in (True, False)
        if result["hours"] == "24小时":
            assert result["open_now"] is True
        # as the library says just before or just after the request (an opening edge may pass)
        assert result["open_now"] in (before[result["hours"]], after[result["hours"]])


def test_nearest_accepts_gcj02_and_answers_in_gcj02(client: TestClient) -> None:
    lon, lat = convert([ORIGIN[0]], [ORIGIN[1]], "wgs84", "gcj02")
    wgs = client.get("/api/nearest", params={"lon": ORIGIN[0], "lat": ORIGIN[1]}).json()
    gcj = client.get(
        "/api/nearest",
        params={"lon": float(lon[0]), "lat": float(lat[0]), "crs": "gcj02", "out_crs": "gcj02"},
    ).json()
    assert [r["facility_id"] for r in gcj["results"]] == [r["facility_id"] for r in wgs["results"]]
    assert [r["metres"] for r in gcj["results"]] == pytest.approx(
        [r["metres"] for r in wgs["results"]], abs=0.01
    )
    assert gcj["origin"]["lon"] == pytest.approx(float(lon[0]))
    first = wgs["results"][0]["location"]
    shifted = convert([first[0]], [first[1]], "wgs84", "gcj02")
    assert gcj["results"][0]["location"] == pytest.approx([float(v[0]) for v in shifted])
    # GCJ-02 is about 500 m off WGS-84 in Zhenjiang: the answers really were shifted.
    assert math.dist(gcj["results"][0]["location"], first) > 0.003


def test_nearest_bd09(client: TestClient) -> None:
    lon, lat = convert([ORIGIN[0]], [ORIGIN[1]], "wgs84", "bd09")
    bd = client.get(
        "/api/nearest", params={"lon": float(lon[0]), "lat": float(lat[0]), "crs": "bd09"}
    ).json()
    wgs = client.get("/api/nearest", params={"lon": ORIGIN[0], "lat": ORIGIN[1]}).json()
    assert bd["results"][0]["facility_id"] == wgs["results"][0]["facility_id"]
    assert bd["origin"]["lon"] == pytest.approx(ORIGIN[0], abs=1e-6)


@pytest.mark.parametrize(
    "params",
    [
        {"lon": 181, "lat": 32},
        {"lon": -180.5, "lat": 32},
        {"lon": 119, "lat": 90.01},
        {"lon": 119, "lat": -91},
        {"lon": 119, "lat": 32, "k": 0},
        {"lon": 119, "lat": 32, "k": 51},
        {"lon": 119, "lat": 32, "crs": "epsg3857"},
        {"lon": "nan", "lat": 32},
        {"lon": "inf", "lat": 32},
        {"lat": 32},
    ],
)
def test_nearest_bounds(client: TestClient, params: dict) -> None:
    response = client.get("/api/nearest", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(("lon", "lat"), [(-179.9, -89.9), (0, 90), (32.2, 60.0), (120.9, 32.2)])
def test_nearest_far_outside_the_area_is_refused(
    client: TestClient, lon: float, lat: float
) -> None:
    response = client.get("/api/nearest", params={"lon": lon, "lat": lat})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "outside_area"
    assert "order of lon and lat" in error["message"]


def test_nearest_near_the_edge_of_the_area_answers(client: TestClient) -> None:
    west = float(JINGKOU.boundary.total_bounds[0])
    body = client.get("/api/nearest", params={"lon": west - 0.3, "lat": 32.2, "k": 50}).json()
    assert len(body["results"]) == 50
    assert all(np.isfinite(r["metres"]) for r in body["results"])


def test_nearest_unknown_layer_is_404(client: TestClient) -> None:
    response = client.get("/api/nearest", params={"lon": 119, "lat": 32, "layer": "shops"})
    assert response.status_code == 404
    assert response.json()["error"]["detail"]["known"] == ["stations", "centres", "rest_points"]


def test_sites_maximal_covering(client: TestClient) -> None:
    body = client.post("/api/sites", json={"layer": "stations", "k": 3}).json()
    added = [f["properties"]["residents_added"] for f in body["features"]]
    assert len(added) == 3
    assert added == sorted(added, reverse=True) and added[-1] > 0
    summary = body["summary"]
    # every figure is rounded to whole persons: half a person each at most
    assert summary["residents_covered_after"] == pytest.approx(
        summary["residents_covered_before"] + sum(added), abs=0.5 * (len(added) + 2)
    )
    candidate_ids = set(JINGKOU.candidates["candidate_id"])
    assert {f["properties"]["candidate_id"] for f in body["features"]} <= candidate_ids
    assert body["approximate"] is True


def test_sites_set_covering_and_generated_candidates(client: TestClient) -> None:
    body = client.post(
        "/api/sites",
        json={"layer": "centres", "problem": "set", "target": 0.7, "candidates": "generated"},
    ).json()
    assert body["summary"]["target_met"] is True
    assert body["summary"]["share_covered_after"] >= 0.7 - 1e-9
    assert len(body["features"]) >= 1


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"k": 0}, 422),
        ({"k": 51}, 422),
        ({"target": 0}, 422),
        ({"problem": "p-median"}, 422),
        ({"minutes": 5, "metres": 100}, 422),
        ({"colour": "red"}, 422),
        ({"layer": "shops"}, 404),
    ],
)
def test_sites_validation(client: TestClient, payload: dict, status: int) -> None:
    response = client.post("/api/sites", json=payload)
    assert response.status_code == status
    assert set(response.json()) == {"error"}


def test_whatif_close_and_add(client: TestClient) -> None:
    first = JINGKOU.facilities("stations")["facility_id"].iloc[0]
    worst = client.get("/api/underserved", params={"layer": "stations", "limit": 1}).json()
    centroid = gpd.GeoDataFrame.from_features(worst["features"], crs=4326).geometry.iloc[0]
    point = centroid.representative_point()
    body = client.post(
        "/api/whatif",
        json={
            "edits": [
                {"action": "close", "layer": "stations", "facility_id": first},
                {
                    "action": "add",
                    "layer": "stations",
                    "lon": point.x,
                    "lat": point.y,
                    "name": "新站",
                },
            ]
        },
    ).json()
    layers = {row["layer"]: row for row in body["layers"]}
    assert layers["stations"]["facilities_b"] == layers["stations"]["facilities_a"]
    assert layers["stations"]["change"] > 0
    assert layers["centres"]["change"] == 0 and layers["rest_points"]["change"] == 0
    statuses = {f["properties"]["status"] for f in body["facilities"]["stations"]["features"]}
    assert statuses == {"base", "added"}
    assert body["grids"] and all(row["layer"] == "stations" for row in body["grids"])
    # Nothing was saved.
    count = client.get("/api/layers").json()["analysis_layers"][0]["facilities"]
    assert count == layers["stations"]["facilities_a"]


def test_whatif_under_a_chosen_circle(client: TestClient) -> None:
    first = JINGKOU.facilities("stations")["facility_id"].iloc[0]
    close = [{"action": "close", "layer": "stations", "facility_id": first}]

    def stations_row(rules: list[dict]) -> dict:
        answer = client.post("/api/whatif", json={"edits": close, "rules": rules})
        assert answer.status_code == 200, answer.text
        return {row["layer"]: row for row in answer.json()["layers"]}["stations"]

    own = stations_row([])
    five = stations_row([{"layer": "stations", "minutes": 5}])
    # before and after are both under the chosen circle: "before" is that circle's coverage
    coverage = client.get("/api/coverage", params={"layer": "stations", "minutes": 5}).json()
    assert five["residents_covered_a"] == coverage["summary"]["residents_covered"]
    own_coverage = client.get("/api/coverage", params={"layer": "stations"}).json()
    assert own["residents_covered_a"] == own_coverage["summary"]["residents_covered"]
    assert five["residents_covered_a"] < own["residents_covered_a"]
    assert five["residents_covered_b"] <= five["residents_covered_a"]


def test_whatif_rules_are_checked(client: TestClient) -> None:
    close = [{"action": "close", "layer": "stations", "facility_id": "x"}]
    unknown = client.post(
        "/api/whatif", json={"edits": close, "rules": [{"layer": "nope", "minutes": 5}]}
    )
    assert unknown.status_code == 404
    both = client.post(
        "/api/whatif",
        json={"edits": close, "rules": [{"layer": "stations", "minutes": 5, "metres": 400}]},
    )
    assert both.status_code == 422


def test_whatif_move(client: TestClient) -> None:
    first = JINGKOU.facilities("centres")["facility_id"].iloc[0]
    body = client.post(
        "/api/whatif",
        json={
            "edits": [
                {
                    "action": "move",
                    "layer": "centres",
                    "facility_id": first,
                    "lon": 119.3,
                    "lat": 32.1,
                }
            ]
        },
    ).json()
    layers = {row["layer"]: row for row in body["layers"]}
    assert layers["centres"]["change"] < 0


@pytest.mark.parametrize(
    ("edits", "status"),
    [
        ([], 422),
        ([{"action": "add", "layer": "stations", "lat": 32.2}], 422),
        ([{"action": "close", "layer": "stations"}], 422),
        ([{"action": "demolish", "layer": "stations", "facility_id": "x"}], 422),
        ([{"action": "close", "layer": "stations", "facility_id": "no-such"}], 404),
        ([{"action": "close", "layer": "shops", "facility_id": "x"}], 404),
        ([{"action": "close", "layer": "stations", "facility_id": "x"}] * 51, 422),
    ],
)
def test_whatif_validation(client: TestClient, edits: list, status: int) -> None:
    response = client.post("/api/whatif", json={"edits": edits})
    assert response.status_code == status
    assert set(response.json()["error"]) == {"code", "message", "detail"}


def test_openapi_and_offline_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in ("/api/nearest", "/api/coverage", "/api/sites", "/api/whatif", "/healthz"):
        assert path in schema["paths"]
    page = client.get("/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "cdn." not in page
    for asset in (
        "swagger-ui/swagger-ui-bundle.js",
        "swagger-ui/swagger-ui.css",
        "leaflet/leaflet.js",
    ):
        assert client.get(f"/static/vendor/{asset}").status_code == 200


def test_concurrent_coverage_computations(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    """Coverage computed for many rules at once from many threads (one engine, shared).

    The engine's geometry work is serialised by the snapshot's analysis lock; without it
    GEOS crashes the process here.
    """
    failures: list[str] = []
    with serve_in_background(create_app(settings_for(tmp_path))) as url:

        def work(offset: int) -> None:
            with httpx.Client(base_url=url, timeout=120) as http:
                for step in range(4):
                    layer = ("stations", "centres", "rest_points")[step % 3]
                    minutes = 1 + offset * 4 + step
                    response = http.get(
                        "/api/coverage", params={"layer": layer, "minutes": minutes}
                    )
                    if response.status_code != 200:
                        failures.append(response.text)

        threads = [threading.Thread(target=work, args=(offset,)) for offset in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []


@pytest.mark.parametrize("system", ["gcj02", "bd09", "cgcs2000"])
def test_geojson_answers_in_the_users_coordinate_system(client: TestClient, system: str) -> None:
    plain = client.get("/api/layers/stations").json()
    answer = client.get("/api/layers/stations", params={"out_crs": system})
    body = answer.json()
    names = {"gcj02": "GCJ-02", "bd09": "BD-09", "cgcs2000": "CGCS2000"}
    assert answer.headers["X-Coordinate-System"] == names[system]
    assert body["coordinate_system"] == names[system]
    assert plain["coordinate_system"] == "WGS-84"
    lon, lat = plain["features"][0]["geometry"]["coordinates"]
    x, y = convert([lon], [lat], "wgs84", system)
    assert body["features"][0]["geometry"]["coordinates"] == pytest.approx(
        [float(x[0]), float(y[0])], abs=2e-6
    )
    grids = client.get("/api/grids", params={"layer": "stations", "out_crs": system})
    assert grids.headers["X-Coordinate-System"] == names[system]
    assert grids.json()["coordinate_system"] == names[system]
    sites = client.post("/api/sites", params={"out_crs": system}, json={"k": 2})
    plain_sites = client.post("/api/sites", json={"k": 2}).json()
    assert sites.headers["X-Coordinate-System"] == names[system]
    assert sites.json()["coordinate_system"] == names[system]
    assert plain_sites["coordinate_system"] == "WGS-84"
    lon, lat = plain_sites["features"][0]["geometry"]["coordinates"]
    x, y = convert([lon], [lat], "wgs84", system)
    assert sites.json()["features"][0]["geometry"]["coordinates"] == pytest.approx(
        [float(x[0]), float(y[0])], abs=2e-6
    )
