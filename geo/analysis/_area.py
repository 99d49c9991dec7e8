"""Area of many polygons inside one large, intricate polygon."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = ["areas_inside"]

FloatArray = npt.NDArray[np.float64]
GeomArray = npt.NDArray[np.object_]

#: Pieces of the large polygon are split until they have at most this many vertices.
_MAX_VERTICES = 1000


def _quadrants(shape: BaseGeometry) -> list[BaseGeometry]:
    """Split a geometry into pieces of at most :data:`_MAX_VERTICES` vertices.

    The pieces are clipped by disjoint rectangles, so they do not overlap.
    """
    done: list[BaseGeometry] = []
    todo = [shape]
    while todo:
        piece = todo.pop()
        if piece.is_empty:
            continue
        minx, miny, maxx, maxy = piece.bounds
        if shapely.get_num_coordinates(piece) <= _MAX_VERTICES or (
            maxx - minx < 1.0 and maxy - miny < 1.0
        ):
            done.append(piece)
            continue
        midx, midy = (minx + maxx) / 2.0, (miny + maxy) / 2.0
        boxes = [
            (minx, miny, midx, midy),
            (midx, miny, maxx, midy),
            (minx, midy, midx, maxy),
            (midx, midy, maxx, maxy),
        ]
        todo.extend(shapely.clip_by_rect(piece, *box) for box in boxes)
    return done


def areas_inside(polygons: GeomArray, shape: BaseGeometry) -> FloatArray:
    """Area of each polygon that lies inside ``shape`` (same CRS, square units).

    Intersecting every polygon with a large polygon of many thousand vertices is slow;
    the large polygon is cut into small non-overlapping pieces first and each polygon
    meets only the pieces it touches, each cut to the polygon's bounding box first.
    """
    result = np.zeros(polygons.shape[0])
    if shape.is_empty or polygons.size == 0:
        return result
    pieces = np.asarray([p for p in _quadrants(shape) if shapely.area(p) > 0], dtype=object)
    if pieces.size == 0:
        return result
    tree = shapely.STRtree(pieces)
    which, piece = tree.query(polygons, predicate="intersects")
    # a piece inside a polygon adds its whole area; only the others are intersected
    inside_which, inside_piece = tree.query(polygons, predicate="contains")
    inside = np.zeros(which.shape[0], dtype=bool)
    if inside_which.size:
        n_pieces = pieces.shape[0]
        pair = which * n_pieces + piece
        inside = np.isin(pair, inside_which * n_pieces + inside_piece)
    overlap = np.empty(which.shape[0])
    overlap[inside] = shapely.area(pieces[piece[inside]])
    rest = ~inside
    crossing = polygons[which[rest]]
    boxes = shapely.bounds(crossing)
    near = np.empty(crossing.shape[0], dtype=object)
    near[:] = [
        shapely.clip_by_rect(part, *box)
        for part, box in zip(pieces[piece[rest]], boxes.tolist(), strict=True)
    ]
    overlap[rest] = shapely.area(shapely.intersection(crossing, near))
    np.add.at(result, which, overlap)
    return result
