"""Exact covering models (maximal covering, set covering) as integer programs in PuLP.

The instance is reduced before it reaches the solver: demand units that no candidate
reaches or that weigh nothing are dropped, demand units reached by the same candidates
are merged into one (their weights summed), and candidates that reach the same demand
units are kept once. HiGHS solves the model when ``highspy`` is installed, CBC otherwise.

A solver's word is not taken on trust: the returned site choice is checked against the
instance (integral, feasible, its objective recomputed from the coverage matrix) and is
called optimal only when the solver's status says so and its own bound agrees with the
recomputed objective. A claimed optimum that fails the check is solved again without the
warm start; if that fails too, the answer is returned as unproven, with no bound.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pulp
import scipy.sparse as sp

__all__ = [
    "ExactResult",
    "ExactStatus",
    "ReducedInstance",
    "reduce_instance",
    "solve_lscp",
    "solve_mclp",
]

logger = logging.getLogger(__name__)

ExactStatus = Literal["optimal", "time limit", "unproven"]

# slack allowed between a solver's bound and the recomputed objective, relative and absolute
_TOLERANCE = 1e-6
# a binary variable further than this from 0 or 1 is not an integral answer
_INTEGRALITY = 1e-5


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
        Weight covered (maximal covering) or number of sites (set covering), recomputed
        from the coverage matrix for ``selected``, not read from the solver.
    status
        {"optimal", "time limit", "unproven"}: "optimal" when the solver's status says
        so and its bound equals the recomputed objective; "time limit" when it stopped
        with a feasible answer and (HiGHS) the bound in ``bound``; "unproven" when it
        claimed an optimum that the check refuted, even after a solve without the
        warm start.
    bound
        The solver's best bound on the optimum (HiGHS only; ``None`` otherwise, and
        ``None`` when the bound contradicts the recomputed objective).
    seconds
        Wall-clock time for building and solving the model.
    solver
        Name of the solver used, {"HiGHS", "PULP_CBC_CMD"}.
    """

    selected: tuple[int, ...]
    objective: float
    status: ExactStatus
    bound: float | None
    seconds: float
    solver: str

    @property
    def optimal(self) -> bool:
        """True when the answer is proven optimal."""
        return self.status == "optimal"


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
            "optimal",
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
    check = _Check(instance, maximise=True, k=k, required=None)
    return _solve(model, x, check, time_limit_s=time_limit_s, began=began, start=initial)


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
    check = _Check(instance, maximise=False, k=None, required=required)
    return _solve(model, x, check, time_limit_s=time_limit_s, began=began, start=initial)


@dataclass(frozen=True)
class _Check:
    """The instance a solver answer must satisfy, to verify it without the solver.

    ``k`` caps the number of sites (maximal covering); ``required`` is the weight to
    cover (partial set covering), ``None`` with ``maximise=False`` meaning every column.
    """

    instance: ReducedInstance
    maximise: bool
    k: int | None
    required: float | None

    def objective(self, sites: npt.NDArray[np.bool_]) -> float | None:
        """The objective of the 0/1 choice ``sites`` over the kept rows, None if infeasible."""
        covered = np.asarray(self.instance.reach.T @ sites.astype(np.float64)).ravel() > 0.5
        weight = float(self.instance.weights[covered].sum())
        count = int(sites.sum())
        if self.maximise:
            return weight if self.k is None or count <= self.k else None
        if self.required is None:
            return float(count) if bool(covered.all()) else None
        enough = weight >= self.required - _TOLERANCE * max(1.0, abs(self.required))
        return float(count) if enough else None


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

        if not self.start:
            super().callSolver(lp)
            return
        # buildSolverModel numbered the columns in the order of lp.variables()
        solution = highspy.HighsSolution()
        solution.col_value = [self.start.get(v.name, 0.0) for v in lp.variables()]
        solution.value_valid = True
        lp.solverModel.setSolution(solution)
        super().callSolver(lp)


def _solver(time_limit_s: float, start: Mapping[str, float]) -> pulp.LpSolver:
    """HiGHS through highspy when it is installed, else CBC (a system one or PuLP's own).

    Both start from ``start`` (variable name -> value), a known feasible solution, unless
    it is empty.
    """
    options: dict[str, Any] = {"msg": False, "timeLimit": time_limit_s, "gapRel": 0.0}
    highs = _StartedHiGHS(start, **options)
    if highs.available():
        return highs
    logger.info("HiGHS is not available; solving with CBC")
    coin = pulp.COIN_CMD(warmStart=bool(start), **options)
    if coin.available():
        return coin
    return pulp.PULP_CBC_CMD(warmStart=bool(start), **options)


def _solve(
    model: pulp.LpProblem,
    x: list[pulp.LpVariable],
    check: _Check,
    *,
    time_limit_s: float,
    began: float,
    start: Mapping[str, float],
) -> ExactResult | None:
    """Solve ``model`` from ``start``; once more without it if the answer fails the check."""
    result = _run(model, x, check, time_limit_s=time_limit_s, began=began, start=start)
    if not start or (result is not None and result.status != "unproven"):
        return result
    logger.warning("solving again without the warm start")
    remaining = max(time_limit_s - (time.perf_counter() - began), 1.0)
    cold = _run(model, x, check, time_limit_s=remaining, began=began, start={})
    return result if cold is None else cold


def _run(
    model: pulp.LpProblem,
    x: list[pulp.LpVariable],
    check: _Check,
    *,
    time_limit_s: float,
    began: float,
    start: Mapping[str, float],
) -> ExactResult | None:
    """One solver run, its answer verified against ``check``."""
    if start:
        for variable in model.variables():
            variable.setInitialValue(start.get(variable.name, 0.0))
    solver = _solver(time_limit_s, start)
    model.solve(solver)
    seconds = time.perf_counter() - began
    claimed = model.sol_status
    if claimed not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        logger.warning(
            "%s found no solution in %.1f s (status %s)",
            solver.name,
            seconds,
            pulp.LpStatus[model.status],
        )
        return None
    values = np.array([v.varValue if v.varValue is not None else np.nan for v in x])
    sites = values > 0.5
    objective = check.objective(sites)
    if objective is None or not bool(np.all(np.abs(values - sites) <= _INTEGRALITY)):
        logger.warning(
            "%s returned a site choice that is not a solution (status %s); ignoring it",
            solver.name,
            pulp.LpStatus[model.status],
        )
        return None
    status, bound = _verdict(model, check.maximise, objective, claimed == pulp.LpSolutionOptimal)
    chosen = tuple(int(check.instance.rows[j]) for j in np.flatnonzero(sites))
    logger.info("%s: objective %.1f (%s) in %.2f s", solver.name, objective, status, seconds)
    return ExactResult(chosen, objective, status, bound, seconds, str(solver.name))


def _verdict(
    model: pulp.LpProblem, maximise: bool, objective: float, claimed_optimal: bool
) -> tuple[ExactStatus, float | None]:
    """How a solved model ended, judged against ``objective``, the recomputed one.

    Optimal only if the solver says so (or its bound meets the objective) and neither its
    own objective nor its bound disagrees with the recomputed one; a bound on the wrong
    side of the objective is dropped.
    """
    slack = _TOLERANCE * max(1.0, abs(objective))
    bound = _dual_bound(model)
    reported = _reported_objective(model)
    contradicted = abs(reported - objective) > slack if claimed_optimal else False
    if bound is not None and (bound < objective - slack if maximise else bound > objective + slack):
        contradicted, bound = True, None
    if contradicted or (claimed_optimal and bound is not None and abs(bound - objective) > slack):
        logger.warning(
            "the solver claimed an optimum (objective %.3f, bound %s) that its answer, worth "
            "%.3f, does not bear out",
            reported,
            bound,
            objective,
        )
        return "unproven", None
    if claimed_optimal or (bound is not None and abs(bound - objective) <= slack):
        return "optimal", objective if bound is None else bound
    return "time limit", bound


def _reported_objective(model: pulp.LpProblem) -> float:
    """The objective the solver itself reports (HiGHS's own figure, else PuLP's)."""
    highs_model = getattr(model, "solverModel", None)
    if highs_model is None:
        return float(pulp.value(model.objective) or 0.0)
    value = float(highs_model.getObjectiveValue())
    return -value if model.sense == pulp.LpMaximize else value


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
