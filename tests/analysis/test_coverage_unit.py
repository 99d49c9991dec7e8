"""Service areas, grid coverage and underserved grids: hand-built graphs with known answers,
the real Helsinki network for consistency, approximate mode against its formula."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geo import settings
from geo.analysis.coverage import CoverageEngine, _weightiest, analyze_scenario
from geo.analysis.network import WalkNetwork, approximate_network, network_from_graph
from geo.analysis.rules import (
    DEFAULT_RULES,
    REST_POINT_CIRCLE,
    ServiceRule,
    gb50180_rules,
)
from geo.analysis.service_areas import layer_areas, node_distances, service_areas
from geo.analysis.underserved import underserved_grids
from geo.errors import AnalysisError
from geo.scenario import load_scenario

# local metric origin in UTM zone 50 (Zhenjiang), so lon/lat conversions are meaningful
X0, Y0 = 500_000.0, 3_560_000.0
CRS = "EPSG:32650"


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "progress", False)


def _graph(nodes: dict[int, tuple[float, float]], edges: list[tuple[int, int]]) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(crs=CRS)
    for node, (x, y) in nodes.items():
        graph.add_node(node, x=X0 + x, y=Y0 + y)
    for u, v in edges:
        (ux, uy), (vx, vy) = nodes[u], nodes[v]
        length = float(np.hypot(vx - ux, vy - uy))
        graph.add_edge(u, v, length=length)
        graph.add_edge(v, u, length=length)
    return graph


def _street() -> WalkNetwork:
    """A(0,0)-B(100,0)-C(200,0)-D(300,0), and B-E(100,100)."""
    nodes = {1: (0.0, 0.0), 2: (100.0, 0.0), 3: (200.0, 0.0), 4: (300.0, 0.0), 5: (100.0, 100.0)}
    return network_from_graph(_graph(nodes, [(1, 2), (2, 3), (3, 4), (2, 5)]))


def _points(xy: list[tuple[float, float]], prefix: str = "F") -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"facility_id": [f"{prefix}{i}" for i in range(len(xy))], "name": "site"},
        geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in xy],
        crs=CRS,
    )
    return frame.to_crs("EPSG:4326")


def _local(geometry: shapely.Geometry) -> shapely.Geometry:
    """An EPSG:4326 geometry in the local metric frame of the tests."""
    metric = gpd.GeoSeries([geometry], crs="EPSG:4326").to_crs(CRS).iloc[0]
    return shapely.affinity.translate(metric, -X0, -Y0)


def _grids(boxes: list[tuple[float, float, float, float]], **columns: list[object]):
    frame = gpd.GeoDataFrame(
        {"grid_id": [f"G{i + 1}" for i in range(len(boxes))], "name": "grid", **columns},
        geometry=[shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in boxes],
        crs=CRS,
    )
    return frame.to_crs("EPSG:4326")


# --- rules -------------------------------------------------------------------------------


def test_rules_in_metres_and_labels() -> None:
    assert DEFAULT_RULES["rest_points"].max_metres == 1000.0
    assert DEFAULT_RULES["stations"].max_metres == pytest.approx(750.0)  # 10 min at 4.5 km/h
    assert DEFAULT_RULES["centres"].max_metres == pytest.approx(1125.0)
    assert ServiceRule(10, "min", speed_kmh=6.0).max_metres == pytest.approx(1000.0)
    assert DEFAULT_RULES["stations"].label == "10 min walk"
    assert DEFAULT_RULES["rest_points"].label == "1 km walk"
    assert REST_POINT_CIRCLE.label == "1 km circle"
    assert {k: r.max_metres for k, r in gb50180_rules().items()} == {
        "rest_points": 300.0,
        "stations": 500.0,
        "centres": 1000.0,
    }


def test_rule_follows_the_speed_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "walk_speed_kmh", 3.0)
    assert ServiceRule(10, "min").max_metres == pytest.approx(500.0)


def test_bad_rules_are_refused() -> None:
    with pytest.raises(AnalysisError, match="limit must be positive, got -5"):
        ServiceRule(-5, "m")
    with pytest.raises(AnalysisError, match="unit must be 'm' or 'min', got 'km'"):
        ServiceRule(1, "km")  # type: ignore[arg-type]
    with pytest.raises(AnalysisError, match="speed must be positive"):
        ServiceRule(10, "min", speed_kmh=0.0)


# --- distances and service areas on hand-built graphs ------------------------------------


def test_node_distances_add_access_and_along() -> None:
    network = _street()
    result = node_distances(network, _points([(50.0, 10.0)]), ServiceRule(100, "m"))
    # snapped mid-edge on A-B: 50 m along, 10 m access
    assert result.snaps is not None
    assert result.snaps.along[0] == pytest.approx(50.0)
    assert result.snaps.access[0] == pytest.approx(10.0)
    assert result.nearest_m.tolist() == pytest.approx([60.0, 60.0, 160.0, 260.0, 160.0])
    assert result.nearest_facility.tolist() == [0, 0, 0, 0, 0]
    assert result.node_ids[result.reached[0]].tolist() == [1, 2]
    assert result.reached_m[0].tolist() == pytest.approx([60.0, 60.0])


def test_service_area_cuts_partial_edges_at_the_exact_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "street_buffer_m", 5.0)
    network = _street()
    areas = service_areas(network, _points([(50.0, 10.0)]), ServiceRule(100, "m"))
    polygon = _local(areas.geometry.iloc[0])
    # 40 m left beyond B: along B-C to x = 140, up B-E to y = 40; all of A-B; the access path
    expected = shapely.union_all(
        shapely.buffer(
            [
                shapely.LineString([(0, 0), (140, 0)]),
                shapely.LineString([(100, 0), (100, 40)]),
                shapely.LineString([(50, 10), (50, 0)]),
            ],
            5.0,
        )
    )
    assert shapely.symmetric_difference(polygon, expected).area < 1.0
    assert polygon.bounds == pytest.approx((-5.0, -5.0, 145.0, 45.0), abs=0.01)
    assert areas["access_m"].iloc[0] == pytest.approx(10.0)
    assert not areas["far_from_street"].iloc[0]


def test_edge_reached_from_both_ends_keeps_two_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "street_buffer_m", 5.0)
    nodes = {1: (0.0, 0.0), 2: (100.0, 0.0), 3: (0.0, 100.0)}
    network = network_from_graph(_graph(nodes, [(1, 2), (1, 3), (2, 3)]))
    areas = service_areas(network, _points([(0.0, 0.0)]), ServiceRule(140, "m"))
    polygon = _local(areas.geometry.iloc[0])
    step = 40.0 / np.sqrt(2.0)
    expected = shapely.union_all(
        shapely.buffer(
            [
                shapely.LineString([(100 - step, step), (100, 0), (0, 0), (0, 100)]),
                shapely.LineString([(0, 100), (step, 100 - step)]),
            ],
            5.0,
        )
    )
    assert shapely.symmetric_difference(polygon, expected).area < 1.0
    assert not polygon.contains(shapely.Point(50, 50))  # the middle of the diagonal


def test_whole_edge_when_spare_metres_meet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "street_buffer_m", 5.0)
    nodes = {1: (0.0, 0.0), 2: (100.0, 0.0), 3: (0.0, 100.0)}
    network = network_from_graph(_graph(nodes, [(1, 2), (1, 3), (2, 3)]))
    areas = service_areas(network, _points([(0.0, 0.0)]), ServiceRule(171, "m"))
    polygon = _local(areas.geometry.iloc[0])
    # 71 m spare at each end of the 141.4 m diagonal: it is covered end to end
    assert polygon.contains(shapely.Point(50, 50))


def test_far_from_street_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "max_snap_distance_m", 50.0)
    network = _street()
    areas = service_areas(network, _points([(50.0, 10.0), (200.0, 80.0)]), ServiceRule(100, "m"))
    assert areas["far_from_street"].tolist() == [False, True]
    assert areas["access_m"].tolist() == pytest.approx([10.0, 80.0])


def test_facility_beyond_its_reach_gets_a_dot() -> None:
    network = _street()
    areas = service_areas(network, _points([(200.0, 500.0)]), ServiceRule(100, "m"))
    polygon = _local(areas.geometry.iloc[0])
    assert polygon.area == pytest.approx(np.pi * settings.street_buffer_m**2, rel=0.02)


def test_facilities_must_be_points() -> None:
    network = _street()
    lines = gpd.GeoDataFrame(
        {"facility_id": ["F0"], "name": ["x"]},
        geometry=[shapely.LineString([(119.0, 32.0), (119.1, 32.1)])],
        crs="EPSG:4326",
    )
    with pytest.raises(AnalysisError, match="must be points"):
        service_areas(network, lines, ServiceRule(100, "m"))
    with pytest.raises(AnalysisError, match=r"lacks column\(s\) \['name'\]"):
        service_areas(network, lines[["facility_id", "geometry"]], ServiceRule(100, "m"))


# --- grid coverage on a hand-built graph -------------------------------------------------


def _street_grids() -> gpd.GeoDataFrame:
    return _grids(
        [(-10, -10, 150, 10), (150, -10, 310, 10), (60, 15, 90, 30), (400, 400, 410, 410)],
        population=[100, 100, None, None],
        households=[None, None, 10, None],
    )


def test_grid_coverage_known_answers() -> None:
    network = _street()
    with pytest.warns(UserWarning, match="1 of 4 grids have neither population nor households"):
        engine = CoverageEngine(network, _street_grids())
    assert engine.demand.groupby("grid_id")["residents"].sum().to_dict() == pytest.approx(
        {"G1": 100.0, "G2": 100.0, "G3": 24.4, "G4": 0.0}
    )
    coverage = engine.layer_coverage(_points([(50.0, 10.0)]), ServiceRule(100, "m"))
    grids = coverage.grids.set_index("grid_id")
    # G1 holds A and B (60 m); G2 holds C and D (160 and 260 m); G3 has no node: its one
    # unit sits at its centre (75, 22.5), reached straight along A-B: 25 + 10 + 22.5
    assert grids["share_covered"].tolist() == pytest.approx([1.0, 0.0, 1.0, 0.0])
    assert grids["residents_covered"].tolist() == pytest.approx([100.0, 0.0, 24.4, 0.0])
    assert grids.loc["G1", "nearest_m"] == pytest.approx(60.0)
    assert grids.loc["G2", "nearest_m"] == pytest.approx(210.0)
    assert grids.loc["G3", "nearest_m"] == pytest.approx(57.5)
    assert grids.loc["G2", "nearest_minutes"] == pytest.approx(210.0 / 75.0)
    assert grids.loc["G1", "nearest_facility_id"] == "F0"
    union = _local(coverage.union)
    g1 = shapely.box(-10, -10, 150, 10)
    assert grids.loc["G1", "area_share_covered"] == pytest.approx(
        shapely.intersection(g1, union).area / g1.area, rel=1e-3
    )
    assert coverage.summary == {
        "rule": "100 m walk",
        "limit_m": 100.0,
        "facilities": 1,
        "facilities_far_from_street": 0,
        "residents_total": pytest.approx(224.4),
        "residents_covered": pytest.approx(124.4),
        "share_covered": pytest.approx(124.4 / 224.4),
        "approximate": False,
    }
    assert coverage.grids.crs.to_epsg() == 4326
    assert coverage.service_areas.crs.to_epsg() == 4326


def test_reach_matches_the_known_distances() -> None:
    network = _street()
    engine = CoverageEngine(network, _street_grids().assign(population=[100, 100, 10, 1]))
    rule = ServiceRule(100, "m")
    reach = engine.reach(_points([(50.0, 10.0), (250.0, -30.0)]), rule)
    units = engine.demand["grid_id"].tolist()
    assert reach.dtype == bool
    assert reach.shape == (2, len(units))
    first = {units[i] for i in reach[0].indices}
    assert first == {"G1", "G3"}
    # the second point snaps to C-D at 50 m with 30 m access: C and D at 80 m
    assert [units[i] for i in reach[1].indices] == ["G2", "G2"]
    coverage = engine.layer_coverage(_points([(50.0, 10.0)]), rule)
    assert np.array_equal(reach[0].toarray()[0], coverage.demand_covered)


def test_underserved_ranked_by_uncovered_residents() -> None:
    network = _street()
    engine = CoverageEngine(network, _street_grids().assign(population=[100, 300, 50, 20]))
    coverage = engine.layer_coverage(_points([(50.0, 10.0)]), ServiceRule(100, "m"))
    ranked = underserved_grids(coverage)
    assert ranked["grid_id"].tolist() == ["G2", "G4"]
    assert ranked["rank"].tolist() == [1, 2]
    assert ranked["residents_uncovered"].tolist() == pytest.approx([300.0, 20.0])
    assert ranked.loc[0, "nearest_facility_id"] == "F0"
    assert ranked.loc[0, "nearest_minutes"] == pytest.approx(210.0 / 75.0)
    assert underserved_grids(coverage, min_residents=50)["grid_id"].tolist() == ["G2"]


def test_underserved_ignores_rounding_residue_of_covered_grids() -> None:
    engine = CoverageEngine(_street(), _street_grids().assign(population=[100, 300, 50, 20]))
    coverage = engine.layer_coverage(_points([(50.0, 10.0)]), ServiceRule(100, "m"))
    grids = coverage.grids.copy()
    covered = grids["grid_id"] == "G1"
    grids.loc[covered, "residents_covered"] = grids.loc[covered, "residents"] - 1e-13
    grids.loc[covered, "share_covered"] = 1.0 - 1e-15
    ranked = underserved_grids(dataclasses.replace(coverage, grids=grids))
    assert "G1" not in ranked["grid_id"].tolist()
    assert ranked["grid_id"].tolist() == ["G2", "G4"]


def test_no_facilities_covers_nobody() -> None:
    engine = CoverageEngine(_street(), _street_grids().assign(population=[1, 2, 3, 4]))
    coverage = engine.layer_coverage(_points([]), ServiceRule(100, "m"))
    assert coverage.summary["residents_covered"] == 0.0
    assert coverage.grids["nearest_m"].isna().all()
    assert coverage.union.is_empty


def test_inputs_are_not_modified() -> None:
    grids = _street_grids().assign(population=[1, 2, 3, 4])
    facilities = _points([(50.0, 10.0)])
    before_grids, before_facilities = grids.copy(), facilities.copy()
    CoverageEngine(_street(), grids).layer_coverage(facilities, ServiceRule(100, "m"))
    assert_geodataframe_equal(grids, before_grids)
    assert_geodataframe_equal(facilities, before_facilities)


# --- approximate mode and straight-line circles ------------------------------------------


def _square_boundary() -> gpd.GeoDataFrame:
    return _grids([(-2000, -2000, 2000, 2000)])


def test_approximate_mode_equals_its_formula() -> None:
    network = approximate_network(_square_boundary())
    grids = _grids([(0, 0, 1000, 500), (1500, 1500, 1520, 1520)], population=[500, 10])
    engine = CoverageEngine(network, grids)
    demand = engine.demand
    # a 100 m lattice inside the first grid; a small grid gets its centre
    assert (demand["grid_id"] == "G1").sum() == 9 * 4
    assert (demand["grid_id"] == "G2").sum() == 1
    rule = ServiceRule(10, "min")
    facilities = _points([(300.0, 250.0), (1200.0, 1400.0)])
    coverage = engine.layer_coverage(facilities, rule)
    assert coverage.approximate
    assert coverage.summary["approximate"] is True
    unit = np.array([[_local(p).x, _local(p).y] for p in demand.geometry])
    sites = np.array([[300.0, 250.0], [1200.0, 1400.0]])
    straight = np.hypot(*(unit[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)).min(axis=1)
    assert coverage.demand_m == pytest.approx(straight * settings.detour_factor, abs=0.01)
    assert np.array_equal(coverage.demand_covered, straight * settings.detour_factor <= 750.0)
    circle = _local(coverage.service_areas.geometry.iloc[0])
    radius = 750.0 / settings.detour_factor
    assert circle.area == pytest.approx(np.pi * radius**2, rel=0.005)
    assert circle.centroid.x == pytest.approx(300.0, abs=0.5)
    reach = engine.reach(facilities, rule)
    assert np.array_equal(reach.toarray().any(axis=0), coverage.demand_covered)


def test_straight_line_circle_on_a_street_network() -> None:
    network = _street()
    engine = CoverageEngine(network, _street_grids().assign(population=[100, 100, 10, 1]))
    coverage = engine.layer_coverage(
        _points([(50.0, 10.0)]), ServiceRule(200, "m", straight_line=True)
    )
    assert not coverage.approximate
    circle = _local(coverage.service_areas.geometry.iloc[0])
    assert circle.area == pytest.approx(np.pi * 200.0**2, rel=0.005)
    # A at 51 m, B at 51 m, C at 150.3 m, D at 250.2 m straight
    grids = coverage.grids.set_index("grid_id")
    assert grids.loc["G2", "share_covered"] == pytest.approx(0.5)
    assert grids.loc["G1", "nearest_m"] == pytest.approx(np.hypot(50, 10))


def test_analyze_jingkou_offline() -> None:
    scenario = load_scenario("jingkou")
    network = approximate_network(scenario.boundary)
    results = analyze_scenario(scenario, network)
    assert list(results) == ["stations", "centres", "rest_points", "rest_points_circle"]
    for name in ("stations", "centres", "rest_points"):
        summary = results[name].summary
        assert summary["approximate"] is True
        assert 0.0 < summary["share_covered"] <= 1.0
        assert summary["facilities"] == len(scenario.facilities(name))  # type: ignore[arg-type]
    assert results["rest_points_circle"].summary["approximate"] is False
    assert results["stations"].summary["residents_total"] == pytest.approx(
        results["centres"].summary["residents_total"]
    )
    with pytest.raises(AnalysisError, match=r"unknown layer\(s\) \['shops'\]"):
        analyze_scenario(scenario, network, rules={"shops": ServiceRule(1, "m")})


# --- the real Helsinki network -----------------------------------------------------------


def _random_facilities(network: WalkNetwork, n: int, seed: int) -> gpd.GeoDataFrame:
    arrays = network.require_arrays()
    rng = np.random.default_rng(seed)
    x = rng.uniform(arrays.node_x.min(), arrays.node_x.max(), n)
    y = rng.uniform(arrays.node_y.min(), arrays.node_y.max(), n)
    lon, lat = network.to_wgs84(x, y)
    return gpd.GeoDataFrame(
        {"facility_id": [f"H{i}" for i in range(n)], "name": "h"},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


def test_every_reached_node_lies_inside_its_polygon(helsinki_network: WalkNetwork) -> None:
    network = helsinki_network
    arrays = network.require_arrays()
    facilities = _random_facilities(network, 12, seed=3)
    rule = ServiceRule(400, "m")
    areas = layer_areas(network, facilities, rule)
    assert areas.distances is not None
    total_reached = 0
    for polygon, reached in zip(areas.polygons, areas.distances.reached, strict=True):
        points = shapely.points(arrays.node_x[reached], arrays.node_y[reached])
        assert shapely.covers(polygon, points).all()
        total_reached += reached.size
    assert total_reached > 12 * 20
    # the layer union holds every facility polygon
    assert shapely.covers(areas.union.buffer(0.01), areas.polygons).all()


def test_layer_coverage_agrees_with_reach(helsinki_network: WalkNetwork) -> None:
    network = helsinki_network
    arrays = network.require_arrays()
    cells = [
        shapely.box(x, y, x + 300, y + 300)
        for x in np.arange(arrays.node_x.min(), arrays.node_x.max(), 300)
        for y in np.arange(arrays.node_y.min(), arrays.node_y.max(), 300)
    ]
    grids = gpd.GeoDataFrame(
        {"grid_id": [f"C{i}" for i in range(len(cells))], "name": "c", "population": 100},
        geometry=cells,
        crs=network.crs,
    ).to_crs("EPSG:4326")
    engine = CoverageEngine(network, grids)
    facilities = _random_facilities(network, 8, seed=5)
    rule = ServiceRule(5, "min")
    coverage = engine.layer_coverage(facilities, rule)
    reach = engine.reach(facilities, rule)
    assert np.array_equal(reach.toarray().any(axis=0), coverage.demand_covered)
    assert 0.0 < coverage.summary["share_covered"] < 1.0
    # covered residents sit inside the union of the service areas
    covered_points = engine.demand.geometry[coverage.demand_covered]
    union = coverage.union.buffer(1e-6)
    assert shapely.covers(union, covered_points.to_numpy()).all()
    # nearest walk is never shorter than the straight line
    arrays_xy = np.column_stack(network.points_to_metric(engine.demand))
    fx, fy = network.points_to_metric(facilities)
    straight = np.hypot(
        arrays_xy[:, 0, None] - fx[None, :], arrays_xy[:, 1, None] - fy[None, :]
    ).min(axis=1)
    assert (coverage.demand_m >= straight - 1e-6).all()


def test_each_grid_names_the_facility_nearest_to_most_of_its_residents() -> None:
    # grid 0: facility 2 holds 0.6 of the weight; grid 1: a tie, the facility met first
    grid = np.array([0, 0, 0, 1, 1, 3])
    facility = np.array([1, 2, 2, 4, 0, 0])
    weight = np.array([0.4, 0.3, 0.3, 0.5, 0.5, 1.0])
    chosen_grid, chosen = _weightiest(grid, facility, weight)
    assert chosen_grid.tolist() == [0, 1, 3]
    assert chosen.tolist() == [2, 4, 0]
    # against pandas' group sums, ties and empty rows included
    rng = np.random.default_rng(4)
    for trial in range(100):
        n = int(rng.integers(1, 300))
        grid = rng.integers(0, 25, n)
        facility = rng.integers(0, int(rng.integers(1, 6)), n)
        weight = rng.choice([0.0, 0.25, 0.5, 1.0], n) if trial % 2 else rng.random(n)
        votes = (
            pd.DataFrame({"grid": grid, "facility": facility, "weight": weight})
            .groupby(["grid", "facility"], sort=False)["weight"].sum().reset_index()
            .sort_values(["grid", "weight"], ascending=[True, False], kind="stable")
            .drop_duplicates("grid")
        )  # fmt: skip
        chosen_grid, chosen = _weightiest(grid, facility, weight)
        assert chosen_grid.tolist() == votes["grid"].tolist()
        assert chosen.tolist() == votes["facility"].tolist()
