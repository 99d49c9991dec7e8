"""Site selection: maximal covering (MCLP) and set covering (LSCP).

Both problems work on a coverage matrix: candidates x demand units, True where a
candidate site would reach the demand unit under the layer's rule. Demand already inside
the layer's circle (existing facilities stay fixed) counts as covered and adds nothing.

- :func:`maximal_covering` chooses ``k`` candidates that cover the most residents not yet
  covered: a lazy greedy for interactive use and an exact integer program (PuLP, HiGHS or
  CBC) when the instance allows, with the greedy's optimality gap.
- :func:`set_covering` finds the fewest candidates that bring the covered share to a
  target, or reports the residents no candidate can reach.

:func:`maximal_covering_sites` and :func:`set_covering_sites` run the same on a
:class:`~geo.analysis.coverage.CoverageEngine` and return the suggested sites as a
GeoDataFrame with the residents each adds and the grids it serves.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from geo.analysis._demand import DemandIndex
from geo.analysis._greedy import lazy_greedy
from geo.errors import AnalysisError

if TYPE_CHECKING:
    from geo.analysis._exact import ExactResult, ExactStatus
    from geo.analysis.coverage import CoverageEngine
    from geo.analysis.rules import ServiceRule

__all__ = [
    "MAX_EXACT_TERMS",
    "CoverSolution",
    "SiteSuggestions",
    "covered_demand",
    "grid_share_covered",
    "maximal_covering",
    "maximal_covering_sites",
    "set_covering",
    "set_covering_sites",
]

logger = logging.getLogger(__name__)

Method = Literal["greedy", "exact", "auto"]

#: Largest reduced instance (non-zero coverage entries) that ``method="auto"`` hands to
#: the integer-program solver; larger ones keep the greedy answer.
MAX_EXACT_TERMS = 400_000


@dataclass(frozen=True)
class CoverSolution:
    """Answer of a covering problem on a coverage matrix.

    Attributes
    ----------
    problem
        {"maximal", "set"}: maximal covering or set covering.
    selected
        Row indices of the chosen candidates, ranked: each adds the most residents given
        the ones ranked before it.
    gains
        Residents each chosen candidate adds, in rank order (marginal).
    residents_total
        Residents of all demand units.
    residents_covered_before
        Residents already covered by the fixed facilities.
    residents_unreachable
        Residents not yet covered that no candidate reaches.
    unreachable
        Boolean mask over demand units: residents > 0, not covered, reached by no candidate.
    method
        {"greedy", "exact"}: which solver produced ``selected``: "exact" when the
        integer program proved its answer optimal or, stopped by the time limit, found
        a better one than the greedy's.
    optimal
        True when ``selected`` is proven optimal.
    greedy_objective
        The greedy answer: residents added (maximal) or sites needed (set).
    exact_objective
        The integer program's answer, or ``None`` when it was not run or found nothing.
    exact_status
        {"optimal", "time limit", "unproven"}: how the integer program ended (see
        :class:`geo.analysis._exact.ExactResult`), or ``None`` when it was not run or
        found nothing. Only "optimal" makes ``exact_objective`` the optimum.
    bound
        Best known bound on the optimum: an upper bound on the residents ``k`` sites can
        add (maximal) or a lower bound on the sites needed (set).
    optimality_gap
        Relative gap of the greedy answer: (exact - greedy) / exact for maximal covering,
        (greedy - exact) / exact for set covering. When the exact optimum is unknown, the
        same ratio against ``bound``, an upper bound on the true gap.
    gap_is_bound
        True when ``optimality_gap`` is a bound rather than the measured gap.
    target_met
        Set covering: whether the target share was reached. Always True for maximal.
    solve_seconds
        Wall-clock seconds per solver run, keys among {"greedy", "exact"}.
    """

    problem: Literal["maximal", "set"]
    selected: tuple[int, ...]
    gains: tuple[float, ...]
    residents_total: float
    residents_covered_before: float
    residents_unreachable: float
    unreachable: npt.NDArray[np.bool_] = field(repr=False)
    method: Literal["greedy", "exact"]
    optimal: bool
    greedy_objective: float
    exact_objective: float | None
    exact_status: ExactStatus | None
    bound: float
    optimality_gap: float
    gap_is_bound: bool
    target_met: bool
    solve_seconds: dict[str, float]

    @property
    def residents_added(self) -> float:
        """Residents the chosen candidates add together."""
        return float(sum(self.gains))

    @property
    def residents_covered_after(self) -> float:
        """Residents covered once the chosen candidates are open."""
        return self.residents_covered_before + self.residents_added


def maximal_covering(
    reach: sp.spmatrix | sp.sparray,
    residents: npt.ArrayLike,
    k: int,
    *,
    covered: npt.ArrayLike | None = None,
    method: Method = "greedy",
    time_limit_s: float = 60.0,
) -> CoverSolution:
    """Choose ``k`` candidates that cover the most residents not yet covered.

    Parameters
    ----------
    reach
        Boolean coverage matrix, candidates x demand units.
    residents
        Residents of every demand unit (non-negative).
    k
        Number of sites to choose. Fewer are returned when the rest would add nobody.
    covered
        Boolean mask of demand units already covered by the fixed facilities.
    method
        {"greedy", "exact", "auto"}. "greedy" runs the lazy greedy and reports a bound on
        its gap; "exact" also solves the integer program, started from the greedy's
        answer, and returns its answer when proven optimal or better than the greedy's
        at the time limit; "auto" does so when the greedy is not provably optimal and
        the reduced instance has at most ``MAX_EXACT_TERMS`` coverage entries.
    time_limit_s
        Time limit of the integer-program solver, seconds (HiGHS may overrun it while
        solving the first relaxation of a large instance).

    Returns
    -------
    CoverSolution
        Ranked sites, the residents each adds, the greedy's optimality gap.

    Raises
    ------
    AnalysisError
        If the shapes disagree, ``k`` is negative, residents are negative or ``method``
        is unknown.
    """
    matrix, weights, covered_mask = _validate(reach, residents, covered, method=method)
    if k < 0:
        msg = f"k must be a non-negative number of sites; got {k}"
        raise AnalysisError(msg)
    remaining = np.where(covered_mask, 0.0, weights)
    unreachable = (remaining > 0.0) & (_reached(matrix) == 0)

    start = time.perf_counter()
    greedy = lazy_greedy(matrix, remaining, k)
    seconds = {"greedy": time.perf_counter() - start}
    proven = greedy.objective >= greedy.upper_bound
    exact: ExactResult | None = None
    if method == "exact" or (method == "auto" and not proven):
        # PuLP loads slowly; only an exact solve needs it
        from geo.analysis._exact import reduce_instance, solve_mclp

        instance = reduce_instance(matrix, remaining)
        if method == "exact" or instance.terms <= MAX_EXACT_TERMS:
            exact = solve_mclp(instance, k, time_limit_s=time_limit_s, start=greedy.selected)
            seconds["exact"] = time.perf_counter() - start - seconds["greedy"]
        else:
            logger.info(
                "maximal covering: %d terms exceed %d; keeping the greedy answer",
                instance.terms,
                MAX_EXACT_TERMS,
            )

    selected, gains = greedy.selected, greedy.gains
    chosen_method: Literal["greedy", "exact"] = "greedy"
    exact_objective: float | None = None
    bound = greedy.upper_bound
    if exact is not None:
        ranked, ranked_gains = _rank(matrix, remaining, exact.selected)
        exact_objective = float(sum(ranked_gains))
        if exact.optimal:
            bound = max(exact_objective, greedy.objective)
        elif exact.bound is not None:
            bound = min(bound, max(exact.bound, exact_objective, greedy.objective))
        tolerance = 1e-9 * max(greedy.objective, 1.0)
        better = exact_objective > greedy.objective + tolerance
        if better or (exact.optimal and exact_objective >= greedy.objective - tolerance):
            selected, gains, chosen_method = ranked, ranked_gains, "exact"
    best = float(sum(gains))
    optimal = (exact is not None and exact.optimal) or best >= bound
    if exact is not None and exact.optimal and exact_objective is not None:
        gap, gap_is_bound = _gap(exact_objective - greedy.objective, exact_objective), False
    elif greedy.objective >= bound:
        gap, gap_is_bound = 0.0, False
    else:
        gap, gap_is_bound = _gap(bound - greedy.objective, bound), True
    return CoverSolution(
        problem="maximal",
        selected=selected,
        gains=gains,
        residents_total=float(weights.sum()),
        residents_covered_before=float(weights[covered_mask].sum()),
        residents_unreachable=float(remaining[unreachable].sum()),
        unreachable=unreachable,
        method=chosen_method,
        optimal=optimal,
        greedy_objective=greedy.objective,
        exact_objective=exact_objective,
        exact_status=None if exact is None else exact.status,
        bound=float(bound),
        optimality_gap=gap,
        gap_is_bound=gap_is_bound,
        target_met=True,
        solve_seconds=seconds,
    )


def set_covering(
    reach: sp.spmatrix | sp.sparray,
    residents: npt.ArrayLike,
    *,
    target: float = 1.0,
    covered: npt.ArrayLike | None = None,
    method: Method = "auto",
    time_limit_s: float = 60.0,
) -> CoverSolution:
    """Find the fewest candidates that bring the covered share of residents to ``target``.

    When the target cannot be reached because some residents are out of reach of every
    candidate, the answer covers everyone who can be reached, ``target_met`` is False and
    ``unreachable`` marks the demand units left out.

    Parameters
    ----------
    reach
        Boolean coverage matrix, candidates x demand units.
    residents
        Residents of every demand unit (non-negative).
    target
        Share of all residents to cover, in (0, 1].
    covered
        Boolean mask of demand units already covered by the fixed facilities.
    method
        {"greedy", "exact", "auto"}. "auto" solves the integer program when the reduced
        instance has at most ``MAX_EXACT_TERMS`` coverage entries and falls back to the
        greedy otherwise, or when the solver finds nothing in time.
    time_limit_s
        Time limit of the integer-program solver, seconds.

    Returns
    -------
    CoverSolution
        Ranked sites, the residents each adds, whether the target was met.

    Raises
    ------
    AnalysisError
        If the shapes disagree, ``target`` is outside (0, 1], residents are negative or
        ``method`` is unknown.
    """
    matrix, weights, covered_mask = _validate(reach, residents, covered, method=method)
    if not 0.0 < target <= 1.0:
        msg = f"target must be a share of residents in (0, 1]; got {target}"
        raise AnalysisError(msg)
    total = float(weights.sum())
    before = float(weights[covered_mask].sum())
    remaining = np.where(covered_mask, 0.0, weights)
    reached = _reached(matrix) > 0
    unreachable = (remaining > 0.0) & ~reached
    reachable_weight = float(remaining[reached].sum())
    tolerance = 1e-9 * max(total, 1.0)
    goal = target * total
    full = goal >= before + reachable_weight - tolerance
    target_met = goal <= before + reachable_weight + tolerance
    required = reachable_weight if full else goal - before

    seconds: dict[str, float] = {}
    selected: tuple[int, ...] = ()
    gains: tuple[float, ...] = ()
    chosen_method: Literal["greedy", "exact"] = "greedy"
    exact: ExactResult | None = None
    exact_objective: float | None = None
    bound = 0.0
    if required > tolerance:
        start = time.perf_counter()
        greedy = lazy_greedy(matrix, remaining, matrix.shape[0], required=required - tolerance)
        seconds["greedy"] = time.perf_counter() - start
        selected, gains = greedy.selected, greedy.gains
        best_single = float(np.asarray(matrix.astype(np.float64) @ remaining).max())
        bound = float(math.ceil((required - tolerance) / best_single))
        if method == "exact" or (method == "auto" and len(selected) > bound):
            from geo.analysis._exact import reduce_instance, solve_lscp

            instance = reduce_instance(matrix, remaining)
            if method == "exact" or instance.terms <= MAX_EXACT_TERMS:
                exact = solve_lscp(
                    instance,
                    None if full else required - tolerance,
                    time_limit_s=time_limit_s,
                    start=selected,
                )
                seconds["exact"] = time.perf_counter() - start - seconds["greedy"]
            else:
                logger.info(
                    "set covering: %d terms exceed %d; keeping the greedy answer",
                    instance.terms,
                    MAX_EXACT_TERMS,
                )
    greedy_count = float(len(selected))
    if exact is not None:
        ranked, ranked_gains = _rank(matrix, remaining, exact.selected)
        exact_objective = float(len(ranked))
        if exact.optimal:
            bound = exact_objective
        elif exact.bound is not None:
            bound = max(bound, float(math.ceil(exact.bound - 1e-6)))
        if len(ranked) < len(selected) or (exact.optimal and len(ranked) == len(selected)):
            selected, gains, chosen_method = ranked, ranked_gains, "exact"
    optimal = (exact is not None and exact.optimal) or len(selected) <= bound
    if exact is not None and exact.optimal and exact_objective is not None:
        gap, gap_is_bound = _gap(greedy_count - exact_objective, exact_objective), False
    elif greedy_count <= bound:
        gap, gap_is_bound = 0.0, False
    else:
        gap, gap_is_bound = _gap(greedy_count - bound, bound), True
    return CoverSolution(
        problem="set",
        selected=selected,
        gains=gains,
        residents_total=total,
        residents_covered_before=before,
        residents_unreachable=float(remaining[unreachable].sum()),
        unreachable=unreachable,
        method=chosen_method,
        optimal=optimal,
        greedy_objective=greedy_count,
        exact_objective=exact_objective,
        exact_status=None if exact is None else exact.status,
        bound=float(bound),
        optimality_gap=gap,
        gap_is_bound=gap_is_bound,
        target_met=target_met,
        solve_seconds=seconds,
    )


@dataclass(frozen=True)
class SiteSuggestions:
    """Suggested sites for new facilities of one layer.

    Attributes
    ----------
    sites
        One row per suggested site, best first: ``rank`` (1 = adds the most),
        ``candidate_id``, ``name``, ``kind``, ``residents_added`` (marginal: given the
        sites ranked before), ``residents_covered_after`` (running total),
        ``grids_served`` (grid ids the site adds residents in, ";"-separated, most
        residents first), ``n_grids_served``, Point geometry (EPSG:4326).
    served
        Residents each site adds per grid: ``rank``, ``candidate_id``, ``grid_id``,
        ``residents_added``.
    unreachable
        Residents left uncovered that no candidate reaches, per grid: ``grid_id``,
        ``residents_unreachable``; most first.
    summary
        Figures for a report: ``problem``, ``k`` or ``target``, ``rule``, ``candidates``,
        ``residents_total``, ``residents_covered_before``, ``residents_covered_after``,
        ``share_covered_before``, ``share_covered_after``, ``residents_added``,
        ``residents_unreachable``, ``method``, ``optimal``, ``optimality_gap``,
        ``gap_is_bound``, ``greedy_objective``, ``exact_objective``, ``exact_status``,
        ``bound``, ``target_met``, ``solve_seconds`` (per solver), ``approximate``.
    solution
        The matrix-level answer.
    """

    sites: gpd.GeoDataFrame
    served: pd.DataFrame
    unreachable: pd.DataFrame
    summary: dict[str, Any]
    solution: CoverSolution


def maximal_covering_sites(
    engine: CoverageEngine,
    candidates: gpd.GeoDataFrame,
    rule: ServiceRule,
    *,
    k: int,
    facilities: gpd.GeoDataFrame | None = None,
    covered: npt.ArrayLike | None = None,
    method: Method = "greedy",
    time_limit_s: float = 60.0,
) -> SiteSuggestions:
    """Suggest ``k`` sites among ``candidates`` that cover the most residents not yet covered.

    Parameters
    ----------
    engine
        Coverage engine of the district (walking network and demand units).
    candidates
        Candidate sites (``candidate_id``, ``name``, Point geometry, EPSG:4326), e.g. from
        :func:`geo.analysis.candidates.candidate_sites`.
    rule
        The layer's service rule, e.g. ``DEFAULT_RULES["stations"]``.
    k
        Number of sites to suggest.
    facilities
        The layer's existing facilities; they stay open and what they cover counts as
        covered. Give this or ``covered`` (e.g. ``WhatIf.covered(layer)``), or neither for
        a layer without facilities.
    covered
        Boolean mask over ``engine.demand``: demand units already covered.
    method
        {"greedy", "exact", "auto"}; see :func:`maximal_covering`.
    time_limit_s
        Time limit of the integer-program solver, seconds.

    Returns
    -------
    SiteSuggestions
    """
    demand, reach, covered_mask = _siting_inputs(engine, candidates, rule, facilities, covered)
    solution = maximal_covering(
        reach, demand.residents, k, covered=covered_mask, method=method, time_limit_s=time_limit_s
    )
    return _suggestions(engine, demand, candidates, reach, covered_mask, solution, rule, k=k)


def set_covering_sites(
    engine: CoverageEngine,
    candidates: gpd.GeoDataFrame,
    rule: ServiceRule,
    *,
    target: float = 1.0,
    facilities: gpd.GeoDataFrame | None = None,
    covered: npt.ArrayLike | None = None,
    method: Method = "auto",
    time_limit_s: float = 60.0,
) -> SiteSuggestions:
    """Suggest the fewest sites that bring the layer's covered share of residents to ``target``.

    When some residents are out of reach of every candidate, the suggestion covers
    everyone who can be reached, ``summary["target_met"]`` is False and
    :attr:`SiteSuggestions.unreachable` lists the grids left out.

    Parameters
    ----------
    engine
        Coverage engine of the district.
    candidates
        Candidate sites (``candidate_id``, ``name``, Point geometry, EPSG:4326).
    rule
        The layer's service rule.
    target
        Share of all residents to cover, in (0, 1].
    facilities
        The layer's existing facilities (they stay open); or give ``covered``.
    covered
        Boolean mask over ``engine.demand``: demand units already covered.
    method
        {"greedy", "exact", "auto"}; see :func:`set_covering`.
    time_limit_s
        Time limit of the integer-program solver, seconds.

    Returns
    -------
    SiteSuggestions
    """
    demand, reach, covered_mask = _siting_inputs(engine, candidates, rule, facilities, covered)
    solution = set_covering(
        reach,
        demand.residents,
        target=target,
        covered=covered_mask,
        method=method,
        time_limit_s=time_limit_s,
    )
    return _suggestions(
        engine, demand, candidates, reach, covered_mask, solution, rule, target=target
    )


def covered_demand(
    engine: CoverageEngine, facilities: gpd.GeoDataFrame, rule: ServiceRule
) -> npt.NDArray[np.bool_]:
    """Which demand units a layer's facilities cover (one reach pass, no polygons).

    Parameters
    ----------
    engine
        Coverage engine of the district.
    facilities
        The layer's facilities (Point geometry, any CRS); may be empty.
    rule
        The layer's service rule.

    Returns
    -------
    numpy.ndarray
        Boolean, one entry per row of ``engine.demand``.
    """
    covered = np.zeros(engine.n_demand, dtype=bool)
    if len(facilities):
        covered[sp.csr_matrix(engine.reach(facilities, rule)).indices] = True
    return covered


def grid_share_covered(engine: CoverageEngine, covered: npt.ArrayLike) -> pd.Series:
    """Covered share of every grid's residents, from a coverage mask over demand units.

    Parameters
    ----------
    engine
        Coverage engine of the district.
    covered
        Boolean mask over ``engine.demand``, e.g. from :func:`covered_demand`.

    Returns
    -------
    pandas.Series
        Share in [0, 1] indexed by ``grid_id`` (NaN for grids without residents), ready
        for :func:`geo.analysis.candidates.candidate_sites`.
    """
    table = DemandIndex(engine.demand).per_grid(np.asarray(covered, dtype=bool))
    return table.set_index("grid_id")["share_covered"]


def _siting_inputs(
    engine: CoverageEngine,
    candidates: gpd.GeoDataFrame,
    rule: ServiceRule,
    facilities: gpd.GeoDataFrame | None,
    covered: npt.ArrayLike | None,
) -> tuple[DemandIndex, sp.csr_matrix, npt.NDArray[np.bool_]]:
    """Demand, candidate coverage and the already covered mask of a siting run."""
    if facilities is not None and covered is not None:
        msg = "give either `facilities` or `covered`, not both"
        raise AnalysisError(msg)
    missing = [c for c in ("candidate_id", "name") if c not in candidates.columns]
    if missing or candidates.empty:
        msg = (
            f"candidates need rows with `candidate_id` and `name`; got {len(candidates)} "
            f"rows with columns {list(candidates.columns)}; build them with "
            "geo.analysis.candidates.candidate_sites"
        )
        raise AnalysisError(msg)
    demand = DemandIndex(engine.demand)
    reach = sp.csr_matrix(engine.reach(candidates, rule), dtype=bool)
    if covered is not None:
        covered_mask = np.asarray(covered, dtype=bool).ravel()
    elif facilities is not None:
        covered_mask = covered_demand(engine, facilities, rule)
    else:
        covered_mask = np.zeros(len(demand), dtype=bool)
    return demand, reach, covered_mask


def _suggestions(
    engine: CoverageEngine,
    demand: DemandIndex,
    candidates: gpd.GeoDataFrame,
    reach: sp.csr_matrix,
    covered: npt.NDArray[np.bool_],
    solution: CoverSolution,
    rule: ServiceRule,
    *,
    k: int | None = None,
    target: float | None = None,
) -> SiteSuggestions:
    """Turn a matrix-level answer into sites, grids served and a summary."""
    matrix = sp.csr_matrix(reach, dtype=bool)
    matrix.eliminate_zeros()
    now_covered = covered.copy()
    served_rows: list[pd.DataFrame] = []
    grids_served: list[str] = []
    for rank, row in enumerate(solution.selected, start=1):
        cols = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]
        added = np.zeros(len(demand), dtype=bool)
        added[cols[~now_covered[cols]]] = True
        now_covered |= added
        per_grid = demand.grid_sums(added)
        order = np.flatnonzero(per_grid > 0)
        order = order[np.argsort(-per_grid[order], kind="stable")]
        grids_served.append(";".join(str(g) for g in demand.grid_ids[order]))
        served_rows.append(
            pd.DataFrame(
                {
                    "rank": rank,
                    "candidate_id": str(candidates["candidate_id"].iloc[row]),
                    "grid_id": demand.grid_ids[order],
                    "residents_added": per_grid[order],
                }
            )
        )
    chosen = candidates.iloc[list(solution.selected)]
    gains = np.asarray(solution.gains, dtype=float)
    sites = gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(chosen) + 1),
            "candidate_id": chosen["candidate_id"].astype(str).to_numpy(),
            "name": chosen["name"].astype(str).to_numpy(),
            "kind": chosen["kind"].to_numpy() if "kind" in chosen.columns else None,
            "residents_added": gains,
            "residents_covered_after": solution.residents_covered_before + np.cumsum(gains),
            "grids_served": grids_served,
            "n_grids_served": [len(g.split(";")) if g else 0 for g in grids_served],
        },
        geometry=chosen.geometry.to_numpy(),
        crs=chosen.crs,
    ).to_crs("EPSG:4326")
    served = (
        pd.concat(served_rows, ignore_index=True)
        if served_rows
        else pd.DataFrame(columns=["rank", "candidate_id", "grid_id", "residents_added"])
    )
    left_out = demand.grid_sums(solution.unreachable)
    order = np.flatnonzero(left_out > 0)
    order = order[np.argsort(-left_out[order], kind="stable")]
    unreachable = pd.DataFrame(
        {"grid_id": demand.grid_ids[order], "residents_unreachable": left_out[order]}
    )
    total = solution.residents_total
    summary: dict[str, Any] = {
        "problem": solution.problem,
        "rule": rule.label,
        "candidates": len(candidates),
        "residents_total": total,
        "residents_covered_before": solution.residents_covered_before,
        "residents_covered_after": solution.residents_covered_after,
        "share_covered_before": solution.residents_covered_before / total if total else None,
        "share_covered_after": solution.residents_covered_after / total if total else None,
        "residents_added": solution.residents_added,
        "residents_unreachable": solution.residents_unreachable,
        "sites": len(solution.selected),
        "method": solution.method,
        "optimal": solution.optimal,
        "optimality_gap": solution.optimality_gap,
        "gap_is_bound": solution.gap_is_bound,
        "greedy_objective": solution.greedy_objective,
        "exact_objective": solution.exact_objective,
        "exact_status": solution.exact_status,
        "bound": solution.bound,
        "target_met": solution.target_met,
        "solve_seconds": dict(solution.solve_seconds),
        "approximate": bool(engine.network.approximate),
    }
    if k is not None:
        summary["k"] = k
    if target is not None:
        summary["target"] = target
    return SiteSuggestions(sites, served, unreachable, summary, solution)


def _validate(
    reach: sp.spmatrix | sp.sparray,
    residents: npt.ArrayLike,
    covered: npt.ArrayLike | None,
    *,
    method: str,
) -> tuple[sp.csr_matrix, npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Check a covering instance and return it as clean arrays."""
    if method not in ("greedy", "exact", "auto"):
        msg = f"method must be one of 'greedy', 'exact', 'auto'; got {method!r}"
        raise AnalysisError(msg)
    matrix = sp.csr_matrix(reach, dtype=bool)
    matrix.eliminate_zeros()
    matrix.sort_indices()
    weights = np.asarray(residents, dtype=np.float64).ravel()
    if weights.shape[0] != matrix.shape[1]:
        msg = (
            f"the coverage matrix has {matrix.shape[1]} demand columns but {weights.shape[0]} "
            "residents were given; pass one residents figure per demand unit"
        )
        raise AnalysisError(msg)
    if not np.isfinite(weights).all() or (weights < 0).any():
        msg = "residents must be finite and non-negative; got negative or missing values"
        raise AnalysisError(msg)
    if covered is None:
        covered_mask = np.zeros(weights.shape[0], dtype=bool)
    else:
        covered_mask = np.asarray(covered, dtype=bool).ravel()
        if covered_mask.shape[0] != weights.shape[0]:
            msg = (
                f"`covered` has {covered_mask.shape[0]} entries for {weights.shape[0]} "
                "demand units; pass one flag per demand unit"
            )
            raise AnalysisError(msg)
    return matrix, weights, covered_mask


def _gap(difference: float, reference: float) -> float:
    """A relative gap, 0 when the reference is 0."""
    return max(difference, 0.0) / reference if reference > 0 else 0.0


def _reached(matrix: sp.csr_matrix) -> npt.NDArray[np.int64]:
    """How many candidates reach every demand unit."""
    return np.bincount(matrix.indices, minlength=matrix.shape[1])


def _rank(
    matrix: sp.csr_matrix,
    remaining: npt.NDArray[np.float64],
    rows: tuple[int, ...],
) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Order chosen rows by marginal gain (greedy among them); drop rows adding nobody."""
    covered = np.zeros(remaining.shape[0], dtype=bool)
    left = list(rows)
    ranked: list[int] = []
    gains: list[float] = []
    while left:
        best_gain, best_row = 0.0, -1
        for row in left:
            cols = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]
            gain = float(remaining[cols[~covered[cols]]].sum())
            if gain > best_gain:
                best_gain, best_row = gain, row
        if best_row < 0:
            break
        covered[matrix.indices[matrix.indptr[best_row] : matrix.indptr[best_row + 1]]] = True
        ranked.append(best_row)
        gains.append(best_gain)
        left.remove(best_row)
    return tuple(ranked), tuple(gains)
