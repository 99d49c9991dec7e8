"""The nearest facilities of a layer from any point, by walking time, with the route.

:class:`NearestFacilities` prepares everything that does not depend on the query once:
the facilities' snaps onto the streets, the street matrix with the facilities attached,
and one multi-source search giving every node its nearest facility. A query then snaps
its point, and either

- (:meth:`~NearestFacilities.query`, k nearest with routes) runs one shortest-walk search
  from the point, bounded by a reach that grows until k facilities are certainly found,
  and reads the routes off its predecessor tree; or
- (:meth:`~NearestFacilities.query_many`, many points) looks the answer up in the
  prepared per-node tables: a point on street (u, v) at ``along`` metres from ``u`` is
  ``min(d[u] + along, d[v] + length - along) + access`` metres from a facility.

In approximate mode distances are straight lines x ``settings.detour_factor`` and the
route is the straight line.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from geo import settings
from geo.analysis._inputs import check_facilities
from geo.analysis._paths import (
    augmented_csr,
    bounded_batches,
    nearest_source,
    same_edge_pairs,
)
from geo.analysis._snap import Snaps
from geo.analysis.network import WalkNetwork
from geo.analysis.rules import metres_per_minute
from geo.coords import check_coordinate_system, convert
from geo.errors import AnalysisError

__all__ = ["NearestFacilities", "NearestResult"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: First reach, in metres, of the bounded search of a query (it doubles as needed).
_FIRST_REACH_M = 1500.0


@dataclass(frozen=True)
class NearestResult:
    """One facility near a query point.

    Attributes
    ----------
    facility_id, name
        The facility.
    metres
        Walking metres from the point to the facility, access paths included.
    minutes
        Walking minutes at the prepared speed.
    route
        The walk as a LineString, EPSG:4326: point, its street, the streets walked,
        the facility's street, facility.
    access_m
        Straight-line metres from the query point to its nearest street (0 if approximate).
    far_from_street
        True when the query point is farther than ``settings.max_snap_distance_m`` from
        every street.
    approximate
        True in approximate mode (straight line x detour factor).
    """

    facility_id: str
    name: str
    metres: float
    minutes: float
    route: LineString
    access_m: float
    far_from_street: bool
    approximate: bool


class NearestFacilities:
    """Nearest-facility queries on one layer, prepared once.

    Parameters
    ----------
    network
        The walking network.
    facilities
        Facility points (``facility_id``, ``name``), any CRS. Not modified.
    speed_kmh
        Walking speed for minutes; ``None`` uses ``settings.walk_speed_kmh``.
    """

    def __init__(
        self,
        network: WalkNetwork,
        facilities: gpd.GeoDataFrame,
        *,
        speed_kmh: float | None = None,
    ) -> None:
        frame = check_facilities(facilities)
        self.network = network
        self._ids = frame["facility_id"].astype(str).to_numpy()
        self._names = frame["name"].astype(str).to_numpy()
        self._per_minute = metres_per_minute(speed_kmh)
        if len(frame):
            self._x, self._y = network.points_to_metric(frame)
        else:
            self._x, self._y = np.empty(0), np.empty(0)
        self._tree = cKDTree(np.column_stack([self._x, self._y]))
        # Facility locations in lon/lat, for straight-line routes without a projection
        # per answer.
        self._lon, self._lat = network.to_wgs84(self._x, self._y)
        self._snaps: Snaps | None = None
        if not network.approximate:
            arrays = network.require_arrays()
            self._snaps = network.snap(self._x, self._y)
            self._node_m, self._node_facility = nearest_source(arrays, self._snaps)
            self._reach_cap = float(arrays.edge_length.sum()) + 2.0 * float(
                self._snaps.access.max(initial=0.0)
            )
        self._k_best = cache(self._k_best_table)

    def __len__(self) -> int:
        return int(self._ids.shape[0])

    def _street_snaps(self) -> Snaps:
        if self._snaps is None:
            msg = "street routing needs a street network; this one is approximate"
            raise AnalysisError(msg)
        return self._snaps

    def _metric(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike, crs: str
    ) -> tuple[FloatArray, FloatArray]:
        system = check_coordinate_system(crs)
        lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
        lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
        if lon_a.shape != lat_a.shape:
            msg = f"{lon_a.size} longitudes but {lat_a.size} latitudes; give one of each per point"
            raise AnalysisError(msg)
        wlon, wlat = convert(lon_a, lat_a, system, "wgs84")
        return self.network.to_metric(wlon, wlat)

    def query(
        self, lon: float, lat: float, *, k: int = 3, crs: str = "wgs84"
    ) -> list[NearestResult]:
        """The k nearest facilities from a point, by walking time.

        Parameters
        ----------
        lon, lat
            The point, degrees in ``crs``.
        k
            How many facilities (fewer if the layer has fewer, or fewer are connected).
        crs
            Coordinate system of ``lon``/``lat`` {"wgs84", "cgcs2000", "gcj02", "bd09"}.

        Returns
        -------
        list[NearestResult]
            Nearest first.
        """
        if k < 1:
            msg = f"k must be at least 1, got {k}"
            raise AnalysisError(msg)
        if not (math.isfinite(lon) and math.isfinite(lat)):
            msg = f"query point ({lon!r}, {lat!r}) is not a pair of finite degrees"
            raise AnalysisError(msg)
        x, y = self._metric([lon], [lat], crs)
        if len(self) == 0:
            return []
        if self._snaps is None:
            return self._query_straight(float(x[0]), float(y[0]), k)
        return self._query_streets(float(x[0]), float(y[0]), k)

    def _query_straight(self, x: float, y: float, k: int) -> list[NearestResult]:
        count = min(k, len(self))
        dist, idx = self._tree.query([x, y], k=count)
        lon, lat = self.network.to_wgs84([x], [y])  # one projection for every answer
        origin = (float(lon[0]), float(lat[0]))
        results = []
        for d, i in zip(np.atleast_1d(dist), np.atleast_1d(idx), strict=True):
            metres = float(d) * settings.detour_factor
            end = origin if d <= 1e-9 else (float(self._lon[i]), float(self._lat[i]))
            results.append(
                NearestResult(
                    facility_id=str(self._ids[i]),
                    name=str(self._names[i]),
                    metres=metres,
                    minutes=metres / self._per_minute,
                    route=LineString([origin, end]),
                    access_m=0.0,
                    far_from_street=False,
                    approximate=True,
                )
            )
        return results

    def _result(
        self,
        i: int,
        metres: float,
        coords: FloatArray,
        access: float,
        far: bool,
        *,
        approximate: bool,
    ) -> NearestResult:
        keep = np.ones(coords.shape[0], dtype=bool)
        keep[1:] = np.any(np.abs(np.diff(coords, axis=0)) > 1e-9, axis=1)
        coords = coords[keep]
        if coords.shape[0] == 1:
            coords = np.vstack([coords, coords])
        lon, lat = self.network.to_wgs84(coords[:, 0], coords[:, 1])
        return NearestResult(
            facility_id=str(self._ids[i]),
            name=str(self._names[i]),
            metres=metres,
            minutes=metres / self._per_minute,
            route=LineString(np.column_stack([lon, lat])),
            access_m=access,
            far_from_street=far,
            approximate=approximate,
        )

    def _query_streets(self, x: float, y: float, k: int) -> list[NearestResult]:
        network = self.network
        arrays = network.require_arrays()
        facilities = self._street_snaps()
        point = network.snap([x], [y])
        matrix = augmented_csr(arrays, point)
        source = arrays.n_nodes
        count = min(k, len(self))
        straight = np.hypot(self._x - x, self._y - y)
        reach = max(
            _FIRST_REACH_M,
            2.0 * settings.detour_factor * np.partition(straight, count - 1)[count - 1],
        )
        _, ti = same_edge_pairs(point.edge, facilities.edge)
        direct = np.full(len(self), np.inf)
        direct[ti] = (
            np.abs(point.along[0] - facilities.along[ti]) + point.access[0] + facilities.access[ti]
        )
        while True:
            limit = np.inf if reach >= self._reach_cap else reach
            dist, pred = dijkstra(
                matrix, directed=True, indices=source, limit=limit, return_predecessors=True
            )
            via_a = dist[facilities.node_a] + facilities.cost_a
            via_b = dist[facilities.node_b] + facilities.cost_b
            total = np.minimum(np.minimum(via_a, via_b), direct)
            if np.count_nonzero(total <= limit) >= count or math.isinf(limit):
                break
            reach *= 2.0
        order = np.argsort(total, kind="stable")[:count]
        results = []
        for i in order:
            if not np.isfinite(total[i]):
                break
            if direct[i] <= min(via_a[i], via_b[i]):
                coords = self._direct_route(point, int(i))
            else:
                from_u = bool(via_a[i] <= via_b[i])
                coords = self._tree_route(point, int(i), from_u, pred, source)
            results.append(
                self._result(
                    int(i),
                    float(total[i]),
                    coords,
                    float(point.access[0]),
                    bool(point.far_from_street[0]),
                    approximate=False,
                )
            )
        return results

    def _piece(self, edge: int, start_m: float, stop_m: float) -> FloatArray:
        """Coordinates along a street from ``start_m`` to ``stop_m`` metres from its u end."""
        length = float(self.network.require_arrays().edge_length[edge]) or 1.0
        lo, hi = sorted((start_m / length, stop_m / length))
        line = self.network.pieces.pieces(np.array([edge]), np.array([lo]), np.array([hi]))[0]
        coords: FloatArray = shapely.get_coordinates(line)
        return coords if start_m <= stop_m else coords[::-1]

    def _direct_route(self, point: Snaps, i: int) -> FloatArray:
        facilities = self._street_snaps()
        middle = self._piece(int(point.edge[0]), float(point.along[0]), float(facilities.along[i]))
        return np.vstack([[point.x[0], point.y[0]], middle, [facilities.x[i], facilities.y[i]]])

    def _tree_route(
        self, point: Snaps, i: int, from_u: bool, pred: IntArray, source: int
    ) -> FloatArray:
        """Route from the query point to facility ``i``, entering its street at ``u``
        (``from_u``) or ``v``, read off the search's predecessor tree."""
        arrays = self.network.require_arrays()
        facilities = self._street_snaps()
        f_edge = int(facilities.edge[i])
        end = int(arrays.edge_u[f_edge] if from_u else arrays.edge_v[f_edge])
        nodes = [end]
        while pred[nodes[-1]] != source:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        q_edge = int(point.edge[0])
        q_length = float(arrays.edge_length[q_edge])
        q_along = float(point.along[0])
        if arrays.edge_u[q_edge] == arrays.edge_v[q_edge]:  # a loop: the shorter way round
            q_end = 0.0 if q_along <= q_length - q_along else q_length
        else:
            q_end = 0.0 if nodes[0] == arrays.edge_u[q_edge] else q_length
        parts = [
            np.array([[point.x[0], point.y[0]]]),
            self._piece(q_edge, float(point.along[0]), q_end),
        ]
        for a, b in itertools.pairwise(nodes):
            edge = arrays.edge_between(a, b)
            coords = shapely.get_coordinates(arrays.edge_geometry[edge])
            parts.append(coords if arrays.edge_u[edge] == a else coords[::-1])
        f_start = 0.0 if from_u else float(arrays.edge_length[f_edge])
        parts.append(self._piece(f_edge, f_start, float(facilities.along[i])))
        parts.append(np.array([[facilities.x[i], facilities.y[i]]]))
        return np.vstack(parts)

    def query_many(
        self, lons: npt.ArrayLike, lats: npt.ArrayLike, *, k: int = 1, crs: str = "wgs84"
    ) -> tuple[IntArray, FloatArray]:
        """The k nearest facilities of many points, without routes (vectorised).

        Parameters
        ----------
        lons, lats
            The points, degrees in ``crs``.
        k
            How many facilities per point.
        crs
            Coordinate system of the points {"wgs84", "cgcs2000", "gcj02", "bd09"}.

        Returns
        -------
        facility, metres
            Arrays of shape ``(n_points, k)``, nearest first: row index of the facility
            in the layer (-1 where fewer than k are connected) and walking metres
            (``inf`` there).
        """
        if k < 1:
            msg = f"k must be at least 1, got {k}"
            raise AnalysisError(msg)
        x, y = self._metric(lons, lats, crs)
        n = x.shape[0]
        facility = np.full((n, k), -1, dtype=np.int64)
        metres = np.full((n, k), np.inf)
        if len(self) == 0 or n == 0:
            return facility, metres
        if self._snaps is None:
            count = min(k, len(self))
            dist, idx = self._tree.query(np.column_stack([x, y]), k=count)
            facility[:, :count] = np.asarray(idx).reshape(n, count)
            metres[:, :count] = np.asarray(dist).reshape(n, count) * settings.detour_factor
            return facility, metres
        points = self.network.snap(x, y)
        if k == 1:
            table_m, table_f = self._node_m[:, None], self._node_facility[:, None]
        else:
            table_m, table_f = self._k_best(k)
        cand_m = np.concatenate(
            [
                table_m[points.node_a] + points.cost_a[:, None],
                table_m[points.node_b] + points.cost_b[:, None],
            ],
            axis=1,
        )
        cand_f = np.concatenate([table_f[points.node_a], table_f[points.node_b]], axis=1)
        si, ti = same_edge_pairs(points.edge, self._snaps.edge)
        if si.size:
            per_row = np.bincount(si, minlength=n)
            extra_m = np.full((n, int(per_row.max())), np.inf)
            extra_f = np.full((n, int(per_row.max())), -1, dtype=np.int64)
            slot = np.arange(si.size) - np.repeat(np.cumsum(per_row) - per_row, per_row)
            fs = self._snaps
            extra_m[si, slot] = (
                np.abs(points.along[si] - fs.along[ti]) + points.access[si] + fs.access[ti]
            )
            extra_f[si, slot] = ti
            cand_m = np.concatenate([cand_m, extra_m], axis=1)
            cand_f = np.concatenate([cand_f, extra_f], axis=1)
        cand_m = np.where(cand_f < 0, np.inf, cand_m)
        # keep each facility's best candidate, then the k smallest
        order = np.lexsort((cand_m, cand_f), axis=-1)
        sorted_f = np.take_along_axis(cand_f, order, axis=1)
        sorted_m = np.take_along_axis(cand_m, order, axis=1)
        repeat = np.zeros_like(sorted_f, dtype=bool)
        repeat[:, 1:] = sorted_f[:, 1:] == sorted_f[:, :-1]
        sorted_m = np.where(repeat, np.inf, sorted_m)
        best = np.argsort(sorted_m, axis=1, kind="stable")[:, :k]
        take = min(k, best.shape[1])
        metres[:, :take] = np.take_along_axis(sorted_m, best, axis=1)
        chosen = np.take_along_axis(sorted_f, best, axis=1)
        facility[:, :take] = np.where(np.isfinite(metres[:, :take]), chosen, -1)
        return facility, metres

    def _k_best_table(self, k: int) -> tuple[FloatArray, IntArray]:
        """Per node, the k nearest facilities and their metres (prepared once per k)."""
        arrays = self.network.require_arrays()
        snaps = self._street_snaps()
        best_m = np.full((arrays.n_nodes, k), np.inf)
        best_f = np.full((arrays.n_nodes, k), -1, dtype=np.int64)
        for start, dist in bounded_batches(arrays, snaps, np.inf):
            b = dist.shape[0]
            cand_m = np.concatenate([best_m, dist.T], axis=1)
            cand_f = np.concatenate(
                [best_f, np.broadcast_to(start + np.arange(b), (arrays.n_nodes, b))], axis=1
            )
            keep = np.argsort(cand_m, axis=1, kind="stable")[:, :k]
            best_m = np.take_along_axis(cand_m, keep, axis=1)
            best_f = np.take_along_axis(cand_f, keep, axis=1)
        best_f = np.where(np.isfinite(best_m), best_f, -1)
        return best_m, best_f
