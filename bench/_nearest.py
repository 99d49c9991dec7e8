"""Batch nearest-facility queries: the project against pandana's ``nearest_pois``.

Both sides answer node to node: the query points and the facilities stand exactly on
graph nodes, so pandana's mapping of a point to its nearest node and the project's
snapping of a point onto its nearest street (which lands on that node, with no access
walk) are the same, and both return the walking metres between two nodes.

What is timed, on each side, from "here are the facilities and the points" to "here is
every point's nearest facility and its metres":

- project: ``NearestFacilities(network, facilities)`` (snaps the facilities, one
  multi-source search) + ``query_many(lon, lat, k=k)``;
- pandana: ``set_pois`` + ``nearest_pois`` (every node's nearest POIs within
  ``maxdist``) + ``get_node_ids`` for the points + looking their rows up.

pandana needs a search radius; it gets the smallest that holds every answer (the
largest k-th nearest distance the project finds, rounded up), which favours pandana:
its time grows with the radius.

The network preparation is left out on both sides and reported apart: the project's
array form of the graph (``network_from_graph``) and pandana's ``Network`` (its
contraction hierarchy).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from geo.analysis import NearestFacilities, WalkNetwork

__all__ = ["NearestComparison", "compare_nearest", "pandana_network"]


@dataclass(frozen=True)
class NearestComparison:
    """Timings (seconds, best of the repeats) and agreement of the two batch answers."""

    points: int
    k: int
    project_prepare_s: float
    project_query_s: float
    pandana_s: float
    pandana_network_s: float
    maxdist_m: float
    compared: int
    max_abs_diff_m: float

    @property
    def project_s(self) -> float:
        """Project time: preparation of the facilities plus the queries."""
        return self.project_prepare_s + self.project_query_s

    @property
    def ratio(self) -> float:
        """Project time / pandana time."""
        return self.project_s / self.pandana_s


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send what pandana's compiled code prints to stderr, keeping stdout for results."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def pandana_network(graph: nx.MultiDiGraph) -> Any:
    """A ``pandana.Network`` from the graph's own nodes and directed edges (metres)."""
    import pandana

    nodes = pd.DataFrame.from_dict(dict(graph.nodes(data=True)), orient="index")
    u, v, length = zip(*graph.edges(data="length"), strict=True)
    edges = pd.DataFrame({"from": u, "to": v, "length": np.asarray(length, dtype=float)})
    with _stdout_to_stderr():
        return pandana.Network(
            nodes["x"], nodes["y"], edges["from"], edges["to"], edges[["length"]], twoway=False
        )


def compare_nearest(
    network: WalkNetwork,
    graph: nx.MultiDiGraph,
    facilities: gpd.GeoDataFrame,
    query_nodes: np.ndarray,
    query_lonlat: tuple[np.ndarray, np.ndarray],
    *,
    k: int,
    repeats: int,
) -> NearestComparison:
    """Time both batch answers and check that their metres agree.

    Parameters
    ----------
    network
        The project's network built from ``graph``.
    graph
        Projected walking graph.
    facilities
        Facilities with a ``node`` column, EPSG:4326.
    query_nodes
        The nodes the query points stand on.
    query_lonlat
        Their lon/lat (EPSG:4326 degrees).
    k
        Nearest facilities per point.
    repeats
        Timed repeats; the best is kept.

    Returns
    -------
    NearestComparison
    """
    lon, lat = query_lonlat
    _, first = NearestFacilities(network, facilities).query_many(lon, lat, k=k)
    kth = first[:, -1]
    maxdist_m = float(np.ceil(kth[np.isfinite(kth)].max(initial=0.0))) + 1.0
    started = time.perf_counter()
    net = pandana_network(graph)
    pandana_network_s = time.perf_counter() - started
    node_xy = np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in query_nodes])
    fac_xy = np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in facilities["node"]])

    project_prepare = project_query = pandana_time = np.inf
    metres = pandana_m = np.empty(0)
    for _ in range(repeats):
        started = time.perf_counter()
        nearest = NearestFacilities(network, facilities)
        prepared = time.perf_counter()
        _, metres = nearest.query_many(lon, lat, k=k)
        done = time.perf_counter()
        project_prepare = min(project_prepare, prepared - started)
        project_query = min(project_query, done - prepared)

        with _stdout_to_stderr():
            started = time.perf_counter()
            net.set_pois(
                category="facilities", maxdist=maxdist_m, maxitems=k,
                x_col=pd.Series(fac_xy[:, 0]), y_col=pd.Series(fac_xy[:, 1]),
            )  # fmt: skip
            table = net.nearest_pois(maxdist_m, "facilities", num_pois=k)
            point_nodes = net.get_node_ids(pd.Series(node_xy[:, 0]), pd.Series(node_xy[:, 1]))
            pandana_m = table.loc[point_nodes.to_numpy()].to_numpy(dtype=float)
            pandana_time = min(pandana_time, time.perf_counter() - started)

    within = np.isfinite(metres)
    diff = np.abs(metres[within] - pandana_m[within])
    return NearestComparison(
        points=len(query_nodes),
        k=k,
        project_prepare_s=project_prepare,
        project_query_s=project_query,
        pandana_s=pandana_time,
        pandana_network_s=pandana_network_s,
        maxdist_m=maxdist_m,
        compared=int(within.sum()),
        max_abs_diff_m=float(diff.max()) if diff.size else float("nan"),
    )
