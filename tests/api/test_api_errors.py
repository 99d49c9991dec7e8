"""One error shape for every failure; body size limits; no stack traces or server paths."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import error_body
from api.settings import Settings
from geo.errors import NetworkError

FAILURES = [
    ("GET", "/api/layers/shops", 404, "unknown_layer"),
    ("GET", "/no/such/page", 404, "not_found"),
    ("DELETE", "/api/layers", 405, "method_not_allowed"),
    ("GET", "/api/nearest?lon=200&lat=0", 422, "invalid_request"),
    ("POST", "/api/sites", 422, "invalid_request"),
    ("POST", "/api/scenario/facilities/stations", 401, "unauthorized"),
    ("GET", "/api/scenario/audit", 401, "unauthorized"),
]


@pytest.mark.parametrize(("method", "path", "status", "code"), FAILURES)
def test_every_failure_has_the_same_shape(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    response = client.request(method, path, content=b"{not json" if method == "POST" else None)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "detail"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert "Traceback" not in response.text


def test_invalid_json_is_a_validation_error(client: TestClient) -> None:
    response = client.post(
        "/api/sites", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["detail"][0]["type"] == "json_invalid"


@pytest.fixture
def small_limit(tmp_path: Path, settings_for: Callable[..., Settings]) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path, max_upload_bytes=2048))) as started:
        yield started


def test_declared_large_body_is_413(small_limit: TestClient) -> None:
    response = small_limit.post(
        "/api/sites", content=b" " * 4096, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "content_too_large"
    assert "2,048 bytes" in error["message"]


def test_streamed_large_body_is_413(small_limit: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(8):
            yield b" " * 1024

    response = small_limit.post(
        "/api/whatif", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "content_too_large"


def test_body_under_the_limit_passes(small_limit: TestClient) -> None:
    assert small_limit.post("/api/sites", json={"k": 1}).status_code == 200


def test_unexpected_errors_hide_their_details(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    app = create_app(settings_for(tmp_path))

    def boom() -> None:
        secret = "/srv/private/stations.gpkg"
        raise RuntimeError(f"cannot open {secret}")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as started:
        response = started.get("/boom")
    assert response.status_code == 500
    assert response.json() == error_body(
        "internal_error", "internal error; the server log has the details"
    )
    assert "/srv/private" not in response.text and "Traceback" not in response.text


def test_domain_errors_are_mapped_and_paths_scrubbed(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    app = create_app(settings_for(tmp_path))

    def no_network() -> None:
        msg = "OSM file '/home/planner/maps/zhenjiang.osm.pbf' does not exist; check the path"
        raise NetworkError(msg)

    app.add_api_route("/no-network", no_network)
    with TestClient(app) as started:
        response = started.get("/no-network")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "network_unavailable"
    assert error["message"] == "OSM file 'zhenjiang.osm.pbf' does not exist; check the path"


def test_error_body_keeps_relative_names() -> None:
    body = error_body("x", "row 3 of stations.csv: lat 219.4 out of range [-90, 90]")
    assert body["error"]["message"] == "row 3 of stations.csv: lat 219.4 out of range [-90, 90]"
    windows = error_body("x", r"cannot read C:\Users\li\grids.xlsx")
    assert windows["error"]["message"] == "cannot read grids.xlsx"


def test_error_body_keeps_the_service_addresses_it_points_to() -> None:
    body = error_body("x", "no facility 'X' in stations; list them at /api/layers/stations")
    assert body["error"]["message"].endswith("list them at /api/layers/stations")
    mixed = error_body("x", "cannot read /srv/data/api/stations.csv; see /api/layers/stations")
    assert mixed["error"]["message"] == "cannot read stations.csv; see /api/layers/stations"
