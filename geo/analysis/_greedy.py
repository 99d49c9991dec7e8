"""Lazy greedy covering (CELF) on a sparse coverage matrix.

The residents a set of sites covers is a monotone submodular function of the set, so a
site's marginal gain can only shrink as sites are chosen. The lazy greedy keeps the last
known gain of every candidate in a priority queue and recomputes a gain only when the
candidate reaches the top of the queue (Minoux 1978; Leskovec et al. 2007, "CELF").
"""

from __future__ import annotations

import heapq
import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["GreedyResult", "lazy_greedy"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GreedyResult:
    """The sites a lazy greedy chose.

    Attributes
    ----------
    selected
        Row indices of the chosen candidates, in the order they were chosen.
    gains
        Weight each chosen candidate added when it was chosen (marginal, in order).
    objective
        Total weight covered by the chosen candidates.
    upper_bound
        An upper bound on the best weight any ``k`` candidates can cover: the smallest of
        Minoux's bounds (covered so far + the ``k`` largest remaining gains, at every step)
        and the ``1 - (1 - 1/k)^k`` guarantee of the greedy.
    evaluations
        How many marginal gains were computed (the eager greedy computes ``k`` x rows).
    """

    selected: tuple[int, ...]
    gains: tuple[float, ...]
    objective: float
    upper_bound: float
    evaluations: int


def lazy_greedy(
    reach: sp.csr_matrix,
    weights: npt.NDArray[np.float64],
    k: int,
    *,
    required: float | None = None,
) -> GreedyResult:
    """Choose up to ``k`` rows of ``reach`` that cover the most weight, greedily.

    Parameters
    ----------
    reach
        Boolean coverage matrix, candidates x demand units, CSR.
    weights
        Weight of every demand unit (non-negative); units already covered must carry 0.
    k
        Largest number of candidates to choose.
    required
        Stop as soon as the chosen candidates cover at least this weight (set covering).
        ``None`` runs until ``k`` candidates are chosen. With a ``required`` weight the
        upper bound is not tracked (it is then the total weight).

    Returns
    -------
    GreedyResult
        The chosen rows in order. Fewer than ``k`` rows are chosen when no remaining
        candidate adds any weight, or when ``required`` is reached.
    """
    csr = sp.csr_matrix(reach, dtype=bool)
    indptr = csr.indptr
    indices = csr.indices
    w = np.asarray(weights, dtype=np.float64)
    covered = np.zeros(w.shape[0], dtype=bool)
    initial = np.asarray(csr.astype(np.float64) @ w).ravel()
    # heap entries: (-gain, row, number of chosen sites when the gain was computed)
    heap: list[tuple[float, int, int]] = [
        (-float(g), int(r), 0) for r, g in enumerate(initial) if g > 0.0
    ]
    heapq.heapify(heap)
    selected: list[int] = []
    gains: list[float] = []
    total = 0.0
    evaluations = int(csr.shape[0])
    track_bound = required is None
    bound = _top_sum(heap, k) if track_bound else float(w.sum())
    while heap and len(selected) < k:
        if required is not None and total >= required:
            break
        neg_gain, row, stamp = heapq.heappop(heap)
        if stamp == len(selected):
            cols = indices[indptr[row] : indptr[row + 1]]
            covered[cols] = True
            selected.append(row)
            gains.append(-neg_gain)
            total += -neg_gain
            if track_bound:
                bound = min(bound, total + _top_sum(heap, k))
            continue
        cols = indices[indptr[row] : indptr[row + 1]]
        gain = float(w[cols[~covered[cols]]].sum())
        evaluations += 1
        if gain > 0.0:
            heapq.heappush(heap, (-gain, row, len(selected)))
    if track_bound and total > 0.0:
        bound = min(bound, total / (1.0 - (1.0 - 1.0 / k) ** k))
    bound = max(bound, total)
    logger.debug(
        "lazy greedy: %d of %d candidates chosen, %d gain evaluations",
        len(selected),
        csr.shape[0],
        evaluations,
    )
    return GreedyResult(tuple(selected), tuple(gains), total, bound, evaluations)


def _top_sum(heap: list[tuple[float, int, int]], k: int) -> float:
    """Sum of the ``k`` largest gains in the queue (stale gains are upper bounds)."""
    return -sum(entry[0] for entry in heapq.nsmallest(k, heap))
