"""Benchmark: how long a walking network takes to load, and the memory it holds.

Run ``python -m bench.netload FILE.osm.pbf``. The network for the extract's whole area
(the boundary is the convex hull of its nodes) is built three ways, each in a fresh
process, one after another:

- ``build from the PBF``: the cold start: pyrosm reads the file, the arrays and street
  blocks are built, the GraphML and the binary cache are written;
- ``GraphML reload``: what a warm start cost before the binary cache: osmnx reads the
  GraphML and the arrays and blocks are rebuilt (the networkx graph is then let go);
- ``binary cache``: the warm start now: :func:`~geo.analysis.network.walk_network` finds
  the cache and reads the arrays, strokes and blocks back (no networkx graph).

Each reports wall and CPU seconds and the process's peak resident memory (``VmHWM``)
and its resident memory once loaded, which the service keeps for as long as it runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MODES = ("build from the PBF", "GraphML reload", "binary cache")


def _memory_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _boundary(path: Path) -> Any:
    import geopandas as gpd
    import numpy as np
    import osmium
    import shapely

    lons: list[float] = []
    lats: list[float] = []
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
        if node.location.valid():
            lons.append(node.location.lon)
            lats.append(node.location.lat)
    hull = shapely.MultiPoint(np.column_stack([lons, lats])).convex_hull
    return gpd.GeoDataFrame(geometry=[hull], crs="EPSG:4326")


def _work(mode: str, path: Path, cache: Path, boundary_file: Path) -> dict[str, Any]:
    import geopandas as gpd

    from geo import settings
    from geo.analysis import network as network_module

    settings.progress = False
    boundary = gpd.read_file(boundary_file)
    wall, cpu = time.perf_counter(), time.process_time()
    if mode == "GraphML reload":
        import osmnx as ox

        [graphml] = cache.glob("walk_*.graphml")
        network = network_module.network_from_graph(ox.load_graphml(graphml), source="graphml")
    else:
        network = network_module.walk_network(boundary, osm_file=path, cache_folder=cache)
    figures = {
        "mode": mode,
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "peak_mib": _memory_mib("VmHWM"),
        "resident_mib": _memory_mib("VmRSS"),
        "source": network.source,
        "nodes": int(network.stats()["nodes"]),
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("osm", type=Path, help="an .osm.pbf extract")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--boundary", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_work(args.worker, args.osm, args.cache, args.boundary)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "cache"
        boundary_file = Path(folder) / "boundary.geojson"
        _boundary(args.osm).to_file(boundary_file)
        for mode in MODES:
            done = subprocess.run(
                [sys.executable, "-m", "bench.netload", str(args.osm), "--worker", mode,
                 "--cache", str(cache), "--boundary", str(boundary_file)],
                check=True, capture_output=True, text=True, timeout=3600,
            )  # fmt: skip
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"network of {args.osm.name} ({rows[0]['nodes']:,} nodes), one fresh process each")
    print(f"  {'':<20}{'wall s':>9}{'CPU s':>9}{'peak MiB':>10}{'held MiB':>10}  source")
    for row in rows:
        print(
            f"  {row['mode']:<20}{row['wall_s']:>9.2f}{row['cpu_s']:>9.2f}"
            f"{row['peak_mib']:>10.0f}{row['resident_mib']:>10.0f}  {row['source']}"
        )
    build, graphml, binary = rows
    print(f"graphml_reload_vs_build_cpu: {graphml['cpu_s'] / build['cpu_s']:.2f}")
    print(f"binary_reload_vs_build_cpu: {binary['cpu_s'] / build['cpu_s']:.3f}")
    print(f"binary_vs_graphml_held_memory: {binary['resident_mib'] / graphml['resident_mib']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
