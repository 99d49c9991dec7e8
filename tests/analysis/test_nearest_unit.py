"""Nearest facilities: known answers on a hand-built graph, query against query_many on
the real Helsinki network, coordinate systems, approximate mode."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from geo import settings
from geo.analysis.nearest import NearestFacilities
from geo.analysis.network import WalkNetwork, approximate_network, network_from_graph
from geo.coords import convert
from geo.errors import AnalysisError, CoordinateSystemError

X0, Y0 = 500_000.0, 3_560_000.0
CRS = "EPSG:32650"


def _street() -> WalkNetwork:
    """A(0,0)-B(100,0)-C(200,0)-D(300,0), and B-E(100,100)."""
    nodes = {1: (0.0, 0.0), 2: (100.0, 0.0), 3: (200.0, 0.0), 4: (300.0, 0.0), 5: (100.0, 100.0)}
    graph = nx.MultiDiGraph(crs=CRS)
    for node, (x, y) in nodes.items():
        graph.add_node(node, x=X0 + x, y=Y0 + y)
    for u, v in [(1, 2), (2, 3), (3, 4), (2, 5)]:
        length = float(np.hypot(*np.subtract(nodes[v], nodes[u])))
        graph.add_edge(u, v, length=length)
        graph.add_edge(v, u, length=length)
    return network_from_graph(graph)


def _lonlat(x: float, y: float) -> tuple[float, float]:
    point = gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y)], crs=CRS).to_crs("EPSG:4326").iloc[0]
    return point.x, point.y


def _facilities(xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "facility_id": [f"F{i}" for i in range(len(xy))],
            "name": [f"site {i}" for i in range(len(xy))],
        },
        geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in xy],
        crs=CRS,
    ).to_crs("EPSG:4326")


def _metric_length(line: shapely.LineString) -> float:
    return float(gpd.GeoSeries([line], crs="EPSG:4326").to_crs(CRS).length.iloc[0])


def test_k_nearest_with_known_walks() -> None:
    nearest = NearestFacilities(_street(), _facilities([(50.0, 10.0), (300.0, -20.0)]))
    lon, lat = _lonlat(120.0, 5.0)
    results = nearest.query(lon, lat, k=3)
    # the query snaps to B-C at 20 m with 5 m access
    assert [r.facility_id for r in results] == ["F0", "F1"]
    assert [r.metres for r in results] == pytest.approx([5 + 20 + 50 + 10, 5 + 80 + 100 + 20])
    assert results[0].minutes == pytest.approx(85.0 / 75.0)
    assert results[0].name == "site 0"
    assert results[0].access_m == pytest.approx(5.0)
    assert not results[0].approximate
    assert not results[0].far_from_street
    for result in results:
        route = result.route
        assert _metric_length(route) == pytest.approx(result.metres, abs=0.05)
        assert route.coords[0] == pytest.approx((lon, lat))
    assert results[0].route.coords[-1] == pytest.approx(_lonlat(50.0, 10.0))


def test_same_street_walk_goes_straight_along_it() -> None:
    nearest = NearestFacilities(_street(), _facilities([(50.0, 10.0)]))
    result = nearest.query(*_lonlat(60.0, -5.0), k=1)[0]
    assert result.metres == pytest.approx(5 + 10 + 10)
    assert _metric_length(result.route) == pytest.approx(25.0, abs=0.05)


def test_query_point_far_from_streets_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "max_snap_distance_m", 100.0)
    nearest = NearestFacilities(_street(), _facilities([(50.0, 10.0)]))
    result = nearest.query(*_lonlat(100.0, 300.0), k=1)[0]
    assert result.far_from_street
    assert result.access_m == pytest.approx(200.0)  # to E, the end of B-E
    assert result.metres == pytest.approx(200 + 100 + 50 + 10)


def test_speed_sets_minutes() -> None:
    nearest = NearestFacilities(_street(), _facilities([(50.0, 10.0)]), speed_kmh=6.0)
    result = nearest.query(*_lonlat(50.0, 0.0), k=1)[0]
    assert result.minutes == pytest.approx(result.metres / 100.0)


def test_query_in_gcj02_matches_wgs84() -> None:
    nearest = NearestFacilities(_street(), _facilities([(50.0, 10.0), (300.0, -20.0)]))
    lon, lat = _lonlat(180.0, 3.0)
    glon, glat = convert(lon, lat, "wgs84", "gcj02")
    plain = nearest.query(lon, lat, k=2)
    shifted = nearest.query(float(glon), float(glat), k=2, crs="gcj02")
    assert [r.facility_id for r in shifted] == [r.facility_id for r in plain]
    assert [r.metres for r in shifted] == pytest.approx([r.metres for r in plain], abs=0.01)


def test_bad_queries_are_refused() -> None:
    nearest = NearestFacilities(_street(), _facilities([(50.0, 10.0)]))
    with pytest.raises(AnalysisError, match="k must be at least 1, got 0"):
        nearest.query(119.0, 32.0, k=0)
    with pytest.raises(CoordinateSystemError):
        nearest.query(119.0, 32.0, crs="mars")
    with pytest.raises(AnalysisError, match="not a pair of finite degrees"):
        nearest.query(float("nan"), 32.0)
    with pytest.raises(AnalysisError, match="k must be at least 1"):
        nearest.query_many([119.0], [32.0], k=0)


def test_empty_layer_has_no_answers() -> None:
    nearest = NearestFacilities(_street(), _facilities([]))
    assert nearest.query(*_lonlat(10.0, 0.0)) == []
    facility, metres = nearest.query_many([_lonlat(10.0, 0.0)[0]], [_lonlat(10.0, 0.0)[1]], k=2)
    assert facility.tolist() == [[-1, -1]]
    assert np.isinf(metres).all()


def test_approximate_mode_is_straight_line_times_detour() -> None:
    boundary = gpd.GeoDataFrame(
        geometry=[shapely.box(X0 - 5000, Y0 - 5000, X0 + 5000, Y0 + 5000)], crs=CRS
    )
    network = approximate_network(boundary)
    nearest = NearestFacilities(network, _facilities([(0.0, 0.0), (600.0, 800.0)]))
    results = nearest.query(*_lonlat(300.0, 400.0), k=2)
    assert all(r.approximate for r in results)
    assert [r.metres for r in results] == pytest.approx(
        [500.0 * settings.detour_factor] * 2, rel=1e-4
    )
    assert len(results[0].route.coords) == 2
    facility, metres = nearest.query_many(*_lonlat(100.0, 0.0), k=2)
    assert facility.tolist() == [[0, 1]]
    assert metres[0] == pytest.approx(
        [100.0 * settings.detour_factor, np.hypot(500, 800) * settings.detour_factor], rel=1e-4
    )


# --- the real Helsinki network -----------------------------------------------------------


@pytest.fixture(scope="module")
def helsinki_nearest(helsinki_network: WalkNetwork) -> NearestFacilities:
    arrays = helsinki_network.require_arrays()
    rng = np.random.default_rng(11)
    x = rng.uniform(arrays.node_x.min(), arrays.node_x.max(), 25)
    y = rng.uniform(arrays.node_y.min(), arrays.node_y.max(), 25)
    lon, lat = helsinki_network.to_wgs84(x, y)
    facilities = gpd.GeoDataFrame(
        {"facility_id": [f"H{i}" for i in range(25)], "name": "h"},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    return NearestFacilities(helsinki_network, facilities)


def _random_queries(network: WalkNetwork, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    arrays = network.require_arrays()
    rng = np.random.default_rng(seed)
    x = rng.uniform(arrays.node_x.min(), arrays.node_x.max(), n)
    y = rng.uniform(arrays.node_y.min(), arrays.node_y.max(), n)
    return network.to_wgs84(x, y)


def test_query_agrees_with_query_many(
    helsinki_network: WalkNetwork, helsinki_nearest: NearestFacilities
) -> None:
    lons, lats = _random_queries(helsinki_network, 30, seed=2)
    one, one_m = helsinki_nearest.query_many(lons, lats)
    three, three_m = helsinki_nearest.query_many(lons, lats, k=3)
    assert one.shape == (30, 1)
    assert np.array_equal(one[:, 0], three[:, 0])
    assert one_m[:, 0] == pytest.approx(three_m[:, 0])
    assert (np.diff(three_m, axis=1) >= 0).all()
    for i in range(30):
        results = helsinki_nearest.query(float(lons[i]), float(lats[i]), k=3)
        assert [int(r.facility_id[1:]) for r in results] == three[i].tolist()
        assert [r.metres for r in results] == pytest.approx(three_m[i].tolist())
        for result in results:
            length = float(
                gpd.GeoSeries([result.route], crs="EPSG:4326")
                .to_crs(helsinki_network.crs)
                .length.iloc[0]
            )
            assert length == pytest.approx(result.metres, rel=0.01, abs=1.0)


def test_walks_are_never_shorter_than_straight_lines(
    helsinki_network: WalkNetwork, helsinki_nearest: NearestFacilities
) -> None:
    lons, lats = _random_queries(helsinki_network, 200, seed=4)
    facility, metres = helsinki_nearest.query_many(lons, lats, k=2)
    qx, qy = helsinki_network.to_metric(lons, lats)
    fx, fy = helsinki_nearest._x, helsinki_nearest._y
    straight = np.hypot(qx[:, None] - fx[facility], qy[:, None] - fy[facility])
    assert (metres >= straight - 1e-6).all()
    assert (facility[:, 0] != facility[:, 1]).all()
