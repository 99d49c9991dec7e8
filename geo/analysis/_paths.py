"""Shortest walks on the CSR matrix, from points snapped onto streets.

A snapped point becomes a virtual node: an extra row of the matrix with two one-way
entries, to the street's end nodes at (access + along) and (access + length - along).
Virtual nodes have no incoming entries, so no walk passes through another source.
A walk between two points on the same street may also go straight along it; that case
is added separately (:func:`same_edge_pairs`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.analysis._graph import GraphArrays
from geo.analysis._snap import Snaps

__all__ = [
    "LocalSearch",
    "Targets",
    "augmented_csr",
    "bounded_batches",
    "metres_via_ends",
    "nearest_for_targets",
    "nearest_source",
    "same_edge_pairs",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Upper bound on the number of distances held at once by a batch of bounded searches.
_BATCH_CELLS = 4_000_000


@dataclass(frozen=True, eq=False)
class Targets:
    """Places whose walking distance is wanted: street nodes or snapped points.

    ``distance = min(d[node_a] + cost_a, d[node_b] + cost_b)`` for node distances ``d``;
    ``edge`` is -1 for a node (then both nodes are that node, both costs 0).
    """

    node_a: IntArray
    cost_a: FloatArray
    node_b: IntArray
    cost_b: FloatArray
    edge: IntArray
    along: FloatArray
    access: FloatArray

    def __len__(self) -> int:
        return int(self.node_a.shape[0])

    @classmethod
    def from_snaps(cls, snaps: Snaps) -> Targets:
        """Targets at snapped points."""
        return cls(
            snaps.node_a, snaps.cost_a, snaps.node_b, snaps.cost_b,
            snaps.edge, snaps.along, snaps.access,
        )  # fmt: skip

    @classmethod
    def from_nodes(cls, nodes: IntArray) -> Targets:
        """Targets at street nodes (row indices)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        zeros = np.zeros(nodes.shape[0])
        return cls(nodes, zeros, nodes, zeros, np.full(nodes.shape[0], -1), zeros, zeros)

    @classmethod
    def concat(cls, parts: list[Targets]) -> Targets:
        """All targets of ``parts``, in order."""
        return cls(
            *(
                np.concatenate([getattr(p, name) for p in parts])
                for name in ("node_a", "cost_a", "node_b", "cost_b", "edge", "along", "access")
            )
        )


def augmented_csr(arrays: GraphArrays, snaps: Snaps) -> sp.csr_matrix:
    """The street matrix with one virtual source row per snapped point appended.

    Row ``n_nodes + i`` is point ``i``; the matrix is square, ``n_nodes + len(snaps)``.
    """
    base = arrays.csr
    n = arrays.n_nodes
    a, b = snaps.node_a, snaps.node_b
    ca, cb = snaps.cost_a, snaps.cost_b
    single = a == b
    first_col = np.minimum(a, b)
    first_cost = np.where(single, np.minimum(ca, cb), np.where(a <= b, ca, cb))
    second_col = np.maximum(a, b)
    second_cost = np.where(a <= b, cb, ca)
    counts = np.where(single, 1, 2)
    cols = np.column_stack([first_col, second_col]).reshape(-1)
    costs = np.column_stack([first_cost, second_cost]).reshape(-1)
    keep = np.column_stack([np.ones_like(single), ~single]).reshape(-1)
    indptr = np.concatenate([base.indptr, base.indptr[-1] + np.cumsum(counts)])
    indices = np.concatenate([base.indices, cols[keep]])
    data = np.concatenate([base.data, costs[keep]])
    size = n + len(snaps)
    return sp.csr_matrix((data, indices, indptr), shape=(size, size))


def nearest_source(arrays: GraphArrays, snaps: Snaps) -> tuple[FloatArray, IntArray]:
    """One multi-source search: every node's nearest source and its walking metres.

    Returns
    -------
    metres, source
        Per node: metres to the nearest source (``inf`` if none is connected) and that
        source's index into ``snaps`` (-1 if none).
    """
    n = arrays.n_nodes
    if len(snaps) == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    matrix = augmented_csr(arrays, snaps)
    virtual = n + np.arange(len(snaps))
    dist, _, sources = dijkstra(
        matrix, directed=True, indices=virtual, min_only=True, return_predecessors=True
    )
    source = np.where(sources[:n] >= n, sources[:n] - n, -1).astype(np.int64)
    return np.asarray(dist[:n], dtype=float), source


def bounded_batches(
    arrays: GraphArrays, snaps: Snaps, limit: float
) -> Iterator[tuple[int, FloatArray]]:
    """Bounded searches from every snapped point, a batch at a time.

    Yields
    ------
    start, metres
        ``metres[i, node]`` is the walk from point ``start + i`` to ``node``; ``inf``
        beyond ``limit``.
    """
    n = arrays.n_nodes
    if len(snaps) == 0:
        return
    matrix = augmented_csr(arrays, snaps)
    batch = max(1, _BATCH_CELLS // (n + len(snaps)))
    for start in range(0, len(snaps), batch):
        stop = min(start + batch, len(snaps))
        dist = dijkstra(matrix, directed=True, indices=np.arange(n + start, n + stop), limit=limit)
        yield start, np.asarray(dist[:, :n], dtype=float)


class LocalSearch:
    """Bounded searches that look only at the streets within reach as the crow flies.

    A walk of ``d`` metres ends at most ``ratio * d`` metres from where it started, where
    ``ratio`` is the largest ratio of a street's drawn length to its ``length`` (at least
    1); so every node within ``limit`` walking metres of a point lies within
    ``ratio * limit`` metres of it, and the search runs on those nodes alone. Each
    search holds one row of distances over those nodes, not over the whole network.

    Parameters
    ----------
    arrays
        The network.
    geometry_length
        Per street, the length of its geometry in metres.
    """

    def __init__(self, arrays: GraphArrays, geometry_length: FloatArray) -> None:
        self._arrays = arrays
        length = arrays.edge_length
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(length > 0, geometry_length / length, np.where(
                geometry_length > 0, np.inf, 1.0))  # fmt: skip
        self.ratio = max(1.0, float(ratio.max(initial=1.0)))
        self._tree = cKDTree(np.column_stack([arrays.node_x, arrays.node_y]))

    def reach(self, snaps: Snaps, limit: float) -> Iterator[tuple[IntArray, FloatArray]]:
        """Per snapped point: the nodes within ``limit`` walking metres, and their metres.

        Yields
        ------
        nodes, metres
            Row indices (sorted) of the nodes within reach, and the walking metres to
            them (the same as a search over the whole network).
        """
        arrays = self._arrays
        csr = arrays.csr
        radius = self.ratio * limit * (1.0 + 1e-9) + 1e-6
        local = np.isfinite(radius)
        every = np.arange(arrays.n_nodes)
        position = np.full(arrays.n_nodes, -1, dtype=np.int64)  # row -> row of the part
        for i in range(len(snaps)):
            if local:
                hits = self._tree.query_ball_point((snaps.x[i], snaps.y[i]), radius)
                nodes = np.sort(np.asarray(hits, dtype=np.int64))
                position[nodes] = np.arange(nodes.shape[0])
                indptr, indices, data = _part(csr, nodes, position)
                position[nodes] = -1
            else:
                nodes, indptr, indices, data = every, csr.indptr, csr.indices, csr.data
            m = nodes.shape[0]
            ends = np.array([snaps.node_a[i], snaps.node_b[i]])
            costs = np.array([snaps.cost_a[i], snaps.cost_b[i]])
            pos = np.minimum(np.searchsorted(nodes, ends), max(m - 1, 0))
            present = (nodes[pos] == ends) if m else np.zeros(2, dtype=bool)
            cols, start_m = pos[present], costs[present]
            if cols.size == 2 and cols[0] == cols[1]:
                cols, start_m = cols[:1], np.array([start_m.min()])
            elif cols.size == 2 and cols[0] > cols[1]:
                cols, start_m = cols[::-1], start_m[::-1]
            augmented = sp.csr_matrix(
                (
                    np.concatenate([data, start_m]),
                    np.concatenate([indices, cols]),
                    np.concatenate([indptr, [indptr[-1] + cols.size]]),
                ),
                shape=(m + 1, m + 1),
            )
            row = dijkstra(augmented, directed=True, indices=m, limit=limit)[:m]
            inside = np.flatnonzero(row <= limit)
            yield nodes[inside], np.asarray(row[inside], dtype=float)


def _part(
    csr: sp.csr_matrix, nodes: IntArray, position: IntArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """``indptr, indices, data`` of ``csr[nodes][:, nodes]`` for sorted ``nodes``, where
    ``position`` maps each of ``nodes`` to its place in ``nodes`` and others to -1."""
    start = csr.indptr[nodes]
    counts = csr.indptr[nodes + 1] - start
    first = np.cumsum(counts) - counts
    entries = np.arange(int(counts.sum())) + np.repeat(start - first, counts)
    cols = position[csr.indices[entries]]
    keep = cols >= 0
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    indptr = kept_before[np.concatenate([first, [entries.shape[0]]])]
    return indptr, cols[keep], csr.data[entries[keep]]


def same_edge_pairs(source_edge: IntArray, target_edge: IntArray) -> tuple[IntArray, IntArray]:
    """All (source, target) index pairs lying on the same street (``edge >= 0``)."""
    order = np.argsort(target_edge, kind="stable")
    sorted_edge = target_edge[order]
    lo = np.searchsorted(sorted_edge, source_edge, side="left")
    hi = np.searchsorted(sorted_edge, source_edge, side="right")
    counts = np.where(source_edge >= 0, hi - lo, 0)
    total = int(counts.sum())
    src = np.repeat(np.arange(source_edge.shape[0]), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    tgt = order[np.repeat(lo, counts) + offsets]
    return src.astype(np.int64), tgt.astype(np.int64)


def metres_via_ends(nodes: IntArray, metres: FloatArray, targets: Targets) -> FloatArray:
    """Walking metres to targets through their street ends, from one sparse search row.

    Parameters
    ----------
    nodes
        Row indices (sorted) of the nodes a search reached, as from
        :meth:`LocalSearch.reach`.
    metres
        Walking metres to those nodes.
    targets
        The targets.

    Returns
    -------
    numpy.ndarray
        Per target ``min(d[node_a] + cost_a, d[node_b] + cost_b)``, metres; ``inf`` where
        neither end was reached. A walk straight along a street shared with the source
        is not included (see :func:`same_edge_pairs`).
    """
    return np.minimum(
        _row_metres(nodes, metres, targets.node_a) + targets.cost_a,
        _row_metres(nodes, metres, targets.node_b) + targets.cost_b,
    )


def _row_metres(nodes: IntArray, metres: FloatArray, wanted: IntArray) -> FloatArray:
    """``metres`` of the ``wanted`` nodes in a sparse row, ``inf`` where absent."""
    if nodes.size == 0:
        return np.full(wanted.shape[0], np.inf)
    pos = np.minimum(np.searchsorted(nodes, wanted), nodes.size - 1)
    return np.where(nodes[pos] == wanted, metres[pos], np.inf)


def nearest_for_targets(
    node_metres: FloatArray, node_source: IntArray, sources: Snaps, targets: Targets
) -> tuple[FloatArray, IntArray]:
    """Every target's nearest source, from the result of :func:`nearest_source`.

    Returns
    -------
    metres, source
        Per target: walking metres to its nearest source (``inf`` if none) and the
        source's index (-1 if none).
    """
    via_a = node_metres[targets.node_a] + targets.cost_a
    via_b = node_metres[targets.node_b] + targets.cost_b
    use_b = via_b < via_a
    metres = np.where(use_b, via_b, via_a)
    source = np.where(use_b, node_source[targets.node_b], node_source[targets.node_a])
    si, ti = same_edge_pairs(sources.edge, targets.edge)
    if si.size:
        direct = (
            np.abs(sources.along[si] - targets.along[ti]) + sources.access[si] + targets.access[ti]
        )
        order = np.argsort(-direct, kind="stable")  # the smallest is written last and wins
        best = np.full(len(targets), np.inf)
        best_source = np.full(len(targets), -1, dtype=np.int64)
        best[ti[order]] = direct[order]
        best_source[ti[order]] = si[order]
        better = best < metres
        metres = np.where(better, best, metres)
        source = np.where(better, best_source, source)
    return metres, source.astype(np.int64)
