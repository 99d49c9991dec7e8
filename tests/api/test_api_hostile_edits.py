"""Edits and error messages under hostile input: the same rules everywhere, 4xx not 5xx."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from geo.scenario import load_scenario

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STATION = {"name": "新站", "lon": 119.46, "lat": 32.205}
FIRST = str(load_scenario("jingkou").facilities("stations")["facility_id"].iloc[0])


@pytest.mark.parametrize(("lon", "lat"), [(-170.0, -80.0), (0.0, 0.0), (121.5, 31.2)])
def test_edits_outside_the_area_are_refused_like_nearest(editing: TestClient, lon, lat) -> None:
    nearest = editing.get("/api/nearest", params={"lon": lon, "lat": lat, "layer": "stations"})
    add = editing.post(
        "/api/scenario/facilities/stations", json={**STATION, "lon": lon, "lat": lat}, headers=AUTH
    )
    move = editing.patch(
        f"/api/scenario/facilities/stations/{FIRST}", json={"lon": lon, "lat": lat}, headers=AUTH
    )
    whatif = editing.post(
        "/api/whatif",
        json={"edits": [{"action": "add", "layer": "stations", "lon": lon, "lat": lat}]},
    )
    for response in (nearest, add, move, whatif):
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "outside_area"
    audit = editing.get("/api/scenario/audit", headers=AUTH).json()["entries"]
    assert audit == []  # nothing was attempted on the store


@pytest.mark.parametrize("text", ["a\x00b", "tab\tname", "bell\x07", "nel\x85", "del\x7f"])
def test_control_characters_are_refused(editing: TestClient, text: str) -> None:
    response = editing.post(
        "/api/scenario/facilities/stations", json={**STATION, "name": text}, headers=AUTH
    )
    assert response.status_code == 422
    assert "control character U+" in response.json()["error"]["message"]
    address = editing.post(
        "/api/scenario/facilities/stations", json={**STATION, "address": text}, headers=AUTH
    )
    assert address.status_code == 422


def test_separators_are_stored_and_returned_faithfully_after_a_restart(
    editing: TestClient, tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    name = "甲\u2028乙\u2029丙"
    response = editing.post(
        "/api/scenario/facilities/stations",
        json={**STATION, "name": name, "facility_id": "SEP-1"},
        headers=AUTH,
    )
    assert response.status_code == 201, response.text
    with TestClient(create_app(settings_for(tmp_path))) as restarted:
        features = restarted.get("/api/layers/stations").json()["features"]
        names = {f["properties"]["facility_id"]: f["properties"]["name"] for f in features}
        assert names["SEP-1"] == name
        audit = restarted.get("/api/scenario/audit", headers=AUTH)
        assert audit.status_code == 200
        assert audit.json()["entries"][-1]["detail"]["name"] == name


def test_whatif_and_real_add_answer_409_for_a_taken_id(editing: TestClient) -> None:
    real = editing.post(
        "/api/scenario/facilities/stations", json={**STATION, "facility_id": FIRST}, headers=AUTH
    )
    whatif = editing.post(
        "/api/whatif",
        json={
            "edits": [
                {"action": "add", "layer": "stations", "lon": 119.46, "lat": 32.205,
                 "facility_id": FIRST}
            ]
        },
    )  # fmt: skip
    assert (real.status_code, whatif.status_code) == (409, 409)
    assert real.json()["error"]["code"] == whatif.json()["error"]["code"] == "conflict"


def test_unknown_address_is_quoted_unchanged(editing: TestClient) -> None:
    response = editing.get("/api/no/such/thing")
    assert response.status_code == 404
    assert "/api/no/such/thing" in response.json()["error"]["message"]


def test_file_values_that_look_like_paths_are_quoted_unchanged(editing: TestClient) -> None:
    text = "id,name,kind,lon,lat\nS1,/srv/a/b,station,/home/li/x.csv,32.2\n"
    response = editing.put(
        "/api/scenario/layers/stations",
        files={"file": ("stations.csv", text.encode(), "text/csv")},
        headers=AUTH,
    )
    assert response.status_code == 422
    problems = response.json()["error"]["detail"]["problems"]
    assert problems[0]["value"] == "/home/li/x.csv"
    assert "'/home/li/x.csv' is not a number" in problems[0]["message"]
