"""Facility scaling: one layer's coverage with 100 to 5,000 facilities on one network.

Each count runs in a fresh process that reads the network from its binary cache (as
``circles`` does once the network is cached) and the grids from a GeoPackage, places
the facilities on random nodes (fixed seed), and runs one layer's full coverage
(``CoverageEngine`` + ``layer_coverage``: multi-source search, the layer's polygon,
grid coverage). The process reports CPU and wall seconds of the analysis, and its
peak resident memory (network and analysis together).

Worker: ``python -m bench._scaling CACHE.npz GRIDS.gpkg COUNT SEED``; prints one JSON line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ScalingRow", "scaling_rows"]


@dataclass(frozen=True)
class ScalingRow:
    """One facility count: analysis seconds and the process's peak memory."""

    facilities: int
    cpu_s: float
    wall_s: float
    peak_mib: float
    network_mib: float


def _peak_mib() -> float:
    """This process's peak resident memory, MiB (``VmHWM``: getrusage would count the
    parent's memory at the fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _work(cache: Path, grids_file: Path, count: int, seed: int) -> dict[str, float]:
    import geopandas as gpd
    import numpy as np
    import shapely

    from geo import settings
    from geo.analysis import DEFAULT_RULES, CoverageEngine, WalkNetwork
    from geo.analysis._netcache import load_arrays, restore_pieces
    from geo.analysis._segments import STREET_QUAD_SEGS

    settings.progress = False
    loaded = load_arrays(cache, width=settings.street_buffer_m, quad_segs=STREET_QUAD_SEGS)
    if loaded is None:
        msg = f"cannot read the network cache {cache}"
        raise SystemExit(msg)
    arrays, crs, content = loaded
    network = WalkNetwork(source="graphml", crs=crs, arrays=arrays)
    restore_pieces(network.pieces, content)
    network.prepare()
    grids = gpd.read_file(grids_file)
    network_mib = _peak_mib()
    rng = np.random.default_rng(seed)
    nodes = rng.choice(arrays.n_nodes, size=count, replace=False)
    lon, lat = network.to_wgs84(arrays.node_x[nodes], arrays.node_y[nodes])
    facilities = gpd.GeoDataFrame(
        {"facility_id": [f"s{i}" for i in range(count)], "name": [f"s {i}" for i in range(count)]},
        geometry=shapely.points(lon, lat),
        crs="EPSG:4326",
    )
    wall, cpu = time.perf_counter(), time.process_time()
    CoverageEngine(network, grids, progress=False).layer_coverage(
        facilities, DEFAULT_RULES["stations"]
    )
    return {
        "facilities": count,
        "cpu_s": time.process_time() - cpu,
        "wall_s": time.perf_counter() - wall,
        "peak_mib": _peak_mib(),
        "network_mib": network_mib,
    }


def scaling_rows(
    cache: Path, grids_file: Path, counts: tuple[int, ...], *, seed: int
) -> list[ScalingRow]:
    """Run every facility count in its own process, one after another."""
    rows = []
    for count in counts:
        done = subprocess.run(
            [sys.executable, "-m", "bench._scaling", str(cache), str(grids_file), str(count),
             str(seed)],
            check=True, capture_output=True, text=True, timeout=3600,
        )  # fmt: skip
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(ScalingRow(**{k: figures[k] for k in ScalingRow.__dataclass_fields__}))
    return rows


if __name__ == "__main__":
    cache_arg, grids_arg, count_arg, seed_arg = sys.argv[1:5]
    print(json.dumps(_work(Path(cache_arg), Path(grids_arg), int(count_arg), int(seed_arg))))
