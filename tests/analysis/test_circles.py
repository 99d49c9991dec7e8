"""Layer service circles on Helsinki: from one multi-source search, and redrawn after edits.

The layer's polygon is built from the streets within reach of the nearest facility; the
union of the facilities' own polygons (each from its own bounded search) is an
independent construction of the same area. A what-if edit redraws the layer's polygon
only around the edited facility; a full rebuild of the edited layer is its oracle.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.analysis import DEFAULT_RULES, CoverageEngine, ServiceRule, WalkNetwork
from geo.analysis.service_areas import layer_areas
from geo.analysis.whatif import WhatIf


def _random_facilities(
    network: WalkNetwork, count: int, seed: int, *, off_street_m: float = 0.0
) -> gpd.GeoDataFrame:
    arrays = network.require_arrays()
    rng = np.random.default_rng(seed)
    nodes = rng.choice(arrays.n_nodes, count, replace=False)
    x = arrays.node_x[nodes] + rng.uniform(-off_street_m, off_street_m, count)
    y = arrays.node_y[nodes] + rng.uniform(-off_street_m, off_street_m, count)
    lon, lat = network.to_wgs84(x, y)
    return gpd.GeoDataFrame(
        {"facility_id": [f"F{i}" for i in range(count)], "name": [f"f {i}" for i in range(count)]},
        geometry=shapely.points(lon, lat),
        crs="EPSG:4326",
    )


def _share(a: shapely.Geometry, b: shapely.Geometry) -> float:
    """Symmetric difference of two areas as a share of the second."""
    return float(shapely.area(shapely.symmetric_difference(a, b)) / shapely.area(b))


@pytest.mark.parametrize(
    ("rule", "count", "seed", "off_street_m"),
    [
        (DEFAULT_RULES["stations"], 12, 0, 0.0),
        (DEFAULT_RULES["rest_points"], 6, 1, 60.0),
        (ServiceRule(300, "m"), 25, 2, 30.0),
    ],
)
def test_layer_polygon_equals_the_union_of_facility_polygons(
    helsinki_network: WalkNetwork, rule: ServiceRule, count: int, seed: int, off_street_m: float
) -> None:
    facilities = _random_facilities(helsinki_network, count, seed, off_street_m=off_street_m)
    areas = layer_areas(helsinki_network, facilities, rule)
    union_of_facilities = shapely.union_all(areas.polygons)
    assert areas.union.area > 0
    assert _share(areas.union, union_of_facilities) < 0.005
    # every facility's own area lies inside the layer's polygon
    for polygon in areas.polygons:
        outside = shapely.area(shapely.difference(polygon, areas.union))
        assert outside < 1e-3 * polygon.area


def test_facility_polygons_are_built_once_and_on_demand(helsinki_network: WalkNetwork) -> None:
    facilities = _random_facilities(helsinki_network, 4, 3)
    areas = layer_areas(helsinki_network, facilities, DEFAULT_RULES["stations"])
    assert areas.built == frozenset()  # the analysis built no facility's polygon
    one = areas.polygon(2)
    assert areas.built == {2}
    assert areas.polygons[2] is one


@pytest.fixture(scope="module")
def whatif(helsinki_network: WalkNetwork) -> WhatIf:
    arrays = helsinki_network.require_arrays()
    lon, lat = helsinki_network.to_wgs84(
        [arrays.node_x.min(), arrays.node_x.max()], [arrays.node_y.min(), arrays.node_y.max()]
    )
    grids = gpd.GeoDataFrame(
        {"grid_id": ["all"], "name": ["all"], "population": [1000]},
        geometry=[shapely.box(lon[0], lat[0], lon[1], lat[1])],
        crs="EPSG:4326",
    )
    engine = CoverageEngine(helsinki_network, grids)
    layers = {"stations": _random_facilities(helsinki_network, 10, 4)}
    return WhatIf.from_layers(engine, layers)


def _rebuilt(scenario: WhatIf) -> shapely.Geometry:
    network = scenario.engine.network
    union = layer_areas(network, scenario.facilities("stations"), DEFAULT_RULES["stations"]).union
    return network.geometry_to_wgs84(np.array([union], dtype=object))[0]


def test_edits_redraw_the_layer_polygon_as_a_full_rebuild(whatif: WhatIf) -> None:
    scenario = whatif.fork("edits")
    base = scenario.service_circle("stations")
    assert _share(base, _rebuilt(scenario)) < 1e-6
    network = scenario.engine.network
    arrays = network.require_arrays()
    x, y = network.to_wgs84(arrays.node_x[[10, 200]], arrays.node_y[[10, 200]])
    steps = [
        lambda: scenario.add("stations", float(x[0]) + 0.0004, float(y[0]), facility_id="new"),
        lambda: scenario.move("stations", "F3", float(x[1]), float(y[1])),
        lambda: scenario.close("stations", "F5"),
        lambda: scenario.close("stations", "new"),
    ]
    for step in steps:
        step()
        redrawn = scenario.service_circle("stations")
        assert _share(redrawn, _rebuilt(scenario)) < 1e-6
    # the parent scenario keeps its polygon
    assert _share(whatif.fork("again").service_circle("stations"), base) < 1e-9


def test_a_fork_redraws_on_its_own(whatif: WhatIf) -> None:
    parent = whatif.fork("parent")
    before = parent.service_circle("stations")
    child = parent.fork("child")
    for facility_id in ("F0", "F1", "F2"):
        child.close("stations", facility_id)
    assert _share(parent.service_circle("stations"), before) == 0.0
    assert _share(child.service_circle("stations"), _rebuilt(child)) < 1e-6
    assert child.service_circle("stations").area < 0.99 * before.area
    summary = pd.DataFrame(child.summary())
    assert int(summary.loc[summary["layer"] == "stations", "facilities"].iloc[0]) == 7


def test_a_layer_reaching_nearly_every_street_is_drawn_from_what_it_leaves_out(
    helsinki_network: WalkNetwork,
) -> None:
    import importlib

    module = importlib.import_module("geo.analysis.service_areas")
    facilities = _random_facilities(helsinki_network, 40, 7, off_street_m=40.0)
    lon, lat = helsinki_network.to_wgs84(*helsinki_network.points_to_metric(facilities))
    # one facility far from every street (its own disc), one just off a street's end
    far = gpd.GeoDataFrame(
        {"facility_id": ["far"], "name": ["far"]},
        geometry=[shapely.Point(lon[0] + 0.1, lat[0] + 0.05)],
        crs="EPSG:4326",
    )
    facilities = pd.concat([facilities, far], ignore_index=True)
    rule = ServiceRule(1500, "m")
    areas = layer_areas(helsinki_network, facilities, rule)
    assert areas.distances is not None and areas.distances.snaps is not None
    snaps, nearest_m = areas.distances.snaps, areas.distances.nearest_m
    pieces = helsinki_network.pieces
    whole, cut = pieces.covered(
        nearest_m, rule.max_metres, edge=snaps.edge, along=snaps.along, access=snaps.access
    )
    n_edges = helsinki_network.require_arrays().n_edges
    left = n_edges - whole.size
    assert 0 < left <= module._COMPLEMENT_SHARE * n_edges  # the complement is drawn
    near = snaps.access <= rule.max_metres
    assert not near.all()
    direct = module._buffered_union(
        helsinki_network,
        whole,
        np.concatenate([cut, module._access_lines(snaps)[near]]),
        np.asarray(shapely.points(snaps.x[~near], snaps.y[~near]), dtype=object),
        shared=1,
    )
    assert areas.union.is_valid
    assert _share(areas.union, direct) < 1e-5
    # the lone facility's disc lies outside every street's buffer, and is kept
    disc = shapely.buffer(shapely.Point(snaps.x[-1], snaps.y[-1]), 10.0)
    assert areas.union.contains(disc)
