"""Street buffers unioned block by block, each block's union computed once per network.

The streets are grouped into square blocks by their midpoints, at a few nested sizes.
When at least three facilities of a layer reach every street of a block (or the block is
already built), the union of the block's buffered streets is built once and kept: each
such facility takes that one polygon instead of buffering and unioning the block's
streets again. A service area is then the union of a few block polygons, in its
interior, and the buffered streets of the blocks it reaches only in part, at its edge.
The union of the same buffers grouped differently is the same area.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from geo.analysis._strokes import Strokes

__all__ = ["BlockUnions"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
GeomArray = npt.NDArray[np.object_]

#: Threads building the smallest blocks' unions when a network is prepared.
_BUILD_THREADS = 2


class _Level:
    """One grid of square blocks: each street's block, and each block's streets."""

    def __init__(self, mid_x: FloatArray, mid_y: FloatArray, size: float) -> None:
        column = np.floor(mid_x / size).astype(np.int64)
        row = np.floor(mid_y / size).astype(np.int64)
        column -= column.min(initial=0)
        row -= row.min(initial=0)
        cell = column * (int(row.max(initial=0)) + 1) + row
        _, block = np.unique(cell, return_inverse=True)
        self.block: IntArray = block.reshape(-1).astype(np.int64)
        self.count: IntArray = np.bincount(self.block).astype(np.int64)
        self.members: IntArray = np.argsort(self.block, kind="stable").astype(np.int64)
        self.first: IntArray = np.cumsum(self.count) - self.count

    def streets(self, block: int) -> IntArray:
        return self.members[self.first[block] : self.first[block] + self.count[block]]


class BlockUnions:
    """Streets grouped into nested square blocks, with each block's buffered union cached.

    Parameters
    ----------
    mid_x, mid_y
        Per street, the midpoint of its bounding box, metres.
    strokes
        The streets chained into strokes (to buffer a block's streets as few lines).
    size
        Side of the smallest blocks, metres; each larger size doubles it.
    levels
        Number of block sizes.
    """

    def __init__(
        self, mid_x: FloatArray, mid_y: FloatArray, strokes: Strokes, *, size: float, levels: int
    ) -> None:
        self._levels = [_Level(mid_x, mid_y, size * 2**k) for k in range(levels)]
        self._strokes = strokes
        self._cache: dict[tuple[float, int, int, int], BaseGeometry] = {}
        self._built = [np.zeros(level.count.shape[0], dtype=bool) for level in self._levels]
        self._lock = threading.Lock()

    def assign(
        self, wholes: list[IntArray], *, shared: int = 3
    ) -> list[tuple[list[tuple[int, int]], IntArray]]:
        """Cover each set of whole streets with blocks, largest first, where worth it.

        A block is used for a set when all its streets are in the set and the block is
        already built, or is full in at least ``shared`` of the sets (a block reached by
        one facility only is cheaper to leave as streets).

        Parameters
        ----------
        wholes
            Per facility, indices of the streets it reaches end to end (each once).
        shared
            How many sets must fill a block not built yet for it to be built.

        Returns
        -------
        list
            Per set, the ``(level, block)`` keys of its blocks (for :meth:`polygons`),
            and its streets in none of them.
        """
        rests = list(wholes)
        keys: list[list[tuple[int, int]]] = [[] for _ in wholes]
        for k in range(len(self._levels) - 1, -1, -1):
            level = self._levels[k]
            n_blocks = level.count.shape[0]
            fulls = []
            for rest in rests:
                count = np.bincount(level.block[rest], minlength=n_blocks)
                fulls.append(np.flatnonzero((count == level.count) & (count > 0)))
            uses = np.bincount(np.concatenate([np.empty(0, np.int64), *fulls]), minlength=n_blocks)
            worth = (uses >= shared) | self._built[k]
            for j, full in enumerate(fulls):
                take = full[worth[full]]
                if take.size == 0:
                    continue
                keys[j].extend((k, b) for b in take.tolist())
                taken = np.zeros(n_blocks, dtype=bool)
                taken[take] = True
                rests[j] = rests[j][~taken[level.block[rests[j]]]]
        return list(zip(keys, rests, strict=True))

    def build_all(self, width: float, *, quad_segs: int) -> None:
        """Build every block's buffered union at every level (once per network).

        The smallest blocks are built from their streets, on two threads (GEOS works
        outside the GIL); each larger block is the union of the four or fewer
        blocks it contains, which is the same area and cheaper than its streets.
        """
        smallest = [(0, b) for b in range(self._levels[0].count.shape[0])]
        workers = min(_BUILD_THREADS, os.cpu_count() or 1)
        chunks = [smallest[i::workers] for i in range(workers)]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda keys: self.polygons(keys, width, quad_segs=quad_segs), chunks))
        for k in range(1, len(self._levels)):
            finer, level = self._levels[k - 1], self._levels[k]
            # the first street of each finer block names the coarser block holding it
            parent = level.block[finer.members[finer.first]]
            children = np.argsort(parent, kind="stable")
            bounds = np.searchsorted(parent[children], np.arange(level.count.shape[0] + 1))
            for b in range(level.count.shape[0]):
                if (width, quad_segs, k, b) in self._cache:
                    continue
                inner = [
                    self._cache[(width, quad_segs, k - 1, int(c))]
                    for c in children[bounds[b] : bounds[b + 1]]
                ]
                self._store((width, quad_segs, k, b), shapely.union_all(inner))

    def everything(self, width: float, *, quad_segs: int) -> BaseGeometry:
        """The buffered union of every street: the largest blocks unioned (prepared).

        Built on first use or when the network is saved, saved with the blocks (as the
        one block of a level above the largest), and kept.
        """
        top = len(self._levels)
        key = (width, quad_segs, top, 0)
        polygon = self._cache.get(key)
        if polygon is None:
            blocks = [(top - 1, b) for b in range(self._levels[-1].count.shape[0])]
            polygon = shapely.disjoint_subset_union_all(
                self.polygons(blocks, width, quad_segs=quad_segs)
            )
            shapely.prepare(polygon)
            with self._lock:
                polygon = self._cache.setdefault(key, polygon)
        return polygon

    def saved(self, width: float, quad_segs: int) -> tuple[IntArray, IntArray, GeomArray]:
        """The blocks built for one width: their levels, block numbers and polygons."""
        keys = sorted(key[2:] for key in self._cache if key[:2] == (width, quad_segs))
        level = np.array([k for k, _ in keys], dtype=np.int64)
        block = np.array([b for _, b in keys], dtype=np.int64)
        polygons = np.empty(len(keys), dtype=object)
        polygons[:] = [self._cache[(width, quad_segs, k, b)] for k, b in keys]
        return level, block, polygons

    def restore(
        self, width: float, quad_segs: int, level: IntArray, block: IntArray, polygons: GeomArray
    ) -> None:
        """Take block polygons saved with the network (see :meth:`saved`)."""
        for k, b, polygon in zip(level.tolist(), block.tolist(), polygons, strict=True):
            self._cache[(width, quad_segs, k, b)] = polygon
            if k < len(self._levels):
                self._built[k][b] = True
            else:  # every street's union (see everything)
                shapely.prepare(polygon)

    def polygons(self, keys: list[tuple[int, int]], width: float, *, quad_segs: int) -> GeomArray:
        """The buffered unions of blocks (built on first use and kept)."""
        result = np.empty(len(keys), dtype=object)
        result[:] = [self._polygon(k, b, width, quad_segs) for k, b in keys]
        return result

    def _polygon(self, k: int, block: int, width: float, quad_segs: int) -> BaseGeometry:
        key = (width, quad_segs, k, block)
        polygon = self._cache.get(key)
        if polygon is not None:
            return polygon
        streets = self._levels[k].streets(block)
        lines = self._strokes.runs(streets)
        polygon = shapely.union_all(shapely.buffer(lines, width, quad_segs=quad_segs))
        return self._store(key, polygon)

    def _store(self, key: tuple[float, int, int, int], polygon: BaseGeometry) -> BaseGeometry:
        with self._lock:
            self._built[key[2]][key[3]] = True
            return self._cache.setdefault(key, polygon)
