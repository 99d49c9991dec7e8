"""Benchmark: the project's coverage engine against the plain osmnx approach and pandana.

Run ``python -m bench`` (a synthetic street lattice of 50,625 nodes) or
``python -m bench --osm FILE.osm.pbf`` (that file's walking graph, unsimplified).
Progress goes to stderr; the report and the closing machine-readable lines go to stdout.
See ``bench/README.md`` for what is compared.
"""

from __future__ import annotations

import argparse
import gc
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from tqdm.auto import tqdm

from bench._baseline import BaselineLayer, baseline_analysis
from bench._graphs import BenchInputs, bench_inputs, graph_from_osm, node_lonlat, synthetic_lattice
from bench._nearest import compare_nearest
from bench._reference import exact_service_area
from bench._scaling import ScalingRow, scaling_rows
from geo import settings
from geo.analysis import (
    DEFAULT_RULES,
    CoverageEngine,
    LayerCoverage,
    NearestFacilities,
    WalkNetwork,
    network_from_graph,
)
from geo.analysis._netcache import save_arrays
from geo.analysis._paths import nearest_source
from geo.analysis._segments import STREET_QUAD_SEGS
from geo.analysis.service_areas import layer_areas

logger = logging.getLogger("bench")

T = TypeVar("T")

LAYERS = ("rest_points", "stations", "centres")


@dataclass(frozen=True)
class AreaFigures:
    """Areas summed over facilities, km2: the reference, and what an approach misses / adds."""

    reference_km2: float
    missed_km2: float
    extra_km2: float

    @property
    def missed_share(self) -> float:
        """Share of the reference area an approach leaves out."""
        return self.missed_km2 / self.reference_km2 if self.reference_km2 else 0.0

    @property
    def extra_share(self) -> float:
        """Area an approach covers beyond the reference, as a share of the reference."""
        return self.extra_km2 / self.reference_km2 if self.reference_km2 else 0.0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--osm", type=Path, help="OpenStreetMap .osm.pbf file to benchmark on")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--facilities-scale", type=float, default=1.0,
        help="multiply the 100/160/25 facilities by this (default 1)",
    )  # fmt: skip
    parser.add_argument(
        "--baseline-share",
        type=float,
        default=1.0,
        help="run the osmnx approach on this share of each layer's facilities and "
        "extrapolate its time per facility (default 1: run it in full)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats of fast parts")
    parser.add_argument("--points", type=int, default=10_000, help="nearest-facility queries")
    parser.add_argument("-k", type=int, default=1, help="nearest facilities per query point")
    parser.add_argument(
        "--scaling", default="100,1000,5000",
        help="facility counts of the scaling table, comma-separated; 'none' skips it",
    )  # fmt: skip
    return parser.parse_args(argv)


def _timed(func: Callable[[], T]) -> tuple[float, float, T]:
    """Wall-clock and CPU seconds of one call, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def project_analysis(network: WalkNetwork, inputs: BenchInputs) -> dict[str, LayerCoverage]:
    """The project's full three-layer analysis: service areas, unions, grid coverage."""
    engine = CoverageEngine(network, inputs.grids, progress=False)
    return {
        layer: engine.layer_coverage(inputs.facilities[layer], DEFAULT_RULES[layer])
        for layer in LAYERS
    }


def search_floor(network: WalkNetwork, inputs: BenchInputs) -> float:
    """CPU seconds of the three layers' multi-source searches alone (facilities snapped)."""
    arrays = network.require_arrays()
    snaps = []
    for layer in LAYERS:
        x, y = network.points_to_metric(inputs.facilities[layer])
        snaps.append(network.snap(x, y))
    cpu = time.process_time()
    for snapped in snaps:
        nearest_source(arrays, snapped)
    return time.process_time() - cpu


def _scaling(
    network: WalkNetwork, inputs: BenchInputs, counts: str, *, seed: int
) -> list[ScalingRow]:
    if counts.strip().lower() == "none":
        return []
    wanted = tuple(int(c) for c in counts.split(",") if c.strip())
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "network.npz"
        save_arrays(
            cache, network.require_arrays(), network.pieces, network.crs,
            width=settings.street_buffer_m, quad_segs=STREET_QUAD_SEGS,
        )  # fmt: skip
        grids = Path(folder) / "grids.gpkg"
        inputs.grids.to_file(grids, driver="GPKG")
        logger.info("facility scaling: %s facilities, one process each", counts)
        return scaling_rows(cache, grids, wanted, seed=seed)


def _check_reached(
    network: WalkNetwork,
    inputs: BenchInputs,
    baseline: dict[str, BaselineLayer],
    reference: dict[str, list[dict[int, float]]],
) -> tuple[int, int, int, float]:
    """Compare reached node sets: project, osmnx ego_graph, networkx reference.

    Returns
    -------
    tuple
        Facilities compared with the osmnx approach whose sets are equal, facilities
        compared, reached nodes in all, and the largest metres difference between the
        project's and networkx's distances.
    """
    equal = compared = nodes = 0
    max_diff = 0.0
    for layer in LAYERS:
        areas = layer_areas(network, inputs.facilities[layer], DEFAULT_RULES[layer], progress=False)
        assert areas.distances is not None
        node_ids = areas.distances.node_ids
        for i, (rows, metres) in enumerate(
            zip(areas.distances.reached, areas.distances.reached_m, strict=True)
        ):
            project = dict(zip(node_ids[rows].tolist(), metres.tolist(), strict=True))
            exact = reference[layer][i]
            nodes += len(project)
            if set(project) != set(exact):
                logger.warning(
                    "%s facility %d: project reaches %d nodes, networkx %d",
                    layer, i, len(project), len(exact),
                )  # fmt: skip
            else:
                max_diff = max(
                    max_diff, max((abs(project[n] - exact[n]) for n in project), default=0.0)
                )
            if i < len(baseline[layer].reached):
                compared += 1
                equal += set(project) == baseline[layer].reached[i]
    return equal, compared, nodes, max_diff


def _area_figures(polygons: list[BaseGeometry], reference: list[BaseGeometry]) -> AreaFigures:
    ref = np.asarray(reference, dtype=object)
    got = np.asarray(polygons, dtype=object)
    ref = ref[: len(got)]
    return AreaFigures(
        reference_km2=float(shapely.area(ref).sum()) / 1e6,
        missed_km2=float(shapely.area(shapely.difference(ref, got)).sum()) / 1e6,
        extra_km2=float(shapely.area(shapely.difference(got, ref)).sum()) / 1e6,
    )


def _sum_figures(figures: list[AreaFigures]) -> AreaFigures:
    return AreaFigures(
        reference_km2=sum(f.reference_km2 for f in figures),
        missed_km2=sum(f.missed_km2 for f in figures),
        extra_km2=sum(f.extra_km2 for f in figures),
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its report."""
    args = _parse(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s"
    )
    settings.progress = False
    if args.osm is not None:
        logger.info("reading %s with pyrosm (unsimplified walking graph)", args.osm)
        graph = graph_from_osm(args.osm)
        label = f"{args.osm.name} walking graph (pyrosm, unsimplified)"
    else:
        logger.info("building the synthetic street lattice")
        graph = synthetic_lattice(seed=args.seed)
        label = "synthetic lattice 225 x 225, 80 m blocks, 6% of links removed"
    # The graph (millions of Python objects) stays alive for the osmnx approach; keep the
    # garbage collector from walking it again and again while either approach runs.
    gc.freeze()
    inputs = bench_inputs(
        graph, label=label, seed=args.seed, query_points=args.points,
        facilities_scale=args.facilities_scale,
    )  # fmt: skip
    limits = {layer: DEFAULT_RULES[layer].max_metres for layer in LAYERS}
    width = settings.street_buffer_m

    # (a) the project, on a freshly built network each repeat (cold), then once warm
    network_s: list[float] = []
    cold_s: list[float] = []
    cold_cpu: list[float] = []
    coverage: dict[str, LayerCoverage] = {}
    for repeat in range(args.repeats):
        seconds, _, network = _timed(partial(network_from_graph, graph))
        network_s.append(seconds)
        seconds, cpu, coverage = _timed(partial(project_analysis, network, inputs))
        cold_s.append(seconds)
        cold_cpu.append(cpu)
        logger.info("project analysis, repeat %d: %.3f s (CPU %.3f s)", repeat + 1, seconds, cpu)
    warm_s = min(_timed(partial(project_analysis, network, inputs))[0] for _ in range(args.repeats))
    project_s = min(cold_s)
    project_cpu = statistics.median(cold_cpu)
    floor_cpu = min(search_floor(network, inputs) for _ in range(args.repeats))
    scaling = _scaling(network, inputs, args.scaling, seed=args.seed)

    # (a) the osmnx approach
    share = min(max(args.baseline_share, 0.0), 1.0)
    subset = {
        layer: frame.iloc[: max(1, round(len(frame) * share))]
        for layer, frame in inputs.facilities.items()
    }
    n_subset = sum(len(f) for f in subset.values())
    n_all = sum(len(f) for f in inputs.facilities.values())
    logger.info("osmnx approach: %d isochrones", n_subset)
    with tqdm(total=n_subset, desc="osmnx approach", unit="isochrone", file=sys.stderr) as bar:
        baseline_run_s, baseline_cpu, baseline = _timed(
            partial(
                baseline_analysis,
                graph,
                subset,
                inputs.grids,
                limits,
                width_m=width,
                speed_kmh=settings.walk_speed_kmh,
                on_facility=partial(bar.update, 1),
            )
        )
    extrapolated = n_subset < n_all
    scale = n_all / n_subset if extrapolated else 1.0
    baseline_s = baseline_run_s * scale

    # (b) the exact reference
    reference_sets: dict[str, list[dict[int, float]]] = {}
    reference_polygons: dict[str, list[BaseGeometry]] = {}
    with tqdm(total=n_all, desc="exact reference", unit="facility", file=sys.stderr) as bar:
        for layer in LAYERS:
            reference_sets[layer], reference_polygons[layer] = [], []
            for node in inputs.facilities[layer]["node"]:
                reached, polygon = exact_service_area(graph, node, limits[layer], width_m=width)
                reference_sets[layer].append(reached)
                reference_polygons[layer].append(polygon)
                bar.update(1)
    equal, compared, reached_nodes, max_diff = _check_reached(
        network, inputs, baseline, reference_sets
    )
    crs = graph.graph["crs"]
    project_areas = {
        layer: _area_figures(
            list(gpd.GeoSeries(coverage[layer].service_areas.geometry).to_crs(crs)),
            reference_polygons[layer],
        )
        for layer in LAYERS
    }
    union_areas = {
        layer: _area_figures(
            list(gpd.GeoSeries([coverage[layer].union], crs=4326).to_crs(crs)),
            [shapely.union_all(np.asarray(reference_polygons[layer], dtype=object))],
        )
        for layer in LAYERS
    }
    baseline_areas = {
        layer: _area_figures(baseline[layer].polygons, reference_polygons[layer])
        for layer in LAYERS
    }

    # (c) batch nearest facility
    logger.info("nearest facility: %d points, k=%d (pandana builds its network first)",
                args.points, args.k)  # fmt: skip
    nearest_layer = "rest_points"
    near = compare_nearest(
        network, graph, inputs.facilities[nearest_layer], inputs.query_nodes,
        node_lonlat(graph, inputs.query_nodes), k=args.k, repeats=args.repeats,
    )  # fmt: skip
    routes = NearestFacilities(network, inputs.facilities[nearest_layer])
    route_lon, route_lat = node_lonlat(graph, inputs.query_nodes[:100])
    started = time.perf_counter()
    for a, b in zip(route_lon, route_lat, strict=True):
        routes.query(a, b, k=3)
    route_s = time.perf_counter() - started

    stats = network.stats()
    speedup = baseline_s / project_s
    speedup_cpu = baseline_cpu * scale / project_cpu
    union_total = _sum_figures(list(union_areas.values()))
    project_total = _sum_figures(list(project_areas.values()))
    baseline_total = _sum_figures(list(baseline_areas.values()))
    lines = [
        f"graph: {label}",
        f"  {int(stats['nodes']):,} nodes, {int(stats['edges']):,} streets, "
        f"{stats['km']:,.0f} km; CRS {crs}",
        "  facilities (random nodes, seed {}): {}; {} Voronoi grids with random residents".format(
            args.seed,
            ", ".join(
                f"{layer} {len(inputs.facilities[layer])} ({DEFAULT_RULES[layer].label}, "
                f"{limits[layer]:g} m)"
                for layer in LAYERS
            ),
            len(inputs.grids),
        ),
        f"  street-side width {width:g} m; walking speed {settings.walk_speed_kmh:g} km/h",
        "",
        "(a) full three-layer analysis: service areas + unions + grid coverage",
        f"  project, fresh network each run, best of {args.repeats}: {project_s:.3f} s "
        f"(runs: {', '.join(f'{s:.3f}' for s in cold_s)})",
        f"  project, same network again (its caches warm), best of {args.repeats}: {warm_s:.3f} s",
        f"  project network preparation from the networkx graph (once per graph, in neither "
        f"figure): {min(network_s):.3f} s",
        (
            f"  osmnx approach, ran {n_subset} of {n_all} isochrones in {baseline_run_s:.1f} s, "
            f"EXTRAPOLATED per isochrone to {baseline_s:.1f} s"
            if extrapolated
            else f"  osmnx approach, one run: {baseline_s:.1f} s"
        ),
        f"  project CPU time, fresh network each run: median {project_cpu:.3f} s "
        f"(runs: {', '.join(f'{c:.3f}' for c in cold_cpu)}); osmnx approach CPU time "
        f"{baseline_cpu * scale:.1f} s",
        f"  speedup: {speedup:.1f}x (with the project's network preparation: "
        f"{baseline_s / (project_s + min(network_s)):.1f}x; warm: {baseline_s / warm_s:.1f}x; "
        f"by CPU time: {speedup_cpu:.1f}x)",
        f"  multi-source search floor (the three layers' searches alone, CPU, best of "
        f"{args.repeats}): {floor_cpu:.3f} s; analysis / floor: {project_cpu / floor_cpu:.1f}x",
        f"  reached node sets: {equal} of {compared} facilities equal to osmnx ego_graph's; "
        f"{reached_nodes:,} reached nodes in all, equal to networkx Dijkstra's, "
        f"max |metres difference| {max_diff:.2e}",
        "",
        "(b) service-area polygons vs the exact partial-edge reference (summed per facility)",
        f"  {'layer':<12}{'reference km2':>15}{'project missed':>16}{'project extra':>15}"
        f"{'osmnx missed':>14}{'osmnx extra':>13}",
    ]
    for layer in LAYERS:
        p, b = project_areas[layer], baseline_areas[layer]
        lines.append(
            f"  {layer:<12}{p.reference_km2:>15.2f}{p.missed_share:>16.3%}{p.extra_share:>15.3%}"
            f"{b.missed_share:>14.3%}{b.extra_share:>13.3%}"
        )
    lines.append(
        f"  {'all':<12}{project_total.reference_km2:>15.2f}{project_total.missed_share:>16.3%}"
        f"{project_total.extra_share:>15.3%}{baseline_total.missed_share:>14.3%}"
        f"{baseline_total.extra_share:>13.3%}"
    )
    if extrapolated:
        lines.append("  (osmnx columns: over the facilities it ran on)")
    lines += [
        "  each layer's service circle (the project's layer polygon vs the union of the "
        "reference areas):",
        f"  {'layer':<12}{'reference km2':>15}{'missed':>16}{'extra':>15}",
    ]
    for layer in LAYERS:
        u = union_areas[layer]
        lines.append(
            f"  {layer:<12}{u.reference_km2:>15.2f}{u.missed_share:>16.4%}{u.extra_share:>15.4%}"
        )
    lines.append(
        f"  {'all':<12}{union_total.reference_km2:>15.2f}{union_total.missed_share:>16.4%}"
        f"{union_total.extra_share:>15.4%}"
    )
    if scaling:
        base = scaling[0]
        lines += [
            "",
            f"(d) facility scaling: stations rule ({DEFAULT_RULES['stations'].label}), random "
            "nodes, one process per count reading the network from its binary cache",
            f"  {'facilities':>10}{'CPU s':>9}{'wall s':>9}{'x CPU of first':>16}"
            f"{'peak MiB':>10}{'network MiB':>13}",
        ]
        for row in scaling:
            lines.append(
                f"  {row.facilities:>10,}{row.cpu_s:>9.3f}{row.wall_s:>9.3f}"
                f"{row.cpu_s / base.cpu_s:>16.2f}{row.peak_mib:>10.0f}{row.network_mib:>13.0f}"
            )
    lines += [
        "",
        f"(c) nearest {nearest_layer} facility, {near.points:,} random node positions, k={near.k}, "
        "node to node (points and facilities stand on nodes)",
        f"  project: NearestFacilities {near.project_prepare_s:.3f} s + query_many "
        f"{near.project_query_s:.3f} s = {near.project_s:.3f} s (best of {args.repeats})",
        f"  pandana: set_pois + nearest_pois (maxdist {near.maxdist_m:g} m) + get_node_ids = "
        f"{near.pandana_s:.3f} s (best of {args.repeats}); its Network (contraction "
        f"hierarchy) took {near.pandana_network_s:.1f} s, in neither figure",
        f"  answers compared: {near.compared:,}, max |metres difference| "
        f"{near.max_abs_diff_m:.3f} m",
        f"  for reference, single queries with routes (k=3): "
        f"{1000 * route_s / len(route_lon):.1f} ms per point ({len(route_lon)} points)",
        "",
        f"speedup_vs_osmnx_full_analysis: {speedup:.1f}",
        f"speedup_by_cpu: {speedup_cpu:.1f}",
        f"search_floor_cpu_s: {floor_cpu:.4f}",
        f"analysis_vs_search_floor: {project_cpu / floor_cpu:.1f}",
        f"missed_area_share: {project_total.missed_share:.5f}",
        f"extra_area_share: {project_total.extra_share:.5f}",
        f"layer_missed_area_share: {union_total.missed_share:.5f}",
        f"layer_extra_area_share: {union_total.extra_share:.5f}",
        f"nearest_time_vs_pandana: {near.ratio:.3f}",
    ]
    if scaling:
        lines.append(f"facilities_{scaling[-1].facilities}_vs_{scaling[0].facilities}_cpu: "
                     f"{scaling[-1].cpu_s / scaling[0].cpu_s:.2f}")  # fmt: skip
        lines.append(f"scaling_peak_mib: {max(row.peak_mib for row in scaling):.0f}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
