"""Walking network: sources (GraphML, cache, OSM files, download, approximate), arrays, CLI."""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pyproj
import pyrosm
import pytest
import requests
import shapely
from click.testing import CliRunner
from scipy.sparse.csgraph import dijkstra

from api.cli import main
from geo import settings
from geo.analysis import _snap
from geo.analysis import network as network_module
from geo.analysis._snap import Snaps, snap_points
from geo.analysis.network import (
    WalkNetwork,
    approximate_network,
    network_from_graph,
    network_from_graphml,
    network_from_osm_file,
    utm_crs,
    walk_network,
)
from geo.errors import AnalysisError, NetworkError

# a 3 x 3 street lattice near Zhenjiang, 0.001 degrees apart
_LON0, _LAT0, _STEP = 119.45, 32.20, 0.001


def _lattice_osm_xml(path: Path) -> None:
    nodes = []
    for row in range(3):
        for col in range(3):
            node_id = 1 + row * 3 + col
            lat, lon = _LAT0 + row * _STEP, _LON0 + col * _STEP
            nodes.append(f'  <node id="{node_id}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    ways = []
    for i in range(3):
        row = [1 + i * 3 + c for c in range(3)]
        col = [1 + r * 3 + i for r in range(3)]
        for way_id, refs in ((100 + i, row), (200 + i, col)):
            nds = "".join(f'<nd ref="{r}"/>' for r in refs)
            ways.append(
                f'  <way id="{way_id}" version="1">{nds}<tag k="highway" v="residential"/></way>'
            )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="hand">\n'
        + "\n".join(nodes + ways)
        + "\n</osm>\n",
        encoding="utf-8",
    )


def _lattice_km() -> float:
    geod = pyproj.Geod(ellps="WGS84")
    horizontal = geod.inv(_LON0, _LAT0, _LON0 + _STEP, _LAT0)[2]
    vertical = geod.inv(_LON0, _LAT0, _LON0, _LAT0 + _STEP)[2]
    return 6 * (horizontal + vertical) / 1000.0


def _boundary(polygon: shapely.Geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["test"]}, geometry=[polygon], crs="EPSG:4326")


def _graph_boundary(graph: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    xy = np.array([(d["x"], d["y"]) for _, d in graph.nodes(data=True)])
    return _boundary(shapely.convex_hull(shapely.multipoints(xy)))


def _hand_graph() -> nx.MultiDiGraph:
    """A projected graph: a two-way street A-B, a parallel longer edge, a one-way B-C."""
    graph = nx.MultiDiGraph(crs="EPSG:32650")
    for node, (x, y) in {1: (0.0, 0.0), 2: (100.0, 0.0), 3: (100.0, 50.0)}.items():
        graph.add_node(node, x=x, y=y)
    graph.add_edge(1, 2, length=100.0)
    graph.add_edge(2, 1, length=100.0)
    bent = shapely.LineString([(0, 0), (50, 30), (100, 0)])
    graph.add_edge(1, 2, length=bent.length, geometry=bent)
    graph.add_edge(3, 2, length=50.0)  # one-way in the data, walked both ways
    return graph


def test_utm_zone_of_zhenjiang_is_32650() -> None:
    assert utm_crs(119.45, 32.2).to_epsg() == 32650
    assert utm_crs(24.94, 60.17).to_epsg() == 32635
    assert utm_crs(-70.6, -33.4).to_epsg() == 32719


def test_graph_arrays_are_undirected_with_min_length() -> None:
    network = network_from_graph(_hand_graph())
    arrays = network.arrays
    assert arrays is not None
    assert network.crs.to_epsg() == 32650
    # the two-way street counts once, the parallel bent street and B-C once each
    assert arrays.n_edges == 3
    assert network.stats() == pytest.approx(
        {"nodes": 3.0, "edges": 3.0, "km": (100.0 + 2 * np.hypot(50, 30) + 50.0) / 1000.0}
    )
    dist = dijkstra(arrays.csr, directed=True, indices=[2])[0]  # from node 3
    assert dist.tolist() == pytest.approx([150.0, 50.0, 0.0])
    assert np.allclose((arrays.csr - arrays.csr.T).toarray(), 0.0)
    # geometry is oriented from edge_u to edge_v
    for u, v, geometry in zip(arrays.edge_u, arrays.edge_v, arrays.edge_geometry, strict=True):
        start, end = shapely.get_coordinates(geometry)[[0, -1]]
        assert start == pytest.approx([arrays.node_x[u], arrays.node_y[u]])
        assert end == pytest.approx([arrays.node_x[v], arrays.node_y[v]])


def test_graph_is_not_modified_and_graph_attribute_is_projected(test_pbf_graph: nx.MultiDiGraph):
    before = (test_pbf_graph.number_of_nodes(), test_pbf_graph.number_of_edges())
    network = network_from_graph(test_pbf_graph)
    assert (test_pbf_graph.number_of_nodes(), test_pbf_graph.number_of_edges()) == before
    assert test_pbf_graph.graph["crs"] == "EPSG:4326"
    assert network.crs.to_epsg() == 32635
    projected = network.graph
    assert projected is not None
    assert pyproj.CRS.from_user_input(projected.graph["crs"]) == network.crs
    node, data = next(iter(projected.nodes(data=True)))
    i = int(np.flatnonzero(network.require_arrays().node_ids == node)[0])
    assert data["x"] == pytest.approx(network.require_arrays().node_x[i], abs=0.01)


def test_a_network_from_a_graph_keeps_no_reference_to_it(test_pbf_graph: nx.MultiDiGraph):
    graph = test_pbf_graph.copy()
    alive = weakref.ref(graph)
    network = network_from_graph(graph)
    del graph
    gc.collect()
    assert alive() is None
    # asked for, the graph is rebuilt from the arrays: the same network again
    rebuilt = network.graph
    assert rebuilt is not None
    assert pyproj.CRS.from_user_input(rebuilt.graph["crs"]) == network.crs
    again, first = network_from_graph(rebuilt).require_arrays(), network.require_arrays()
    np.testing.assert_array_equal(again.node_ids, first.node_ids)
    np.testing.assert_array_equal(again.edge_length, first.edge_length)
    assert (again.csr != first.csr).nnz == 0
    assert shapely.equals_exact(again.edge_geometry, first.edge_geometry, tolerance=1e-9).all()


def test_a_network_from_an_osm_file_reads_it_again_for_its_graph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read: list[weakref.ref[nx.MultiDiGraph]] = []
    reader = network_module._read_osm_file

    def reading(*args: object) -> nx.MultiDiGraph:
        graph = reader(*args)  # type: ignore[arg-type]
        read.append(weakref.ref(graph))
        return graph

    monkeypatch.setattr(network_module, "_read_osm_file", reading)
    network = network_from_osm_file(pyrosm.get_data("test_pbf"))
    gc.collect()
    assert len(read) == 1
    assert read[0]() is None
    graph = network.graph
    assert graph is not None
    assert len(read) == 2
    arrays = network.require_arrays()
    assert list(graph.nodes) == arrays.node_ids.tolist()
    assert pyproj.CRS.from_user_input(graph.graph["crs"]) == network.crs


def test_empty_graph_is_refused() -> None:
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    graph.add_node(1, x=119.4, y=32.2)
    with pytest.raises(NetworkError, match="no streets"):
        network_from_graph(graph)


def test_osm_xml_file(tmp_path: Path) -> None:
    path = tmp_path / "lattice.osm"
    _lattice_osm_xml(path)
    network = network_from_osm_file(path)
    assert network.source == "osm_file"
    assert network.crs.to_epsg() == 32650
    # corners have two streets and are simplified away: 4 edge midpoints and the centre
    assert network.stats()["nodes"] == 5
    assert network.stats()["km"] == pytest.approx(_lattice_km(), rel=1e-3)


def test_osm_pbf_file() -> None:
    network = network_from_osm_file(pyrosm.get_data("test_pbf"))
    stats = network.stats()
    assert network.source == "osm_file"
    assert not network.approximate
    assert stats["nodes"] > 100
    assert stats["km"] > 1.0
    arrays = network.require_arrays()
    # edge lengths match their projected geometry
    assert np.allclose(
        shapely.length(arrays.edge_geometry), arrays.edge_length, rtol=0.01, atol=0.5
    )


def test_osm_file_outside_the_boundary_is_refused() -> None:
    far_away = _boundary(shapely.box(119.4, 32.1, 119.5, 32.2))
    with pytest.raises(NetworkError, match="no walkable streets inside the boundary"):
        network_from_osm_file(pyrosm.get_data("test_pbf"), boundary=far_away)


def test_osm_file_problems(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="does not exist"):
        network_from_osm_file(tmp_path / "missing.osm.pbf")
    odd = tmp_path / "streets.geojson"
    odd.write_text("{}", encoding="utf-8")
    with pytest.raises(NetworkError, match=r"unknown extension.*\.osm\.pbf"):
        network_from_osm_file(odd)


def test_download_is_cached_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, test_pbf_graph: nx.MultiDiGraph
) -> None:
    calls: list[str] = []

    def fake_download(polygon: shapely.Geometry, *, network_type: str) -> nx.MultiDiGraph:
        calls.append(network_type)
        assert polygon.contains(shapely.centroid(boundary.geometry.iloc[0]))
        return test_pbf_graph

    boundary = _graph_boundary(test_pbf_graph)
    monkeypatch.setattr(network_module, "_overpass_reachable", lambda: None)
    monkeypatch.setattr(ox, "graph_from_polygon", fake_download)
    first = walk_network(boundary, cache_folder=tmp_path, download=True)
    assert calls == ["walk"]
    assert first.source == "download"
    cached = list(tmp_path.glob("walk_*.graphml"))
    assert len(cached) == 1

    def no_download(polygon: shapely.Geometry, *, network_type: str) -> nx.MultiDiGraph:
        raise AssertionError("the cache should have been read")

    monkeypatch.setattr(ox, "graph_from_polygon", no_download)
    second = walk_network(boundary, cache_folder=tmp_path, download=True)
    assert second.source == "graphml"
    assert second.stats() == pytest.approx(first.stats())
    assert second.crs == first.crs
    # a different boundary has its own cache entry
    other = _boundary(shapely.buffer(boundary.geometry.iloc[0], 0.001))
    monkeypatch.setattr(ox, "graph_from_polygon", fake_download)
    walk_network(other, cache_folder=tmp_path, download=True)
    assert len(calls) == 2
    assert len(list(tmp_path.glob("walk_*.graphml"))) == 2


def test_failed_download_falls_back_to_approximate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(polygon: shapely.Geometry, *, network_type: str) -> nx.MultiDiGraph:
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(network_module, "_overpass_reachable", lambda: None)
    monkeypatch.setattr(ox, "graph_from_polygon", offline)
    boundary = _boundary(shapely.box(119.40, 32.15, 119.50, 32.25))
    network = walk_network(boundary, cache_folder=tmp_path, download=True)
    assert network.approximate
    assert network.source == "approximate"
    assert network.graph is None
    assert network.stats() == {"nodes": 0.0, "edges": 0.0, "km": 0.0}
    assert network.crs.to_epsg() == 32650
    assert not list(tmp_path.iterdir())
    with pytest.raises(AnalysisError, match="approximate"):
        network.require_arrays()


def test_offline_skips_the_download(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(ox.settings, "overpass_url", "https://overpass.invalid/api")
    monkeypatch.setattr(ox, "graph_from_polygon", None)  # never called
    boundary = _boundary(shapely.box(119.40, 32.15, 119.50, 32.25))
    assert walk_network(boundary, cache_folder=tmp_path, download=True).approximate


def test_no_download_means_approximate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ox, "graph_from_polygon", None)
    boundary = _boundary(shapely.box(119.40, 32.15, 119.50, 32.25))
    assert walk_network(boundary, cache_folder=tmp_path, download=False).approximate


def test_osm_file_source_is_cached(tmp_path: Path) -> None:
    osm = tmp_path / "lattice.osm"
    _lattice_osm_xml(osm)
    boundary = _boundary(
        shapely.box(_LON0 - 0.0005, _LAT0 - 0.0005, _LON0 + 0.0025, _LAT0 + 0.0025)
    )
    cache = tmp_path / "cache"
    first = walk_network(boundary, osm_file=osm, cache_folder=cache)
    assert first.source == "osm_file"
    second = walk_network(boundary, osm_file=osm, cache_folder=cache)
    assert second.source == "graphml"
    assert second.stats() == pytest.approx(first.stats())


def test_graphml_file_takes_precedence(tmp_path: Path, test_pbf_graph: nx.MultiDiGraph) -> None:
    path = tmp_path / "streets.graphml"
    ox.save_graphml(network_from_graph(test_pbf_graph).graph, path)
    network = walk_network(_graph_boundary(test_pbf_graph), graphml=path, cache_folder=tmp_path)
    assert network.source == "graphml"
    assert network.stats() == pytest.approx(network_from_graph(test_pbf_graph).stats(), rel=1e-6)
    with pytest.raises(NetworkError, match="does not exist"):
        network_from_graphml(tmp_path / "missing.graphml")


def test_approximate_network_crs() -> None:
    network = approximate_network(_boundary(shapely.box(119.40, 32.15, 119.50, 32.25)))
    assert isinstance(network, WalkNetwork)
    assert network.approximate
    x, y = network.to_metric([119.45], [32.2])
    lon, lat = network.to_wgs84(x, y)
    assert (lon[0], lat[0]) == pytest.approx((119.45, 32.2))


def test_snap_mid_edge_access_and_far_flag() -> None:
    network = network_from_graph(_hand_graph())
    snaps = network.snap([30.0, 100.0], [-10.0, 400.0], max_snap_m=300.0)
    assert snaps.along[0] == pytest.approx(30.0)
    assert snaps.access[0] == pytest.approx(10.0)
    assert (snaps.snap_x[0], snaps.snap_y[0]) == pytest.approx((30.0, 0.0))
    assert snaps.cost_a[0] + snaps.cost_b[0] == pytest.approx(2 * 10.0 + 100.0)
    assert snaps.access[1] == pytest.approx(350.0)
    assert snaps.far_from_street.tolist() == [False, True]


def test_a_point_on_a_node_snaps_to_a_street_of_that_node(
    helsinki_network: WalkNetwork,
) -> None:
    # Streets can cross without sharing a node (bridges, tunnels); a point standing on a
    # node must still join a street of that node, at no extra cost.
    arrays = helsinki_network.arrays
    assert arrays is not None
    snaps = helsinki_network.snap(arrays.node_x, arrays.node_y, max_snap_m=300.0)
    nodes = np.arange(arrays.n_nodes)
    on_a = (snaps.node_a == nodes) & np.isclose(snaps.cost_a, 0.0, atol=1e-6)
    on_b = (snaps.node_b == nodes) & np.isclose(snaps.cost_b, 0.0, atol=1e-6)
    assert arrays.n_nodes > 1000
    assert np.flatnonzero(~(on_a | on_b)).tolist() == []


def test_cli_network_reports_counts(tmp_path: Path) -> None:
    osm = tmp_path / "lattice.osm"
    _lattice_osm_xml(osm)
    boundary = tmp_path / "boundary.geojson"
    _boundary(shapely.box(_LON0 - 0.0005, _LAT0 - 0.0005, _LON0 + 0.0025, _LAT0 + 0.0025)).to_file(
        boundary
    )
    args = ["network", "--boundary", str(boundary), "--cache-folder", str(tmp_path / "c")]
    result = CliRunner().invoke(main, [*args, "--osm", str(osm), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["nodes"] == 5
    assert figures["km"] == pytest.approx(_lattice_km(), abs=0.05)
    assert figures["crs"] == "EPSG:32650"
    plain = CliRunner().invoke(main, [*args, "--osm", str(osm)])
    assert "5 nodes" in plain.output
    assert "km of street" in plain.output
    offline = CliRunner().invoke(
        main, ["network", "--scenario", "jingkou", "--offline", "--cache-folder", str(tmp_path)]
    )
    assert offline.exit_code == 0, offline.output
    assert "approximate mode" in offline.output


def test_snapping_through_the_vertex_index_equals_the_nearest_search(
    helsinki_network: WalkNetwork,
) -> None:
    # Points on nodes, on inner vertices, halfway along streets, near streets and far
    # from every street (the nearest search answers those); also shuffled duplicates.
    arrays = helsinki_network.require_arrays()
    rng = np.random.default_rng(11)
    vertices = shapely.get_coordinates(arrays.edge_geometry)
    halfway = shapely.line_interpolate_point(arrays.edge_geometry, 0.5, normalized=True)
    nodes = rng.integers(0, arrays.n_nodes, 300)
    inner = rng.integers(0, len(vertices), 300)
    x = np.concatenate([
        arrays.node_x[nodes], vertices[inner, 0],
        shapely.get_x(halfway)[:300], arrays.node_x[nodes] + rng.uniform(-80, 80, 300),
        rng.uniform(arrays.node_x.min() - 3000, arrays.node_x.max() + 3000, 300),
    ])  # fmt: skip
    y = np.concatenate([
        arrays.node_y[nodes], vertices[inner, 1],
        shapely.get_y(halfway)[:300], arrays.node_y[nodes] + rng.uniform(-80, 80, 300),
        rng.uniform(arrays.node_y.min() - 3000, arrays.node_y.max() + 3000, 300),
    ])  # fmt: skip
    order = rng.permutation(np.concatenate([np.arange(x.size), np.arange(50)]))
    x, y = x[order], y[order]

    indexed = helsinki_network.snap(x, y)
    searched = snap_points(arrays, x, y, max_snap_m=settings.max_snap_distance_m)

    for name in Snaps.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(indexed, name), getattr(searched, name))
    assert (indexed.access > 250.0).sum() > 20  # the far points took the other way
    assert (indexed.access < 1e-6).sum() > 850  # on a street


def test_a_large_batch_snapped_in_parts_on_threads_equals_one_pass(
    helsinki_network: WalkNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three threads each snap a third of the points; the joined answer must be the one
    # pass's, row for row (order kept), snapped points included.
    arrays = helsinki_network.require_arrays()
    rng = np.random.default_rng(5)
    x = rng.uniform(arrays.node_x.min(), arrays.node_x.max(), 2_000)
    y = rng.uniform(arrays.node_y.min(), arrays.node_y.max(), 2_000)
    vertices = _snap.street_vertices(arrays)
    whole = _snap._snap_part(arrays, x, y, 300.0, vertices)
    monkeypatch.setattr(_snap, "_PART_POINTS", 600)
    monkeypatch.setattr(_snap, "_THREADS", 3)
    parted = snap_points(arrays, x, y, max_snap_m=300.0, vertices=vertices)

    assert len(parted) == 2_000
    for name in Snaps.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(parted, name), getattr(whole, name))
    np.testing.assert_array_equal(parted.snap_x, whole.snap_x)
    np.testing.assert_array_equal(parted.snap_y, whole.snap_y)
    on_street = shapely.distance(shapely.points(parted.snap_x, parted.snap_y),
                                 arrays.edge_geometry[parted.edge])  # fmt: skip
    assert float(on_street.max()) < 1e-6
    assert np.allclose(np.hypot(parted.snap_x - x, parted.snap_y - y), parted.access)
