"""Benchmark inputs: the walking graph, random facilities, grids and query points.

Every graph here is an osmnx-style ``networkx.MultiDiGraph`` in a metric (UTM) CRS,
``graph.graph["crs"]`` set, node attributes ``x``/``y`` in metres, edges in both
directions with ``length`` in metres. The same graph object feeds the project, the
osmnx-style baseline, the exact reference and pandana.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pyproj
import shapely

__all__ = [
    "FACILITY_COUNTS",
    "BenchInputs",
    "bench_inputs",
    "graph_from_osm",
    "node_lonlat",
    "synthetic_lattice",
]

logger = logging.getLogger(__name__)

#: Facilities per analysis layer placed on the graph.
FACILITY_COUNTS: dict[str, int] = {"rest_points": 100, "stations": 160, "centres": 25}

#: Where the synthetic lattice lies: south-west corner in lon/lat (Jingkou, Zhenjiang).
_LATTICE_ORIGIN_LONLAT = (119.40, 32.12)
_LATTICE_CRS = "EPSG:32650"


@dataclass(frozen=True)
class BenchInputs:
    """Everything one benchmark run works on.

    Attributes
    ----------
    label
        What the graph is, for the report.
    graph
        Projected walking graph (metres, ``graph.graph["crs"]``).
    facilities
        Analysis layer -> facilities (``facility_id``, ``name``, ``kind``, ``node``,
        Point geometry, EPSG:4326); each facility sits exactly on the node ``node``.
    grids
        Voronoi grid polygons with random residents (grids layer schema, EPSG:4326).
    query_nodes
        Nodes whose positions are the batch nearest-facility query points.
    """

    label: str
    graph: nx.MultiDiGraph
    facilities: dict[str, gpd.GeoDataFrame]
    grids: gpd.GeoDataFrame
    query_nodes: np.ndarray


def node_lonlat(graph: nx.MultiDiGraph, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the lon/lat (EPSG:4326 degrees) of graph nodes.

    Parameters
    ----------
    graph
        Projected graph (node ``x``/``y`` in ``graph.graph["crs"]``).
    nodes
        Node ids.

    Returns
    -------
    tuple of numpy.ndarray
        Longitudes and latitudes.
    """
    x = np.array([graph.nodes[n]["x"] for n in nodes], dtype=float)
    y = np.array([graph.nodes[n]["y"] for n in nodes], dtype=float)
    to_wgs84 = pyproj.Transformer.from_crs(graph.graph["crs"], 4326, always_xy=True)
    lon, lat = to_wgs84.transform(x, y)
    return np.asarray(lon), np.asarray(lat)


def synthetic_lattice(
    *,
    size: int = 225,
    block_m: float = 80.0,
    jitter_m: float = 8.0,
    removed_share: float = 0.06,
    seed: int = 0,
) -> nx.MultiDiGraph:
    """Build a jittered street lattice in EPSG:32650 (Jingkou, Zhenjiang).

    Parameters
    ----------
    size
        Nodes per side; the lattice has ``size**2`` nodes before pruning.
    block_m
        Block length in metres.
    jitter_m
        Each node moves by up to this many metres in x and y (uniform).
    removed_share
        Share of street segments removed at random (dead ends, missing links).
    seed
        Random seed.

    Returns
    -------
    networkx.MultiDiGraph
        The largest strongly connected part, edges both ways, ``length`` in metres.
    """
    rng = np.random.default_rng(seed)
    to_utm = pyproj.Transformer.from_crs(4326, _LATTICE_CRS, always_xy=True)
    x0, y0 = to_utm.transform(*_LATTICE_ORIGIN_LONLAT)
    col, row = np.meshgrid(np.arange(size), np.arange(size))
    xs = x0 + col.ravel() * block_m + rng.uniform(-jitter_m, jitter_m, size * size)
    ys = y0 + row.ravel() * block_m + rng.uniform(-jitter_m, jitter_m, size * size)
    ids = np.arange(size * size).reshape(size, size)
    right = np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()])
    up = np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()])
    pairs = np.vstack([right, up])
    pairs = pairs[rng.random(len(pairs)) >= removed_share]
    lengths = np.hypot(xs[pairs[:, 0]] - xs[pairs[:, 1]], ys[pairs[:, 0]] - ys[pairs[:, 1]])

    graph = nx.MultiDiGraph(crs=_LATTICE_CRS, name="synthetic lattice")
    graph.add_nodes_from(
        (int(n), {"x": float(xs[n]), "y": float(ys[n]), "street_count": 0})
        for n in range(size * size)
    )
    for (u, v), length in zip(pairs.tolist(), lengths.tolist(), strict=True):
        graph.add_edge(u, v, length=length, highway="residential")
        graph.add_edge(v, u, length=length, highway="residential")
    largest = max(nx.strongly_connected_components(graph), key=len)
    graph = graph.subgraph(largest).copy()
    nx.set_node_attributes(graph, {n: graph.degree(n) // 2 for n in graph}, "street_count")
    logger.info(
        "synthetic lattice: %s nodes, %s edges", graph.number_of_nodes(), graph.number_of_edges()
    )
    return graph


def graph_from_osm(path: str | Path) -> nx.MultiDiGraph:
    """Read the walking graph of an OSM PBF file with pyrosm, unsimplified, in UTM.

    Parameters
    ----------
    path
        An ``.osm.pbf`` file.

    Returns
    -------
    networkx.MultiDiGraph
        Every segment of every walkable way as its own edge, both directions, the
        largest strongly connected part, projected to its UTM zone.
    """
    import pyrosm

    osm = pyrosm.OSM(str(path))
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    graph = osm.to_graph(
        nodes,
        edges,
        graph_type="networkx",
        network_type="walking",
        simplify=False,
        progress=False,
    )
    largest = max(nx.strongly_connected_components(graph), key=len)
    graph = ox.project_graph(graph.subgraph(largest).copy())
    for _, _, data in graph.edges(data=True):
        data.pop("geometry", None)  # unsimplified: every edge is one straight segment
    logger.info(
        "%s: %s nodes, %s edges",
        Path(path).name,
        graph.number_of_nodes(),
        graph.number_of_edges(),
    )
    return graph


def _voronoi_grids(
    graph: nx.MultiDiGraph, count: int, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    xy = np.array([(d["x"], d["y"]) for _, d in graph.nodes(data=True)])
    hull = shapely.MultiPoint(xy).convex_hull
    minx, miny, maxx, maxy = hull.bounds
    seeds: list[shapely.Point] = []
    while len(seeds) < count:
        x, y = rng.uniform(minx, maxx, count), rng.uniform(miny, maxy, count)
        inside = shapely.contains_xy(hull, x, y)
        seeds.extend(shapely.Point(a, b) for a, b in zip(x[inside], y[inside], strict=True))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds[:count]), extend_to=hull)
    )
    cells = shapely.intersection(cells, hull)
    grids = gpd.GeoDataFrame(
        {
            "grid_id": [f"G{i:04d}" for i in range(len(cells))],
            "name": [f"grid {i}" for i in range(len(cells))],
            "community": None,
            "street": None,
            "households": pd.array([pd.NA] * len(cells), dtype="Int64"),
            "population": pd.array(rng.integers(300, 6000, len(cells)), dtype="Int64"),
            "demo": False,
        },
        geometry=cells,
        crs=graph.graph["crs"],
    )
    return grids.to_crs(4326)


def bench_inputs(
    graph: nx.MultiDiGraph,
    *,
    label: str,
    seed: int = 0,
    grids: int = 295,
    query_points: int = 10_000,
    facilities_scale: float = 1.0,
) -> BenchInputs:
    """Place facilities, grids and query points on a graph at random (fixed seed).

    Parameters
    ----------
    graph
        Projected walking graph.
    label
        What the graph is, for the report.
    seed
        Random seed.
    grids
        Number of Voronoi grid cells over the graph's convex hull.
    query_points
        Number of batch nearest-facility query points (random nodes).
    facilities_scale
        Multiplies :data:`FACILITY_COUNTS` (at least one facility per layer).

    Returns
    -------
    BenchInputs
    """
    rng = np.random.default_rng(seed)
    nodes = np.array(sorted(graph.nodes))
    total = {layer: max(1, round(n * facilities_scale)) for layer, n in FACILITY_COUNTS.items()}
    chosen = rng.choice(nodes, size=sum(total.values()), replace=False)
    facilities: dict[str, gpd.GeoDataFrame] = {}
    start = 0
    for layer, count in total.items():
        layer_nodes = chosen[start : start + count]
        start += count
        lon, lat = node_lonlat(graph, layer_nodes)
        kind = {"stations": "station", "centres": "centre"}.get(layer)
        facilities[layer] = gpd.GeoDataFrame(
            {
                "facility_id": [f"{layer}-{i}" for i in range(count)],
                "name": [f"{layer} {i}" for i in range(count)],
                "kind": kind,
                "node": layer_nodes,
            },
            geometry=shapely.points(lon, lat),
            crs=4326,
        )
    return BenchInputs(
        label=label,
        graph=graph,
        facilities=facilities,
        grids=_voronoi_grids(graph, grids, rng),
        query_nodes=rng.choice(nodes, size=query_points, replace=True),
    )
