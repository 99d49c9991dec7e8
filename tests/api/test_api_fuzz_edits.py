"""Fuzzing uploads and edits with the planner's token on real layer names: random files
and random text never get a 5xx answer, and what is acknowledged is stored faithfully."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.settings import Settings

TOKEN = "fuzz-edits-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder: Path = tmp_path_factory.mktemp("fuzz-edits")
    settings_ = Settings(
        scenario="jingkou",
        data_dir=folder / "store",
        cache_dir=folder / "cache",
        edit_token=TOKEN,
        download=False,
    )
    with TestClient(create_app(settings_)) as started:
        yield started


def _is_error_body(response: object) -> bool:
    body = response.json()  # type: ignore[attr-defined]
    return set(body) == {"error"} and set(body["error"]) == {"code", "message", "detail"}


@FUZZ
@given(
    layer=st.sampled_from(["stations", "rest_points", "grids", "candidates", "boundary"]),
    suffix=st.sampled_from([".csv", ".xlsx", ".geojson", ".gpkg", ".zip", ".bin"]),
    data=st.binary(max_size=4096),
)
def test_random_uploads_are_refused_with_4xx(
    app_client: TestClient, layer: str, suffix: str, data: bytes
) -> None:
    response = app_client.put(
        f"/api/scenario/layers/{layer}",
        files={"file": (f"{layer}{suffix}", data, "application/octet-stream")},
        headers=AUTH,
    )
    assert 400 <= response.status_code < 500, response.text
    assert _is_error_body(response)


@FUZZ
@given(name=st.text(min_size=1, max_size=40), address=st.text(max_size=40))
def test_acknowledged_names_are_stored_as_sent(
    app_client: TestClient, name: str, address: str
) -> None:
    response = app_client.post(
        "/api/scenario/facilities/stations",
        json={"name": name, "address": address, "lon": 119.46, "lat": 32.205},
        headers=AUTH,
    )
    assert response.status_code in (201, 422), response.text
    if response.status_code == 422:
        assert _is_error_body(response)
        return
    facility_id = response.json()["facility_id"]
    features = app_client.get("/api/layers/stations").json()["features"]
    stored = {f["properties"]["facility_id"]: f["properties"] for f in features}
    assert stored[facility_id]["name"] == name
    store = app_client.app.state.circles.store  # type: ignore[attr-defined]
    saved = store.load().stations.set_index("facility_id")
    assert saved.loc[facility_id, "name"] == name  # the same after a restart
    assert store.audit_log(limit=1)[-1].detail["name"] == name
