"""Grid coverage: who lives within each layer's service circle, and how far they walk.

Demand units
------------
A grid's residents are spread over *demand units*, points where people are taken to
live. On a street network these are the street nodes inside the grid, which share the
grid's residents equally (streets are where the homes' doors are, and nodes are densest
where homes are); a grid with no street node gets one unit at its representative point,
reached through its nearest street like a facility. In approximate mode (no streets) the
units are the points of a regular 100 m lattice inside the grid, or its representative
point when the lattice misses a small grid. A node in several grids counts for the first.

Residents of a grid = ``population``, else ``households`` x
``settings.persons_per_household``, else 0 (with a warning).

Per layer
---------
One multi-source shortest-walk search from all the layer's facilities gives every node
its nearest facility and walking metres; a demand unit is *covered* when that walk is
within the rule. Per grid (weights = the units' residents, or equal weights in a grid
with no residents):

- ``residents_covered`` and ``share_covered``: residents of covered units;
- ``area_share_covered``: area of the grid inside the union of service areas / grid area,
  in metres of the network's CRS;
- ``nearest_m`` / ``nearest_minutes``: the weighted mean walk to the nearest facility
  (over units connected to any facility; NaN if none is);
- ``nearest_facility_id``: the facility nearest to the largest share of residents.

With a ``straight_line`` rule every distance is the crow-fly distance; in approximate
mode it is the straight line x ``settings.detour_factor``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo.analysis._area import areas_inside
from geo.analysis._inputs import check_facilities, grid_residents
from geo.analysis._paths import (
    Targets,
    metres_via_ends,
    nearest_for_targets,
    nearest_source,
    same_edge_pairs,
)
from geo.analysis.network import WalkNetwork
from geo.analysis.rules import DEFAULT_RULES, REST_POINT_CIRCLE, ServiceRule
from geo.analysis.service_areas import LayerAreas, areas_frame, layer_areas
from geo.errors import AnalysisError
from geo.scenario import ANALYSIS_LAYERS

if TYPE_CHECKING:
    from geo.scenario import Scenario

__all__ = ["CoverageEngine", "LayerCoverage", "analyze_scenario"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Spacing in metres of the demand lattice of approximate mode.
LATTICE_M = 100.0


@dataclass(frozen=True, eq=False)
class LayerCoverage:
    """Coverage of the grids by one facility layer under one rule.

    Attributes
    ----------
    rule
        The rule applied.
    approximate
        True when computed in approximate mode.
    grids
        Per grid: ``grid_id``, ``name``, ``community``, ``residents``,
        ``residents_covered``, ``share_covered``, ``area_share_covered``,
        ``nearest_minutes``, ``nearest_m``, ``nearest_facility_id``, geometry (EPSG:4326).
    summary
        ``rule`` (label), ``limit_m``, ``facilities``, ``facilities_far_from_street``,
        ``residents_total``, ``residents_covered``, ``share_covered``, ``approximate``.
    demand_m
        Per demand unit (rows of :attr:`CoverageEngine.demand`): metres to the nearest
        facility (``inf`` if none is connected).
    demand_covered
        Per demand unit: True when within the rule.
    areas
        The layer's service areas in metres of the network's CRS (each facility's area
        built when first asked for).
    """

    rule: ServiceRule
    approximate: bool
    grids: gpd.GeoDataFrame
    summary: dict[str, Any]
    demand_m: FloatArray = field(repr=False)
    demand_covered: BoolArray = field(repr=False)
    areas: LayerAreas = field(repr=False)
    network: WalkNetwork = field(repr=False)
    facilities: gpd.GeoDataFrame = field(repr=False)

    @cached_property
    def union(self) -> BaseGeometry:
        """The layer's service circle, the union of its service areas (EPSG:4326);
        reprojected from :attr:`areas` on first use."""
        union: BaseGeometry = self.network.geometry_to_wgs84(
            np.array([self.areas.union], dtype=object)
        )[0]
        return union

    @cached_property
    def service_areas(self) -> gpd.GeoDataFrame:
        """Every facility's service area: ``facility_id``, ``name``, ``access_m``,
        ``far_from_street``, geometry (EPSG:4326); built on first use."""
        return areas_frame(self.network, self.facilities, self.areas)

    def service_area(self, index: int) -> BaseGeometry:
        """One facility's service area (row ``index`` of the layer), EPSG:4326."""
        polygon = self.areas.polygon(index)
        result: BaseGeometry = self.network.geometry_to_wgs84(np.array([polygon], dtype=object))[0]
        return result


class CoverageEngine:
    """Coverage analyses of one set of grids on one walking network.

    Prepares the demand units once; every layer, rule and candidate set reuses them.

    Parameters
    ----------
    network
        The walking network.
    grids
        Grid polygons (``grid_id``, ``name``, optional ``community``, ``population``,
        ``households``), any CRS. Not modified.
    progress
        Show progress bars; ``None`` uses ``settings.progress``.

    Attributes
    ----------
    network
        The walking network.
    grids
        The grids (EPSG:4326) with a ``residents`` column added (a copy).
    """

    def __init__(
        self,
        network: WalkNetwork,
        grids: gpd.GeoDataFrame,
        *,
        progress: bool | None = None,
    ) -> None:
        if "grid_id" not in grids.columns:
            msg = f"grids lack a grid_id column; got {list(grids.columns)}"
            raise AnalysisError(msg)
        frame = grids.to_crs("EPSG:4326") if grids.crs is not None else grids.set_crs("EPSG:4326")
        frame = frame.copy()
        frame["residents"] = grid_residents(frame)
        self.network = network
        self.grids: gpd.GeoDataFrame = frame
        self.progress = progress
        self._polygons = np.asarray(frame.to_crs(network.crs).geometry.to_numpy(), dtype=object)
        self._area = shapely.area(self._polygons)
        x, y, unit_grid, targets = self._demand_units()
        counts = np.bincount(unit_grid, minlength=len(frame))
        residents = frame["residents"].to_numpy(dtype=float)
        unit_residents = residents[unit_grid] / counts[unit_grid]
        self._x, self._y = x, y
        self._unit_grid = unit_grid
        self._targets = targets
        if targets is not None:
            # street-node units are read straight off the search rows; the few units
            # at snapped points go through their street's two ends
            on_node = targets.edge < 0
            self._unit_of_node = np.full(network.require_arrays().n_nodes, -1, dtype=np.int64)
            self._unit_of_node[targets.node_a[on_node]] = np.flatnonzero(on_node)
            self._point_units = np.flatnonzero(~on_node)
            self._point_targets = _take(targets, self._point_units)
        self._residents = unit_residents
        total = np.bincount(unit_grid, weights=unit_residents, minlength=len(frame))
        equal = 1.0 / counts[unit_grid]
        has_people = total[unit_grid] > 0
        self._weight = np.where(
            has_people, unit_residents / np.where(has_people, total[unit_grid], 1.0), equal
        )
        logger.info(
            "%d demand units in %d grids, %.0f residents",
            x.shape[0],
            len(frame),
            float(residents.sum()),
        )

    @cached_property
    def _unit_tree(self) -> cKDTree:
        """A k-d tree of the demand units (metres), for straight-line reach."""
        return cKDTree(np.column_stack([self._x, self._y]))

    @property
    def n_demand(self) -> int:
        """Number of demand units (without building :attr:`demand`)."""
        return int(self._x.shape[0])

    @cached_property
    def demand(self) -> gpd.GeoDataFrame:
        """Demand units: ``demand_id`` (int), ``grid_id``, ``residents`` (float), geometry
        (points, EPSG:4326); built on first use. Its row order is the column order of
        :meth:`reach`."""
        lon, lat = self.network.to_wgs84(self._x, self._y)
        return gpd.GeoDataFrame(
            {
                "demand_id": np.arange(self._x.shape[0]),
                "grid_id": self.grids["grid_id"].to_numpy()[self._unit_grid],
                "residents": self._residents,
            },
            geometry=gpd.points_from_xy(lon, lat),
            crs="EPSG:4326",
        )

    def _demand_units(self) -> tuple[FloatArray, FloatArray, IntArray, Targets | None]:
        """Demand unit coordinates (metres), their grid, and their street targets."""
        polygons = self._polygons
        representative = shapely.point_on_surface(polygons)
        rep_x, rep_y = shapely.get_x(representative), shapely.get_y(representative)
        arrays = self.network.arrays
        if arrays is None:
            lx, ly, lg = _lattice(polygons, LATTICE_M)
            empty = np.setdiff1d(np.arange(len(polygons)), lg)
            x = np.concatenate([lx, rep_x[empty]])
            y = np.concatenate([ly, rep_y[empty]])
            grid = np.concatenate([lg, empty]).astype(np.int64)
            order = np.argsort(grid, kind="stable")
            return x[order], y[order], grid[order], None
        node_idx, grid_idx = _nodes_in(polygons, arrays.node_x, arrays.node_y)
        order = np.lexsort((grid_idx, node_idx))
        node_idx, grid_idx = node_idx[order], grid_idx[order]
        first = np.ones(node_idx.shape[0], dtype=bool)
        first[1:] = node_idx[1:] != node_idx[:-1]
        node_idx, grid_idx = node_idx[first], grid_idx[first]
        empty = np.setdiff1d(np.arange(len(polygons)), grid_idx)
        snaps = self.network.snap(rep_x[empty], rep_y[empty])
        targets = Targets.concat(
            [Targets.from_nodes(node_idx.astype(np.int64)), Targets.from_snaps(snaps)]
        )
        x = np.concatenate([arrays.node_x[node_idx], rep_x[empty]])
        y = np.concatenate([arrays.node_y[node_idx], rep_y[empty]])
        grid = np.concatenate([grid_idx, empty]).astype(np.int64)
        order = np.argsort(grid, kind="stable")
        return x[order], y[order], grid[order], _take(targets, order)

    def _facility_xy(self, points: gpd.GeoDataFrame) -> tuple[FloatArray, FloatArray]:
        if len(points) == 0:
            return np.empty(0), np.empty(0)
        if points.geometry.isna().any() or set(points.geometry.geom_type) - {"Point"}:
            msg = "points must all be Point geometries; give each site one point"
            raise AnalysisError(msg)
        return self.network.points_to_metric(points)

    def reach(self, points: gpd.GeoDataFrame, rule: ServiceRule) -> sp.csr_matrix:
        """Which demand units each point reaches within a rule.

        Parameters
        ----------
        points
            Point features (facilities or candidate sites), any CRS.
        rule
            How far a point reaches.

        Returns
        -------
        scipy.sparse.csr_matrix
            Boolean, ``len(points) x len(demand)``: True where the demand unit is within
            the rule's reach of the point.
        """
        x, y = self._facility_xy(points)
        n_units = self._x.shape[0]
        limit = rule.max_metres
        if self._targets is None or rule.straight_line:
            radius = limit if rule.straight_line else limit / settings.detour_factor
            if n_units == 0 or x.size == 0:
                return sp.csr_matrix((x.shape[0], n_units), dtype=bool)
            hits = cKDTree(np.column_stack([x, y])).sparse_distance_matrix(
                self._unit_tree, radius, output_type="coo_matrix"
            )
            rows, cols = hits.row, hits.col
        else:
            rows, cols = self._street_reach(x, y, limit)
        data = np.ones(rows.shape[0], dtype=bool)
        matrix = sp.coo_matrix((data, (rows, cols)), shape=(x.shape[0], n_units)).tocsr()
        matrix.sum_duplicates()
        return matrix

    def _street_reach(
        self, x: FloatArray, y: FloatArray, limit: float
    ) -> tuple[IntArray, IntArray]:
        """(point, demand unit) pairs within ``limit`` walking metres, one point at a time.

        Each point's bounded search holds only the nodes within its reach as the crow
        flies (:class:`~geo.analysis._paths.LocalSearch`); units on nodes are read off
        its sparse row, units at snapped points through their street's two ends or
        straight along a street they share with the point.
        """
        network = self.network
        snaps = network.snap(x, y)
        points = self._point_targets
        si, ti = same_edge_pairs(snaps.edge, points.edge)
        direct = (
            np.abs(snaps.along[si] - points.along[ti]) + snaps.access[si] + points.access[ti]
        ) <= limit
        row_parts: list[IntArray] = [si[direct]]
        col_parts: list[IntArray] = [self._point_units[ti[direct]]]
        for i, (nodes, metres) in enumerate(network.local_search.reach(snaps, limit)):
            unit = self._unit_of_node[nodes]
            on_node = unit[unit >= 0]
            near = self._point_units[metres_via_ends(nodes, metres, points) <= limit]
            row_parts.append(np.full(on_node.size + near.size, i, dtype=np.int64))
            col_parts.extend((on_node, near))
        return np.concatenate(row_parts), np.concatenate(col_parts)

    def nearest(
        self, facilities: gpd.GeoDataFrame, rule: ServiceRule
    ) -> tuple[FloatArray, IntArray]:
        """Every demand unit's nearest facility under a rule's way of measuring.

        Returns
        -------
        metres, facility
            Per demand unit: metres to the nearest facility (``inf`` if none is
            connected) and its row index in ``facilities`` (-1 if none).
        """
        x, y = self._facility_xy(check_facilities(facilities))
        return self._nearest_units(x, y, rule, None)

    def _nearest_units(
        self, x: FloatArray, y: FloatArray, rule: ServiceRule, areas: LayerAreas | None
    ) -> tuple[FloatArray, IntArray]:
        n_units = self._x.shape[0]
        if x.size == 0:
            return np.full(n_units, np.inf), np.full(n_units, -1, dtype=np.int64)
        if self._targets is None or rule.straight_line:
            factor = 1.0 if rule.straight_line else settings.detour_factor
            dist, idx = cKDTree(np.column_stack([x, y])).query(np.column_stack([self._x, self._y]))
            return np.asarray(dist, dtype=float) * factor, np.asarray(idx, dtype=np.int64)
        distances = areas.distances if areas is not None else None
        if distances is not None and distances.snaps is not None:
            node_m, node_source, snaps = (
                distances.nearest_m,
                distances.nearest_facility,
                distances.snaps,
            )
        else:
            snaps = self.network.snap(x, y)
            node_m, node_source = nearest_source(self.network.require_arrays(), snaps)
        return nearest_for_targets(node_m, node_source, snaps, self._targets)

    def layer_coverage(self, facilities: gpd.GeoDataFrame, rule: ServiceRule) -> LayerCoverage:
        """Service areas, their union and grid coverage of one facility layer.

        Parameters
        ----------
        facilities
            Facility points (``facility_id``, ``name``), any CRS.
        rule
            How far a facility reaches.

        Returns
        -------
        LayerCoverage
        """
        facilities = check_facilities(facilities)
        areas = layer_areas(self.network, facilities, rule, progress=self.progress)
        metres, nearest = self._nearest_units(areas.x, areas.y, rule, areas)
        covered = metres <= rule.max_metres
        grids = self._grid_table(facilities, areas, metres, nearest, covered, rule)
        snaps = areas.distances.snaps if areas.distances is not None else None
        far = int(snaps.far_from_street.sum()) if snaps is not None else 0
        residents_total = float(self._residents.sum())
        residents_covered = float(grids["residents_covered"].sum())
        summary: dict[str, Any] = {
            "rule": rule.label,
            "limit_m": rule.max_metres,
            "facilities": len(facilities),
            "facilities_far_from_street": far,
            "residents_total": residents_total,
            "residents_covered": residents_covered,
            "share_covered": residents_covered / residents_total if residents_total else 0.0,
            "approximate": areas.approximate,
        }
        logger.info(
            "%s: %d facilities cover %.0f of %.0f residents (%.1f%%)",
            rule.label,
            len(facilities),
            residents_covered,
            residents_total,
            100.0 * summary["share_covered"],
        )
        return LayerCoverage(
            rule=rule,
            approximate=areas.approximate,
            grids=grids,
            summary=summary,
            demand_m=metres,
            demand_covered=covered,
            areas=areas,
            network=self.network,
            facilities=facilities,
        )

    def _grid_table(
        self,
        facilities: gpd.GeoDataFrame,
        areas: LayerAreas,
        metres: FloatArray,
        nearest: IntArray,
        covered: BoolArray,
        rule: ServiceRule,
    ) -> gpd.GeoDataFrame:
        n_grids = len(self.grids)
        grid = self._unit_grid
        weight = self._weight
        share = np.bincount(grid, weights=weight * covered, minlength=n_grids)
        residents = self.grids["residents"].to_numpy(dtype=float)
        reachable = np.isfinite(metres)
        reach_weight = np.bincount(grid, weights=weight * reachable, minlength=n_grids)
        mean_m = np.bincount(
            grid, weights=np.where(reachable, weight * metres, 0.0), minlength=n_grids
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            nearest_m = np.where(reach_weight > 0, mean_m / reach_weight, np.nan)
        ids = facilities["facility_id"].to_numpy()
        nearest_id = np.full(n_grids, None, dtype=object)
        chosen_grid, chosen = _weightiest(grid[reachable], nearest[reachable], weight[reachable])
        nearest_id[chosen_grid] = ids[chosen]
        inside = areas_inside(self._polygons, areas.union)
        with np.errstate(invalid="ignore", divide="ignore"):
            area_share = np.where(self._area > 0, inside / self._area, 0.0)
        table = pd.DataFrame(
            {
                "grid_id": self.grids["grid_id"].to_numpy(),
                "name": _column(self.grids, "name"),
                "community": _column(self.grids, "community"),
                "residents": residents,
                "residents_covered": residents * share,
                "share_covered": share,
                "area_share_covered": np.clip(area_share, 0.0, 1.0),
                "nearest_minutes": nearest_m / rule.metres_per_minute,
                "nearest_m": nearest_m,
                "nearest_facility_id": nearest_id,
            }
        )
        return gpd.GeoDataFrame(table, geometry=self.grids.geometry.to_numpy(), crs="EPSG:4326")


def _weightiest(
    grid: IntArray, facility: IntArray, weight: FloatArray
) -> tuple[IntArray, IntArray]:
    """Per grid, the facility nearest to the largest weight of its units (a tie goes to
    the facility met first).

    Returns
    -------
    grids, facilities
        Each grid that has units, and its facility.
    """
    if grid.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    span = int(facility.max()) + 1
    pair, first, which = np.unique(grid * span + facility, return_index=True, return_inverse=True)
    total = np.bincount(which, weights=weight)
    pair_grid = pair // span
    order = np.lexsort((first, -total, pair_grid))
    head = order[np.r_[True, pair_grid[order][1:] != pair_grid[order][:-1]]]
    return pair_grid[head], pair[head] % span


def _column(frame: pd.DataFrame, name: str) -> npt.NDArray[np.object_]:
    if name in frame.columns:
        return np.asarray(frame[name].to_numpy(), dtype=object)
    return np.full(len(frame), None, dtype=object)


def _nodes_in(
    polygons: npt.NDArray[np.object_], x: FloatArray, y: FloatArray
) -> tuple[IntArray, IntArray]:
    """All (node, polygon) pairs where the node lies in or on the polygon.

    Works on coordinates (no point objects are made): each polygon tests the nodes of
    its bounding box.
    """
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    nodes: list[IntArray] = []
    owners: list[IntArray] = []
    for i, polygon in enumerate(polygons):
        if polygon is None or polygon.is_empty:
            continue
        minx, miny, maxx, maxy = polygon.bounds
        lo = int(np.searchsorted(sorted_x, minx, side="left"))
        hi = int(np.searchsorted(sorted_x, maxx, side="right"))
        candidate = order[lo:hi]
        candidate = candidate[(y[candidate] >= miny) & (y[candidate] <= maxy)]
        shapely.prepare(polygon)
        hit = candidate[shapely.intersects_xy(polygon, x[candidate], y[candidate])]
        nodes.append(hit.astype(np.int64))
        owners.append(np.full(hit.shape[0], i, dtype=np.int64))
    if not nodes:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(nodes), np.concatenate(owners)


def _take(targets: Targets, order: IntArray) -> Targets:
    return Targets(
        targets.node_a[order],
        targets.cost_a[order],
        targets.node_b[order],
        targets.cost_b[order],
        targets.edge[order],
        targets.along[order],
        targets.access[order],
    )


def _lattice(
    polygons: npt.NDArray[np.object_], spacing: float
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Points of a regular lattice (multiples of ``spacing`` metres) inside each polygon."""
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    owner: list[IntArray] = []
    for i, polygon in enumerate(polygons):
        if polygon is None or polygon.is_empty:
            continue
        minx, miny, maxx, maxy = polygon.bounds
        gx = np.arange(np.ceil(minx / spacing), np.floor(maxx / spacing) + 1) * spacing
        gy = np.arange(np.ceil(miny / spacing), np.floor(maxy / spacing) + 1) * spacing
        if gx.size == 0 or gy.size == 0:
            continue
        px, py = (a.reshape(-1) for a in np.meshgrid(gx, gy))
        inside = shapely.contains_xy(polygon, px, py)
        xs.append(px[inside])
        ys.append(py[inside])
        owner.append(np.full(int(inside.sum()), i, dtype=np.int64))
    if not xs:
        return np.empty(0), np.empty(0), np.empty(0, dtype=np.int64)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(owner)


def analyze_scenario(
    scenario: Scenario,
    network: WalkNetwork,
    *,
    rules: dict[str, ServiceRule] | None = None,
    straight_line_circle: bool = True,
    progress: bool | None = None,
) -> dict[str, LayerCoverage]:
    """Coverage of every analysis layer of a scenario.

    Parameters
    ----------
    scenario
        The layers.
    network
        The walking network.
    rules
        Rule per layer {"stations", "centres", "rest_points"}; missing layers use
        :data:`~geo.analysis.rules.DEFAULT_RULES`.
    straight_line_circle
        Also compute ``"rest_points_circle"``: the rest points' plain 1 km straight-line
        circle (the branded 1公里服务圈).
    progress
        Show progress bars; ``None`` uses ``settings.progress``.

    Returns
    -------
    dict[str, LayerCoverage]
        Keys "stations", "centres", "rest_points" and, if asked, "rest_points_circle".
    """
    chosen = {**DEFAULT_RULES, **(rules or {})}
    unknown = sorted(set(chosen) - set(DEFAULT_RULES))
    if unknown:
        msg = f"rules for unknown layer(s) {unknown}; use keys {sorted(DEFAULT_RULES)}"
        raise AnalysisError(msg)
    engine = CoverageEngine(network, scenario.grids, progress=progress)
    results: dict[str, LayerCoverage] = {}
    for layer in ANALYSIS_LAYERS:
        results[layer] = engine.layer_coverage(scenario.facilities(layer), chosen[layer])
    if straight_line_circle:
        results["rest_points_circle"] = engine.layer_coverage(
            scenario.facilities("rest_points"), REST_POINT_CIRCLE
        )
    return results
