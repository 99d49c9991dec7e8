"""Candidate sites: thinning, street nodes and lattice points in underserved grids."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from scipy.spatial.distance import pdist, squareform

from geo.analysis.candidates import candidate_sites, candidates_from_network, thin_points
from geo.analysis.network import WalkNetwork, approximate_network, network_from_graph
from geo.errors import AnalysisError

METRIC = "EPSG:32650"
X0, Y0 = 500_000.0, 3_560_000.0


def lattice_graph(n: int, spacing: float) -> nx.MultiDiGraph:
    """An ``n`` x ``n`` street lattice ``spacing`` metres apart, in UTM 50N."""
    graph = nx.MultiDiGraph(crs=METRIC)
    for i in range(n):
        for j in range(n):
            graph.add_node(i * n + j, x=X0 + i * spacing, y=Y0 + j * spacing)
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n:
                    a, b = i * n + j, (i + di) * n + j + dj
                    graph.add_edge(a, b, length=spacing)
                    graph.add_edge(b, a, length=spacing)
    return graph


def square_grids(cells: int, size: float) -> gpd.GeoDataFrame:
    boxes = [
        shapely.box(X0 + i * size, Y0 + j * size, X0 + (i + 1) * size, Y0 + (j + 1) * size)
        for i in range(cells)
        for j in range(cells)
    ]
    ids = [f"G{k}" for k in range(len(boxes))]
    return gpd.GeoDataFrame({"grid_id": ids, "name": ids}, geometry=boxes, crs=METRIC).to_crs(
        "EPSG:4326"
    )


@pytest.fixture(scope="module")
def street_network() -> WalkNetwork:
    return network_from_graph(lattice_graph(21, 50.0), crs=METRIC)


def metric_xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    metric = frame.to_crs(METRIC)
    return np.column_stack([metric.geometry.x, metric.geometry.y])


def test_thin_points_keeps_spacing_and_drops_only_close_points() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 1000, size=(400, 2))
    points = gpd.GeoDataFrame({"score": rng.random(400)}, geometry=shapely.points(xy), crs=METRIC)
    kept = thin_points(points, 100.0, priority="score")
    kept_xy = metric_xy(kept)
    distances = squareform(pdist(kept_xy))
    np.fill_diagonal(distances, np.inf)
    assert distances.min() >= 100.0
    # every dropped point has a kept neighbour within the spacing (the thinning is maximal)
    dropped = points.index.difference(kept.index)
    to_kept = np.linalg.norm(xy[dropped][:, None, :] - kept_xy[None, :, :], axis=2)
    assert (to_kept.min(axis=1) < 100.0).all()
    # the point with the highest score always survives, and comes first
    assert kept.index[0] == points["score"].idxmax()


def test_thin_points_measures_metres_for_lon_lat_points() -> None:
    # two points 0.0005 degrees of latitude apart are ~55 m apart
    points = gpd.GeoDataFrame(
        geometry=[shapely.Point(119.45, 32.20), shapely.Point(119.45, 32.2005)], crs="EPSG:4326"
    )
    assert len(thin_points(points, 50.0)) == 2
    assert len(thin_points(points, 60.0)) == 1
    assert points.crs == thin_points(points, 60.0).crs


@pytest.mark.parametrize(
    ("spacing", "crs", "geometry", "match"),
    [
        (0.0, METRIC, shapely.Point(0, 0), "spacing_m must be a positive"),
        (10.0, None, shapely.Point(0, 0), "the points have no CRS"),
        (10.0, METRIC, shapely.box(0, 0, 1, 1), "needs point geometries; got a Polygon"),
    ],
)
def test_thin_points_rejects_bad_input(
    spacing: float, crs: str | None, geometry: shapely.Geometry, match: str
) -> None:
    frame = gpd.GeoDataFrame(geometry=[geometry], crs=crs)
    with pytest.raises(AnalysisError, match=match):
        thin_points(frame, spacing)


def test_street_node_candidates_lie_in_the_grids_and_keep_spacing(
    street_network: WalkNetwork,
) -> None:
    grids = square_grids(4, 250.0)
    chosen = grids.iloc[[0, 5]]
    sites = candidates_from_network(street_network, chosen, spacing_m=120.0)
    assert list(sites.columns) == ["candidate_id", "name", "kind", "grid_id", "geometry"]
    assert sites.crs == "EPSG:4326"
    assert (sites["kind"] == "street_node").all()
    assert sites["candidate_id"].str.match(r"^N\d+$").all()
    assert sites["candidate_id"].is_unique
    # each site is a street node inside the grid it names
    node_xy = {f"N{n}": (d["x"], d["y"]) for n, d in lattice_graph(21, 50.0).nodes(data=True)}
    xy = metric_xy(sites)
    for (x, y), candidate, grid_id in zip(xy, sites["candidate_id"], sites["grid_id"], strict=True):
        assert (x, y) == pytest.approx(node_xy[candidate])
        polygon = chosen.to_crs(METRIC).set_index("grid_id").geometry[grid_id]
        assert polygon.covers(shapely.Point(x, y))
    distances = squareform(pdist(xy))
    np.fill_diagonal(distances, np.inf)
    assert distances.min() >= 120.0
    assert set(sites["grid_id"]) == {"G0", "G5"}


def test_approximate_mode_uses_lattice_points() -> None:
    grids = square_grids(3, 400.0)
    network = approximate_network(grids)
    sites = candidates_from_network(network, grids, spacing_m=200.0)
    assert (sites["kind"] == "lattice").all()
    xy = sites.to_crs(network.crs)
    # lattice points sit on multiples of the spacing in the network's metric CRS
    remainder = np.mod(np.round(xy.geometry.x.to_numpy(), 6), 200.0)
    assert np.all(np.isclose(remainder, 0.0) | np.isclose(remainder, 200.0))
    # about (1200 m / 200 m)^2 points fall inside the 1.2 km square
    assert 25 <= len(sites) <= 49


def test_tiny_grid_gets_its_representative_point() -> None:
    # a 30 m square well away from every multiple of 200 m
    box = shapely.box(X0 + 50.0, Y0 + 50.0, X0 + 80.0, Y0 + 80.0)
    grids = gpd.GeoDataFrame({"grid_id": ["T"]}, geometry=[box], crs=METRIC).to_crs("EPSG:4326")
    network = approximate_network(square_grids(3, 400.0))
    sites = candidates_from_network(network, grids, spacing_m=200.0)
    assert len(sites) == 1
    assert grids.geometry.iloc[0].covers(sites.geometry.iloc[0])


def test_candidate_sites_are_generated_only_in_underserved_grids(
    street_network: WalkNetwork,
) -> None:
    grids = square_grids(4, 250.0)
    share = {grid_id: 1.0 for grid_id in grids["grid_id"]}
    share["G3"] = 0.4
    share["G7"] = 0.0
    share["G8"] = float("nan")  # no residents: not underserved
    sites = candidate_sites(street_network, grids, share, spacing_m=100.0)
    assert set(sites["grid_id"]) == {"G3", "G7"}


def test_candidate_sites_use_a_layer_as_given() -> None:
    layer = gpd.GeoDataFrame(
        {"candidate_id": ["C1", "C2"], "name": ["supermarket", "estate gate"], "extra": [1, 2]},
        geometry=[shapely.Point(119.45, 32.2), shapely.Point(119.46, 32.21)],
        crs="EPSG:4326",
    )
    original = layer.copy()
    network = approximate_network(square_grids(3, 400.0))
    sites = candidate_sites(network, square_grids(3, 400.0), {}, candidates=layer)
    assert sites["candidate_id"].tolist() == ["C1", "C2"]
    assert sites["kind"].isna().all()
    assert sites.geometry.equals(layer.geometry)
    assert_geodataframe_equal(layer, original)


@pytest.mark.parametrize(
    ("ids", "geometry", "match"),
    [
        (["C1", "C1"], [shapely.Point(0, 0), shapely.Point(1, 1)], "'C1' appears more than once"),
        (["C1", "C2"], [shapely.Point(0, 0), shapely.box(0, 0, 1, 1)], "'C2' has a Polygon"),
        ([], [], "has no rows"),
    ],
)
def test_candidate_layer_is_checked(
    ids: list[str], geometry: list[shapely.Geometry], match: str
) -> None:
    layer = gpd.GeoDataFrame({"candidate_id": ids, "name": ids}, geometry=geometry, crs="EPSG:4326")
    network = approximate_network(square_grids(3, 400.0))
    with pytest.raises(AnalysisError, match=match):
        candidate_sites(network, square_grids(3, 400.0), {}, candidates=layer)
