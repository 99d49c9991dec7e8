"""The engine against independent oracles on the real walking network of Helsinki.

- reached nodes and walking metres: plain networkx Dijkstra on the same graph (for
  facilities off the streets, on that graph with each facility joined to its nearest
  street, found by brute force);
- nearest facility: pandana's ``nearest_pois`` (node to node);
- approximate mode: its formula, straight-line distance x detour factor.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
import shapely.ops
from scipy.spatial import cKDTree

from geo import settings
from geo.analysis import (
    DEFAULT_RULES,
    CoverageEngine,
    NearestFacilities,
    ServiceRule,
    WalkNetwork,
    approximate_network,
    gb50180_rules,
    node_distances,
    service_areas,
)

RULES = {
    "rest_points 1 km": DEFAULT_RULES["rest_points"],
    "stations 10 min": DEFAULT_RULES["stations"],
    "gb50180 300 m": gb50180_rules()["rest_points"],
}


def _facilities(network: WalkNetwork, x: np.ndarray, y: np.ndarray) -> gpd.GeoDataFrame:
    lon, lat = network.to_wgs84(x, y)
    return gpd.GeoDataFrame(
        {
            "facility_id": [f"F{i}" for i in range(len(x))],
            "name": [f"f {i}" for i in range(len(x))],
        },
        geometry=shapely.points(lon, lat),
        crs="EPSG:4326",
    )


def _node_xy(graph: nx.MultiDiGraph, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([graph.nodes[n]["x"] for n in nodes])
    y = np.array([graph.nodes[n]["y"] for n in nodes])
    return x, y


def _random_nodes(graph: nx.MultiDiGraph, count: int, seed: int) -> np.ndarray:
    """Random nodes that lie on no other street (where a point means that node)."""
    clear = np.array(sorted(set(graph.nodes) - _nodes_on_other_streets(graph)))
    return np.random.default_rng(seed).choice(clear, count, replace=False)


def _edges(graph: nx.MultiDiGraph) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
    """Every edge with its length and its geometry drawn from u to v (metres)."""
    ends: list[tuple[int, int]] = []
    lengths: list[float] = []
    lines: list[shapely.LineString] = []
    for u, v, data in graph.edges(data=True):
        pu = (graph.nodes[u]["x"], graph.nodes[u]["y"])
        pv = (graph.nodes[v]["x"], graph.nodes[v]["y"])
        line = data.get("geometry") or shapely.LineString([pu, pv])
        first = shapely.Point(line.coords[0])
        if u != v and first.distance(shapely.Point(pv)) < first.distance(shapely.Point(pu)):
            line = shapely.reverse(line)
        ends.append((u, v))
        lengths.append(float(data["length"]))
        lines.append(line)
    return ends, np.array(lengths), np.array(lines, dtype=object)


def _nodes_on_other_streets(graph: nx.MultiDiGraph) -> set[int]:
    """Nodes lying on a street they do not end (e.g. where a bridge crosses a street).

    A point there is on two streets at once, so "its" street is ambiguous; node-to-node
    answers and point answers may differ there.
    """
    ends, _, lines = _edges(graph)
    nodes = np.array(list(graph.nodes))
    hits = shapely.STRtree(lines).query(
        shapely.points(*_node_xy(graph, nodes)), predicate="dwithin", distance=1e-6
    )
    return {int(nodes[i]) for i, j in zip(*hits, strict=True) if nodes[i] not in ends[j]}


def _points_near_streets(graph: nx.MultiDiGraph, count: int, seed: int) -> tuple[np.ndarray, ...]:
    """Random points up to 40 m off random points of random streets (metres)."""
    rng = np.random.default_rng(seed)
    _, _, lines = _edges(graph)
    chosen = lines[rng.integers(0, len(lines), count)]
    on_street = shapely.line_interpolate_point(chosen, rng.random(count), normalized=True)
    x = shapely.get_x(on_street) + rng.uniform(-40, 40, count)
    y = shapely.get_y(on_street) + rng.uniform(-40, 40, count)
    return x, y


def _joined_graph(graph: nx.MultiDiGraph, x: np.ndarray, y: np.ndarray) -> nx.DiGraph:
    """The graph plus, per point i, a node ("P", i) joined one way to its nearest street.

    The nearest street is found by brute force; the point reaches it straight at
    ("F", i) and walks from there to either end, along the street's ``length`` in
    proportion to the position along its geometry, or straight to another point's
    ("F", j) on the same street.
    """
    joined = nx.DiGraph()
    for u, v, length in graph.edges(data="length"):
        if u != v and (not joined.has_edge(u, v) or joined[u][v]["length"] > length):
            joined.add_edge(u, v, length=length)
    ends, lengths, lines = _edges(graph)
    on_street: dict[tuple[int, int, float], list[tuple[int, float]]] = {}
    for i, point in enumerate(shapely.points(x, y)):
        distance = shapely.distance(lines, point)
        j = int(np.argmin(distance))
        (u, v), line = ends[j], lines[j]
        along = lengths[j] * line.project(point, normalized=True)
        joined.add_edge(("P", i), ("F", i), length=float(distance[j]))
        for end, metres in ((u, along), (v, lengths[j] - along)):
            joined.add_edge(("F", i), end, length=metres)
            joined.add_edge(end, ("F", i), length=metres)
        from_low_end = along if u <= v else lengths[j] - along
        street = on_street.setdefault((min(u, v), max(u, v), round(lengths[j], 3)), [])
        for other, other_from_low_end in street:
            gap = abs(from_low_end - other_from_low_end)
            joined.add_edge(("F", i), ("F", other), length=gap)
            joined.add_edge(("F", other), ("F", i), length=gap)
        street.append((i, from_low_end))
    return joined


def _project_reached(
    network: WalkNetwork, facilities: gpd.GeoDataFrame, rule: ServiceRule
) -> tuple[list[dict[int, float]], dict[int, float]]:
    result = node_distances(network, facilities, rule)
    ids = result.node_ids
    reached = [
        dict(zip(ids[rows].tolist(), metres.tolist(), strict=True))
        for rows, metres in zip(result.reached, result.reached_m, strict=True)
    ]
    nearest = dict(zip(ids.tolist(), result.nearest_m.tolist(), strict=True))
    return reached, nearest


def _assert_same_distances(project: dict[int, float], oracle: dict[int, float]) -> None:
    assert set(project) == set(oracle)
    diff = max(abs(project[n] - oracle[n]) for n in oracle)
    assert diff < 1e-6


@pytest.mark.parametrize("rule", RULES.values(), ids=RULES.keys())
def test_reached_nodes_from_nodes_equal_networkx(
    helsinki_network: WalkNetwork, rule: ServiceRule
) -> None:
    graph = helsinki_network.graph
    nodes = _random_nodes(graph, 25, seed=1)
    facilities = _facilities(helsinki_network, *_node_xy(graph, nodes))

    reached, _ = _project_reached(helsinki_network, facilities, rule)

    total = 0
    for node, project in zip(nodes, reached, strict=True):
        oracle = nx.single_source_dijkstra_path_length(
            graph, node, cutoff=rule.max_metres, weight="length"
        )
        _assert_same_distances(project, oracle)
        total += len(oracle)
    assert total > 25 * 10


@pytest.mark.parametrize("rule", RULES.values(), ids=RULES.keys())
def test_reached_nodes_from_points_off_streets_equal_networkx(
    helsinki_network: WalkNetwork, rule: ServiceRule
) -> None:
    graph = helsinki_network.graph
    x, y = _points_near_streets(graph, 25, seed=2)
    joined = _joined_graph(graph, x, y)
    facilities = _facilities(helsinki_network, x, y)

    reached, _ = _project_reached(helsinki_network, facilities, rule)

    total = 0
    for i, project in enumerate(reached):
        oracle = {
            node: metres
            for node, metres in nx.single_source_dijkstra_path_length(
                joined, ("P", i), cutoff=rule.max_metres, weight="length"
            ).items()
            if not isinstance(node, tuple)
        }
        _assert_same_distances(project, oracle)
        total += len(oracle)
    assert total > 25 * 10


def _exact_area(
    graph: nx.MultiDiGraph, source: int, limit: float, width: float
) -> shapely.Geometry:
    """Streets walked within ``limit`` from a node, cut at the exact cut-off, buffered.

    Each edge u -> v leaving a reached node is walked for min(length, limit - d(u))
    metres along its geometry (an edge reached from both ends gives both parts).
    """
    distance = nx.single_source_dijkstra_path_length(graph, source, cutoff=limit, weight="length")
    ends, lengths, lines = _edges(graph)
    pieces = [shapely.Point(graph.nodes[source]["x"], graph.nodes[source]["y"])]
    for (u, _), length, line in zip(ends, lengths, lines, strict=True):
        if u in distance and limit > distance[u]:
            fraction = min(1.0, (limit - distance[u]) / length) if length > 0 else 1.0
            pieces.append(shapely.ops.substring(line, 0.0, fraction, normalized=True))
    return shapely.union_all(shapely.buffer(pieces, width))


@pytest.mark.parametrize("rule", RULES.values(), ids=RULES.keys())
def test_service_areas_equal_the_exact_partial_street_area(
    helsinki_network: WalkNetwork, rule: ServiceRule
) -> None:
    graph = helsinki_network.graph
    nodes = _random_nodes(graph, 8, seed=8)
    facilities = _facilities(helsinki_network, *_node_xy(graph, nodes))
    width = settings.street_buffer_m

    areas = service_areas(helsinki_network, facilities, rule, progress=False)

    polygons = areas.to_crs(helsinki_network.crs).geometry.to_numpy()
    exact = np.array([_exact_area(graph, n, rule.max_metres, width) for n in nodes])
    missed = shapely.area(shapely.difference(exact, polygons)) / shapely.area(exact)
    extra = shapely.area(shapely.difference(polygons, exact)) / shapely.area(exact)
    assert missed.max() < 1e-4
    assert extra.max() < 1e-4
    whole_edges_only = np.array(
        [
            shapely.union_all(shapely.buffer(_whole_edges(graph, n, rule.max_metres), width))
            for n in nodes
        ]
    )
    # dropping the partial streets would miss more than the tolerance above
    assert (shapely.area(exact) > 1.001 * shapely.area(whole_edges_only)).all()


def _whole_edges(graph: nx.MultiDiGraph, source: int, limit: float) -> list[shapely.Geometry]:
    """Edges with both ends reached, and the source: what dropping partial edges keeps."""
    distance = nx.single_source_dijkstra_path_length(graph, source, cutoff=limit, weight="length")
    ends, _, lines = _edges(graph)
    kept = [
        line for (u, v), line in zip(ends, lines, strict=True) if u in distance and v in distance
    ]
    return [shapely.Point(graph.nodes[source]["x"], graph.nodes[source]["y"]), *kept]


def test_nearest_facility_metres_equal_networkx_multi_source(
    helsinki_network: WalkNetwork,
) -> None:
    graph = helsinki_network.graph
    x, y = _points_near_streets(graph, 12, seed=3)
    joined = _joined_graph(graph, x, y)
    facilities = _facilities(helsinki_network, x, y)

    _, nearest = _project_reached(helsinki_network, facilities, DEFAULT_RULES["stations"])
    oracle = nx.multi_source_dijkstra_path_length(
        joined, {("P", i) for i in range(len(x))}, weight="length"
    )

    assert len(nearest) == graph.number_of_nodes()
    assert max(abs(metres - oracle[node]) for node, metres in nearest.items()) < 1e-6


def test_grid_coverage_equals_networkx_on_node_demand(helsinki_network: WalkNetwork) -> None:
    graph = helsinki_network.graph
    node_ids = np.array(list(graph.nodes))
    nx_, ny_ = _node_xy(graph, node_ids)
    xs = np.linspace(nx_.min() - 1, nx_.max() + 1, 5)
    ys = np.linspace(ny_.min() - 1, ny_.max() + 1, 5)
    squares = [
        shapely.box(a, b, c, d)
        for a, c in itertools.pairwise(xs)
        for b, d in itertools.pairwise(ys)
    ]
    grids = gpd.GeoDataFrame(
        {"grid_id": [f"G{i}" for i in range(16)], "name": "g", "population": 1000},
        geometry=squares,
        crs=helsinki_network.crs,
    )
    x, y = _points_near_streets(graph, 8, seed=4)
    rule = DEFAULT_RULES["stations"]
    joined = _joined_graph(graph, x, y)
    oracle = nx.multi_source_dijkstra_path_length(
        joined, {("P", i) for i in range(len(x))}, weight="length"
    )

    engine = CoverageEngine(helsinki_network, grids, progress=False)
    coverage = engine.layer_coverage(_facilities(helsinki_network, x, y), rule)

    owner = shapely.STRtree(squares).query(shapely.points(nx_, ny_), predicate="intersects")
    grid_of = dict(zip(node_ids[owner[0]].tolist(), owner[1].tolist(), strict=False))
    metres = np.array([oracle[n] for n in grid_of])
    grid = np.array(list(grid_of.values()))
    covered = np.bincount(grid, weights=metres <= rule.max_metres, minlength=16)
    counts = np.bincount(grid, minlength=16)
    with_nodes = counts > 0
    expected_share = covered[with_nodes] / counts[with_nodes]
    got = coverage.grids.set_index("grid_id").loc[grids["grid_id"][with_nodes]]

    assert with_nodes.sum() >= 8
    assert 0.05 < (metres <= rule.max_metres).mean() < 0.95
    np.testing.assert_allclose(got["share_covered"], expected_share, atol=1e-12)
    expected_minutes = (
        np.bincount(grid, weights=metres, minlength=16)[with_nodes]
        / counts[with_nodes]
        / rule.metres_per_minute
    )
    np.testing.assert_allclose(got["nearest_minutes"], expected_minutes, rtol=1e-9)


def _street_points_and_gap_grids(
    graph: nx.MultiDiGraph, count: int, seed: int
) -> tuple[list[shapely.Polygon], np.ndarray, np.ndarray]:
    """Small squares beside the middle of random long streets, holding no node (each
    becomes one demand unit at its representative point), and per square a point beside
    its nearest street, near the unit along it: a walk straight along the street is
    shorter than any through the street's ends."""
    rng = np.random.default_rng(seed)
    _, lengths, lines = _edges(graph)
    long = lines[lengths > 150.0]
    tree = shapely.STRtree(shapely.points(*_node_xy(graph, np.array(list(graph.nodes)))))
    squares: list[shapely.Polygon] = []
    px: list[float] = []
    py: list[float] = []
    while len(squares) < count:
        line = long[rng.integers(0, len(long))]
        centre = line.interpolate(rng.uniform(0.4, 0.6), normalized=True)
        square = shapely.box(centre.x + 5, centre.y + 5, centre.x + 15, centre.y + 15)
        if tree.query(square).size:
            continue
        unit = shapely.point_on_surface(square)
        nearest = lines[int(np.argmin(shapely.distance(lines, unit)))]
        on_street = nearest.interpolate(nearest.project(unit) + rng.uniform(-10, 10))
        squares.append(square)
        px.append(on_street.x + rng.uniform(-5, 5))
        py.append(on_street.y + rng.uniform(-5, 5))
    return squares, np.array(px), np.array(py)


@pytest.mark.parametrize("limit", [60.0, 400.0, 1000.0])
def test_reach_of_points_equals_networkx(helsinki_network: WalkNetwork, limit: float) -> None:
    graph = helsinki_network.graph
    node_ids = np.array(list(graph.nodes))
    nx_, ny_ = _node_xy(graph, node_ids)
    big = [
        shapely.box(a, b, a + 300.0, b + 300.0)
        for a in np.arange(nx_.min() - 1, nx_.max() + 1, 300.0)
        for b in np.arange(ny_.min() - 1, ny_.max() + 1, 300.0)
    ]
    small, sx, sy = _street_points_and_gap_grids(graph, 12, seed=9)
    grids = gpd.GeoDataFrame(
        {"grid_id": [f"G{i}" for i in range(len(small) + len(big))], "population": 100},
        geometry=small + big,
        crs=helsinki_network.crs,
    )
    x, y = _points_near_streets(graph, 24, seed=10)
    x, y = np.concatenate([x, sx]), np.concatenate([y, sy])  # 12 on a point unit's street
    engine = CoverageEngine(helsinki_network, grids, progress=False)
    demand = engine.demand.to_crs(helsinki_network.crs)
    ux, uy = demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()
    gap, nearest_node = cKDTree(np.column_stack([nx_, ny_])).query(np.column_stack([ux, uy]))
    unit_node = [node_ids[n] if d < 1e-3 else None for d, n in zip(gap, nearest_node, strict=True)]
    at_point = np.array([n is None for n in unit_node])
    everyone_x, everyone_y = np.concatenate([x, ux[at_point]]), np.concatenate([y, uy[at_point]])
    joined = _joined_graph(graph, everyone_x, everyone_y)
    point_units = np.flatnonzero(at_point)

    reach = engine.reach(_facilities(helsinki_network, x, y), ServiceRule(limit, "m"))

    assert point_units.size == len(small)
    compared = along_street = 0
    for i in range(len(x)):
        oracle = nx.single_source_dijkstra_path_length(
            joined, ("P", i), cutoff=limit + 1.0, weight="length"
        )
        metres = np.full(len(demand), np.inf)
        for unit, node in enumerate(unit_node):
            if node is not None:
                metres[unit] = oracle.get(node, np.inf)
        for j, unit in enumerate(point_units):
            via = ("F", len(x) + j)
            if via in oracle:
                access = joined[("P", len(x) + j)][("F", len(x) + j)]["length"]
                metres[unit] = oracle[via] + access
        clear = np.abs(metres - limit) > 1e-6  # no rounding call right at the limit
        got = reach[i].toarray()[0]
        np.testing.assert_array_equal(got[clear], (metres <= limit)[clear])
        compared += int(clear.sum())
        along_street += int(got[point_units].sum())
    assert reach.shape == (len(x), len(demand))
    assert compared > 0.99 * reach.shape[0] * reach.shape[1]
    assert len(x) < reach.nnz < 0.9 * reach.shape[0] * reach.shape[1]
    assert along_street >= 6  # points reach the units on their street


def _pandana_nearest(
    graph: nx.MultiDiGraph, facility_nodes: np.ndarray, k: int, maxdist: float
) -> pd.DataFrame:
    pandana = pytest.importorskip("pandana")
    nodes = pd.DataFrame.from_dict(dict(graph.nodes(data=True)), orient="index")
    u, v, length = zip(*graph.edges(data="length"), strict=True)
    edges = pd.DataFrame({"from": u, "to": v, "length": np.asarray(length, dtype=float)})
    net = pandana.Network(
        nodes["x"], nodes["y"], edges["from"], edges["to"], edges[["length"]], twoway=False
    )
    fx, fy = _node_xy(graph, facility_nodes)
    net.set_pois("facilities", maxdist, k, pd.Series(fx), pd.Series(fy))
    return net.nearest_pois(maxdist, "facilities", num_pois=k)


@pytest.mark.parametrize("k", [1, 3])
def test_nearest_metres_agree_with_pandana(helsinki_network: WalkNetwork, k: int) -> None:
    graph = helsinki_network.graph
    ambiguous = _nodes_on_other_streets(graph)
    clear = np.array(sorted(set(graph.nodes) - ambiguous))
    facility_nodes = _random_nodes(graph, 15, seed=5)
    maxdist = 5000.0
    expected = _pandana_nearest(graph, facility_nodes, k, maxdist).loc[clear]
    query_nodes = expected.index.to_numpy()
    lon, lat = helsinki_network.to_wgs84(*_node_xy(graph, query_nodes))
    nearest = NearestFacilities(
        helsinki_network, _facilities(helsinki_network, *_node_xy(graph, facility_nodes))
    )

    _, metres = nearest.query_many(lon, lat, k=k)

    pandana_m = expected[list(range(1, k + 1))].to_numpy(dtype=float)
    compared = metres < maxdist - 1.0
    assert len(ambiguous) < 0.01 * graph.number_of_nodes()
    assert compared.sum() > 0.9 * compared.size
    assert compared.sum() > 2000
    assert np.abs(metres[compared] - pandana_m[compared]).max() <= 1.0


def test_single_query_matches_batch_and_routes_are_walks(helsinki_network: WalkNetwork) -> None:
    graph = helsinki_network.graph
    x, y = _points_near_streets(graph, 30, seed=6)
    facilities = _facilities(helsinki_network, x[:10], y[:10])
    lon, lat = helsinki_network.to_wgs84(x[10:], y[10:])
    nearest = NearestFacilities(helsinki_network, facilities)
    joined = _joined_graph(graph, x, y)

    _, metres = nearest.query_many(lon, lat, k=3)

    for row, (a, b) in enumerate(zip(lon, lat, strict=True)):
        oracle = nx.single_source_dijkstra_path_length(joined, ("P", 10 + row), weight="length")
        walks = sorted(_walk_to(joined, oracle, f) for f in range(10))
        results = nearest.query(a, b, k=3)
        got = [r.metres for r in results]
        np.testing.assert_allclose(got, metres[row], atol=1e-6)
        np.testing.assert_allclose(got, walks[:3], atol=1e-6)
        for result in results:
            rx, ry = helsinki_network.to_metric(*np.asarray(result.route.coords).T)
            route = shapely.LineString(np.column_stack([rx, ry]))
            assert abs(route.length - result.metres) <= 0.01 * result.metres + 1.0


def _walk_to(joined: nx.DiGraph, oracle: dict[object, float], facility: int) -> float:
    """Metres from the query (oracle) to a facility standing at ("P", facility)."""
    access = joined[("P", facility)][("F", facility)]["length"]
    return oracle[("F", facility)] + access


@pytest.fixture
def approximate_helsinki(helsinki_network: WalkNetwork) -> WalkNetwork:
    lon, lat = helsinki_network.to_wgs84(
        helsinki_network.arrays.node_x, helsinki_network.arrays.node_y
    )
    boundary = gpd.GeoDataFrame(
        {"name": ["Helsinki"]}, geometry=[shapely.box(lon.min(), lat.min(), lon.max(), lat.max())],
        crs="EPSG:4326",
    )  # fmt: skip
    return approximate_network(boundary)


@pytest.mark.parametrize("detour", [1.3, 1.5])
def test_approximate_nearest_equals_straight_line_times_detour(
    approximate_helsinki: WalkNetwork, monkeypatch: pytest.MonkeyPatch, detour: float
) -> None:
    monkeypatch.setattr(settings, "detour_factor", detour)
    rng = np.random.default_rng(7)
    lon = rng.uniform(24.92, 24.96, 60)
    lat = rng.uniform(60.15, 60.17, 60)
    facilities = gpd.GeoDataFrame(
        {"facility_id": [f"F{i}" for i in range(12)], "name": "f"},
        geometry=shapely.points(lon[:12], lat[:12]), crs="EPSG:4326",
    )  # fmt: skip
    nearest = NearestFacilities(approximate_helsinki, facilities)
    geod = pyproj.Geod(ellps="WGS84")
    fx, fy = approximate_helsinki.to_metric(lon[:12], lat[:12])
    px, py = approximate_helsinki.to_metric(lon[12:], lat[12:])

    index, metres = nearest.query_many(lon[12:], lat[12:], k=3)

    planar = np.hypot(px[:, None] - fx[None, :], py[:, None] - fy[None, :]) * detour
    expected = np.sort(planar, axis=1)[:, :3]
    np.testing.assert_allclose(metres, expected, rtol=1e-9)
    np.testing.assert_array_equal(index[:, 0], planar.argmin(axis=1))
    _, _, geodesic = geod.inv(lon[12:], lat[12:], lon[:12][index[:, 0]], lat[:12][index[:, 0]])
    np.testing.assert_allclose(metres[:, 0], np.asarray(geodesic) * detour, rtol=2e-3)
    results = nearest.query(float(lon[12]), float(lat[12]), k=3)
    assert all(r.approximate for r in results)
    np.testing.assert_allclose([r.metres for r in results], expected[0], rtol=1e-9)


def test_approximate_coverage_equals_its_formula(
    approximate_helsinki: WalkNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "detour_factor", 1.3)
    grids = gpd.GeoDataFrame(
        {"grid_id": ["A", "B"], "name": "g", "population": [500, 700]},
        geometry=[shapely.box(24.92, 60.15, 24.94, 60.17), shapely.box(24.94, 60.15, 24.96, 60.17)],
        crs="EPSG:4326",
    )  # fmt: skip
    facilities = gpd.GeoDataFrame(
        {"facility_id": ["F0", "F1"], "name": "f"},
        geometry=shapely.points([24.925, 24.955], [60.155, 60.168]), crs="EPSG:4326",
    )  # fmt: skip
    rule = DEFAULT_RULES["stations"]
    engine = CoverageEngine(approximate_helsinki, grids, progress=False)

    coverage = engine.layer_coverage(facilities, rule)

    demand = engine.demand.to_crs(approximate_helsinki.crs)
    fac = facilities.to_crs(approximate_helsinki.crs)
    straight = np.hypot(
        demand.geometry.x.to_numpy()[:, None] - fac.geometry.x.to_numpy()[None, :],
        demand.geometry.y.to_numpy()[:, None] - fac.geometry.y.to_numpy()[None, :],
    )
    walk = straight.min(axis=1) * 1.3
    assert len(demand) > 100
    assert coverage.approximate and coverage.summary["approximate"]
    np.testing.assert_allclose(coverage.demand_m, walk, rtol=1e-9)
    np.testing.assert_array_equal(coverage.demand_covered, walk <= rule.max_metres)
    assert 0 < coverage.demand_covered.sum() < len(demand)
    radius = rule.max_metres / 1.3
    area = coverage.service_areas.to_crs(approximate_helsinki.crs).area.to_numpy()
    np.testing.assert_allclose(area, np.pi * radius**2, rtol=3e-3)
