"""What-if scenarios: incremental coverage against full recomputation, forks, comparison."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geo.analysis.coverage import CoverageEngine
from geo.analysis.network import approximate_network, network_from_graph
from geo.analysis.rules import ServiceRule
from geo.analysis.siting import maximal_covering_sites
from geo.analysis.whatif import WhatIf, compare
from geo.coords import convert
from geo.errors import AnalysisError, ConflictingEditError, ScenarioError
from geo.scenario import load_scenario

METRIC = "EPSG:32650"
X0, Y0 = 500_000.0, 3_560_000.0
N, SPACING = 31, 50.0  # a 1.5 km square of streets
RULES = {"stations": ServiceRule(300.0, "m"), "rest_points": ServiceRule(400.0, "m")}


def lattice_graph() -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(crs=METRIC)
    for i in range(N):
        for j in range(N):
            graph.add_node(i * N + j, x=X0 + i * SPACING, y=Y0 + j * SPACING)
    for i in range(N):
        for j in range(N):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < N and j + dj < N:
                    a, b = i * N + j, (i + di) * N + j + dj
                    graph.add_edge(a, b, length=SPACING)
                    graph.add_edge(b, a, length=SPACING)
    return graph


def lonlat(x: float, y: float) -> tuple[float, float]:
    point = gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y)], crs=METRIC).to_crs("EPSG:4326")
    return float(point.x.iloc[0]), float(point.y.iloc[0])


def points(ids: list[str], xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"facility_id": ids, "name": [f"name {i}" for i in ids]},
        geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in xy],
        crs=METRIC,
    ).to_crs("EPSG:4326")


@pytest.fixture(scope="module")
def engine() -> CoverageEngine:
    network = network_from_graph(lattice_graph(), crs=METRIC)
    size = 300.0
    boxes = [
        shapely.box(X0 + i * size, Y0 + j * size, X0 + (i + 1) * size, Y0 + (j + 1) * size)
        for i in range(5)
        for j in range(5)
    ]
    rng = np.random.default_rng(5)
    grids = gpd.GeoDataFrame(
        {
            "grid_id": [f"G{k:02d}" for k in range(25)],
            "name": [f"grid {k}" for k in range(25)],
            "population": rng.integers(100, 900, 25),
        },
        geometry=boxes,
        crs=METRIC,
    ).to_crs("EPSG:4326")
    return CoverageEngine(network, grids, progress=False)


@pytest.fixture
def layers() -> dict[str, gpd.GeoDataFrame]:
    return {
        "stations": points(["S1", "S2", "S3"], [(200, 200), (1200, 300), (700, 1100)]),
        "rest_points": points(["R1"], [(750, 750)]),
    }


def full_counts(
    engine: CoverageEngine, facilities: gpd.GeoDataFrame, rule: ServiceRule
) -> np.ndarray:
    reach = engine.reach(facilities, rule)
    return np.bincount(reach.indices, minlength=len(engine.demand))


def test_incremental_edits_equal_a_full_recomputation(
    engine: CoverageEngine, layers: dict[str, gpd.GeoDataFrame]
) -> None:
    scenario = WhatIf.from_layers(engine, layers, rules=RULES).fork("edits")
    new_id = scenario.add("stations", *lonlat(1300, 1300), name="east gate")
    scenario.move("stations", "S1", *lonlat(400, 500))
    scenario.close("stations", "S2")
    scenario.add("stations", *lonlat(100, 1400))
    scenario.move("stations", new_id, *lonlat(1100, 1350))
    scenario.close("rest_points", "R1")

    for layer, rule in RULES.items():
        facilities = scenario.facilities(layer)
        counts = full_counts(engine, facilities, rule)
        assert np.array_equal(scenario.counts(layer), counts)
        # an independent path: the engine's multi-source nearest-facility coverage
        if len(facilities):
            coverage = engine.layer_coverage(facilities, rule)
            assert scenario.residents_covered(layer) == pytest.approx(
                coverage.summary["residents_covered"]
            )
            grid_table = scenario.grid_coverage(layer).set_index("grid_id")
            expected = coverage.grids.set_index("grid_id")["residents_covered"]
            assert np.allclose(grid_table.loc[expected.index, "residents_covered"], expected)
    assert scenario.residents_covered("rest_points") == 0.0
    assert [edit.action for edit in scenario.edits] == [
        "add",
        "move",
        "close",
        "add",
        "move",
        "close",
    ]


def test_base_layers_and_parent_scenario_are_never_changed(
    engine: CoverageEngine, layers: dict[str, gpd.GeoDataFrame]
) -> None:
    originals = {layer: frame.copy() for layer, frame in layers.items()}
    base = WhatIf.from_layers(engine, layers, rules=RULES)
    before = base.summary()
    fork = base.fork("closing")
    fork.close("stations", "S3")
    fork.move("stations", "S1", *lonlat(900, 900))
    fork.add("rest_points", *lonlat(100, 100))
    for layer, frame in layers.items():
        assert_geodataframe_equal(frame, originals[layer])
    assert base.summary().equals(before)
    assert base.edits == ()
    assert len(fork.edits) == 3
    assert base.facilities("stations")["facility_id"].tolist() == ["S1", "S2", "S3"]


def test_facilities_show_what_changed(
    engine: CoverageEngine, layers: dict[str, gpd.GeoDataFrame]
) -> None:
    scenario = WhatIf.from_layers(engine, layers, rules=RULES)
    scenario.move("stations", "S2", *lonlat(1000, 1000))
    added = scenario.add("stations", *lonlat(50, 1450), facility_id="S9", name="riverside")
    frame = scenario.facilities("stations").set_index("facility_id")
    assert added == "S9"
    assert frame["status"].to_dict() == {"S1": "base", "S3": "base", "S2": "moved", "S9": "added"}
    assert frame.loc["S2", "name"] == "name S2"
    assert frame.loc["S9", "name"] == "riverside"
    assert frame.loc["S2"].geometry.x == pytest.approx(lonlat(1000, 1000)[0])
    assert frame.crs == "EPSG:4326"
    # a station added in the scenario and then moved is still a new one
    scenario.move("stations", "S9", *lonlat(100, 1400))
    assert scenario.facilities("stations").set_index("facility_id").loc["S9", "status"] == "added"


def test_closing_and_reopening_restores_coverage(
    engine: CoverageEngine, layers: dict[str, gpd.GeoDataFrame]
) -> None:
    scenario = WhatIf.from_layers(engine, layers, rules=RULES)
    start = scenario.counts("stations")
    scenario.close("stations", "S1")
    assert scenario.residents_covered("stations") < WhatIf.from_layers(
        engine, layers, rules=RULES
    ).residents_covered("stations")
    scenario.add("stations", *lonlat(200, 200))
    assert np.array_equal(scenario.counts("stations"), start)


def test_add_converts_gcj02_coordinates(
    engine: CoverageEngine, layers: dict[str, gpd.GeoDataFrame]
) -> None:
    scenario = WhatIf.from_layers(engine, layers, rules=RULES)
    lon, lat = lonlat(700, 700)
    gcj_lon, gcj_lat = convert(lon, lat, "wgs84", "gcj02")
    scenario.add("stations", float(gcj_lon[()]), float(gcj_lat[()]), crs="gcj02", facility_id="G")
    point = scenario.facilities("stations").set_index("facility_id").geometry["G"]
    assert (point.x, point.y) == pytest.approx((lon, lat), abs=1e-7)


def test_compare_lists_layers_and_changed_grids(
    engine: CoverageEngine, layers: dict[str, gpd.GeoDataFrame]
) -> None:
    base = WhatIf.from_layers(engine, layers, rules=RULES)
    plan = base.fork("plan")
    plan.add("stations", *lonlat(1350, 1350))
    plan.close("stations", "S1")
    result = compare(base, plan)
    assert (result.a, result.b) == ("base", "plan")
    table = result.layers.set_index("layer")
    change = plan.residents_covered("stations") - base.residents_covered("stations")
    assert table.loc["stations", "change"] == pytest.approx(change)
    assert table.loc["stations", "facilities_b"] == 3
    assert table.loc["rest_points", "change"] == 0.0

    grid_a = base.grid_coverage("stations").set_index("grid_id")
    grid_b = plan.grid_coverage("stations").set_index("grid_id")
    moved = (grid_b["residents_covered"] - grid_a["residents_covered"]).abs() > 1e-6
    listed = result.grids.loc[result.grids["layer"] == "stations"]
    assert set(listed["grid_id"]) == set(grid_a.index[moved])
    assert listed["change"].sum() == pytest.approx(change)
    assert set(result.grids["layer"]) == {"stations"}
    # closing S1 at (200, 200) empties the corner grid G00
    corner = listed.set_index("grid_id").loc["G00"]
    assert corner["name"] == "grid 0"
    assert (corner["status_a"], corner["status_b"]) == ("partial", "uncovered")
    assert corner["status_changed"]


def test_siting_in_what_if_mode_fills_a_closed_station(
    engine: CoverageEngine, layers: dict[str, gpd.GeoDataFrame]
) -> None:
    scenario = WhatIf.from_layers(engine, layers, rules=RULES)
    scenario.close("stations", "S1")
    candidates = gpd.GeoDataFrame(
        {"candidate_id": ["near S1", "elsewhere"], "name": ["a", "b"]},
        geometry=[shapely.Point(lonlat(200, 200)), shapely.Point(lonlat(1200, 300))],
        crs="EPSG:4326",
    )
    result = maximal_covering_sites(
        engine, candidates, RULES["stations"], k=1, covered=scenario.covered("stations")
    )
    assert result.sites["candidate_id"].tolist() == ["near S1"]
    before = scenario.residents_covered("stations")
    assert result.summary["residents_covered_before"] == pytest.approx(before)
    scenario.add("stations", *lonlat(200, 200))
    assert result.summary["residents_covered_after"] == pytest.approx(
        scenario.residents_covered("stations")
    )


def test_from_scenario_builds_every_layer() -> None:
    scenario = load_scenario("jingkou")
    engine = CoverageEngine(approximate_network(scenario.boundary), scenario.grids, progress=False)
    base = WhatIf.from_scenario(engine, scenario)
    summary = base.summary().set_index("layer")
    assert list(summary.index) == ["stations", "centres", "rest_points"]
    assert summary.loc["stations", "facilities"] == len(scenario.facilities("stations"))
    assert 0 < summary.loc["centres", "share_covered"] <= 1


def test_edit_errors_say_what_is_wrong(
    engine: CoverageEngine, layers: dict[str, gpd.GeoDataFrame]
) -> None:
    scenario = WhatIf.from_layers(engine, layers, rules=RULES)
    with pytest.raises(ScenarioError, match="has no layer 'centres'"):
        scenario.add("centres", *lonlat(0, 0))
    with pytest.raises(ScenarioError, match="no open facility 'S7'"):
        scenario.close("stations", "S7")
    scenario.close("stations", "S1")
    with pytest.raises(ScenarioError, match=r"no open facility 'S1'.*closed already"):
        scenario.close("stations", "S1")
    with pytest.raises(ScenarioError, match="no open facility 'S1'"):
        scenario.move("stations", "S1", *lonlat(0, 0))
    with pytest.raises(ConflictingEditError, match="facility_id 'S2' already exists"):
        scenario.add("stations", *lonlat(0, 0), facility_id="S2")
    with pytest.raises(AnalysisError, match=r"lon 3560000\.0, lat 500000\.0 is not a lon/lat"):
        scenario.add("stations", 3_560_000.0, 500_000.0)


def test_construction_errors(engine: CoverageEngine, layers: dict[str, gpd.GeoDataFrame]) -> None:
    with pytest.raises(AnalysisError, match="no service rule for layer 'kiosks'"):
        WhatIf.from_layers(engine, {"kiosks": layers["stations"]})
    twice = gpd.GeoDataFrame(
        pd.concat([layers["stations"], layers["stations"]], ignore_index=True), crs="EPSG:4326"
    )
    with pytest.raises(AnalysisError, match="'S1' appears more than once in layer stations"):
        WhatIf.from_layers(engine, {"stations": twice}, rules=RULES)
    other = CoverageEngine(engine.network, engine.grids, progress=False)
    with pytest.raises(AnalysisError, match="use different coverage engines"):
        compare(
            WhatIf.from_layers(engine, layers, rules=RULES),
            WhatIf.from_layers(other, layers, rules=RULES),
        )
