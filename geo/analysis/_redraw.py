"""A layer's service circle kept up to date under edits, redrawn only where they reach.

The circle is the buffered union of the streets within ``L`` walking metres of the
nearest open facility (see :mod:`geo.analysis.service_areas`); it is held with the
walking metres from every node to its nearest facility, cut off at ``L``. Opening or
closing a facility at ``p`` changes those metres only at nodes the facility reaches,
which lie within ``r = ratio * L`` metres of ``p`` as the crow flies (``ratio`` from
:class:`~geo.analysis._paths.LocalSearch`); so the polygon changes only inside the disc
``D`` of radius ``r`` plus the street-side width around ``p``. The redraw:

1. one multi-source search, cut off at ``L``, from the open facilities near ``p`` (only
   they can reach the nodes within ``r`` of it) gives the new metres inside ``r``;
2. the covered streets that come within the width of ``D`` are buffered and unioned;
3. the new polygon is the old one outside ``D`` and that local union inside it.

A move is a close followed by an add.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse.csgraph import dijkstra
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo.analysis._paths import augmented_csr
from geo.analysis._snap import Snaps
from geo.analysis.network import WalkNetwork
from geo.analysis.service_areas import layer_union

__all__ = ["LayerCircle"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Segments per quarter circle of the redraw disc.
_DISC_QUAD_SEGS = 64


class LayerCircle:
    """One layer's service circle on a street network, redrawn locally after each edit.

    Parameters
    ----------
    network
        The walking network (not approximate).
    limit
        The rule's reach, walking metres.
    facilities
        Open facilities: id -> (x, y) in metres of ``network.crs``.
    """

    def __init__(
        self, network: WalkNetwork, limit: float, facilities: dict[str, tuple[float, float]]
    ) -> None:
        self._network = network
        self._limit = limit
        self._ids = list(facilities)
        xy = np.array(list(facilities.values()), dtype=float).reshape(-1, 2)
        self._x, self._y = xy[:, 0].copy(), xy[:, 1].copy()
        snaps = network.snap(self._x, self._y)
        self._metres = self._search(snaps)
        self.polygon: BaseGeometry = layer_union(network, snaps, self._metres, limit)

    @property
    def reach_m(self) -> float:
        """Metres, as the crow flies, within which one facility's edit can change the circle."""
        return self._network.local_search.ratio * self._limit + settings.street_buffer_m

    def add(self, facility_id: str, x: float, y: float) -> None:
        """Open a facility at ``(x, y)`` (metres) and redraw around it."""
        self._ids.append(facility_id)
        self._x = np.append(self._x, x)
        self._y = np.append(self._y, y)
        self._redraw((x, y))

    def remove(self, facility_id: str) -> None:
        """Close a facility and redraw around where it stood."""
        i = self._ids.index(facility_id)
        place = (float(self._x[i]), float(self._y[i]))
        del self._ids[i]
        self._x = np.delete(self._x, i)
        self._y = np.delete(self._y, i)
        self._redraw(place)

    def move(self, facility_id: str, x: float, y: float) -> None:
        """Move a facility to ``(x, y)`` (metres): redrawn where it stood, then where it goes."""
        self.remove(facility_id)
        self.add(facility_id, x, y)

    def _search(self, snaps: Snaps) -> FloatArray:
        """Metres from every node to the nearest of ``snaps``, ``inf`` beyond the limit."""
        arrays = self._network.require_arrays()
        n = arrays.n_nodes
        if len(snaps) == 0:
            return np.full(n, np.inf)
        matrix = augmented_csr(arrays, snaps)
        dist = dijkstra(
            matrix, directed=True, indices=n + np.arange(len(snaps)), min_only=True,
            limit=self._limit,
        )  # fmt: skip
        return np.asarray(dist[:n], dtype=float)

    def copy(self) -> LayerCircle:
        """An independent copy (its edits leave this one)."""
        twin = LayerCircle.__new__(LayerCircle)
        twin._network, twin._limit = self._network, self._limit
        twin._ids = list(self._ids)
        twin._x, twin._y = self._x.copy(), self._y.copy()
        twin._metres = self._metres.copy()
        twin.polygon = self.polygon
        return twin

    def _redraw(self, place: tuple[float, float]) -> None:
        network = self._network
        arrays = network.require_arrays()
        limit = self._limit
        width = settings.street_buffer_m
        ratio = network.local_search.ratio
        px, py = place
        # facilities that can reach a node within ratio * L of the place, or whose own
        # street and access path can come within the redraw disc plus the width
        gap = np.hypot(self._x - px, self._y - py)
        near = np.flatnonzero(gap <= 3.0 * ratio * limit + 2.0 * width)
        snaps = network.snap(self._x[near], self._y[near])
        local = self._search(snaps)
        zone = (
            np.hypot(arrays.node_x - px, arrays.node_y - py) <= ratio * limit * (1.0 + 1e-9) + 1e-6
        )
        self._metres[zone] = local[zone]
        radius = (ratio * limit + width) * 1.001 + 1.0
        centre = shapely.Point(px, py)
        disc = shapely.buffer(centre, radius, quad_segs=_DISC_QUAD_SEGS)
        edges = arrays.tree.query(shapely.buffer(centre, radius + 2.0 * width))
        inside = layer_union(network, snaps, self._metres, limit, edges=np.sort(edges))
        self.polygon = _patched(self.polygon, disc, shapely.intersection(inside, disc))


def _patched(polygon: BaseGeometry, disc: BaseGeometry, patch: BaseGeometry) -> BaseGeometry:
    """``polygon`` outside ``disc`` joined with ``patch`` (which lies inside ``disc``).

    Only the rings near the disc enter the overlay: the parts of ``polygon`` and the holes
    whose bounding boxes miss the disc's are set aside and put back unchanged (a street
    network's service circle has thousands of holes, the blocks' interiors).
    """
    minx, miny, maxx, maxy = disc.bounds
    parts = np.asarray(shapely.get_parts(polygon), dtype=object)
    px0, py0, px1, py1 = shapely.bounds(parts).T if parts.size else (np.empty(0),) * 4
    touching = (px0 <= maxx) & (px1 >= minx) & (py0 <= maxy) & (py1 >= miny)
    cores: list[shapely.Polygon] = []
    kept: list[BaseGeometry] = []
    for part in parts[touching]:
        count = shapely.get_num_interior_rings(part)
        holes = np.asarray(shapely.get_interior_ring(part, np.arange(count)), dtype=object)
        near = np.zeros(count, dtype=bool)
        if count:
            hx0, hy0, hx1, hy1 = shapely.bounds(holes).T
            near = (hx0 <= maxx) & (hx1 >= minx) & (hy0 <= maxy) & (hy1 >= miny)
        cores.append(shapely.Polygon(part.exterior, holes[near].tolist()))
        kept.extend(holes[~near].tolist())
    core = shapely.MultiPolygon(cores) if cores else shapely.Polygon()
    pieces = shapely.get_parts(shapely.union(shapely.difference(core, disc), patch))
    pieces = pieces[shapely.get_type_id(pieces) == shapely.GeometryType.POLYGON]
    extra: list[list[BaseGeometry]] = [[] for _ in pieces]
    if kept and pieces.size:
        shells = shapely.polygons(shapely.get_exterior_ring(pieces))
        inner = shapely.point_on_surface(shapely.polygons(np.asarray(kept, dtype=object)))
        which, owner = shapely.STRtree(shells).query(inner, predicate="within")
        for hole, piece in zip(which.tolist(), owner.tolist(), strict=True):
            extra[piece].append(kept[hole])
    rebuilt = [
        shapely.Polygon(piece.exterior, list(piece.interiors) + extra[i])
        for i, piece in enumerate(pieces)
    ]
    result = [*parts[~touching].tolist(), *rebuilt]
    if not result:
        return shapely.Polygon()
    joined: BaseGeometry = result[0] if len(result) == 1 else shapely.MultiPolygon(result)
    return joined
