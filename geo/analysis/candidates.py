"""Candidate sites for new facilities.

Candidates come from a ``candidates`` layer (supermarkets, estate entrances, community
rooms: where a district actually puts stations) or are generated: the street nodes inside
underserved grids, thinned so that no two candidates are closer than a spacing. In
approximate mode, which has no streets, the nodes of a square lattice at that spacing
stand in for them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.errors import AnalysisError

if TYPE_CHECKING:
    from geo.analysis._graph import GraphArrays
    from geo.analysis.network import WalkNetwork

__all__ = ["DEFAULT_SPACING_M", "candidate_sites", "candidates_from_network", "thin_points"]

logger = logging.getLogger(__name__)

#: Default smallest distance between two generated candidates, metres.
DEFAULT_SPACING_M = 200.0

_COLUMNS = ["candidate_id", "name", "kind", "grid_id", "geometry"]


def thin_points(
    points: gpd.GeoDataFrame, spacing_m: float, *, priority: str | None = None
) -> gpd.GeoDataFrame:
    """Keep a subset of points no two of which are closer than ``spacing_m``.

    Points are visited in order of ``priority`` (largest first; ties and ``None`` keep
    the frame's order) and kept when no kept point lies within the spacing, found
    through a hash of square cells ``spacing_m`` wide.

    Parameters
    ----------
    points
        Points in any CRS with a defined CRS; distances are measured in a metric CRS
        (the UTM zone of the points when the CRS is geographic).
    spacing_m
        Smallest distance between kept points, metres (> 0).
    priority
        Name of a numeric column; points with larger values are kept first.

    Returns
    -------
    geopandas.GeoDataFrame
        The kept rows, in the order they were visited, in the input CRS.

    Raises
    ------
    AnalysisError
        If ``spacing_m`` is not positive, the CRS is missing or a geometry is not a point.
    """
    if not spacing_m > 0:
        msg = f"spacing_m must be a positive number of metres; got {spacing_m!r}"
        raise AnalysisError(msg)
    if points.empty:
        return points.copy()
    metric = _metric(points)
    if not (metric.geom_type == "Point").all():
        bad = metric.geom_type[metric.geom_type != "Point"].iloc[0]
        msg = f"thin_points needs point geometries; got a {bad}"
        raise AnalysisError(msg)
    xs = metric.x.to_numpy()
    ys = metric.y.to_numpy()
    if priority is None:
        order = np.arange(len(points))
    else:
        values = pd.to_numeric(points[priority], errors="coerce").fillna(-np.inf).to_numpy()
        order = np.argsort(-values, kind="stable")
    kept = _thin(xs, ys, order, spacing_m)
    return points.iloc[kept].copy()


def candidates_from_network(
    network: WalkNetwork, grids: gpd.GeoDataFrame, *, spacing_m: float = DEFAULT_SPACING_M
) -> gpd.GeoDataFrame:
    """Candidate sites at the street nodes inside ``grids``, thinned to a spacing.

    Street intersections (nodes with more streets) are preferred over other nodes. In
    approximate mode the nodes of a square lattice ``spacing_m`` apart stand in for
    street nodes, and a grid too small to hold one gets its representative point.

    Parameters
    ----------
    network
        The walking network (its graph is in a metric CRS).
    grids
        Grid polygons (``grid_id``, geometry) in which to place candidates, any CRS.
    spacing_m
        Smallest distance between two candidates, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        ``candidate_id`` ("N<node>" for a street node, "L<i>" for a lattice point),
        ``name``, ``kind`` {"street_node", "lattice"}, ``grid_id`` and Point geometry,
        EPSG:4326.
    """
    if not spacing_m > 0:
        msg = f"spacing_m must be a positive number of metres; got {spacing_m!r}"
        raise AnalysisError(msg)
    if "grid_id" not in grids.columns:
        msg = f"grids need a `grid_id` column; got {list(grids.columns)}"
        raise AnalysisError(msg)
    areas = grids[["grid_id", "geometry"]].to_crs(network.crs)
    if network.arrays is None:
        sites = _lattice_sites(areas, spacing_m)
    else:
        sites = _node_sites(network.arrays, areas)
    thinned = thin_points(sites, spacing_m, priority="degree")
    logger.info(
        "candidates: %d %s points in %d grids, %d after thinning to %g m",
        len(sites),
        "lattice" if network.arrays is None else "street-node",
        len(grids),
        len(thinned),
        spacing_m,
    )
    return gpd.GeoDataFrame(thinned[_COLUMNS].reset_index(drop=True), crs=network.crs).to_crs(
        "EPSG:4326"
    )


def candidate_sites(
    network: WalkNetwork,
    grids: gpd.GeoDataFrame,
    share_covered: Mapping[str, float] | pd.Series,
    *,
    candidates: gpd.GeoDataFrame | None = None,
    spacing_m: float = DEFAULT_SPACING_M,
) -> gpd.GeoDataFrame:
    """The candidate sites of one siting run.

    A ``candidates`` layer is used as given (the planner's own list); otherwise sites are
    generated by :func:`candidates_from_network` inside the underserved grids, those whose
    covered share of residents is below 1.

    Parameters
    ----------
    network
        The walking network.
    grids
        Grid polygons with ``grid_id``.
    share_covered
        Covered share of residents per ``grid_id`` (grids without residents: NaN).
    candidates
        A candidates layer (``candidate_id``, ``name``, Point geometry), or ``None``.
    spacing_m
        Smallest distance between generated candidates, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        ``candidate_id``, ``name``, ``kind``, ``grid_id`` (None for a layer's sites) and
        Point geometry, EPSG:4326. A new frame; the inputs are not changed.

    Raises
    ------
    AnalysisError
        If the candidates layer breaks its schema.
    """
    if candidates is not None:
        return _checked_layer(candidates)
    share = pd.Series(share_covered, dtype=float)
    underserved = set(share.index[share < 1.0].astype(str))
    selected = grids[grids["grid_id"].astype(str).isin(underserved)]
    logger.info("candidates: %d of %d grids are underserved", len(selected), len(grids))
    return candidates_from_network(network, selected, spacing_m=spacing_m)


def _checked_layer(candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of a candidates layer with the columns siting uses, checked."""
    missing = [c for c in ("candidate_id", "name") if c not in candidates.columns]
    if missing:
        msg = (
            f"the candidates layer lacks the column(s) {missing}; got "
            f"{list(candidates.columns)}; load it with geo.layers.candidates_from_file"
        )
        raise AnalysisError(msg)
    if candidates.empty:
        msg = "the candidates layer has no rows; add candidate sites or omit the layer"
        raise AnalysisError(msg)
    ids = candidates["candidate_id"].astype(str)
    duplicated = ids[ids.duplicated()]
    if not duplicated.empty:
        msg = f"candidate_id {duplicated.iloc[0]!r} appears more than once; ids must be unique"
        raise AnalysisError(msg)
    not_points = candidates.geom_type != "Point"
    if not_points.any():
        row = int(np.flatnonzero(not_points.to_numpy())[0])
        msg = (
            f"candidate {ids.iloc[row]!r} has a {candidates.geom_type.iloc[row]} geometry; "
            "candidates must be points"
        )
        raise AnalysisError(msg)
    layer = gpd.GeoDataFrame(
        {
            "candidate_id": ids.to_numpy(),
            "name": candidates["name"].astype(str).to_numpy(),
            "kind": (candidates["kind"].to_numpy() if "kind" in candidates.columns else None),
            "grid_id": None,
        },
        geometry=candidates.geometry.to_numpy(),
        crs=candidates.crs,
    )
    return layer.to_crs("EPSG:4326")


def _node_sites(arrays: GraphArrays, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Street nodes inside the grid polygons (metric CRS), with their degree."""
    node_ids = arrays.node_ids
    degree = np.diff(arrays.csr.indptr).astype(float)
    points: npt.NDArray[np.object_] = np.asarray(
        shapely.points(arrays.node_x, arrays.node_y), dtype=object
    )
    point_index, grid_index = areas.sindex.query(points, predicate="within")
    point_index, first = np.unique(point_index, return_index=True)
    grid_index = grid_index[first]
    return gpd.GeoDataFrame(
        {
            "candidate_id": [f"N{node_ids[i]}" for i in point_index],
            "name": [f"street node {node_ids[i]}" for i in point_index],
            "kind": "street_node",
            "grid_id": areas["grid_id"].to_numpy()[grid_index],
            "degree": degree[point_index],
        },
        geometry=points[point_index],
        crs=areas.crs,
    )


def _lattice_sites(areas: gpd.GeoDataFrame, spacing_m: float) -> gpd.GeoDataFrame:
    """Lattice points ``spacing_m`` apart inside the grid polygons (metric CRS)."""
    frames_x: list[npt.NDArray[np.float64]] = []
    frames_y: list[npt.NDArray[np.float64]] = []
    grid_of: list[npt.NDArray[np.object_]] = []
    for grid_id, polygon in zip(areas["grid_id"], areas.geometry, strict=True):
        if polygon is None or polygon.is_empty:
            continue
        minx, miny, maxx, maxy = polygon.bounds
        gx = np.arange(math.ceil(minx / spacing_m), math.floor(maxx / spacing_m) + 1)
        gy = np.arange(math.ceil(miny / spacing_m), math.floor(maxy / spacing_m) + 1)
        mx, my = np.meshgrid(gx * spacing_m, gy * spacing_m)
        lx, ly = mx.ravel(), my.ravel()
        inside = shapely.contains_xy(polygon, lx, ly)
        if inside.any():
            lx, ly = lx[inside], ly[inside]
        else:
            point = polygon.representative_point()
            lx, ly = np.array([point.x]), np.array([point.y])
        frames_x.append(lx)
        frames_y.append(ly)
        grid_of.append(np.full(lx.shape[0], grid_id, dtype=object))
    xs = np.concatenate(frames_x) if frames_x else np.empty(0)
    ys = np.concatenate(frames_y) if frames_y else np.empty(0)
    grid_ids = np.concatenate(grid_of) if grid_of else np.empty(0, dtype=object)
    return gpd.GeoDataFrame(
        {
            "candidate_id": [f"L{i}" for i in range(xs.shape[0])],
            "name": [f"lattice point {i}" for i in range(xs.shape[0])],
            "kind": "lattice",
            "grid_id": grid_ids,
            "degree": 0.0,
        },
        geometry=shapely.points(xs, ys),
        crs=areas.crs,
    )


def _metric(points: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The points' geometry in a metric CRS."""
    if points.crs is None:
        msg = "the points have no CRS; set one, e.g. points.set_crs('EPSG:4326')"
        raise AnalysisError(msg)
    if points.crs.is_geographic:
        return points.geometry.to_crs(points.estimate_utm_crs())
    return points.geometry


def _thin(
    xs: npt.NDArray[np.float64],
    ys: npt.NDArray[np.float64],
    order: npt.NDArray[np.intp] | npt.NDArray[np.int64],
    spacing_m: float,
) -> list[int]:
    """Greedy thinning through a cell hash: cells are ``spacing_m`` wide, so a conflict
    can only lie in the 3 x 3 cells around a point."""
    cells: dict[tuple[int, int], list[int]] = {}
    kept: list[int] = []
    limit = spacing_m * spacing_m
    for i in order.tolist():
        x, y = xs[i], ys[i]
        cx, cy = math.floor(x / spacing_m), math.floor(y / spacing_m)
        near = (
            j for dx in (-1, 0, 1) for dy in (-1, 0, 1) for j in cells.get((cx + dx, cy + dy), ())
        )
        if not any((xs[j] - x) ** 2 + (ys[j] - y) ** 2 < limit for j in near):
            kept.append(i)
            cells.setdefault((cx, cy), []).append(i)
    return kept
