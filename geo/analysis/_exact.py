"""Exact covering models (maximal covering, set covering) as integer programs in PuLP.

The instance is reduced before it reaches the solver: demand units that no candidate
reaches or that weigh nothing are dropped, demand units reached by the same candidates
are merged into one (their weights summed), and candidates that reach the same demand
units are kept once. HiGHS solves the model when ``highspy`` is installed, CBC otherwise.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pulp
import scipy.sparse as sp

__all__ = ["ExactResult", "ReducedInstance", "reduce_instance", "solve_lscp", "solve_mclp"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReducedInstance:
    """A covering instance with its redundant rows and columns merged.

    Attributes
    ----------
    reach
        Boolean coverage matrix, kept candidates x merged demand columns, CSR.
    weights
        Summed weight of every merged demand column.
    rows
        Index in the original matrix of every kept candidate.
    row_of
        For every original candidate, the kept row standing for it (itself or an
        identical one), or -1 when it reaches nothing that counts.
    """

    reach: sp.csr_matrix
    weights: npt.NDArray[np.float64]
    rows: npt.NDArray[np.int64]
    row_of: npt.NDArray[np.int64]

    def start(self, selected: Sequence[int]) -> npt.NDArray[np.float64]:
        """A 0/1 site vector over the kept rows for original rows ``selected``."""
        values = np.zeros(self.reach.shape[0])
        rows = self.row_of[np.asarray(selected, dtype=np.int64)]
        values[rows[rows >= 0]] = 1.0
        return values

    @property
    def terms(self) -> int:
        """Number of non-zero coverage entries: the size of the integer program."""
        return int(self.reach.nnz)


@dataclass(frozen=True)
class ExactResult:
    """What the integer-program solver returned.

    Attributes
    ----------
    selected
        Original row indices of the chosen candidates (unordered).
    objective
        Weight covered (maximal covering) or number of sites (set covering).
    optimal
        True when the solver proved the answer optimal within the time limit.
    bound
        The solver's best bound on the optimum (HiGHS only; ``None`` otherwise).
    seconds
        Wall-clock time for building and solving the model.
    solver
        Name of the solver used, {"HiGHS", "PULP_CBC_CMD"}.
    """

    selected: tuple[int, ...]
    objective: float
    optimal: bool
    bound: float | None
    seconds: float
    solver: str


def reduce_instance(reach: sp.csr_matrix, weights: npt.NDArray[np.float64]) -> ReducedInstance:
    """Drop weightless or unreachable demand, merge identical columns and rows.

    Parameters
    ----------
    reach
        Boolean coverage matrix, candidates x demand units, CSR without explicit zeros.
    weights
        Weight of every demand unit; units already covered must carry 0.

    Returns
    -------
    ReducedInstance
        An instance with the same optimal objective as the original.
    """
    csc = sp.csc_matrix(reach, dtype=bool)
    csc.sort_indices()
    w = np.asarray(weights, dtype=np.float64)
    useful = np.flatnonzero((w > 0.0) & (np.diff(csc.indptr) > 0))
    groups: dict[bytes, int] = {}
    column_of = np.empty(useful.shape[0], dtype=np.int64)
    for position, col in enumerate(useful):
        key = csc.indices[csc.indptr[col] : csc.indptr[col + 1]].tobytes()
        column_of[position] = groups.setdefault(key, len(groups))
    merged_weights = np.bincount(column_of, weights=w[useful], minlength=len(groups))
    merge = sp.csr_matrix(
        (np.ones(useful.shape[0], dtype=bool), (useful, column_of)),
        shape=(csc.shape[1], len(groups)),
    )
    merged = sp.csr_matrix(sp.csr_matrix(reach, dtype=bool) @ merge, dtype=bool)
    merged.sort_indices()
    kept: dict[bytes, int] = {}
    representative = np.full(merged.shape[0], -1, dtype=np.int64)
    for row in range(merged.shape[0]):
        cols = merged.indices[merged.indptr[row] : merged.indptr[row + 1]]
        if cols.size:
            representative[row] = kept.setdefault(cols.tobytes(), row)
    rows = np.array(sorted(kept.values()), dtype=np.int64)
    kept_index = np.full(merged.shape[0], -1, dtype=np.int64)
    kept_index[rows] = np.arange(rows.shape[0])
    row_of = np.where(representative >= 0, kept_index[np.maximum(representative, 0)], -1)
    reduced = sp.csr_matrix(merged[rows], dtype=bool)
    logger.info(
        "covering instance reduced from %d x %d (%d terms) to %d x %d (%d terms)",
        reach.shape[0],
        reach.shape[1],
        reach.nnz,
        reduced.shape[0],
        reduced.shape[1],
        reduced.nnz,
    )
    return ReducedInstance(reduced, merged_weights.astype(np.float64), rows, row_of)


def solve_mclp(
    instance: ReducedInstance,
    k: int,
    *,
    time_limit_s: float,
    start: Sequence[int] = (),
) -> ExactResult | None:
    """Solve the maximal covering problem exactly.

    Maximise the weight of covered columns with at most ``k`` candidates. Coverage
    variables are continuous in [0, 1]: at an integral site choice they take 0 or 1.

    Parameters
    ----------
    instance
        A reduced instance.
    k
        Largest number of candidates to choose.
    time_limit_s
        Solver time limit, seconds.
    start
        Original rows of a known solution (the greedy's) the solver starts from, so that
        a time-limited run never ends below it.

    Returns
    -------
    ExactResult or None
        ``None`` when the solver found no solution within the time limit.
    """
    began = time.perf_counter()
    n_rows, n_cols = instance.reach.shape
    if k >= n_rows:
        return ExactResult(
            tuple(int(r) for r in instance.rows),
            float(instance.weights.sum()),
            True,
            float(instance.weights.sum()),
            time.perf_counter() - began,
            "none",
        )
    model = pulp.LpProblem("maximal_covering", pulp.LpMaximize)
    x = [_variable(model, f"x{j}", binary=True) for j in range(n_rows)]
    y = [_variable(model, f"y{i}") for i in range(n_cols)]
    model += pulp.LpAffineExpression(zip(y, instance.weights.tolist(), strict=True))
    csc = sp.csc_matrix(instance.reach)
    for i in range(n_cols):
        rows = csc.indices[csc.indptr[i] : csc.indptr[i + 1]]
        terms = [(x[j], 1.0) for j in rows.tolist()]
        terms.append((y[i], -1.0))
        model += pulp.LpAffineExpression(terms) >= 0
    model += pulp.LpAffineExpression((v, 1.0) for v in x) <= k
    sites = instance.start(start)
    covered = np.minimum(instance.reach.T.astype(np.float64) @ sites, 1.0)
    initial = dict(zip([v.name for v in x], sites.tolist(), strict=True))
    initial |= dict(zip([v.name for v in y], covered.tolist(), strict=True))
    return _solve(model, x, instance.rows, time_limit_s=time_limit_s, began=began, start=initial)


def solve_lscp(
    instance: ReducedInstance,
    required: float | None,
    *,
    time_limit_s: float,
    start: Sequence[int] = (),
) -> ExactResult | None:
    """Solve the (partial) set covering problem exactly.

    Minimise the number of candidates so that every column is covered
    (``required=None``) or the covered weight reaches ``required``.

    Parameters
    ----------
    instance
        A reduced instance. With ``required=None`` every column must be reachable,
        which :func:`reduce_instance` guarantees.
    required
        Weight the chosen candidates must cover, or ``None`` for all columns.
    time_limit_s
        Solver time limit, seconds.
    start
        Original rows of a known solution (the greedy's) the solver starts from.

    Returns
    -------
    ExactResult or None
        ``None`` when the solver found no solution within the time limit.
    """
    began = time.perf_counter()
    n_rows, n_cols = instance.reach.shape
    model = pulp.LpProblem("set_covering", pulp.LpMinimize)
    x = [_variable(model, f"x{j}", binary=True) for j in range(n_rows)]
    model += pulp.LpAffineExpression((v, 1.0) for v in x)
    csc = sp.csc_matrix(instance.reach)
    sites = instance.start(start)
    initial = dict(zip([v.name for v in x], sites.tolist(), strict=True))
    if required is None:
        for i in range(n_cols):
            rows = csc.indices[csc.indptr[i] : csc.indptr[i + 1]]
            model += pulp.LpAffineExpression((x[j], 1.0) for j in rows.tolist()) >= 1
    else:
        y = [_variable(model, f"y{i}") for i in range(n_cols)]
        for i in range(n_cols):
            rows = csc.indices[csc.indptr[i] : csc.indptr[i + 1]]
            terms = [(x[j], 1.0) for j in rows.tolist()]
            terms.append((y[i], -1.0))
            model += pulp.LpAffineExpression(terms) >= 0
        model += pulp.LpAffineExpression(zip(y, instance.weights.tolist(), strict=True)) >= required
        covered = np.minimum(instance.reach.T.astype(np.float64) @ sites, 1.0)
        initial |= dict(zip([v.name for v in y], covered.tolist(), strict=True))
    return _solve(model, x, instance.rows, time_limit_s=time_limit_s, began=began, start=initial)


def _variable(model: pulp.LpProblem, name: str, *, binary: bool = False) -> pulp.LpVariable:
    """A variable in [0, 1], binary or continuous, attached to ``model``."""
    category = pulp.LpBinary if binary else pulp.LpContinuous
    if hasattr(model, "add_variable"):  # PuLP >= 3.3
        variable: pulp.LpVariable = model.add_variable(name, 0, 1, cat=category)
        return variable
    return pulp.LpVariable(name, lowBound=0, upBound=1, cat=category)


class _StartedHiGHS(pulp.HiGHS):  # type: ignore[misc]
    """HiGHS through highspy, handed a feasible solution to start from."""

    def __init__(self, start: Mapping[str, float], **options: Any) -> None:
        super().__init__(**options)
        self.start = dict(start)

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        import highspy

        # buildSolverModel numbered the columns in the order of lp.variables()
        solution = highspy.HighsSolution()
        solution.col_value = [self.start.get(v.name, 0.0) for v in lp.variables()]
        solution.value_valid = True
        lp.solverModel.setSolution(solution)
        super().callSolver(lp)


def _solver(time_limit_s: float, start: Mapping[str, float]) -> pulp.LpSolver:
    """HiGHS through highspy when it is installed, else CBC (a system one or PuLP's own).

    Both start from ``start`` (variable name -> value), a known feasible solution.
    """
    options: dict[str, Any] = {"msg": False, "timeLimit": time_limit_s, "gapRel": 0.0}
    highs = _StartedHiGHS(start, **options)
    if highs.available():
        return highs
    logger.info("HiGHS is not available; solving with CBC")
    coin = pulp.COIN_CMD(warmStart=True, **options)
    if coin.available():
        return coin
    return pulp.PULP_CBC_CMD(warmStart=True, **options)


def _solve(
    model: pulp.LpProblem,
    x: list[pulp.LpVariable],
    rows: npt.NDArray[np.int64],
    *,
    time_limit_s: float,
    began: float,
    start: Mapping[str, float],
) -> ExactResult | None:
    for variable in model.variables():
        variable.setInitialValue(start.get(variable.name, 0.0))
    solver = _solver(time_limit_s, start)
    model.solve(solver)
    seconds = time.perf_counter() - began
    if model.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        logger.warning(
            "%s found no solution in %.1f s (status %s)",
            solver.name,
            seconds,
            pulp.LpStatus[model.status],
        )
        return None
    chosen = tuple(int(rows[j]) for j, v in enumerate(x) if (v.varValue or 0.0) > 0.5)
    objective = float(pulp.value(model.objective) or 0.0)
    optimal = model.sol_status == pulp.LpSolutionOptimal
    bound = objective if optimal else _dual_bound(model)
    logger.info(
        "%s: objective %.1f (%s) in %.2f s",
        solver.name,
        objective,
        "optimal" if optimal else "time limit",
        seconds,
    )
    return ExactResult(chosen, objective, optimal, bound, seconds, str(solver.name))


def _dual_bound(model: pulp.LpProblem) -> float | None:
    """HiGHS's best bound on the optimum after a time-limited solve, when available.

    PuLP hands HiGHS a maximisation as the minimisation of the negated objective, so the
    bound of a maximisation comes back negated.
    """
    highs_model = getattr(model, "solverModel", None)
    if highs_model is None:
        return None
    bound = float(highs_model.getInfo().mip_dual_bound)
    if not math.isfinite(bound):
        return None
    return -bound if model.sense == pulp.LpMaximize else bound
