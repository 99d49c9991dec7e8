"""Benchmark: clipping an extract to a district against reading the extract whole.

Run ``python -m bench.clip FILE.osm.pbf [--size-km 2] [--centre LON,LAT] [--calls]``.
Every way of getting the walking network of a square of ``--size-km`` around
``--centre`` (default: the median node of the file) runs in a fresh process, so that its
peak memory is its own:

- ``clip``: :func:`geo.analysis.extract.clip_extract` alone (boundary + 500 m);
- ``clip (before)``: the clip as it was before (``bench._clip_before``: one Python call
  per node on two passes), the baseline of the clip;
- ``clip, empty area`` and ``clip (before), empty area``: both clips of a square as
  large that holds nothing (the centre moved 20 degrees west): what streaming the file
  costs alone, the part that grows with a province; its seconds per node of the file
  give the province estimate;
- ``clip, then pyrosm``: what ``--osm`` does now: the clip, then pyrosm reading the
  clip with the square as its bounding box;
- ``whole, cut by pyrosm``: pyrosm reading the whole file with the square as its
  bounding box (what ``--osm`` did before);
- ``whole``: pyrosm reading the whole file, no bounding box;
- ``imports only``: the interpreter with the libraries loaded, the floor under the others.

Progress goes to stderr; the table and a closing JSON line go to stdout.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

MODES = (
    "imports only",
    "clip (before)",
    "clip",
    "clip (before), empty area",
    "clip, empty area",
    "clip, then pyrosm",
    "whole, cut by pyrosm",
    "whole",
)
CLIPS = ("clip (before)", "clip", "clip (before), empty area", "clip, empty area")

#: Nodes of a province extract (Jiangsu: about 100-200 million), for the estimate.
PROVINCE_NODES = 150_000_000


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _square(centre: tuple[float, float], size_km: float) -> Any:
    """A square of ``size_km`` around ``centre`` (lon/lat), as a lon/lat polygon."""
    import geopandas as gpd
    import shapely

    from geo.analysis.network import utm_crs

    crs = utm_crs(*centre)
    point = gpd.GeoSeries([shapely.Point(*centre)], crs=4326).to_crs(crs).iloc[0]
    half = size_km * 500.0
    box = shapely.box(point.x - half, point.y - half, point.x + half, point.y + half)
    return gpd.GeoSeries([box], crs=crs).to_crs(4326).iloc[0]


def _work(
    mode: str, path: Path, centre: tuple[float, float], size_km: float, *, calls: bool
) -> dict[str, Any]:
    """Run one mode in this process; its counts, seconds, CPU seconds and peak memory.

    With ``calls`` the mode runs under :mod:`cProfile` and its Python calls are counted
    (its times are then the profiler's, not reported).
    """
    import cProfile
    import pstats

    import pyrosm  # noqa: F401 (loaded in every mode, so that the floor is the same)

    from bench._clip_before import clip_extract_before
    from geo.analysis import network
    from geo.analysis.extract import EXTRACT_MARGIN_M, clip_extract

    if mode.endswith("empty area"):
        centre = (centre[0] - 20.0 if centre[0] > -160.0 else centre[0] + 20.0, centre[1])
    square = _square(centre, size_km)
    clip = clip_extract_before if mode.startswith("clip (before)") else clip_extract
    profile = cProfile.Profile() if calls else None
    began, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    figures: dict[str, Any] = {}
    if mode in CLIPS:
        with tempfile.TemporaryDirectory() as folder:
            area = network._with_margin(square, network._crs_for(square), EXTRACT_MARGIN_M)
            result = clip(path, area, Path(folder) / "clip.osm.pbf")
            figures = {"nodes": result.nodes, "ways": result.ways}
    elif mode == "clip, then pyrosm":
        with tempfile.TemporaryDirectory() as folder:
            area = network._with_margin(square, network._crs_for(square), EXTRACT_MARGIN_M)
            result = clip_extract(path, area, Path(folder) / "clip.osm.pbf")
            figures = _pyrosm_network(result.path, square)
    elif mode in ("whole, cut by pyrosm", "whole"):
        figures = _pyrosm_network(path, square if mode != "whole" else None)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    if profile is not None:
        profile.disable()
        figures["calls"] = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return {"mode": mode, "seconds": seconds, "cpu": cpu, "peak_mib": _peak_mib(), **figures}


def _pyrosm_network(path: Path, bounding_box: Any) -> dict[str, int]:
    """Node and edge counts of pyrosm's walking network of ``path``."""
    import pyrosm

    osm = pyrosm.OSM(str(path), bounding_box=bounding_box)
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    return {"nodes": len(nodes), "edges": len(edges)}


def _same_as_before(path: Path, centre: tuple[float, float], size_km: float) -> bool:
    """Whether the clip and the clip before write the same nodes (id, location) and ways."""
    import osmium

    from bench._clip_before import clip_extract_before
    from geo.analysis import network
    from geo.analysis.extract import EXTRACT_MARGIN_M, clip_extract

    square = _square(centre, size_km)
    area = network._with_margin(square, network._crs_for(square), EXTRACT_MARGIN_M)
    contents = []
    with tempfile.TemporaryDirectory() as folder:
        for clip in (clip_extract_before, clip_extract):
            written = clip(path, area, Path(folder) / "clip.osm.pbf").path
            contents.append(
                [
                    (thing.id, [ref.ref for ref in thing.nodes])
                    if thing.is_way()
                    else (thing.id, (thing.location.lon, thing.location.lat))
                    for thing in osmium.FileProcessor(str(written))
                ]
            )
    return contents[0] == contents[1]


def _nodes_and_median(path: Path) -> tuple[int, tuple[float, float]]:
    """The number of nodes of ``path`` and its median node (lon, lat)."""
    import osmium

    lons: list[float] = []
    lats: list[float] = []
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
        if node.location.valid():
            lons.append(node.location.lon)
            lats.append(node.location.lat)
    return len(lons), (float(np.median(lons)), float(np.median(lats)))


def _run(
    path: Path, mode: str, centre: tuple[float, float], size_km: float, *, profile: bool = False
) -> dict[str, Any]:
    """One run of ``mode`` in a fresh process (under cProfile with ``profile``)."""
    command = [sys.executable, "-m", "bench.clip", str(path), "--worker", mode]
    command += ["--centre", f"{centre[0]},{centre[1]}", "--size-km", str(size_km)]
    command += ["--profile"] if profile else []
    answer = subprocess.run(command, capture_output=True, text=True, check=True)
    row: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("osm", type=Path, help="an .osm.pbf extract")
    parser.add_argument("--size-km", type=float, default=2.0, help="side of the square, km")
    parser.add_argument("--centre", default=None, help="LON,LAT of the square's centre")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode (best is kept)")
    parser.add_argument(
        "--calls", action="store_true", help="also count the clips' Python calls (cProfile)"
    )
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        lon, lat = (float(part) for part in args.centre.split(","))
        row = _work(args.worker, args.osm, (lon, lat), args.size_km, calls=args.profile)
        print(json.dumps(row))
        return 0
    source_nodes, centre = _nodes_and_median(args.osm)
    if args.centre is not None:
        lon, lat = (float(part) for part in args.centre.split(","))
        centre = (lon, lat)
    size_mb = args.osm.stat().st_size / 2**20
    print(
        f"{args.osm.name} ({size_mb:.1f} MB), a {args.size_km:g} km square around "
        f"{centre[0]:.4f}, {centre[1]:.4f}; {source_nodes:,} nodes",
        file=sys.stderr,
    )
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    # the modes take turns, so that a busy spell of the machine spreads over all of them
    for run in range(args.repeat):
        for mode in MODES:
            print(f"  {mode}: run {run + 1}/{args.repeat}", file=sys.stderr)
            runs[mode].append(_run(args.osm, mode, centre, args.size_km))
    rows: dict[str, dict[str, Any]] = {}
    for mode, done in runs.items():
        best = min(done, key=lambda r: r["seconds"])
        best["cpu"] = min(r["cpu"] for r in done)
        best["peak_mib"] = min(r["peak_mib"] for r in done)
        rows[mode] = best
    if args.calls:
        for mode in CLIPS:
            print(f"  {mode}: counting Python calls", file=sys.stderr)
            counted = _run(args.osm, mode, centre, args.size_km, profile=True)
            rows[mode]["calls"] = counted["calls"]
    same = _same_as_before(args.osm, centre, args.size_km)
    floor = rows["imports only"]["peak_mib"]
    whole = rows["whole"]
    print(
        f"{'mode':<26} {'seconds':>8} {'CPU s':>7} {'peak MiB':>9} {'above floor':>12}"
        f" {'Python calls':>13}  counts"
    )
    for mode, row in rows.items():
        counts = ", ".join(f"{k} {row[k]:,}" for k in ("nodes", "ways", "edges") if k in row)
        calls = f"{row['calls']:,}" if "calls" in row else ""
        print(
            f"{mode:<26} {row['seconds']:>8.2f} {row['cpu']:>7.2f} {row['peak_mib']:>9.0f} "
            f"{row['peak_mib'] - floor:>12.0f} {calls:>13}  {counts}"
        )
    clipped = rows["clip, then pyrosm"]
    before, now = rows["clip (before)"], rows["clip"]
    empty_before, empty_now = rows["clip (before), empty area"], rows["clip, empty area"]
    ratios = {
        "time_clip_before_over_clip": before["seconds"] / now["seconds"],
        "cpu_clip_before_over_clip": before["cpu"] / now["cpu"],
        "memory_above_floor_clip_before_over_clip": max(before["peak_mib"] - floor, 1.0)
        / max(now["peak_mib"] - floor, 1.0),
        "cpu_empty_area_before_over_now": empty_before["cpu"] / empty_now["cpu"],
    }
    if args.calls:
        ratios["calls_clip_before_over_clip"] = before["calls"] / now["calls"]
        ratios["calls_empty_area_before_over_now"] = empty_before["calls"] / empty_now["calls"]
    ratios |= {
        "time_whole_over_clip_then_pyrosm": whole["seconds"] / clipped["seconds"],
        "memory_above_floor_whole_over_clip_then_pyrosm": (whole["peak_mib"] - floor)
        / max(clipped["peak_mib"] - floor, 1.0),
        "time_cut_by_pyrosm_over_clip_then_pyrosm": rows["whole, cut by pyrosm"]["seconds"]
        / clipped["seconds"],
        "memory_above_floor_cut_by_pyrosm_over_clip_then_pyrosm": (
            rows["whole, cut by pyrosm"]["peak_mib"] - floor
        )
        / max(clipped["peak_mib"] - floor, 1.0),
    }
    print(f"same_nodes_and_ways_as_before: {same}")
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}")
    # an estimate, not a measurement: the empty-area clip's seconds per node of this file
    # (the streaming the province adds), times the nodes of a province
    estimate = {
        "province_nodes": PROVINCE_NODES,
        "estimated_province_cpu_s_before": empty_before["cpu"] / source_nodes * PROVINCE_NODES,
        "estimated_province_cpu_s_now": empty_now["cpu"] / source_nodes * PROVINCE_NODES,
        "estimated_province_location_index_gib_now": 16 * PROVINCE_NODES / 2**30,
    }
    for name, value in estimate.items():
        print(f"{name} (ESTIMATE): {value:,.1f}")
    print(
        json.dumps(
            {
                "file": args.osm.name,
                "source_nodes": source_nodes,
                "size_km": args.size_km,
                "same_nodes_and_ways_as_before": same,
                "rows": rows,
                **ratios,
                **estimate,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
