"""The plain osmnx approach: the osmnx isochrone example, once per facility.

For each facility, as in the osmnx-examples notebook "13-isolines-isochrones":
``networkx.ego_graph(G, node, radius=limit, distance="length")`` gives the reached
subgraph; its nodes become points and its edges lines (the edge ``geometry`` or a
straight line between the end nodes, looked up per edge), both buffered, and
``unary_union`` of the pieces is the isochrone. The notebook buffers nodes by 50 m and
edges by 25 m; here both use the project's street-side width so that areas compare.

A layer's union is the union of its isochrones. Grid coverage, as a plain geopandas
analysis would do it: the share of each grid's area inside the union, residents
spread evenly over the grid's area, and the nearest facility's walking time from one
``networkx.multi_source_dijkstra_path_length`` over the graph, averaged over the grid's
street nodes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

__all__ = ["BaselineLayer", "baseline_analysis", "isochrone"]

logger = logging.getLogger(__name__)


@dataclass
class BaselineLayer:
    """One layer analysed the osmnx-example way; geometry in the graph's CRS.

    Attributes
    ----------
    reached
        Per facility, the nodes ``ego_graph`` keeps.
    polygons
        Per facility, its isochrone polygon.
    union
        Union of the layer's isochrones.
    grids
        Per grid: ``grid_id``, ``residents``, ``area_share_covered``,
        ``residents_covered``, ``nearest_minutes``.
    """

    reached: list[set[int]]
    polygons: list[BaseGeometry]
    union: BaseGeometry
    grids: pd.DataFrame


def isochrone(
    graph: nx.MultiDiGraph, center: int, radius_m: float, *, node_buff: float, edge_buff: float
) -> tuple[set[int], BaseGeometry]:
    """Return the nodes reached from ``center`` and the example's isochrone polygon.

    Parameters
    ----------
    graph
        Projected walking graph, edge ``length`` in metres.
    center
        Start node.
    radius_m
        Network distance limit in metres.
    node_buff, edge_buff
        Buffer widths in metres for reached nodes and reached edges.

    Returns
    -------
    tuple
        The reached node ids and the polygon, in the graph's CRS.
    """
    subgraph = nx.ego_graph(graph, center, radius=radius_m, distance="length")
    node_points = [Point((data["x"], data["y"])) for _, data in subgraph.nodes(data=True)]
    nodes_gdf = gpd.GeoDataFrame({"id": list(subgraph.nodes)}, geometry=node_points)
    nodes_gdf = nodes_gdf.set_index("id")
    edge_lines = []
    for n_fr, n_to in subgraph.edges():
        f = nodes_gdf.loc[n_fr].geometry
        t = nodes_gdf.loc[n_to].geometry
        edge_lookup = graph.get_edge_data(n_fr, n_to)[0].get("geometry", LineString([f, t]))
        edge_lines.append(edge_lookup)
    n = nodes_gdf.buffer(node_buff).geometry
    e = gpd.GeoSeries(edge_lines).buffer(edge_buff).geometry
    all_gs = list(n) + list(e)
    return set(subgraph.nodes), gpd.GeoSeries(all_gs).union_all()


def baseline_analysis(
    graph: nx.MultiDiGraph,
    facilities: dict[str, gpd.GeoDataFrame],
    grids: gpd.GeoDataFrame,
    limits_m: dict[str, float],
    *,
    width_m: float,
    speed_kmh: float,
    on_facility: Callable[[], None] | None = None,
) -> dict[str, BaselineLayer]:
    """Run the full three-layer analysis the osmnx-example way.

    Parameters
    ----------
    graph
        Projected walking graph, edge ``length`` in metres.
    facilities
        Layer -> facilities with a ``node`` column (the node each one stands on).
    grids
        Grid polygons with ``grid_id`` and ``population``, EPSG:4326.
    limits_m
        Layer -> network distance limit in metres.
    width_m
        Buffer width in metres for nodes and edges.
    speed_kmh
        Walking speed turning metres into minutes.
    on_facility
        Called after each isochrone (progress).

    Returns
    -------
    dict
        Layer -> :class:`BaselineLayer`.
    """
    grids_m = grids.to_crs(graph.graph["crs"])
    residents = grids_m["population"].astype(float).to_numpy()
    nodes_gdf = ox.graph_to_gdfs(graph, edges=False)[["geometry"]]
    node_grid = gpd.sjoin(nodes_gdf, grids_m[["grid_id", "geometry"]], predicate="within")
    metres_per_minute = speed_kmh * 1000 / 60
    result: dict[str, BaselineLayer] = {}
    for layer, frame in facilities.items():
        reached: list[set[int]] = []
        polygons: list[BaseGeometry] = []
        for node in frame["node"]:
            nodes, polygon = isochrone(
                graph, node, limits_m[layer], node_buff=width_m, edge_buff=width_m
            )
            reached.append(nodes)
            polygons.append(polygon)
            if on_facility is not None:
                on_facility()
        union = gpd.GeoSeries(polygons).union_all()
        covered_area = grids_m.geometry.intersection(union).area.to_numpy()
        area_share = covered_area / grids_m.geometry.area.to_numpy()
        distance = nx.multi_source_dijkstra_path_length(graph, set(frame["node"]), weight="length")
        node_minutes = node_grid.index.map(distance).to_numpy(dtype=float) / metres_per_minute
        minutes = pd.Series(node_minutes, index=node_grid["grid_id"]).groupby(level=0).mean()
        result[layer] = BaselineLayer(
            reached=reached,
            polygons=polygons,
            union=union,
            grids=pd.DataFrame(
                {
                    "grid_id": grids_m["grid_id"].to_numpy(),
                    "residents": residents,
                    "area_share_covered": area_share,
                    "residents_covered": residents * area_share,
                    "nearest_minutes": grids_m["grid_id"].map(minutes).to_numpy(),
                }
            ),
        )
        logger.info(
            "osmnx approach, %s: %s isochrones, union %.2f km2, %.0f residents covered",
            layer,
            len(polygons),
            union.area / 1e6,
            float(np.sum(residents * area_share)),
        )
    return result
