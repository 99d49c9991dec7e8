"""Benchmark: clipping an extract to a district against reading the extract whole.

Run ``python -m bench.clip FILE.osm.pbf [--size-km 2] [--centre LON,LAT]``. Every way of
getting the walking network of a square of ``--size-km`` around ``--centre`` (default:
the median node of the file) runs in a fresh process, so that its peak memory is its own:

- ``clip``: :func:`geo.analysis.extract.clip_extract` alone (boundary + 500 m);
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

MODES = ("imports only", "clip", "clip, then pyrosm", "whole, cut by pyrosm", "whole")


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


def _work(mode: str, path: Path, centre: tuple[float, float], size_km: float) -> dict[str, Any]:
    """Run one mode in this process; its counts, seconds and peak memory."""
    import pyrosm  # noqa: F401 (loaded in every mode, so that the floor is the same)

    from geo.analysis import network
    from geo.analysis.extract import EXTRACT_MARGIN_M, clip_extract

    square = _square(centre, size_km)
    began = time.perf_counter()
    figures: dict[str, Any] = {}
    if mode == "clip":
        with tempfile.TemporaryDirectory() as folder:
            area = network._with_margin(square, network._crs_for(square), EXTRACT_MARGIN_M)
            result = clip_extract(path, area, Path(folder) / "clip.osm.pbf")
            figures = {"nodes": result.nodes, "ways": result.ways}
    elif mode == "clip, then pyrosm":
        with tempfile.TemporaryDirectory() as folder:
            area = network._with_margin(square, network._crs_for(square), EXTRACT_MARGIN_M)
            result = clip_extract(path, area, Path(folder) / "clip.osm.pbf")
            figures = _pyrosm_network(result.path, square)
    elif mode in ("whole, cut by pyrosm", "whole"):
        figures = _pyrosm_network(path, square if mode != "whole" else None)
    return {
        "mode": mode,
        "seconds": time.perf_counter() - began,
        "peak_mib": _peak_mib(),
        **figures,
    }


def _pyrosm_network(path: Path, bounding_box: Any) -> dict[str, int]:
    """Node and edge counts of pyrosm's walking network of ``path``."""
    import pyrosm

    osm = pyrosm.OSM(str(path), bounding_box=bounding_box)
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    return {"nodes": len(nodes), "edges": len(edges)}


def _median_node(path: Path) -> tuple[float, float]:
    import osmium

    lons: list[float] = []
    lats: list[float] = []
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
        if node.location.valid():
            lons.append(node.location.lon)
            lats.append(node.location.lat)
    return float(np.median(lons)), float(np.median(lats))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("osm", type=Path, help="an .osm.pbf extract")
    parser.add_argument("--size-km", type=float, default=2.0, help="side of the square, km")
    parser.add_argument("--centre", default=None, help="LON,LAT of the square's centre")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode (best is kept)")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.centre is None:
        centre = _median_node(args.osm)
    else:
        lon, lat = (float(part) for part in args.centre.split(","))
        centre = (lon, lat)
    if args.worker is not None:
        print(json.dumps(_work(args.worker, args.osm, centre, args.size_km)))
        return 0
    size_mb = args.osm.stat().st_size / 2**20
    print(
        f"{args.osm.name} ({size_mb:.1f} MB), a {args.size_km:g} km square around "
        f"{centre[0]:.4f}, {centre[1]:.4f}",
        file=sys.stderr,
    )
    rows: dict[str, dict[str, Any]] = {}
    for mode in MODES:
        runs = []
        for run in range(args.repeat):
            print(f"  {mode}: run {run + 1}/{args.repeat}", file=sys.stderr)
            command = [sys.executable, "-m", "bench.clip", str(args.osm), "--worker", mode]
            command += ["--centre", f"{centre[0]},{centre[1]}", "--size-km", str(args.size_km)]
            answer = subprocess.run(command, capture_output=True, text=True, check=True)
            runs.append(json.loads(answer.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["seconds"])
        best["peak_mib"] = min(r["peak_mib"] for r in runs)
        rows[mode] = best
    floor = rows["imports only"]["peak_mib"]
    whole = rows["whole"]
    print(f"{'mode':<22} {'seconds':>8} {'peak MiB':>9} {'above floor':>12}  counts")
    for mode, row in rows.items():
        counts = ", ".join(f"{k} {row[k]:,}" for k in ("nodes", "ways", "edges") if k in row)
        print(
            f"{mode:<22} {row['seconds']:>8.2f} {row['peak_mib']:>9.0f} "
            f"{row['peak_mib'] - floor:>12.0f}  {counts}"
        )
    clipped = rows["clip, then pyrosm"]
    ratios = {
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
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}")
    print(json.dumps({"file": args.osm.name, "size_km": args.size_km, "rows": rows, **ratios}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
