"""Planner edits: token, add / move / close, layer upload, atomic saves, audit log."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.server import serve_in_background
from api.settings import Settings
from api.store import ScenarioStore
from geo.coords import convert
from geo.scenario import load_scenario

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JINGKOU = load_scenario("jingkou")
NEW_STATION = {
    "name": "新建网格党群服务站",
    "lon": 119.46,
    "lat": 32.205,
    "kind": "station",
    "hours": "8:30-17:30",
    "services": ["政策咨询", "便民代办"],
}


def _count(client: TestClient, layer: str) -> int:
    counts = {row["name"]: row["features"] for row in client.get("/api/layers").json()["layers"]}
    return counts[layer]


def _store(tmp_path: Path) -> ScenarioStore:
    return ScenarioStore(tmp_path / "store", "jingkou")


EDITS = [
    ("POST", "/api/scenario/facilities/stations", NEW_STATION),
    ("PATCH", "/api/scenario/facilities/stations/JK-C01", {"lon": 119.4, "lat": 32.2}),
    ("DELETE", "/api/scenario/facilities/stations/JK-C01", None),
    ("GET", "/api/scenario/audit", None),
]


@pytest.mark.parametrize(("method", "path", "payload"), EDITS)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {TOKEN}"}],
)
def test_edits_need_the_token(
    client: TestClient, method: str, path: str, payload: dict | None, headers: dict
) -> None:
    response = client.request(method, path, json=payload, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"
    assert _count(client, "stations") == len(JINGKOU.stations)


def test_edits_are_off_without_a_configured_token(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    with TestClient(create_app(settings_for(tmp_path, edit_token=None))) as started:
        response = started.post("/api/scenario/facilities/stations", json=NEW_STATION, headers=AUTH)
    assert response.status_code == 401
    assert "turned off" in response.json()["error"]["message"]


def test_add_a_station(editing: TestClient, tmp_path: Path) -> None:
    response = editing.post(
        "/api/scenario/facilities/stations",
        json={**NEW_STATION, "facility_id": "JK-S999"},
        headers=AUTH,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["facility_id"] == "JK-S999" and body["version"] == 2
    assert body["audit"]["who"] == "planner" and body["audit"]["action"] == "add"
    assert _count(editing, "stations") == len(JINGKOU.stations) + 1
    nearest = editing.get(
        "/api/nearest", params={"lon": NEW_STATION["lon"], "lat": NEW_STATION["lat"], "k": 1}
    ).json()["results"][0]
    assert nearest["facility_id"] == "JK-S999" and nearest["metres"] == pytest.approx(0, abs=0.5)
    assert nearest["services"] == "政策咨询;便民代办"
    stored = _store(tmp_path).load()
    assert stored is not None
    added = stored.stations.set_index("facility_id").loc["JK-S999"]
    assert added["name"] == NEW_STATION["name"] and bool(added["demo"]) is False
    assert stored.grids["population"].dtype.name == "Int64"
    assert stored.stations["demo"].dtype == bool


def test_added_gcj02_point_is_stored_in_wgs84(editing: TestClient, tmp_path: Path) -> None:
    lon, lat = convert([119.46], [32.205], "wgs84", "gcj02")
    payload = {**NEW_STATION, "lon": float(lon[0]), "lat": float(lat[0]), "crs": "gcj02"}
    facility_id = editing.post(
        "/api/scenario/facilities/stations", json=payload, headers=AUTH
    ).json()["facility_id"]
    stored = _store(tmp_path).load()
    assert stored is not None
    point = stored.stations.set_index("facility_id").loc[facility_id].geometry
    assert (point.x, point.y) == pytest.approx((119.46, 32.205), abs=1e-6)


def test_edits_survive_a_restart(
    editing: TestClient, tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    editing.delete("/api/scenario/facilities/stations/JK-C01", headers=AUTH)
    with TestClient(create_app(settings_for(tmp_path))) as restarted:
        assert _count(restarted, "stations") == len(JINGKOU.stations) - 1
        ids = {
            f["properties"]["facility_id"]
            for f in restarted.get("/api/layers/stations").json()["features"]
        }
    assert "JK-C01" not in ids


def test_add_rest_point_with_amenities(editing: TestClient) -> None:
    payload = {"name": "新驿站", "lon": 119.45, "lat": 32.2, "amenities": ["water", "charging"]}
    response = editing.post("/api/scenario/facilities/rest_points", json=payload, headers=AUTH)
    assert response.status_code == 201
    bad = {**payload, "amenities": ["jacuzzi"]}
    assert (
        editing.post("/api/scenario/facilities/rest_points", json=bad, headers=AUTH).status_code
        == 422
    )


@pytest.mark.parametrize(
    ("path", "payload", "status", "code"),
    [
        ("/api/scenario/facilities/grids", NEW_STATION, 404, "unknown_layer"),
        (
            "/api/scenario/facilities/stations",
            {**NEW_STATION, "facility_id": "JK-C01"},
            409,
            "conflict",
        ),
        ("/api/scenario/facilities/stations", {**NEW_STATION, "lat": 95}, 422, "invalid_request"),
        ("/api/scenario/facilities/stations", {**NEW_STATION, "name": ""}, 422, "invalid_request"),
        (
            "/api/scenario/facilities/stations",
            {**NEW_STATION, "facility_id": "../x"},
            422,
            "invalid_request",
        ),
    ],
)
def test_bad_additions_change_nothing(
    editing: TestClient, path: str, payload: dict, status: int, code: str
) -> None:
    response = editing.post(path, json=payload, headers=AUTH)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert _count(editing, "stations") == len(JINGKOU.stations)
    assert editing.get("/healthz").json()["version"] == 1


def test_move_a_station(editing: TestClient, tmp_path: Path) -> None:
    response = editing.patch(
        "/api/scenario/facilities/stations/JK-C01", json={"lon": 119.41, "lat": 32.19}, headers=AUTH
    )
    assert response.status_code == 200
    detail = response.json()["audit"]["detail"]
    assert detail["to"] == [119.41, 32.19]
    feature = next(
        f
        for f in editing.get("/api/layers/stations").json()["features"]
        if f["properties"]["facility_id"] == "JK-C01"
    )
    assert feature["geometry"]["coordinates"] == pytest.approx([119.41, 32.19])
    missing = editing.patch(
        "/api/scenario/facilities/stations/NOPE", json={"lon": 119.41, "lat": 32.19}, headers=AUTH
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_facility"


def test_close_a_centre_changes_coverage(editing: TestClient) -> None:
    before = editing.get("/api/coverage", params={"layer": "centres"}).json()["summary"]
    assert (
        editing.delete("/api/scenario/facilities/stations/JK-C01", headers=AUTH).status_code == 200
    )
    after = editing.get("/api/coverage", params={"layer": "centres"}).json()["summary"]
    assert after["facilities"] == before["facilities"] - 1
    assert after["residents_covered"] <= before["residents_covered"]
    assert (
        editing.delete("/api/scenario/facilities/stations/JK-C01", headers=AUTH).status_code == 404
    )


def test_audit_log(editing: TestClient, tmp_path: Path) -> None:
    editing.post("/api/scenario/facilities/stations", json=NEW_STATION, headers=AUTH)
    editing.delete("/api/scenario/facilities/stations/JK-C02", headers=AUTH)
    entries = editing.get("/api/scenario/audit", headers=AUTH).json()["entries"]
    assert [entry["action"] for entry in entries] == ["add", "close"]
    assert all(entry["who"] == "planner" and entry["ok"] for entry in entries)
    assert entries[1]["detail"]["facility_id"] == "JK-C02"
    lines = (tmp_path / "store" / "jingkou.audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["add", "close"]


def test_upload_replaces_a_layer(editing: TestClient, tmp_path: Path) -> None:
    subset = JINGKOU.rest_points.head(40)
    path = tmp_path / "my_rest_points.geojson"
    subset.to_file(path, driver="GeoJSON")
    with path.open("rb") as handle:
        response = editing.put(
            "/api/scenario/layers/rest_points",
            files={"file": ("my_rest_points.geojson", handle, "application/geo+json")},
            headers=AUTH,
        )
    assert response.status_code == 200, response.text
    assert response.json()["features"] == 40
    assert _count(editing, "rest_points") == 40
    summary = editing.get("/api/coverage", params={"layer": "rest_points"}).json()["summary"]
    assert summary["facilities"] == 40


def test_upload_csv_in_gcj02_with_chinese_headers(editing: TestClient) -> None:
    points = JINGKOU.stations.head(5)
    lon, lat = convert(points.geometry.x, points.geometry.y, "wgs84", "gcj02")
    rows = ["编号,名称,类型,经度,纬度"] + [
        f"{fid},{name},{kind},{x:.7f},{y:.7f}"
        for fid, name, kind, x, y in zip(
            points["facility_id"], points["name"], points["kind"], lon, lat, strict=True
        )
    ]
    response = editing.put(
        "/api/scenario/layers/stations",
        files={"file": ("站点.csv", "\n".join(rows).encode("utf-8"), "text/csv")},
        data={"crs": "gcj02"},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    kept = int((JINGKOU.stations["kind"] != "centre").sum())
    assert set(points["kind"]) == {"centre"}
    assert response.json()["replaced"] == {
        **response.json()["replaced"],
        "layer": "stations",
        "kinds": ["centre"],
        "kept": kept,
        "features": 5,
    }
    features = editing.get("/api/layers/stations").json()["features"]
    # only the centres were replaced: the grid stations stay
    assert len(features) == kept + 5
    uploaded = {f["properties"]["facility_id"]: f for f in features}
    first = uploaded[str(points["facility_id"].iloc[0])]
    assert first["geometry"]["coordinates"] == pytest.approx(
        [points.geometry.x.iloc[0], points.geometry.y.iloc[0]], abs=1e-6
    )
    centres = editing.get("/api/coverage", params={"layer": "centres"}).json()["summary"]
    assert centres["facilities"] == 5


def test_upload_of_the_whole_stations_layer(editing: TestClient) -> None:
    points = JINGKOU.stations.head(3)
    rows = ["facility_id,name,kind,lon,lat"] + [
        f"{fid},{name},{kind},{geom.x:.7f},{geom.y:.7f}"
        for fid, name, kind, geom in zip(
            points["facility_id"], points["name"], points["kind"], points.geometry, strict=True
        )
    ]
    response = editing.put(
        "/api/scenario/layers/stations",
        files={"file": ("stations.csv", "\n".join(rows).encode("utf-8"), "text/csv")},
        data={"whole": "true"},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    assert response.json()["replaced"]["kept"] == 0
    assert _count(editing, "stations") == 3


def test_upload_without_a_kind_column_takes_the_declared_kind(editing: TestClient) -> None:
    points = JINGKOU.stations[JINGKOU.stations["kind"] == "station"].head(4)
    rows = ["名称,经度,纬度"] + [
        f"{name},{geom.x:.7f},{geom.y:.7f}"
        for name, geom in zip(points["name"], points.geometry, strict=True)
    ]
    body = "\n".join(rows).encode("utf-8")
    refused = editing.put(
        "/api/scenario/layers/stations",
        files={"file": ("站点.csv", body, "text/csv")},
        headers=AUTH,
    )
    assert refused.status_code == 422, refused.text
    assert "kind" in refused.text
    before = _count(editing, "stations")
    assert before == len(JINGKOU.stations)

    response = editing.put(
        "/api/scenario/layers/stations",
        files={"file": ("站点.csv", body, "text/csv")},
        data={"kind": "station"},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    centres = int((JINGKOU.stations["kind"] == "centre").sum())
    assert response.json()["replaced"]["kinds"] == ["station"]
    assert response.json()["replaced"]["kept"] == centres
    features = editing.get("/api/layers/stations").json()["features"]
    kinds = [feature["properties"]["kind"] for feature in features]
    assert kinds.count("station") == 4 and kinds.count("centre") == centres


def test_a_default_kind_is_for_stations_only(editing: TestClient) -> None:
    response = editing.put(
        "/api/scenario/layers/rest_points",
        files={"file": ("rest.csv", b"name,lon,lat\nA,119.45,32.2", "text/csv")},
        data={"kind": "station"},
        headers=AUTH,
    )
    assert response.status_code == 400, response.text
    assert "default kind is for the stations layer" in response.json()["error"]["message"]
    assert _count(editing, "rest_points") == len(JINGKOU.rest_points)


def test_invalid_upload_reports_every_problem_and_keeps_the_data(
    editing: TestClient, tmp_path: Path
) -> None:
    editing.post("/api/scenario/facilities/stations", json=NEW_STATION, headers=AUTH)
    stored = tmp_path / "store" / "jingkou.gpkg"
    digest = hashlib.sha256(stored.read_bytes()).hexdigest()
    csv = "name,kind,lon,lat\n站一,station,119.45,219.4\n站二,castle,119.46,32.2\n"
    response = editing.put(
        "/api/scenario/layers/stations",
        files={"file": ("bad_stations.csv", csv.encode("utf-8"), "text/csv")},
        headers=AUTH,
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_layer"
    problems = [p for p in error["detail"]["problems"] if p["severity"] == "error"]
    assert {p["row"] for p in problems} == {2, 3}  # CSV lines below the header
    assert error["detail"]["source"] == "bad_stations.csv"
    assert "circles-upload" not in response.text
    assert _count(editing, "stations") == len(JINGKOU.stations) + 1
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("name", ["shops", "grids.geojson"])
def test_upload_to_an_unknown_layer(editing: TestClient, name: str) -> None:
    response = editing.put(
        f"/api/scenario/layers/{name}",
        files={"file": ("x.geojson", b"{}", "application/geo+json")},
        headers=AUTH,
    )
    assert response.status_code == 404
    assert response.json()["error"]["detail"]["known"][0] == "boundary"


def test_upload_too_large(tmp_path: Path, settings_for: Callable[..., Settings]) -> None:
    with TestClient(create_app(settings_for(tmp_path, max_upload_bytes=10_000))) as started:
        response = started.put(
            "/api/scenario/layers/stations",
            files={"file": ("big.csv", b"x" * 20_000, "text/csv")},
            headers=AUTH,
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "content_too_large"


def test_a_failed_write_keeps_the_previous_data(
    editing: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editing.post(
        "/api/scenario/facilities/stations", json={**NEW_STATION, "facility_id": "A1"}, headers=AUTH
    )
    stored = tmp_path / "store" / "jingkou.gpkg"
    digest = hashlib.sha256(stored.read_bytes()).hexdigest()
    original = gpd.GeoDataFrame.to_file
    calls = {"n": 0}

    def fail_midway(frame: gpd.GeoDataFrame, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # boundary and grids written, then the disk "fills up"
            msg = "No space left on device"
            raise OSError(msg)
        original(frame, *args, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", fail_midway)
    response = editing.post(
        "/api/scenario/facilities/stations", json={**NEW_STATION, "facility_id": "A2"}, headers=AUTH
    )
    monkeypatch.undo()
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "store_write_failed"
    assert "previous data is unchanged" in error["message"]
    assert "No space" not in response.text
    # The file on disk, the served data and the version are those before the failed write.
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in stored.parent.iterdir()) == [
        "jingkou.audit.jsonl",
        "jingkou.gpkg",
        "jingkou.lock",  # held by the serving app
    ]
    reloaded = _store(tmp_path).load()
    assert reloaded is not None and "A1" in set(reloaded.stations["facility_id"])
    assert "A2" not in set(reloaded.stations["facility_id"])
    assert _count(editing, "stations") == len(JINGKOU.stations) + 1
    assert editing.get("/healthz").json()["version"] == 2
    entries = editing.get("/api/scenario/audit", headers=AUTH).json()["entries"]
    assert [(entry["detail"]["facility_id"], entry["ok"]) for entry in entries] == [
        ("A1", True),
        ("A2", False),
    ]


def test_readers_never_see_half_an_edit(
    tmp_path: Path, settings_for: Callable[..., Settings]
) -> None:
    """While stations are added one by one, every answer is one whole published version."""
    base = len(JINGKOU.stations)
    edits = 5
    seen: list[tuple[int, int]] = []
    errors: list[str] = []
    with serve_in_background(create_app(settings_for(tmp_path))) as url:
        done = threading.Event()

        def read() -> None:
            with httpx.Client(base_url=url, timeout=30) as http:
                while not done.is_set():
                    body = http.get("/api/layers/stations").json()
                    seen.append((body["version"], len(body["features"])))

        readers = [threading.Thread(target=read) for _ in range(2)]
        for reader in readers:
            reader.start()
        with httpx.Client(base_url=url, timeout=30, headers=AUTH) as http:
            for number in range(edits):
                payload = {**NEW_STATION, "facility_id": f"C{number}"}
                response = http.post("/api/scenario/facilities/stations", json=payload)
                if response.status_code != 201:
                    errors.append(response.text)
        done.set()
        for reader in readers:
            reader.join()
    assert not errors
    assert seen
    assert all(count == base + version - 1 for version, count in seen), set(seen)
    assert max(version for version, _ in seen) >= 2
