"""Benchmark: what one district costs, and the batch's speed-up over running them in turn.

Run ``python -m bench.batch`` (approximate mode on the bundled scenarios) or
``python -m bench.batch --osm FILE.osm.pbf --bbox W,S,E,N`` (also districts on the real
streets of that extract inside the box, lon/lat degrees EPSG:4326). Progress goes to
stderr; the report and the closing machine-readable lines go to stdout. Figures are wall
clock (``time.perf_counter``) and peak resident memory (``ru_maxrss``) of fresh
processes; see ``docs/scale.md`` for a run and what it projects to.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import logging
import multiprocessing
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

logger = logging.getLogger("bench.batch")

#: Central Heidelberg (lon/lat), about 9 x 7 km, for the Heidelberg extract.
HEIDELBERG_BBOX = (8.62, 49.37, 8.74, 49.43)
#: Facilities per layer of a generated district (the Jingkou counts).
_COUNTS = {"station": 160, "centre": 25, "rest_point": 100}
_GRIDS = 295


@dataclass(frozen=True)
class Run:
    """One measured run in a fresh process."""

    seconds: float
    import_seconds: float
    rss_after_import_mb: float
    peak_rss_mb: float
    districts: int
    #: Per district: walking-network nodes (0 in approximate mode) and task seconds.
    costs: tuple[tuple[int, float], ...]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _serial(sources: Sequence[str], out_dir: str, options_json: str) -> Run:
    """In a fresh process: import the project, then analyse the districts one by one."""
    start = time.perf_counter()
    from api.cli._batch_files import WRITERS
    from geo.batch import BatchOptions, DistrictSummary, district_task

    imported = time.perf_counter()
    rss_import = _rss_mb()
    options = BatchOptions(**json.loads(options_json), writers=WRITERS)
    costs = []
    for source in sources:
        outcome = district_task(source, out_dir, options)
        if not isinstance(outcome, DistrictSummary):
            raise RuntimeError(f"{source}: {outcome}")
        summary = json.loads((Path(outcome.folder) / "summary.json").read_text("utf-8"))
        nodes = 0 if outcome.approximate else int(summary["network"]["nodes"])
        costs.append((nodes, outcome.seconds))
    end = time.perf_counter()
    return Run(end - imported, imported - start, rss_import, _rss_mb(), len(sources), tuple(costs))


def fresh_process_run(sources: Sequence[str], out_dir: Path, options: dict[str, object]) -> Run:
    """Run :func:`_serial` in a new interpreter (spawned), so memory and imports start cold."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_serial, list(sources), str(out_dir), json.dumps(options)).result()


@dataclass(frozen=True)
class BatchRun:
    """One measured batch: cluster start, the districts, the city outputs."""

    start_seconds: float
    districts_seconds: float
    city_seconds: float
    task_seconds: tuple[float, ...]
    page_mib: float

    @property
    def total(self) -> float:
        """Wall seconds of the whole batch."""
        return self.start_seconds + self.districts_seconds + self.city_seconds


def _import_project() -> None:
    import api.cli._batch_files  # noqa: F401  (what a district task imports)


def batch_run(
    sources: Sequence[str], out_dir: Path, options: dict[str, object], workers: int
) -> BatchRun:
    """``circles batch`` in three timed parts.

    The start (a ``LocalCluster`` of process workers that have imported the project),
    the districts on it, and the city outputs (tables, ranking, PNG and HTML maps).
    """
    from distributed import Client, LocalCluster

    from api.cli._batch_files import WRITERS, write_city_map
    from geo.batch import BatchOptions, run_batch, write_city_outputs

    chosen = BatchOptions(**options, writers=WRITERS)  # type: ignore[arg-type]
    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        client.run(_import_project)
        started = time.perf_counter()
        result = run_batch(
            list(sources), out_dir, options=chosen, scheduler=cluster.scheduler_address,
            progress=False,
        )  # fmt: skip
        done = time.perf_counter()
    if not result.ok:
        raise RuntimeError(f"batch failed: {result.failures}")
    # run_batch wrote the city files already; write them again to time them apart.
    city_start = time.perf_counter()
    write_city_outputs(out_dir, result.districts, options=chosen)
    outputs = time.perf_counter() - city_start
    page = write_city_map(out_dir / "map.html", result)
    city = time.perf_counter() - city_start
    return BatchRun(
        start_seconds=started - start,
        districts_seconds=done - started - outputs,
        city_seconds=city,
        task_seconds=tuple(d.seconds for d in result.districts),
        page_mib=page.stat().st_size / 2**20,
    )


def _batch_line(label: str, run: BatchRun) -> str:
    return (
        f"{label}: {run.total:.1f} s in all = cluster start with imports "
        f"{run.start_seconds:.1f} s + districts {run.districts_seconds:.1f} s + city outputs "
        f"{run.city_seconds:.1f} s (map.html {run.page_mib:.1f} MiB); tasks "
        f"{statistics.median(run.task_seconds):.2f} s median, {sum(run.task_seconds):.1f} s summed"
    )


def alternate(
    sources: Sequence[str],
    root: Path,
    options: dict[str, object],
    *,
    workers: int,
    rounds: int,
) -> tuple[Run, BatchRun]:
    """Serial run, then batch, ``rounds`` times (fresh folders and caches); the best of each.

    Alternating and keeping the fastest of each side evens out the load that other
    programs put on a shared machine.
    """
    serials, batches = [], []
    for i in range(rounds):
        serials.append(
            fresh_process_run(
                sources, root / f"serial-{i}", {**options, "cache_folder": str(root / f"cs{i}")}
            )
        )
        batches.append(
            batch_run(
                sources,
                root / f"batch-{i}",
                {**options, "cache_folder": str(root / f"cb{i}")},
                workers,
            )
        )
    return (
        min(serials, key=lambda run: run.seconds + run.import_seconds),
        min(batches, key=lambda run: run.total),
    )


def _compare(
    label: str, workers: int, serial: Run, batch: BatchRun, closing: dict[str, float], key: str
) -> list[str]:
    """Report lines of a serial run against a batch of the same districts."""
    whole = (serial.seconds + serial.import_seconds) / batch.total
    districts = serial.seconds / batch.districts_seconds
    closing[f"speedup_whole_{key}"] = whole
    closing[f"speedup_districts_{key}"] = districts
    return [
        _line(f"serial, {label}", serial),
        _batch_line(f"batch, {label} on {workers} workers", batch),
        f"speed-up, whole runs (serial with imports / batch with cluster start and city "
        f"outputs): {whole:.2f}x",
        f"speed-up, districts alone (serial loop / batch districts): {districts:.2f}x",
    ]


def copies(source: Path, root: Path, count: int) -> list[str]:
    """``count`` copies of a scenario folder under ``root`` (d01, d02, ...)."""
    folders = []
    for i in range(count):
        target = root / f"d{i + 1:02d}"
        shutil.copytree(source, target)
        folders.append(str(target))
    return folders


def street_district(folder: Path, bbox: tuple[float, float, float, float], seed: int) -> Path:
    """Write a generated district inside ``bbox``: 295 Voronoi grids, Jingkou's facility counts.

    Populations are 300-6,000 per grid (random, fixed seed); facilities are random points.
    """
    rng = np.random.default_rng(seed)
    box = shapely.box(*bbox)
    outline = gpd.GeoDataFrame({"name": [folder.name], "adcode": [None]}, geometry=[box], crs=4326)
    metric_crs = outline.estimate_utm_crs()
    metric_box = outline.to_crs(metric_crs).geometry.iloc[0]
    minx, miny, maxx, maxy = metric_box.bounds
    seeds = shapely.points(rng.uniform(minx, maxx, _GRIDS), rng.uniform(miny, maxy, _GRIDS))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=metric_box)
    )
    cells = shapely.intersection(cells, metric_box)
    grids = gpd.GeoDataFrame(
        {
            "grid_id": [f"G{i:03d}" for i in range(len(cells))],
            "name": [f"grid {i}" for i in range(len(cells))],
            "population": rng.integers(300, 6000, len(cells)),
            "demo": True,
        },
        geometry=cells,
        crs=metric_crs,
    ).to_crs(4326)

    def points(kind: str, count: int) -> gpd.GeoDataFrame:
        lon = rng.uniform(bbox[0], bbox[2], count)
        lat = rng.uniform(bbox[1], bbox[3], count)
        frame = gpd.GeoDataFrame(
            {
                "facility_id": [f"{kind}-{i}" for i in range(count)],
                "name": [f"{kind} {i}" for i in range(count)],
                "demo": True,
            },
            geometry=shapely.points(lon, lat),
            crs=4326,
        )
        if kind != "rest_point":
            frame["kind"] = kind
        return frame

    folder.mkdir(parents=True)
    outline.to_file(folder / "boundary.geojson", driver="GeoJSON")
    grids.to_file(folder / "grids.geojson", driver="GeoJSON")
    stations = pd.concat(
        [points("station", _COUNTS["station"]), points("centre", _COUNTS["centre"])]
    )
    gpd.GeoDataFrame(stations, crs=4326).to_file(folder / "stations.geojson", driver="GeoJSON")
    points("rest_point", _COUNTS["rest_point"]).to_file(
        folder / "rest_points.geojson", driver="GeoJSON"
    )
    return folder


def tiles(
    bbox: tuple[float, float, float, float], count: int
) -> list[tuple[float, float, float, float]]:
    """``count`` boxes side by side across ``bbox`` (west to east)."""
    west, south, east, north = bbox
    step = (east - west) / count
    return [(west + i * step, south, west + (i + 1) * step, north) for i in range(count)]


def _line(label: str, run: Run) -> str:
    per = run.seconds / run.districts
    return (
        f"{label}: {run.seconds:.1f} s for {run.districts} district(s) ({per:.2f} s each) "
        f"+ {run.import_seconds:.1f} s imports; peak RSS {run.peak_rss_mb:.0f} MiB "
        f"({run.rss_after_import_mb:.0f} MiB after imports)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.batch", description=__doc__)
    parser.add_argument("--osm", type=Path, default=None, help="an .osm.pbf extract")
    parser.add_argument(
        "--bbox",
        default=",".join(map(str, HEIDELBERG_BBOX)),
        help="W,S,E,N lon/lat of the street districts (default: central Heidelberg)",
    )
    parser.add_argument("--districts", type=int, default=6, help="districts per batch")
    parser.add_argument("--street-districts", type=int, default=4, help="districts on streets")
    parser.add_argument("--workers", type=int, default=2, help="process workers of the batch")
    parser.add_argument("--repeats", type=int, default=3, help="single-district repeats")
    parser.add_argument("--rounds", type=int, default=2, help="serial/batch alternations")
    parser.add_argument("--scenario", default="jingkou", help="bundled scenario to copy")
    args = parser.parse_args(argv)
    import distributed  # its import configures its loggers; quieten them after it

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger(distributed.__name__).setLevel(logging.ERROR)
    from geo import settings

    root = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    lines = [f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start"]
    closing: dict[str, float] = {}
    try:
        scenario = Path(settings.data_folder) / "scenarios" / args.scenario
        approx = {"cache_folder": str(root / "cache-none"), "download": False}
        print("single district, approximate mode ...", file=sys.stderr)
        single = [
            fresh_process_run([str(scenario)], root / f"one-{i}", approx)
            for i in range(args.repeats)
        ]
        best = min(single, key=lambda run: run.seconds)
        lines.append(
            _line(f"one district, approximate ({args.scenario}), best of {args.repeats}", best)
        )
        lines.append(
            "  median "
            f"{statistics.median(run.seconds for run in single):.2f} s, peak RSS "
            f"{statistics.median(run.peak_rss_mb for run in single):.0f} MiB"
        )
        closing["district_seconds_approximate"] = best.seconds
        closing["district_peak_rss_mb_approximate"] = best.peak_rss_mb

        sources = copies(scenario, root / "approx", args.districts)
        label = f"{args.districts} approximate districts, best of {args.rounds}"
        print(f"{label}: serial, then batch ...", file=sys.stderr)
        serial, batch = alternate(
            sources, root / "approx-runs", approx, workers=args.workers, rounds=args.rounds
        )
        lines += _compare(label, args.workers, serial, batch, closing, "approximate")
        closing["city_outputs_seconds_per_district"] = batch.city_seconds / args.districts
        closing["city_map_mib_per_district"] = batch.page_mib / args.districts

        if args.osm is not None:
            bbox = tuple(float(v) for v in args.bbox.split(","))
            if len(bbox) != 4:
                parser.error(f"--bbox takes W,S,E,N in lon/lat degrees; got {args.bbox!r}")
            streets = {"osm": str(args.osm.resolve()), "download": False}
            boxes = tiles(bbox, args.street_districts)  # type: ignore[arg-type]
            whole = str(street_district(root / "streets" / "whole", bbox, seed=99))  # type: ignore[arg-type]
            folders = [
                str(street_district(root / "streets" / f"s{i + 1:02d}", box, seed=i))
                for i, box in enumerate(boxes)
            ]
            print("one district on real streets, cold and cached network ...", file=sys.stderr)
            cold = fresh_process_run(
                [whole], root / "s-cold", {**streets, "cache_folder": str(root / "c1")}
            )
            warm = fresh_process_run(
                [whole], root / "s-warm", {**streets, "cache_folder": str(root / "c1")}
            )
            network = json.loads((root / "s-cold" / "whole" / "summary.json").read_text())[
                "network"
            ]
            lines += [
                f"street district: {network['nodes']:,} nodes, {network['edges']:,} edges, "
                f"{network['km']:,} km ({network['source']}), box {bbox}",
                _line("one district on streets, network built from the extract", cold),
                _line("one district on streets, network from the cache", warm),
            ]
            closing["district_seconds_streets_cold"] = cold.seconds
            closing["district_seconds_streets_cached"] = warm.seconds
            closing["district_peak_rss_mb_streets"] = max(cold.peak_rss_mb, warm.peak_rss_mb)
            label = f"{len(folders)} street districts (networks built), best of {args.rounds}"
            print(f"{label}: serial, then batch ...", file=sys.stderr)
            serial_streets, streets_batch = alternate(
                folders, root / "street-runs", streets, workers=args.workers, rounds=args.rounds
            )
            lines += _compare(
                label, args.workers, serial_streets, streets_batch, closing, "streets"
            )
            points = [*serial_streets.costs, *cold.costs]
            slope, intercept = np.polyfit([n for n, _ in points], [t for _, t in points], 1)
            lines += [
                "street districts (nodes, seconds): "
                + ", ".join(f"({n:,}, {t:.1f})" for n, t in points),
                f"cost model, least squares: {intercept:.1f} s + {1000 * slope:.2f} ms x nodes; "
                f"memory {cold.rss_after_import_mb:.0f} MiB + "
                f"{(cold.peak_rss_mb - cold.rss_after_import_mb) * 1024 / cold.costs[0][0]:.1f}"
                " KiB x nodes (all of the street district's memory past the imports)",
            ]
            closing["seconds_per_1000_nodes"] = 1000 * slope
    finally:
        shutil.rmtree(root, ignore_errors=True)
    lines.append(f"load average {os.getloadavg()[0]:.1f} at the end")
    print("\n".join(lines))
    print()
    for key, value in closing.items():
        print(f"{key}: {value:.3f}")


if __name__ == "__main__":
    main()
