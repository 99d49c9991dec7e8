"""Service areas: the streets a layer's facilities reach within a rule, as polygons.

On a street network, each facility is snapped to its nearest street and one
multi-source shortest-walk search (scipy's compiled Dijkstra) gives every node its
walking metres to the nearest facility, access metres included. A point of a street
lies inside the layer's service circle exactly when it is within the rule's distance
``L`` of some facility, so the layer's covered streets follow from that one search: a
street whose two ends have ``du`` and ``dv`` metres to their nearest facility is kept
whole when the spare metres cover it (``(L - du) + (L - dv) >= length``); otherwise only
its pieces up to the exact cut-off point are kept, ``L - du`` metres from one end and
``L - dv`` metres from the other; each facility's own street and its straight access
path are added. The covered streets are buffered by ``settings.street_buffer_m``
metres (the depth of a street's frontage) and unioned: the layer's polygon.

The union of the buffers is the costly step: it grows with the number of buffers and
their crossings. Whole streets are joined into long lines along their strokes
(``_strokes``), and streets are grouped into square blocks (``_union``) whose buffered
unions are built once per network: a block the layer reaches end to end enters the
union as one polygon. A layer that reaches nearly every street end to end is drawn the
other way round, from every street's union less what it leaves out
(``_complement_union``): the same area, from far fewer pieces.

Each facility's own service area is built only when asked for (a facility's popup, the
export of per-facility areas) from a bounded search over the streets within reach as
the crow flies (``_paths.LocalSearch``), and kept. It is the same construction on the
facility's own streets, so it matches the layer's polygon where they overlap. Every
node within reach lies inside its facility's polygon.

In approximate mode a service area is the circle of radius ``max_metres / detour``; for a
``straight_line`` rule it is the plain circle of radius ``max_metres``.

All geometry is computed in metres of the network's CRS.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry
from tqdm.auto import tqdm

from geo import settings
from geo.analysis._inputs import check_facilities
from geo.analysis._paths import nearest_source
from geo.analysis._segments import STREET_QUAD_SEGS
from geo.analysis._snap import Snaps
from geo.analysis.network import WalkNetwork
from geo.analysis.rules import ServiceRule
from geo.errors import AnalysisError

__all__ = [
    "LayerAreas",
    "NodeDistances",
    "areas_frame",
    "layer_areas",
    "layer_union",
    "node_distances",
    "service_areas",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
GeomArray = npt.NDArray[np.object_]
Reach = tuple[list[IntArray], list[FloatArray]]


#: Threads building service areas at once (GEOS releases the GIL while it works).
_MAX_WORKERS = 2

#: A layer that leaves at most this share of the streets not reached end to end has its
#: polygon built from what it leaves out (see ``_complement_union``).
_COMPLEMENT_SHARE = 0.05


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
    """

    node_ids: npt.NDArray[np.object_] | npt.NDArray[np.int64]
    snaps: Snaps | None
    nearest_m: FloatArray
    nearest_facility: IntArray
    search: Callable[[], Reach] = field(repr=False)

    @cached_property
    def _reach(self) -> Reach:
        return self.search()

    @property
    def reached(self) -> list[IntArray]:
        """Per facility: row indices of the nodes within the rule's reach (sorted).

        Found by one bounded search per facility, on first use.
        """
        return self._reach[0]

    @property
    def reached_m(self) -> list[FloatArray]:
        """Per facility: walking metres to the nodes of :attr:`reached`, same order."""
        return self._reach[1]


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
    union
        The layer's service circle: the union of all service areas (metres).
    distances
        Node distances on a street network, else ``None``.
    """

    rule: ServiceRule
    approximate: bool
    x: FloatArray
    y: FloatArray
    union: BaseGeometry
    distances: NodeDistances | None
    build: Callable[[list[int]], list[BaseGeometry]] = field(repr=False)
    _built: dict[int, BaseGeometry] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def polygon(self, index: int) -> BaseGeometry:
        """The service area of one facility (row ``index`` of the layer), built once."""
        if not 0 <= index < len(self):
            msg = f"facility row {index} is out of range; the layer has {len(self)} facilities"
            raise AnalysisError(msg)
        return self._take([index])[0]

    @property
    def built(self) -> frozenset[int]:
        """Rows whose service area has been built so far (and is kept)."""
        return frozenset(self._built)

    @property
    def polygons(self) -> GeomArray:
        """Every facility's service area (metres), built on first use and kept."""
        result = np.empty(len(self), dtype=object)
        result[:] = self._take(list(range(len(self))))
        return result

    def _take(self, rows: list[int]) -> list[BaseGeometry]:
        missing = [i for i in rows if i not in self._built]
        if missing:
            self._built.update(zip(missing, self.build(missing), strict=True))
        return [self._built[i] for i in rows]


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


def _buffered_union(
    network: WalkNetwork, whole: IntArray, lines: GeomArray, discs: GeomArray, *, shared: int
) -> BaseGeometry:
    """The union of buffered streets: blocks reached end to end, other streets, pieces."""
    pieces = network.pieces
    width = settings.street_buffer_m
    [(keys, rest)] = pieces.blocks.assign([whole], shared=shared)
    blocks = pieces.blocks.polygons(keys, width, quad_segs=STREET_QUAD_SEGS)
    buffers = shapely.buffer(pieces.lines(rest, lines), width, quad_segs=STREET_QUAD_SEGS)
    parts = np.concatenate([blocks, buffers, shapely.buffer(discs, width)])
    if parts.size == 0:
        return shapely.Polygon()
    # the parts far apart form separate groups, each unioned on its own
    union: BaseGeometry = shapely.disjoint_subset_union_all(parts)
    return union


def layer_union(
    network: WalkNetwork,
    snaps: Snaps,
    nearest_m: FloatArray,
    limit: float,
    *,
    edges: IntArray | None = None,
) -> BaseGeometry:
    """A layer's polygon from its multi-source search (see the module docstring).

    Parameters
    ----------
    network
        The walking network.
    snaps
        The layer's facilities on the streets.
    nearest_m
        Per node, walking metres to the nearest facility (``inf`` if none within reach).
    limit
        The rule's reach, walking metres.
    edges
        Only these streets (sorted indices), for a polygon that is exact near them.

    Returns
    -------
    shapely.Geometry
        Metres of ``network.crs``.
    """
    whole, pieces = network.pieces.covered(
        nearest_m, limit, edge=snaps.edge, along=snaps.along, access=snaps.access, among=edges
    )
    near = snaps.access <= limit
    access = _access_lines(snaps)[near]
    # a facility too far from every street to reach one is its own small disc
    alone = np.asarray(shapely.points(snaps.x[~near], snaps.y[~near]), dtype=object)
    n_edges = network.require_arrays().n_edges
    if edges is None and n_edges - whole.size <= _COMPLEMENT_SHARE * n_edges:
        return _complement_union(network, whole, pieces, access, alone)
    return _buffered_union(network, whole, np.concatenate([pieces, access]), alone, shared=1)


def _complement_union(
    network: WalkNetwork, whole: IntArray, pieces: GeomArray, access: GeomArray, alone: GeomArray
) -> BaseGeometry:
    """A layer's polygon that covers nearly every street, from what it leaves out.

    Every street's buffered union ``F`` is built once per network. A point of ``F`` lies
    outside the layer's polygon exactly when it is within the width of some street not
    reached end to end but not within the width of any covered piece; only the covered
    streets near those others can be that close. So the polygon is ``F`` less
    (``B(others) - B(covered near them)``), with the access paths and lone discs added.
    """
    arrays = network.require_arrays()
    blocks = network.pieces.blocks
    width = settings.street_buffer_m
    everything = blocks.everything(width, quad_segs=STREET_QUAD_SEGS)
    is_whole = np.zeros(arrays.n_edges, dtype=bool)
    is_whole[whole] = True
    others = np.flatnonzero(~is_whole)
    if others.size == 0:
        left_out: BaseGeometry = shapely.Polygon()
    else:
        _, neighbour = arrays.tree.query(
            arrays.edge_geometry[others], predicate="dwithin", distance=2.0 * width
        )
        near = np.unique(neighbour[is_whole[neighbour]])
        reached = _buffered_union(network, near, np.concatenate([pieces, access]), alone, shared=1)
        missed = _buffered_union(network, others, np.empty(0, dtype=object), alone[:0], shared=1)
        left_out = shapely.difference(missed, reached)
    extra = np.concatenate(
        [shapely.buffer(access, width, quad_segs=STREET_QUAD_SEGS), shapely.buffer(alone, width)]
    )
    outside = extra[~shapely.contains(everything, extra)] if extra.size else extra
    polygon: BaseGeometry = shapely.difference(everything, left_out)
    if outside.size:  # one overlay with the large polygon, not one per path
        polygon = shapely.union(polygon, shapely.union_all(outside))
    return polygon


def _facility_polygons(
    network: WalkNetwork, snaps: Snaps, limit: float, rows: list[int], *, progress: bool
) -> list[BaseGeometry]:
    """The service areas of some facilities, each from its own bounded search."""
    pieces = network.pieces
    chosen = snaps.take(np.asarray(rows, dtype=np.int64))
    access = _access_lines(chosen)
    points = np.asarray(shapely.points(chosen.x, chosen.y), dtype=object)
    wholes: list[IntArray] = []
    parts: list[GeomArray] = []
    for i, (nodes, metres) in enumerate(network.local_search.reach(chosen, limit)):
        whole, part = pieces.reached(
            nodes,
            metres,
            limit,
            source_edge=int(chosen.edge[i]),
            source_along=float(chosen.along[i]),
            source_access=float(chosen.access[i]),
        )
        if chosen.access[i] <= limit:
            part = np.append(part, access[i : i + 1])
        wholes.append(whole)
        parts.append(part)
    assigned = pieces.blocks.assign(wholes)
    width = settings.street_buffer_m

    def build(j: int) -> BaseGeometry:
        keys, rest = assigned[j]
        blocks = pieces.blocks.polygons(keys, width, quad_segs=STREET_QUAD_SEGS)
        lines = pieces.lines(rest, parts[j])
        if lines.size == 0 and blocks.size == 0:
            disc: BaseGeometry = shapely.buffer(points[j], width)
            return disc
        buffers = shapely.buffer(lines, width, quad_segs=STREET_QUAD_SEGS)
        polygon: BaseGeometry = shapely.disjoint_subset_union_all(np.concatenate([blocks, buffers]))
        return polygon

    workers = min(_MAX_WORKERS, os.cpu_count() or 1)
    with (
        tqdm(total=len(rows), desc="service areas", unit="facility", disable=not progress) as bar,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        futures = [pool.submit(build, j) for j in range(len(rows))]
        polygons = []
        for future in futures:
            polygons.append(future.result())
            bar.update(1)
    return polygons


def _street_reach(network: WalkNetwork, snaps: Snaps, limit: float) -> Callable[[], Reach]:
    def search() -> Reach:
        reached: list[IntArray] = []
        reached_m: list[FloatArray] = []
        for nodes, metres in network.local_search.reach(snaps, limit):
            reached.append(nodes)
            reached_m.append(metres)
        return reached, reached_m

    return search


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
    """A facility layer's service circle and node distances; its areas on demand.

    Parameters
    ----------
    network
        The walking network.
    facilities
        Facility points (``facility_id``, ``name``), any CRS.
    rule
        How far a facility reaches.
    progress
        Show a progress bar when per-facility areas are built; ``None`` uses
        ``settings.progress``.

    Returns
    -------
    LayerAreas
        Geometry in metres of ``network.crs``.
    """
    x, y = _facility_xy(network, facilities)
    limit = rule.max_metres
    if rule.straight_line or network.approximate:
        radius = limit if rule.straight_line else limit / settings.detour_factor
        circles: GeomArray = np.asarray(
            shapely.buffer(shapely.points(x, y), radius, quad_segs=16), dtype=object
        )
        distances = None
        if rule.straight_line and not network.approximate:
            distances = _straight_node_distances(network, x, y, limit)
        union = shapely.union_all(circles) if len(circles) else shapely.Polygon()
        areas = LayerAreas(
            rule=rule,
            approximate=network.approximate and not rule.straight_line,
            x=x,
            y=y,
            union=union,
            distances=distances,
            build=lambda rows: [circles[i] for i in rows],
        )
    else:
        snaps = network.snap(x, y)
        arrays = network.require_arrays()
        nearest_m, nearest_facility = nearest_source(arrays, snaps)
        distances = NodeDistances(
            node_ids=arrays.node_ids,
            snaps=snaps,
            nearest_m=nearest_m,
            nearest_facility=nearest_facility,
            search=_street_reach(network, snaps, limit),
        )
        show = _show_progress(progress)
        areas = LayerAreas(
            rule=rule,
            approximate=False,
            x=x,
            y=y,
            union=layer_union(network, snaps, nearest_m, limit)
            if len(snaps)
            else shapely.Polygon(),
            distances=distances,
            build=lambda rows: _facility_polygons(network, snaps, limit, rows, progress=show),
        )
    logger.info(
        "%d facilities (%s), %.2f km2 covered", len(areas), rule.label, areas.union.area / 1e6
    )
    return areas


def _straight_node_distances(
    network: WalkNetwork, x: FloatArray, y: FloatArray, limit: float
) -> NodeDistances:
    arrays = network.require_arrays()
    nodes = np.column_stack([arrays.node_x, arrays.node_y])
    n = arrays.n_nodes
    if x.size == 0:
        empty: Reach = ([], [])
        return NodeDistances(
            arrays.node_ids, None, np.full(n, np.inf), np.full(n, -1, np.int64), lambda: empty
        )
    facility_tree = cKDTree(np.column_stack([x, y]))
    nearest_m, nearest_facility = facility_tree.query(nodes)

    def search() -> Reach:
        node_tree = cKDTree(nodes)
        reached: list[IntArray] = []
        reached_m: list[FloatArray] = []
        for hits, fx, fy in zip(
            node_tree.query_ball_point(np.column_stack([x, y]), limit), x, y, strict=True
        ):
            idx = np.sort(np.asarray(hits, dtype=np.int64))
            reached.append(idx)
            reached_m.append(np.hypot(nodes[idx, 0] - fx, nodes[idx, 1] - fy))
        return reached, reached_m

    return NodeDistances(
        arrays.node_ids,
        None,
        np.asarray(nearest_m, dtype=float),
        np.asarray(nearest_facility, dtype=np.int64),
        search,
    )


def node_distances(
    network: WalkNetwork,
    facilities: gpd.GeoDataFrame,
    rule: ServiceRule,
) -> NodeDistances:
    """Walking metres from a layer's facilities to every street node.

    One multi-source search gives every node its nearest facility; the nodes within the
    rule's reach of each facility come from one bounded search per facility, run when
    first read.

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
    nearest_m, nearest_facility = nearest_source(arrays, snaps)
    return NodeDistances(
        arrays.node_ids, snaps, nearest_m, nearest_facility, _street_reach(network, snaps, limit)
    )


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
    if len(facilities) != len(areas):
        msg = (
            f"{len(areas)} service areas for {len(facilities)} facilities; "
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
