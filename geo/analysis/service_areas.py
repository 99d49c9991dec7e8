"""Service areas: for each facility the streets it reaches within a rule, as a polygon.

On a street network, each facility is snapped to its nearest street and one bounded
shortest-walk search (scipy's compiled Dijkstra, cut off at the rule's distance) finds
the walking metres to every node within reach. A street whose two ends are reached
with ``du`` and ``dv`` metres to spare is kept whole when the spare metres cover it
(``(L - du) + (L - dv) >= length``); otherwise only its pieces up to the exact cut-off
point are kept, ``L - du`` metres from one end and ``L - dv`` metres from the other.
The facility's own street and its straight access path from the facility are added.
Whole streets are joined into long lines along their strokes (streets that continue
each other, see ``_strokes``), which makes the union several times cheaper than one
buffer per street; the lines are buffered by ``settings.street_buffer_m`` metres (the
depth of a street's frontage) in one vectorised call and the buffers are unioned.
Every node within reach lies inside its facility's polygon.

The union of the buffers is the costly step: it grows with the number of buffers and
their crossings, not with their vertices. Two things cut it. Streets are grouped into
square blocks (``_union``); a block that three or more facilities of a layer reach end
to end is unioned once per network and enters each of those unions as one polygon, so
densely placed facilities share much of their work (a block filled by fewer is left as
streets, where grouping would only add work). And the facilities' unions run on a
small pool of threads, as GEOS releases the GIL; results are stored by facility, so
they do not depend on the order the threads finish.

In approximate mode a service area is the circle of radius ``max_metres / detour``; for a
``straight_line`` rule it is the plain circle of radius ``max_metres``.

All geometry is computed in metres of the network's CRS and returned in EPSG:4326.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry
from tqdm.auto import tqdm

from geo import settings
from geo.analysis._inputs import check_facilities
from geo.analysis._paths import bounded_batches, nearest_source
from geo.analysis._segments import EdgePieces
from geo.analysis._snap import Snaps
from geo.analysis.network import WalkNetwork
from geo.analysis.rules import ServiceRule
from geo.errors import AnalysisError

__all__ = [
    "LayerAreas",
    "NodeDistances",
    "areas_frame",
    "layer_areas",
    "node_distances",
    "service_areas",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
GeomArray = npt.NDArray[np.object_]

#: Segments per quarter circle of the street buffers.
_QUAD_SEGS = 8

#: Threads building service areas at once (GEOS releases the GIL while it works).
_MAX_WORKERS = 2


@dataclass(frozen=True, eq=False)
class NodeDistances:
    """Walking metres from a layer's facilities to every street node.

    Attributes
    ----------
    node_ids
        The network's node ids (OSM ids), the order of the per-node arrays.
    snaps
        Where each facility joins the streets (``None`` for a straight-line rule).
    nearest_m
        Per node: metres to the nearest facility (``inf`` if none is connected).
    nearest_facility
        Per node: row index (into the facility layer) of that facility, -1 if none.
    reached
        Per facility: row indices of the nodes within the rule's reach.
    reached_m
        Per facility: walking metres to those nodes, same order.
    """

    node_ids: npt.NDArray[np.object_] | npt.NDArray[np.int64]
    snaps: Snaps | None
    nearest_m: FloatArray
    nearest_facility: IntArray
    reached: list[IntArray]
    reached_m: list[FloatArray]


@dataclass(frozen=True, eq=False)
class LayerAreas:
    """Service areas of one facility layer under one rule, in metres of the network's CRS.

    Attributes
    ----------
    rule
        The rule applied.
    approximate
        True when computed in approximate mode.
    x, y
        Facility coordinates, metres.
    polygons
        Per facility, its service area (metres).
    union
        The union of all service areas (metres).
    distances
        Node distances on a street network, else ``None``.
    """

    rule: ServiceRule
    approximate: bool
    x: FloatArray
    y: FloatArray
    polygons: GeomArray
    union: BaseGeometry
    distances: NodeDistances | None


def _show_progress(progress: bool | None) -> bool:
    return settings.progress if progress is None else progress


def _access_lines(snaps: Snaps) -> GeomArray:
    """The straight lines from the facilities to their snap points."""
    ends = np.stack(
        [np.column_stack([snaps.x, snaps.y]), np.column_stack([snaps.snap_x, snaps.snap_y])],
        axis=1,
    )
    lines: GeomArray = np.asarray(shapely.linestrings(ends), dtype=object)
    return lines


def _street_polygon(
    pieces: EdgePieces,
    keys: list[tuple[int, int]],
    lines: GeomArray,
    point: BaseGeometry,
) -> BaseGeometry:
    """One service area: the union of its cached blocks and its other streets, buffered."""
    width = settings.street_buffer_m
    blocks = pieces.blocks.polygons(keys, width, quad_segs=_QUAD_SEGS)
    if lines.size == 0 and blocks.size == 0:
        disc: BaseGeometry = shapely.buffer(point, width)
        return disc
    buffers = shapely.buffer(lines, width, quad_segs=_QUAD_SEGS)
    polygon: BaseGeometry = shapely.union_all(np.concatenate([blocks, buffers]))
    return polygon


def _street_polygons(
    network: WalkNetwork, snaps: Snaps, limit: float, *, progress: bool
) -> tuple[GeomArray, list[IntArray], list[FloatArray]]:
    pieces = network.pieces
    polygons = np.empty(len(snaps), dtype=object)
    reached: list[IntArray] = []
    reached_m: list[FloatArray] = []
    access = _access_lines(snaps)
    points = np.asarray(shapely.points(snaps.x, snaps.y), dtype=object)
    workers = min(_MAX_WORKERS, os.cpu_count() or 1)
    with (
        tqdm(total=len(snaps), desc="service areas", unit="facility", disable=not progress) as bar,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        for start, metres in bounded_batches(network.require_arrays(), snaps, limit):
            rows = range(start, start + metres.shape[0])
            wholes: list[IntArray] = []
            parts: list[GeomArray] = []
            for i, row in zip(rows, metres, strict=True):
                nodes = np.flatnonzero(row <= limit)
                reached.append(nodes)
                reached_m.append(row[nodes])
                whole, part = pieces.reached(
                    row,
                    limit,
                    source_edge=int(snaps.edge[i]),
                    source_along=float(snaps.along[i]),
                    source_access=float(snaps.access[i]),
                )
                if snaps.access[i] <= limit:
                    part = np.append(part, access[i : i + 1])
                wholes.append(whole)
                parts.append(part)
            futures = [
                pool.submit(_street_polygon, pieces, keys, pieces.lines(rest, part), points[i])
                for i, (keys, rest), part in zip(
                    rows, pieces.blocks.assign(wholes), parts, strict=True
                )
            ]
            for i, future in zip(rows, futures, strict=True):
                polygons[i] = future.result()
                bar.update(1)
    return polygons, reached, reached_m


def _facility_xy(
    network: WalkNetwork, facilities: gpd.GeoDataFrame
) -> tuple[FloatArray, FloatArray]:
    frame = check_facilities(facilities)
    if len(frame) == 0:
        return np.empty(0), np.empty(0)
    return network.points_to_metric(frame)


def layer_areas(
    network: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    rule: ServiceRule,
    *,
    progress: bool | None = None,
) -> LayerAreas:
    """Service areas of a facility layer, their union and the node distances.

    Parameters
    ----------
    network
        The walking network.
    facilities
        Facility points (``facility_id``, ``name``), any CRS.
    rule
        How far a facility reaches.
    progress
        Show a progress bar; ``None`` uses ``settings.progress``.

    Returns
    -------
    LayerAreas
        Geometry in metres of ``network.crs``.
    """
    x, y = _facility_xy(network, facilities)
    limit = rule.max_metres
    if rule.straight_line or network.approximate:
        radius = limit if rule.straight_line else limit / settings.detour_factor
        polygons: GeomArray = np.asarray(
            shapely.buffer(shapely.points(x, y), radius, quad_segs=16), dtype=object
        )
        distances = None
        if rule.straight_line and not network.approximate:
            distances = _straight_node_distances(network, x, y, limit)
        approximate = network.approximate and not rule.straight_line
    else:
        snaps = network.snap(x, y)
        polygons, reached, reached_m = _street_polygons(
            network, snaps, limit, progress=_show_progress(progress)
        )
        nearest_m, nearest_facility = nearest_source(network.require_arrays(), snaps)
        distances = NodeDistances(
            node_ids=network.require_arrays().node_ids,
            snaps=snaps,
            nearest_m=nearest_m,
            nearest_facility=nearest_facility,
            reached=reached,
            reached_m=reached_m,
        )
        approximate = False
    union = shapely.union_all(polygons) if len(polygons) else shapely.Polygon()
    logger.info(
        "%d service areas (%s), %.2f km2 covered", len(polygons), rule.label, union.area / 1e6
    )
    return LayerAreas(
        rule=rule,
        approximate=approximate,
        x=x,
        y=y,
        polygons=polygons,
        union=union,
        distances=distances,
    )


def _straight_node_distances(
    network: WalkNetwork, x: FloatArray, y: FloatArray, limit: float
) -> NodeDistances:
    arrays = network.require_arrays()
    nodes = np.column_stack([arrays.node_x, arrays.node_y])
    n = arrays.n_nodes
    if x.size == 0:
        return NodeDistances(
            arrays.node_ids, None, np.full(n, np.inf), np.full(n, -1, np.int64), [], []
        )
    facility_tree = cKDTree(np.column_stack([x, y]))
    nearest_m, nearest_facility = facility_tree.query(nodes)
    node_tree = cKDTree(nodes)
    reached: list[IntArray] = []
    reached_m: list[FloatArray] = []
    for hits, fx, fy in zip(
        node_tree.query_ball_point(np.column_stack([x, y]), limit), x, y, strict=True
    ):
        idx = np.sort(np.asarray(hits, dtype=np.int64))
        reached.append(idx)
        reached_m.append(np.hypot(nodes[idx, 0] - fx, nodes[idx, 1] - fy))
    return NodeDistances(
        arrays.node_ids,
        None,
        np.asarray(nearest_m, dtype=float),
        np.asarray(nearest_facility, dtype=np.int64),
        reached,
        reached_m,
    )


def node_distances(
    network: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    rule: ServiceRule,
) -> NodeDistances:
    """Walking metres from a layer's facilities to every street node.

    One multi-source search gives every node its nearest facility; one bounded search per
    facility gives the nodes within the rule's reach.

    Parameters
    ----------
    network
        A street network (not approximate).
    facilities
        Facility points (``facility_id``, ``name``), any CRS.
    rule
        How far a facility reaches; a ``straight_line`` rule measures crow-fly metres.

    Returns
    -------
    NodeDistances
    """
    arrays = network.require_arrays()
    x, y = _facility_xy(network, facilities)
    limit = rule.max_metres
    if rule.straight_line:
        return _straight_node_distances(network, x, y, limit)
    snaps = network.snap(x, y)
    reached: list[IntArray] = []
    reached_m: list[FloatArray] = []
    for _, metres in bounded_batches(arrays, snaps, limit):
        for row in metres:
            nodes = np.flatnonzero(row <= limit)
            reached.append(nodes)
            reached_m.append(row[nodes])
    nearest_m, nearest_facility = nearest_source(arrays, snaps)
    return NodeDistances(arrays.node_ids, snaps, nearest_m, nearest_facility, reached, reached_m)


def service_areas(
    network: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    rule: ServiceRule,
    *,
    progress: bool | None = None,
) -> gpd.GeoDataFrame:
    """One service-area polygon per facility.

    Parameters
    ----------
    network
        The walking network.
    facilities
        Facility points (``facility_id``, ``name``), any CRS.
    rule
        How far a facility reaches.
    progress
        Show a progress bar; ``None`` uses ``settings.progress``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``facility_id``, ``name``, ``access_m`` (straight metres from the facility to its
        street, 0 for circles), ``far_from_street`` (bool), geometry (EPSG:4326).
    """
    areas = layer_areas(network, facilities, rule, progress=progress)
    return areas_frame(network, facilities, areas)


def areas_frame(
    network: WalkNetwork, facilities: gpd.GeoDataFrame, areas: LayerAreas
) -> gpd.GeoDataFrame:
    """The service areas of :func:`layer_areas` as a GeoDataFrame in EPSG:4326."""
    if len(facilities) != len(areas.polygons):
        msg = (
            f"{len(areas.polygons)} service areas for {len(facilities)} facilities; "
            "pass the same facility layer the areas were computed for"
        )
        raise AnalysisError(msg)
    snaps = areas.distances.snaps if areas.distances is not None else None
    n = len(facilities)
    access = snaps.access if snaps is not None else np.zeros(n)
    far = snaps.far_from_street if snaps is not None else np.zeros(n, dtype=bool)
    return gpd.GeoDataFrame(
        {
            "facility_id": facilities["facility_id"].to_numpy(),
            "name": facilities["name"].to_numpy(),
            "access_m": access,
            "far_from_street": far,
        },
        geometry=network.geometry_to_wgs84(areas.polygons),
        crs="EPSG:4326",
    )
