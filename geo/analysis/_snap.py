"""Snapping points to the nearest street edge."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from geo.analysis._graph import GraphArrays

__all__ = ["Snaps", "snap_points"]

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
    snap_x, snap_y
        The snapped point on the street.
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
    snap_x: FloatArray
    snap_y: FloatArray
    far_from_street: BoolArray
    node_a: IntArray
    cost_a: FloatArray
    node_b: IntArray
    cost_b: FloatArray

    def __len__(self) -> int:
        return int(self.x.shape[0])


def _nearest_edges(
    arrays: GraphArrays, points: npt.NDArray[np.object_]
) -> tuple[IntArray, IntArray, FloatArray]:
    """For each point its nearest street, its distance, and a deterministic tie-break.

    Streets equally near a point (a point on a node that another street crosses without
    sharing it, such as a bridge) are ranked by how close the point lies to one of their
    ends, so a point on a node takes a street of that node; then by street index.
    """
    (src, hit), dist = arrays.tree.query_nearest(points, return_distance=True, all_matches=True)
    geometry = arrays.edge_geometry[hit]
    position = shapely.line_locate_point(geometry, points[src])
    to_end = np.minimum(position, shapely.length(geometry) - position)
    order = np.lexsort((hit, to_end, src))
    first = order[np.unique(src[order], return_index=True)[1]]
    return src[first], hit[first], dist[first]


def snap_points(
    arrays: GraphArrays, x: npt.ArrayLike, y: npt.ArrayLike, *, max_snap_m: float
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

    Returns
    -------
    Snaps
    """
    xs = np.asarray(x, dtype=float).reshape(-1)
    ys = np.asarray(y, dtype=float).reshape(-1)
    points: npt.NDArray[np.object_] = np.asarray(shapely.points(xs, ys), dtype=object)
    edge = np.zeros(xs.shape[0], dtype=np.int64)
    access = np.zeros(xs.shape[0])
    if xs.size:
        src, hit, dist = _nearest_edges(arrays, points)
        edge[src] = hit
        access[src] = dist
    geometry = arrays.edge_geometry[edge]
    geometry_length = shapely.length(geometry)
    position = shapely.line_locate_point(geometry, points)
    snapped = shapely.line_interpolate_point(geometry, position)
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
        snap_x=shapely.get_x(snapped),
        snap_y=shapely.get_y(snapped),
        far_from_street=access > max_snap_m,
        node_a=arrays.edge_u[edge],
        cost_a=access + along,
        node_b=arrays.edge_v[edge],
        cost_b=access + (length - along),
    )
