"""Array form of a walking graph: node coordinates, an undirected CSR matrix, edge geometry.

Walkers go both ways along every street, so the graph is treated as undirected: the CSR
matrix holds, for every pair of adjacent nodes, the shortest of the edges joining them in
either direction. The edge arrays hold every street once (a two-way street that the graph
stores as two opposite edges appears once), with its geometry in metres oriented from
``edge_u`` to ``edge_v``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely

__all__ = ["GraphArrays", "graph_arrays"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
GeomArray = npt.NDArray[np.object_]
Transform = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


@dataclass(frozen=True, eq=False)
class GraphArrays:
    """A walking graph as arrays, all coordinates in metres of one projected CRS.

    Attributes
    ----------
    node_ids
        The graph's node keys (OSM ids), in row order of the CSR matrix.
    node_x, node_y
        Node coordinates, metres.
    csr
        Symmetric ``N x N`` matrix of street lengths in metres (the shortest edge of every
        adjacent pair); zero-length streets are kept as explicit zeros.
    csr_edge
        For every stored entry of ``csr`` (aligned with ``csr.data``), the index of the
        street in the edge arrays that gives that length.
    edge_u, edge_v
        Row indices of each street's end nodes.
    edge_length
        Street length in metres (the graph's ``length`` attribute).
    edge_geometry
        Street geometry (LineString, metres), oriented from ``edge_u`` to ``edge_v``.
    """

    node_ids: npt.NDArray[Any]
    node_x: FloatArray
    node_y: FloatArray
    csr: sp.csr_matrix
    csr_edge: IntArray
    edge_u: IntArray
    edge_v: IntArray
    edge_length: FloatArray
    edge_geometry: GeomArray
    tree: shapely.STRtree = field(repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_x.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of streets (undirected edges)."""
        return int(self.edge_u.shape[0])

    def edge_between(self, a: int, b: int) -> int:
        """Index of the shortest street joining nodes ``a`` and ``b`` (row indices)."""
        start, stop = self.csr.indptr[a], self.csr.indptr[a + 1]
        pos = start + int(np.searchsorted(self.csr.indices[start:stop], b))
        return int(self.csr_edge[pos])


def _project_lines(lines: GeomArray, transform: Transform | None) -> GeomArray:
    if transform is None or lines.size == 0:
        return lines

    def _coords(xy: FloatArray) -> FloatArray:
        x, y = transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    projected: GeomArray = shapely.transform(lines, _coords)
    return projected


def graph_arrays(graph: nx.MultiDiGraph, transform: Transform | None) -> GraphArrays:
    """Build the array form of a walking graph.

    Parameters
    ----------
    graph
        Walking graph with node attributes ``x``, ``y`` and edge attribute ``length``
        (metres); edge ``geometry`` is used when present.
    transform
        Function from the graph's coordinates to metres of the analysis CRS, or ``None``
        when the graph is already in that CRS.

    Returns
    -------
    GraphArrays
    """
    node_ids = np.array(list(graph.nodes), dtype=object)
    with contextlib.suppress(TypeError, ValueError, OverflowError):
        node_ids = node_ids.astype(np.int64)
    index = {node: i for i, node in enumerate(graph.nodes)}
    raw_x = np.fromiter((d["x"] for _, d in graph.nodes(data=True)), float, len(index))
    raw_y = np.fromiter((d["y"] for _, d in graph.nodes(data=True)), float, len(index))
    node_x, node_y = (raw_x, raw_y) if transform is None else transform(raw_x, raw_y)
    node_x = np.asarray(node_x, dtype=float)
    node_y = np.asarray(node_y, dtype=float)

    us: list[int] = []
    vs: list[int] = []
    lengths: list[float] = []
    raw_geometry: list[object] = []
    for u, v, data in graph.edges(data=True):
        us.append(index[u])
        vs.append(index[v])
        value = data.get("length")
        lengths.append(np.nan if value is None else float(value))
        raw_geometry.append(data.get("geometry"))
    eu = np.asarray(us, dtype=np.int64)
    ev = np.asarray(vs, dtype=np.int64)
    length = np.asarray(lengths, dtype=float)
    geometry = np.empty(len(raw_geometry), dtype=object)
    geometry[:] = raw_geometry

    # one street per unordered pair and length (two-way streets appear as two edges)
    lo, hi = np.minimum(eu, ev), np.maximum(eu, ev)
    key_len = np.round(length, 3)
    order = np.lexsort((key_len, hi, lo))
    keep = np.ones(eu.shape[0], dtype=bool)
    same = (
        (lo[order][1:] == lo[order][:-1])
        & (hi[order][1:] == hi[order][:-1])
        & (key_len[order][1:] == key_len[order][:-1])
    )
    keep[order[1:][same]] = False
    eu, ev, length, geometry = eu[keep], ev[keep], length[keep], geometry[keep]

    has_geometry = np.fromiter((g is not None for g in geometry), bool, geometry.shape[0])
    geometry[has_geometry] = _project_lines(geometry[has_geometry], transform)
    straight = np.flatnonzero(~has_geometry)
    if straight.size:
        ends = np.stack(
            [
                np.column_stack([node_x[eu[straight]], node_y[eu[straight]]]),
                np.column_stack([node_x[ev[straight]], node_y[ev[straight]]]),
            ],
            axis=1,
        )
        geometry[straight] = shapely.linestrings(ends)
    missing = np.isnan(length)
    length[missing] = shapely.length(geometry[missing])

    # orient every geometry from u to v
    coords, owner = shapely.get_coordinates(geometry, return_index=True)
    first = coords[np.searchsorted(owner, np.arange(geometry.shape[0]))]
    d_u = np.hypot(first[:, 0] - node_x[eu], first[:, 1] - node_y[eu])
    d_v = np.hypot(first[:, 0] - node_x[ev], first[:, 1] - node_y[ev])
    flip = (d_v < d_u) & (eu != ev)
    geometry[flip] = shapely.reverse(geometry[flip])

    csr, csr_edge = _undirected_csr(eu, ev, length, len(index))
    tree = shapely.STRtree(geometry)
    return GraphArrays(
        node_ids=node_ids,
        node_x=node_x,
        node_y=node_y,
        csr=csr,
        csr_edge=csr_edge,
        edge_u=eu,
        edge_v=ev,
        edge_length=length,
        edge_geometry=geometry,
        tree=tree,
    )


def _undirected_csr(
    eu: IntArray, ev: IntArray, length: FloatArray, n_nodes: int
) -> tuple[sp.csr_matrix, IntArray]:
    """Symmetric CSR of the shortest street per adjacent pair, self-loops left out."""
    loop = eu == ev
    edge_index = np.flatnonzero(~loop)
    rows = np.concatenate([eu[edge_index], ev[edge_index]])
    cols = np.concatenate([ev[edge_index], eu[edge_index]])
    data = np.concatenate([length[edge_index], length[edge_index]])
    which = np.concatenate([edge_index, edge_index])
    order = np.lexsort((data, cols, rows))
    rows, cols, data, which = rows[order], cols[order], data[order], which[order]
    first = np.ones(rows.shape[0], dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, data, which = rows[first], cols[first], data[first], which[first]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_nodes), out=indptr[1:])
    csr = sp.csr_matrix((data, cols, indptr), shape=(n_nodes, n_nodes))
    return csr, which.astype(np.int64)
