"""Snapping points to the nearest street edge."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np
import numpy.typing as npt
import shapely
from scipy.spatial import cKDTree

from geo.analysis._graph import GraphArrays

__all__ = ["Snaps", "snap_points", "street_vertices"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Snaps:
    """Points attached to their nearest street, all distances in metres.

    Attributes
    ----------
    x, y
        The points, metres in the network's CRS.
    edge
        Index of the nearest street (into the network's edge arrays).
    along
        Walking metres from the street's ``u`` end to the snapped point.
    access
        Straight-line metres from the point to the street (added to every walk).
    street, street_position
        The street's geometry and the snapped point's distance along it (metres of
        geometry); :attr:`snap_x` / :attr:`snap_y` are worked out from them when read.
    far_from_street
        True where ``access`` exceeds the snapping limit.
    node_a, cost_a, node_b, cost_b
        The street's two end nodes and the walking metres from the point to each
        (access + along, access + length - along).
    """

    x: FloatArray
    y: FloatArray
    edge: IntArray
    along: FloatArray
    access: FloatArray
    street: npt.NDArray[np.object_]
    street_position: FloatArray
    far_from_street: BoolArray
    node_a: IntArray
    cost_a: FloatArray
    node_b: IntArray
    cost_b: FloatArray

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def take(self, rows: IntArray) -> Snaps:
        """The snaps of ``rows``, in that order."""
        return Snaps(*(getattr(self, f.name)[rows] for f in fields(self)))

    @classmethod
    def concat(cls, parts: list[Snaps]) -> Snaps:
        """All snaps of ``parts``, in order."""
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    @cached_property
    def _snapped(self) -> npt.NDArray[np.object_]:
        points: npt.NDArray[np.object_] = shapely.line_interpolate_point(
            self.street, self.street_position
        )
        return points

    @property
    def snap_x(self) -> FloatArray:
        """x of the snapped point on the street."""
        return np.asarray(shapely.get_x(self._snapped), dtype=float)

    @property
    def snap_y(self) -> FloatArray:
        """y of the snapped point on the street."""
        return np.asarray(shapely.get_y(self._snapped), dtype=float)


#: Batches of more points than this are snapped in that many parts, one thread each
#: (shapely and scipy let go of the interpreter while they work).
_PART_POINTS = 2_500

#: Threads that snap a large batch.
_THREADS = min(4, os.cpu_count() or 1)

#: Metres from the nearest street vertex beyond which a point's streets are found by the
#: tree's nearest-neighbour search instead of a query within that distance.
_WITHIN_QUERY_M = 250.0


def street_vertices(arrays: GraphArrays) -> cKDTree:
    """A k-d tree of the vertices of the streets' geometry, each place once (for
    :func:`snap_points`)."""
    coords = np.ascontiguousarray(shapely.get_coordinates(arrays.edge_geometry))
    # one complex number per place: a flat sort instead of a row-wise one
    places = np.unique(coords.view(np.complex128).ravel())
    return cKDTree(np.column_stack([places.real, places.imag]))


def _nearest_candidates(
    arrays: GraphArrays, points: npt.NDArray[np.object_], vertices: cKDTree | None
) -> tuple[IntArray, IntArray, FloatArray]:
    """Every (point, street) pair at the point's smallest distance to a street.

    The same pairs as the tree's nearest search with all matches. With ``vertices`` a
    point's nearest street is at most as far as its nearest street vertex, so the
    streets whose bounds meet the square of that half-width around it (a little more,
    for rounding) are the candidates, and those at the smallest exact distance are
    kept; points farther than :data:`_WITHIN_QUERY_M` from every vertex use the nearest
    search.
    """
    tree = arrays.tree
    if vertices is None:
        (src, hit), dist = tree.query_nearest(points, return_distance=True, all_matches=True)
        return src, hit, dist
    xy = shapely.get_coordinates(points)
    bound, _ = vertices.query(xy)
    near = np.flatnonzero(bound <= _WITHIN_QUERY_M)
    pad = bound[near] * (1.0 + 1e-9) + 1e-9
    x, y = xy[near, 0], xy[near, 1]
    pair_src, hit = tree.query(shapely.box(x - pad, y - pad, x + pad, y + pad))
    src = near[pair_src]
    dist = shapely.distance(points[src], arrays.edge_geometry[hit])
    smallest = np.full(points.shape[0], np.inf)
    np.minimum.at(smallest, src, dist)
    keep = dist == smallest[src]
    far = np.flatnonzero(~(bound <= _WITHIN_QUERY_M))
    (far_src, far_hit), far_dist = tree.query_nearest(
        points[far], return_distance=True, all_matches=True
    )
    return (
        np.concatenate([src[keep], far[far_src]]),
        np.concatenate([hit[keep], far_hit]),
        np.concatenate([dist[keep], far_dist]),
    )


def _nearest_edges(
    arrays: GraphArrays, points: npt.NDArray[np.object_], vertices: cKDTree | None
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """For each point its nearest street, its distance and the position along it of the
    point's nearest place on it, with a deterministic tie-break.

    Streets equally near a point (a point on a node that another street crosses without
    sharing it, such as a bridge) are ranked by how close the point lies to one of their
    ends, so a point on a node takes a street of that node; then by street index.
    """
    src, hit, dist = _nearest_candidates(arrays, points, vertices)
    geometry = arrays.edge_geometry[hit]
    position = shapely.line_locate_point(geometry, points[src])
    to_end = np.minimum(position, shapely.length(geometry) - position)
    order = np.lexsort((hit, to_end, src))
    first = order[np.unique(src[order], return_index=True)[1]]
    return src[first], hit[first], dist[first], position[first]


def snap_points(
    arrays: GraphArrays,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    max_snap_m: float,
    vertices: cKDTree | None = None,
) -> Snaps:
    """Attach points to their nearest street edge.

    Parameters
    ----------
    arrays
        The network.
    x, y
        Point coordinates, metres in the network's CRS.
    max_snap_m
        Points farther than this from every street are flagged ``far_from_street``.
    vertices
        :func:`street_vertices` of ``arrays``: the same snaps, found faster.

    Returns
    -------
    Snaps
    """
    xs = np.asarray(x, dtype=float).reshape(-1)
    ys = np.asarray(y, dtype=float).reshape(-1)
    parts = min(_THREADS, xs.shape[0] // _PART_POINTS)
    if parts < 2:
        return _snap_part(arrays, xs, ys, max_snap_m, vertices)
    cuts = np.linspace(0, xs.shape[0], parts + 1).astype(int)
    with ThreadPoolExecutor(max_workers=parts) as pool:
        done = pool.map(
            lambda a, b: _snap_part(arrays, xs[a:b], ys[a:b], max_snap_m, vertices),
            cuts[:-1],
            cuts[1:],
        )
        return Snaps.concat(list(done))


def _snap_part(
    arrays: GraphArrays,
    xs: FloatArray,
    ys: FloatArray,
    max_snap_m: float,
    vertices: cKDTree | None,
) -> Snaps:
    points: npt.NDArray[np.object_] = np.asarray(shapely.points(xs, ys), dtype=object)
    edge = np.zeros(xs.shape[0], dtype=np.int64)
    access = np.zeros(xs.shape[0])
    position = np.full(xs.shape[0], np.nan)
    found = np.zeros(xs.shape[0], dtype=bool)
    if xs.size:
        src, hit, dist, along_geometry = _nearest_edges(arrays, points, vertices)
        edge[src], access[src], position[src], found[src] = hit, dist, along_geometry, True
    geometry = arrays.edge_geometry[edge]
    geometry_length = shapely.length(geometry)
    position[~found] = shapely.line_locate_point(geometry[~found], points[~found])
    fraction = np.divide(
        position, geometry_length, out=np.zeros_like(position), where=geometry_length > 0
    )
    length = arrays.edge_length[edge]
    along = np.clip(fraction, 0.0, 1.0) * length
    return Snaps(
        x=xs,
        y=ys,
        edge=edge,
        along=along,
        access=access,
        street=geometry,
        street_position=position,
        far_from_street=access > max_snap_m,
        node_a=arrays.edge_u[edge],
        cost_a=access + along,
        node_b=arrays.edge_v[edge],
        cost_b=access + (length - along),
    )
