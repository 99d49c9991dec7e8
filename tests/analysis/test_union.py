"""Street blocks on Helsinki: each block's cached polygon is the union of its own streets."""

from __future__ import annotations

import numpy as np
import shapely

from geo import settings
from geo.analysis import WalkNetwork
from geo.analysis._segments import STREET_QUAD_SEGS, EdgePieces

#: How far inside the buffer's true rim its chords may lie, metres (50 m, 8 per quarter).
_CHORD_M = 0.3


def test_every_block_is_the_buffered_union_of_its_streets(helsinki_network: WalkNetwork) -> None:
    arrays = helsinki_network.require_arrays()
    blocks = EdgePieces(arrays).blocks
    width = settings.street_buffer_m
    blocks.build_all(width, quad_segs=STREET_QUAD_SEGS)
    blocks.everything(width, quad_segs=STREET_QUAD_SEGS)
    level, block, polygons = blocks.saved(width, STREET_QUAD_SEGS)
    assert set(level.tolist()) == {0, 1, 2}  # level 2: every street's union
    assert (level == 1).sum() < (level == 0).sum()
    assert (level == 2).sum() == 1
    everything = shapely.union_all(
        shapely.buffer(arrays.edge_geometry, width, quad_segs=STREET_QUAD_SEGS)
    )
    gap = shapely.symmetric_difference(
        blocks.everything(width, quad_segs=STREET_QUAD_SEGS), everything
    )
    assert shapely.area(gap) <= 1e-4 * everything.area
    for k, b, polygon in zip(level[:-1].tolist(), block[:-1].tolist(), polygons[:-1], strict=True):
        streets = arrays.edge_geometry[blocks._levels[k].streets(b)]
        own = shapely.union_all(shapely.buffer(streets, width, quad_segs=STREET_QUAD_SEGS))
        core = shapely.union_all(
            shapely.buffer(streets, width - _CHORD_M, quad_segs=STREET_QUAD_SEGS)
        )
        gap = shapely.symmetric_difference(polygon, own)
        # round ends and joins are drawn with slightly different chords; any other
        # difference would reach inside the rim
        assert shapely.area(gap) <= 1e-3 * own.area, (k, b)
        assert shapely.area(shapely.intersection(gap, core)) <= 1e-9 * own.area, (k, b)
    # each street is in exactly one block per level
    for k in (0, 1):
        counted = np.concatenate([blocks._levels[k].streets(b) for b in block[level == k]])
        assert np.array_equal(np.sort(counted), np.arange(arrays.n_edges))
