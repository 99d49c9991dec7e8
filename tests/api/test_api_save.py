"""Saving the planner's list of edits in one request: all or none, on the version edited.

A real app on the Jingkou demo with its store in ``tmp_path``; every check of "nothing
changed" compares the store's files byte for byte and the facilities the app serves.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import api.store
from api.app import create_app
from api.routes.scenario import MAX_EDITS, MAX_SAVE_BYTES
from api.server import serve_in_background
from api.settings import Settings
from api.store import ScenarioStore
from geo.scenario import load_scenario
from tests.api.conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
JINGKOU = load_scenario("jingkou")
SAVE = "/api/scenario/facilities"

#: Five edits of two layers; the fourth moves a station the first one closed.
FIVE = [
    {"action": "close", "layer": "stations", "facility_id": "JK-S001"},
    {"action": "add", "layer": "stations", "facility_id": "N1", "lon": 119.46, "lat": 32.205},
    {"action": "move", "layer": "centres", "facility_id": "JK-C01", "lon": 119.45, "lat": 32.2},
    {"action": "move", "layer": "stations", "facility_id": "JK-S002", "lon": 119.47, "lat": 32.21},
    {"action": "add", "layer": "rest_points", "facility_id": "R1", "lon": 119.46, "lat": 32.2},
]


def _files(folder: Path) -> dict[str, str]:
    """Every file of the store folder: name -> SHA-256 of its bytes."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
        if path.is_file()
    }


def _served(client: TestClient) -> dict[str, Any]:
    """The facilities the app serves, per data layer."""
    return {
        layer: client.get(f"/api/layers/{layer}").json()["features"]
        for layer in ("stations", "rest_points")
    }


def _version(client: TestClient) -> int:
    version: int = client.get("/healthz").json()["version"]
    return version


def _save(client: TestClient, edits: list[dict[str, Any]], version: int) -> Any:
    return client.patch(SAVE, json={"version": version, "edits": edits}, headers=AUTH)


@pytest.fixture
def seeded(editing: TestClient, tmp_path: Path) -> tuple[TestClient, Path]:
    """The editing app after one saved edit, so the store has files to compare."""
    response = _save(editing, [FIVE[4]], _version(editing))
    assert response.status_code == 200, response.text
    return editing, tmp_path / "store"


def test_a_good_save_changes_everything_at_once(editing: TestClient, tmp_path: Path) -> None:
    response = _save(editing, FIVE, 1)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 2 and body["facility_ids"] == [e["facility_id"] for e in FIVE]
    assert body["audit"]["action"] == "edits" and body["audit"]["layer"] == "rest_points,stations"
    stations = {
        f["properties"]["facility_id"]: f["geometry"]["coordinates"]
        for f in _served(editing)["stations"]
    }
    assert "JK-S001" not in stations
    assert stations["N1"] == pytest.approx([119.46, 32.205])
    assert stations["JK-C01"] == pytest.approx([119.45, 32.2])
    assert stations["JK-S002"] == pytest.approx([119.47, 32.21])
    assert len(stations) == len(JINGKOU.stations)
    stored = ScenarioStore(tmp_path / "store", "jingkou").load()
    assert stored is not None
    assert set(stored.stations["facility_id"]) == set(stations)
    assert "R1" in set(stored.rest_points["facility_id"])
    entries = editing.get("/api/scenario/audit", headers=AUTH).json()["entries"]
    assert len(entries) == 1 and entries[0]["ok"]
    assert [edit["action"] for edit in entries[0]["detail"]["edits"]] == [e["action"] for e in FIVE]


def test_added_facilities_without_an_id_get_one(editing: TestClient) -> None:
    edits = [{"action": "add", "layer": "centres", "lon": 119.46, "lat": 32.205, "name": "新中心"}]
    response = _save(editing, edits, 1)
    assert response.status_code == 200, response.text
    (new_id,) = response.json()["facility_ids"]
    assert new_id.startswith("new-")
    added = next(
        f for f in _served(editing)["stations"] if f["properties"]["facility_id"] == new_id
    )
    assert added["properties"]["kind"] == "centre" and added["properties"]["name"] == "新中心"


@pytest.mark.parametrize(
    ("fourth", "status", "code", "words"),
    [
        (  # a facility that is not there: it was closed by the first edit
            {
                "action": "move",
                "layer": "stations",
                "facility_id": "JK-S001",
                "lon": 119.4,
                "lat": 32.2,
            },
            404,
            "unknown_facility",
            "edit 4 of 5 (move 'JK-S001' in stations): no facility 'JK-S001'",
        ),
        (  # far outside the district: refused before any edit is applied
            {"action": "add", "layer": "stations", "facility_id": "N9", "lon": 32.2, "lat": 60.0},
            422,
            "outside_area",
            "edit 4 of 5 (add 'N9' in stations): the point (lon 32.2, lat 60",
        ),
        (  # the id of the rest point saved before
            {
                "action": "add",
                "layer": "rest_points",
                "facility_id": "R1",
                "lon": 119.46,
                "lat": 32.2,
            },
            409,
            "conflict",
            "edit 4 of 5 (add 'R1' in rest_points): facility id 'R1' is already in use",
        ),
    ],
)
def test_a_bad_fourth_edit_saves_nothing(
    seeded: tuple[TestClient, Path], fourth: dict, status: int, code: str, words: str
) -> None:
    client, folder = seeded
    edits = [*FIVE[:3], fourth, {**FIVE[4], "facility_id": "R2"}]
    files, served, version = _files(folder), _served(client), _version(client)
    response = _save(client, edits, version)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"].startswith(words)
    assert error["detail"]["index"] == 3
    assert _files(folder) == files
    assert _served(client) == served
    assert _version(client) == version


def test_a_malformed_edit_is_named_by_its_place(seeded: tuple[TestClient, Path]) -> None:
    client, folder = seeded
    files = _files(folder)
    edits = [*FIVE[:3], {"action": "move", "layer": "stations", "facility_id": "JK-S002"}]
    response = _save(client, edits, _version(client))
    assert response.status_code == 422
    error = response.json()["error"]
    assert "edits.3: Value error, 'move' needs lon and lat" in error["message"]
    assert error["detail"][0]["loc"][:3] == ["body", "edits", "3"]
    assert _files(folder) == files


def test_a_stale_version_is_refused(seeded: tuple[TestClient, Path]) -> None:
    client, folder = seeded
    version = _version(client)
    assert version == 2
    files, served = _files(folder), _served(client)
    response = _save(client, FIVE[:2], version - 1)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "stale_version"
    assert "made on version 1 of the scenario, but version 2 was saved since" in error["message"]
    assert error["detail"] == {"version": 2, "sent": 1}
    assert _files(folder) == files and _served(client) == served
    assert _save(client, FIVE[:2], version).status_code == 200


def test_of_two_planners_on_one_version_the_second_is_refused(editing: TestClient) -> None:
    first = _save(editing, [FIVE[0]], 1)
    second = _save(editing, [FIVE[3]], 1)
    assert (first.status_code, second.status_code) == (200, 409)
    stations = {f["properties"]["facility_id"]: f for f in _served(editing)["stations"]}
    assert "JK-S001" not in stations
    assert stations["JK-S002"]["geometry"]["coordinates"] != pytest.approx([119.47, 32.21])


def test_the_version_outlives_a_restart(
    editing: TestClient, tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    assert _save(editing, [FIVE[0]], 1).status_code == 200
    assert _save(editing, [FIVE[1]], 2).status_code == 200
    with TestClient(create_app(settings_for(tmp_path))) as restarted:
        assert _version(restarted) == 3
        assert _save(restarted, [FIVE[3]], 2).status_code == 409
        assert _save(restarted, [FIVE[3]], 3).json()["version"] == 4


def test_too_many_edits(seeded: tuple[TestClient, Path]) -> None:
    client, folder = seeded
    files = _files(folder)
    edits = [
        {"action": "add", "layer": "stations", "lon": 119.46, "lat": 32.2}
        for _ in range(MAX_EDITS + 1)
    ]
    response = _save(client, edits, _version(client))
    assert response.status_code == 422
    assert (
        f"edits: List should have at most {MAX_EDITS} items" in response.json()["error"]["message"]
    )
    assert _files(folder) == files


def test_too_large_a_body(seeded: tuple[TestClient, Path]) -> None:
    client, folder = seeded
    files = _files(folder)
    name = "站" * 100
    edits = [{**FIVE[1], "facility_id": None, "name": name} for _ in range(MAX_EDITS)]
    body = {"version": _version(client), "edits": edits, "padding": " " * MAX_SAVE_BYTES}
    response = client.patch(SAVE, json=body, headers=AUTH)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "content_too_large"
    assert f"at most {MAX_SAVE_BYTES:,} bytes of edits" in error["message"]
    assert _files(folder) == files
    # the same fifty edits without the padding fit
    assert _save(client, edits, _version(client)).status_code == 200


def test_a_save_needs_the_token(seeded: tuple[TestClient, Path]) -> None:
    client, folder = seeded
    files = _files(folder)
    response = client.patch(SAVE, json={"version": 2, "edits": FIVE})
    assert response.status_code == 401
    assert _files(folder) == files


def test_a_crash_in_the_rename_keeps_the_old_file(
    seeded: tuple[TestClient, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, folder = seeded
    stored = folder / "jingkou.gpkg"
    before = hashlib.sha256(stored.read_bytes()).hexdigest()
    served, version = _served(client), _version(client)

    def crash(source: object, target: object) -> None:
        msg = "the machine lost power"
        raise OSError(msg)

    monkeypatch.setattr(api.store.os, "replace", crash)
    response = _save(client, FIVE[:4], version)
    monkeypatch.undo()
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "store_write_failed"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == before
    assert [path.name for path in folder.glob(".jingkou-*")] == []  # no temporary left
    assert _served(client) == served and _version(client) == version
    entries = client.get("/api/scenario/audit", headers=AUTH).json()["entries"]
    assert [entry["ok"] for entry in entries] == [True, False]
    assert _save(client, FIVE[:4], version).status_code == 200


def test_two_planners_saving_at_once_on_a_live_server(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    """Both send version 1 at the same moment: whichever comes first is saved whole, the
    other is refused whole, in either order."""
    plans = {"close": [FIVE[0], FIVE[1]], "move": [FIVE[3], FIVE[2]]}
    answers: dict[str, httpx.Response] = {}
    start = threading.Barrier(len(plans))
    with serve_in_background(create_app(settings_for(tmp_path))) as url:

        def save(name: str) -> None:
            body = {"version": 1, "edits": plans[name]}
            with httpx.Client(base_url=url, timeout=120) as http:
                start.wait()
                answers[name] = http.patch(SAVE, json=body, headers=AUTH)

        planners = [threading.Thread(target=save, args=(name,)) for name in plans]
        for planner in planners:
            planner.start()
        for planner in planners:
            planner.join()
        stations = httpx.get(url + "/api/layers/stations", timeout=60).json()["features"]
    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [200, 409]
    (winner,) = [name for name, answer in answers.items() if answer.status_code == 200]
    coordinates = {f["properties"]["facility_id"]: f["geometry"]["coordinates"] for f in stations}
    closed_and_added = "JK-S001" not in coordinates and "N1" in coordinates
    moved = coordinates["JK-S002"] == pytest.approx([119.47, 32.21])
    assert (closed_and_added, moved) == (winner == "close", winner == "move")
    stored = ScenarioStore(tmp_path / "store", "jingkou")
    assert stored.version() == 2
