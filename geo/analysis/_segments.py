"""Street pieces reached within a distance, cut at the exact cut-off point, as polygons."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import numpy.typing as npt
import shapely

from geo.analysis._graph import GraphArrays
from geo.analysis._strokes import Strokes
from geo.analysis._union import BlockUnions

__all__ = ["BLOCK_LEVELS", "BLOCK_M", "STREET_QUAD_SEGS", "EdgePieces"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
GeomArray = npt.NDArray[np.object_]

#: Side, in metres, of the smallest square blocks whose buffered streets are unioned once.
BLOCK_M = 200.0
#: Number of block sizes (each twice the previous).
BLOCK_LEVELS = 2
#: Segments per quarter circle of the street buffers.
STREET_QUAD_SEGS = 8


class EdgePieces:
    """Cuts pieces out of street geometries, many at once.

    Parameters
    ----------
    arrays
        The network whose streets are cut.
    """

    def __init__(self, arrays: GraphArrays) -> None:
        self._arrays = arrays
        coords, owner = shapely.get_coordinates(arrays.edge_geometry, return_index=True)
        n_edges = arrays.n_edges
        counts = np.bincount(owner, minlength=n_edges)
        self._start = np.cumsum(counts) - counts
        self._last = self._start + counts - 1
        step = np.zeros(coords.shape[0])
        if coords.shape[0] > 1:
            step[1:] = np.hypot(*(coords[1:] - coords[:-1]).T)
            step[self._start[counts > 0]] = 0.0
        cum = np.cumsum(step)
        local = cum - cum[self._start[owner]]
        self._geometry_length = shapely.length(arrays.edge_geometry)
        self.geometry_length: FloatArray = self._geometry_length
        spacing = self._geometry_length + 1.0
        self._offset = np.cumsum(spacing) - spacing
        self._coords = coords
        self._position = local + self._offset[owner]
        ends = np.concatenate([arrays.edge_u, arrays.edge_v])
        by_node = np.argsort(ends, kind="stable")
        self._incident = np.concatenate([np.arange(n_edges), np.arange(n_edges)])[by_node]
        self._incident_start = np.searchsorted(ends[by_node], np.arange(arrays.n_nodes + 1))

    @cached_property
    def strokes(self) -> Strokes:
        """The streets chained into strokes (built on first use)."""
        return Strokes(self._arrays, self._coords, self._start, self._last)

    def restore_strokes(
        self, *, stroke: IntArray, position: IntArray, forward: npt.NDArray[np.bool_]
    ) -> None:
        """Take strokes saved with the network instead of building them."""
        self.__dict__["strokes"] = Strokes.restored(
            self._coords, self._start, self._last,
            stroke=stroke, position=position, forward=forward,
        )  # fmt: skip

    @cached_property
    def blocks(self) -> BlockUnions:
        """The streets grouped into nested blocks (built on first use)."""
        minx, miny, maxx, maxy = shapely.bounds(self._arrays.edge_geometry).T
        return BlockUnions(
            (minx + maxx) / 2.0,
            (miny + maxy) / 2.0,
            self.strokes,
            size=BLOCK_M,
            levels=BLOCK_LEVELS,
        )

    def lines(self, whole: IntArray, pieces: GeomArray) -> GeomArray:
        """Whole streets joined along their strokes, followed by ``pieces``."""
        return np.concatenate([self.strokes.runs(whole), pieces])

    def pieces(self, edge: IntArray, start: FloatArray, stop: FloatArray) -> GeomArray:
        """The parts of streets between two fractions of their length.

        Parameters
        ----------
        edge
            Street indices.
        start, stop
            Fractions in [0, 1] of each street's length, from its ``u`` end,
            ``start <= stop``.

        Returns
        -------
        numpy.ndarray
            LineStrings in metres (a zero-length piece has two equal points).
        """
        if edge.size == 0:
            return np.empty(0, dtype=object)
        length = self._geometry_length[edge]
        g0 = self._offset[edge] + np.clip(start, 0.0, 1.0) * length
        g1 = self._offset[edge] + np.clip(stop, 0.0, 1.0) * length
        first, last = self._start[edge] + 1, self._last[edge]
        i0 = np.clip(np.searchsorted(self._position, g0, side="right"), first, last)
        i1 = np.clip(np.searchsorted(self._position, g1, side="left"), first, last)
        head = self._interpolate(i0, g0)
        tail = self._interpolate(i1, g1)
        n_points = np.maximum(i1 - i0, 0) + 2
        piece = np.repeat(np.arange(edge.shape[0]), n_points)
        pos = np.arange(piece.shape[0]) - np.repeat(np.cumsum(n_points) - n_points, n_points)
        out = np.empty((piece.shape[0], 2))
        is_head = pos == 0
        is_tail = pos == n_points[piece] - 1
        inner = ~(is_head | is_tail)
        out[is_head] = head
        out[is_tail] = tail
        out[inner] = self._coords[i0[piece[inner]] + pos[inner] - 1]
        lines: GeomArray = np.asarray(shapely.linestrings(out, indices=piece), dtype=object)
        return lines

    def _interpolate(self, i: IntArray, g: FloatArray) -> FloatArray:
        p0, p1 = self._position[i - 1], self._position[i]
        span = p1 - p0
        t = np.clip(np.divide(g - p0, span, out=np.zeros_like(g), where=span > 0), 0.0, 1.0)
        result: FloatArray = self._coords[i - 1] + t[:, None] * (
            self._coords[i] - self._coords[i - 1]
        )
        return result

    def reached(
        self,
        nodes: IntArray,
        metres: FloatArray,
        limit: float,
        *,
        source_edge: int,
        source_along: float,
        source_access: float,
    ) -> tuple[IntArray, GeomArray]:
        """Streets and street pieces within ``limit`` walking metres of one source.

        Parameters
        ----------
        nodes
            Row indices, sorted, of the nodes within reach of the source.
        metres
            Walking metres from the source to those nodes, same order.
        limit
            The reach, metres.
        source_edge, source_along, source_access
            Where the source sits: its street, metres along it from ``u``, and its
            straight-line access distance.

        Returns
        -------
        whole, pieces
            Indices of the streets reached end to end, and LineStrings (metres) of the
            partly reached ones, cut at the exact cut-off point.
        """
        a = self._arrays
        candidate = self._incident_edges(nodes)
        whole_edges, pieces = self._cut(
            candidate,
            _lookup(nodes, metres, a.edge_u[candidate]),
            _lookup(nodes, metres, a.edge_v[candidate]),
            limit,
        )
        spare = limit - source_access
        if spare >= 0 and source_edge not in set(whole_edges.tolist()):
            own = self._source_pieces(
                np.array([source_edge]), np.array([source_along]), np.array([spare])
            )
            pieces = np.concatenate([pieces, own])
        return whole_edges, pieces

    def covered(
        self,
        node_metres: FloatArray,
        limit: float,
        *,
        edge: IntArray,
        along: FloatArray,
        access: FloatArray,
        among: IntArray | None = None,
    ) -> tuple[IntArray, GeomArray]:
        """Streets and street pieces within ``limit`` walking metres of the nearest source.

        A point of a street is within reach of some source exactly when it is within reach
        of the source nearest to one of the street's ends, or lies on a source's own
        street within reach of it; so one multi-source search gives a layer's streets.

        Parameters
        ----------
        node_metres
            Per node, walking metres to the nearest source (``inf`` if none).
        limit
            The reach, metres.
        edge, along, access
            Per source: its street, metres along it from ``u``, and its straight-line
            access distance.
        among
            Only these streets (indices); ``None`` for all.

        Returns
        -------
        whole, pieces
            Indices of the streets reached end to end, and LineStrings (metres) of the
            partly reached ones and of the sources' own reached stretches.
        """
        a = self._arrays
        pool = np.arange(a.n_edges) if among is None else np.asarray(among, dtype=np.int64)
        near = np.minimum(node_metres[a.edge_u[pool]], node_metres[a.edge_v[pool]]) <= limit
        candidate = pool[near]
        whole_edges, pieces = self._cut(
            candidate,
            node_metres[a.edge_u[candidate]],
            node_metres[a.edge_v[candidate]],
            limit,
        )
        is_whole = np.zeros(a.n_edges, dtype=bool)
        is_whole[whole_edges] = True
        spare = limit - access
        own = np.flatnonzero((spare >= 0) & ~is_whole[edge])
        pieces = np.concatenate([pieces, self._source_pieces(edge[own], along[own], spare[own])])
        return whole_edges, pieces

    def _cut(
        self, candidate: IntArray, d_u: FloatArray, d_v: FloatArray, limit: float
    ) -> tuple[IntArray, GeomArray]:
        """Whole streets among ``candidate`` and the reached pieces of the others."""
        length = self._arrays.edge_length[candidate]
        from_u = limit - d_u
        from_v = limit - d_v
        whole = (from_u >= length) | (from_v >= length)
        whole |= (from_u >= 0) & (from_v >= 0) & (from_u + from_v >= length)
        part_u = np.flatnonzero((from_u >= 0) & ~whole)
        part_v = np.flatnonzero((from_v >= 0) & ~whole)
        safe = np.where(length > 0, length, 1.0)
        pieces = self.pieces(
            np.concatenate([candidate[part_u], candidate[part_v]]),
            np.concatenate([np.zeros(part_u.size), 1.0 - from_v[part_v] / safe[part_v]]),
            np.concatenate([from_u[part_u] / safe[part_u], np.ones(part_v.size)]),
        )
        return candidate[whole], pieces

    def _source_pieces(self, edge: IntArray, along: FloatArray, spare: FloatArray) -> GeomArray:
        """The stretches of the sources' own streets within ``spare`` metres of them."""
        own = self._arrays.edge_length[edge]
        own = np.where(own > 0, own, 1.0)
        return self.pieces(edge, (along - spare) / own, (along + spare) / own)

    def _incident_edges(self, nodes: IntArray) -> IntArray:
        """The streets touching any of ``nodes``, each once, sorted."""
        first = self._incident_start[nodes]
        counts = self._incident_start[nodes + 1] - first
        offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        return np.unique(self._incident[np.repeat(first, counts) + offset])


def _lookup(nodes: IntArray, metres: FloatArray, wanted: IntArray) -> FloatArray:
    """Metres of ``wanted`` nodes from sorted ``nodes`` and their ``metres`` (``inf`` if absent)."""
    if nodes.size == 0:
        return np.full(wanted.shape[0], np.inf)
    pos = np.minimum(np.searchsorted(nodes, wanted), nodes.size - 1)
    found: FloatArray = np.where(nodes[pos] == wanted, metres[pos], np.inf)
    return found
