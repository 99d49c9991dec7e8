"""Strokes: streets chained through intersections into long lines.

Buffering thousands of short street edges and unioning the buffers costs about the
same per edge whatever its length, so the edges reached from a facility are first
joined into as few lines as possible. A *stroke* is a chain of edges that continue each
other: at a node with two edges they always continue; at an intersection the edges are
paired greedily, straightest continuation first, up to :data:`MAX_DEFLECTION_RAD`. Any
pairing gives the same buffered area; straight strokes merely make the union cheapest.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

from geo.analysis._graph import GraphArrays

__all__ = ["Strokes"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
GeomArray = npt.NDArray[np.object_]

#: Largest change of direction, in radians, at which two streets of an intersection
#: are chained into one stroke.
MAX_DEFLECTION_RAD = np.pi / 3


def _pair_ends(node: IntArray, angle: FloatArray) -> IntArray:
    """Partner of every edge end at its node (-1 if none), straightest pairs first."""
    n_ends = node.shape[0]
    partner = np.full(n_ends, -1, dtype=np.int64)
    order = np.argsort(node, kind="stable")
    sorted_node = node[order]
    starts = np.flatnonzero(np.r_[True, sorted_node[1:] != sorted_node[:-1]])
    counts = np.diff(np.r_[starts, n_ends])
    two = starts[counts == 2]
    partner[order[two]] = order[two + 1]
    partner[order[two + 1]] = order[two]
    # at intersections: every pair of ends of a node, greedily matched straightest first,
    # in rounds that each take, per node, the straightest pair whose two ends are free
    many = counts > 2
    size = np.repeat(counts[many], counts[many])
    first = np.repeat(starts[many], counts[many])
    member = np.flatnonzero(np.repeat(many, counts))
    after = size - 1 - (member - first)
    left = np.repeat(member, after)
    right = left + 1 + (np.arange(left.shape[0]) - np.repeat(np.cumsum(after) - after, after))
    end_i, end_j = order[left], order[right]
    # deflection: 0 when end j leaves exactly opposite to end i
    turn = np.abs(np.angle(np.exp(1j * (angle[end_i] - angle[end_j] - np.pi))))
    group = node[end_i]
    keep = turn <= MAX_DEFLECTION_RAD
    rank = np.lexsort((np.arange(turn.shape[0])[keep], turn[keep], group[keep]))
    end_i, end_j, group = end_i[keep][rank], end_j[keep][rank], group[keep][rank]
    while end_i.size:
        best = np.r_[True, group[1:] != group[:-1]]
        partner[end_i[best]] = end_j[best]
        partner[end_j[best]] = end_i[best]
        free = (partner[end_i] < 0) & (partner[end_j] < 0)
        end_i, end_j, group = end_i[free], end_j[free], group[free]
    return partner


class Strokes:
    """Edges chained into strokes.

    Parameters
    ----------
    arrays
        The network.
    coords, start, last
        The edges' coordinates stacked, and each edge's first and last row in them.

    Attributes
    ----------
    stroke
        Per edge, its stroke.
    position
        Per edge, its rank along the stroke.
    forward
        Per edge, True when the stroke runs from ``edge_u`` to ``edge_v``.
    """

    def __init__(self, arrays: GraphArrays, coords: FloatArray, start: IntArray, last: IntArray):
        self._coords = coords
        self._start = start
        self._last = last
        n_edges = arrays.n_edges
        loop = arrays.edge_u == arrays.edge_v
        # edge end 2e is at u (leaving along the geometry), 2e + 1 at v (leaving backwards)
        lead_u = coords[np.minimum(start + 1, last)] - coords[start]
        lead_v = coords[np.maximum(last - 1, start)] - coords[last]
        node = np.column_stack([arrays.edge_u, arrays.edge_v]).reshape(-1)
        angle = np.column_stack(
            [np.arctan2(lead_u[:, 1], lead_u[:, 0]), np.arctan2(lead_v[:, 1], lead_v[:, 0])]
        ).reshape(-1)
        node = np.where(np.repeat(loop, 2), -1 - np.arange(2 * n_edges), node)
        partner = _pair_ends(node, angle).tolist()
        stroke = np.full(n_edges, -1, dtype=np.int64)
        position = np.zeros(n_edges, dtype=np.int64)
        forward = np.ones(n_edges, dtype=bool)
        stroke_list = stroke.tolist()
        count = 0
        for edge in range(n_edges):
            if stroke_list[edge] >= 0:
                continue
            # walk backwards to the stroke's first edge (or round a closed stroke)
            first_edge, entry = edge, 0
            while True:
                back = partner[2 * first_edge + entry]
                if back < 0 or back // 2 == edge:
                    break
                first_edge, entry = back // 2, 1 - back % 2
            current, entry, rank = first_edge, entry, 0
            while current >= 0 and stroke_list[current] < 0:
                stroke_list[current] = count
                position[current] = rank
                forward[current] = entry == 0
                rank += 1
                nxt = partner[2 * current + 1 - entry]
                current, entry = (nxt // 2, nxt % 2) if nxt >= 0 else (-1, 0)
            count += 1
        self.stroke = np.asarray(stroke_list, dtype=np.int64)
        self.position = position
        self.forward = forward
        self.count = count

    @classmethod
    def restored(
        cls,
        coords: FloatArray,
        start: IntArray,
        last: IntArray,
        *,
        stroke: IntArray,
        position: IntArray,
        forward: BoolArray,
    ) -> Strokes:
        """Strokes saved earlier (:attr:`stroke`, :attr:`position`, :attr:`forward`)."""
        strokes = cls.__new__(cls)
        strokes._coords, strokes._start, strokes._last = coords, start, last
        strokes.stroke, strokes.position, strokes.forward = stroke, position, forward
        strokes.count = int(stroke.max(initial=-1)) + 1
        return strokes

    def runs(self, edges: IntArray) -> GeomArray:
        """The given edges joined into lines along their strokes.

        Parameters
        ----------
        edges
            Edge indices (each once).

        Returns
        -------
        numpy.ndarray
            LineStrings (metres), one per run of consecutive edges of a stroke.
        """
        if edges.size == 0:
            return np.empty(0, dtype=object)
        order = np.lexsort((self.position[edges], self.stroke[edges]))
        chain = edges[order]
        new_run = np.ones(chain.shape[0], dtype=bool)
        new_run[1:] = (self.stroke[chain[1:]] != self.stroke[chain[:-1]]) | (
            self.position[chain[1:]] != self.position[chain[:-1]] + 1
        )
        run = np.cumsum(new_run) - 1
        first, last = self._start[chain], self._last[chain]
        counts = last - first + 1
        offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        fwd = np.repeat(self.forward[chain], counts)
        rows = np.where(fwd, np.repeat(first, counts) + offset, np.repeat(last, counts) - offset)
        lines: GeomArray = np.asarray(
            shapely.linestrings(self._coords[rows], indices=np.repeat(run, counts)), dtype=object
        )
        return lines
