"""The exact reference service area, computed independently of the project.

For a facility standing on node ``s`` with a network distance limit ``L``, plain
``networkx.single_source_dijkstra_path_length(G, s, cutoff=L)`` gives every reached
node ``u`` its distance ``d(u)``. Every edge ``u -> v`` leaving a reached node is
walked for ``min(length, L - d(u))`` metres along its geometry: the whole edge when
that fits, otherwise the exact part up to the cut-off point (an edge reached from both
ends contributes both parts). The reference area is the union of those segments, each
buffered by the street-side width, plus the facility's own disc.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

__all__ = ["exact_service_area"]


def exact_service_area(
    graph: nx.MultiDiGraph, source: int, limit_m: float, *, width_m: float
) -> tuple[dict[int, float], BaseGeometry]:
    """Return the distances of the reached nodes and the exact buffered service area.

    Parameters
    ----------
    graph
        Projected walking graph, edge ``length`` in metres, straight edges unless an
        edge has a ``geometry`` (drawn from ``u`` to ``v``).
    source
        The facility's node.
    limit_m
        Network distance limit in metres.
    width_m
        Street-side width in metres each segment is buffered by.

    Returns
    -------
    tuple
        ``{node: metres}`` for every node within the limit, and the area polygon in the
        graph's CRS.
    """
    distance = nx.single_source_dijkstra_path_length(graph, source, cutoff=limit_m, weight="length")
    x0: list[float] = []
    y0: list[float] = []
    x1: list[float] = []
    y1: list[float] = []
    curved: list[BaseGeometry] = []
    nodes = graph.nodes
    for u, d_u in distance.items():
        budget = limit_m - d_u
        if budget <= 0:
            continue
        for v, data in graph.adj[u].items():
            for edge in data.values():
                length = edge["length"]
                fraction = 1.0 if length <= budget else budget / length
                geometry = edge.get("geometry")
                if geometry is not None:
                    curved.append(substring(geometry, 0.0, fraction, normalized=True))
                    continue
                ux, uy = nodes[u]["x"], nodes[u]["y"]
                x0.append(ux)
                y0.append(uy)
                x1.append(ux + (nodes[v]["x"] - ux) * fraction)
                y1.append(uy + (nodes[v]["y"] - uy) * fraction)
    straight = (
        shapely.linestrings(
            np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)
        )
        if x0
        else np.empty(0, dtype=object)
    )
    source_point = shapely.Point(nodes[source]["x"], nodes[source]["y"])
    pieces = np.concatenate([straight, np.array(curved, dtype=object), [source_point]])
    return distance, shapely.union_all(shapely.buffer(pieces, width_m))
