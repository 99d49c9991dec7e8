"""Benchmark: start-up time and memory of ``circles serve`` on a real network, cold and warm,
and its first map pages.

Run ``python -m bench.serve_start FILE.osm.pbf``. A scenario is made for the extract
(the boundary is the convex hull of the walking graph's nodes; the benchmark's random
facilities and Voronoi grids, fixed seed) in a temporary data folder; then ``circles
serve --osm FILE`` is started twice on it with one empty cache folder: *cold* (the
network is built from the file and cached) and *warm* (read back from the cache). Each
start is timed from the process start to the first answer of ``/healthz``; the server's
resident memory (``VmRSS``), peak (``VmHWM``) and CPU seconds (user + system) are read
from ``/proc`` then. Then the first public page (``/``) and the first courier page
(``/courier``) are asked for, each timed (wall, and the server's CPU seconds spent) and
weighed (HTML, and as sent compressed), then the public page in English (its render
alone, the warming over), and the memory read again.

``--scenario NAME`` serves a bundled scenario (e.g. ``jingkou``, in approximate mode
without ``FILE``) instead of the extract's. ``--server-path DIR`` runs the server from
another checkout of the project (for a before/after comparison in the same run).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.load import _free_port

# argv[1]: the data folder of the scenarios ("" keeps the bundled one).
_START = (
    "import sys; from pathlib import Path; from geo import settings; "
    "settings.data_folder = Path(sys.argv[1]) if sys.argv[1] else settings.data_folder; "
    "from api.cli import main; main(sys.argv[2:])"
)

#: The pages timed after the start, in order: (label, path). The public page in English
#: comes last: rendered afresh once the start-up warming is over, it is the page's cost
#: alone.
_PAGES = (
    ("public", "/?basemap=none"),
    ("courier", "/courier?basemap=none"),
    ("public_en", "/?basemap=none&lang=en"),
)
_TICKS = os.sysconf("SC_CLK_TCK")


def _memory(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key = line.split(":")[0]
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(line.split()[1]) / 1024.0
    return fields


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (its threads included)."""
    # the command name, in parentheses, may hold spaces: split after it
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _pages(port: int, pid: int) -> dict[str, float]:
    """Time the first answer of each page (wall and the server's CPU seconds)."""
    row: dict[str, float] = {}
    with httpx.Client(timeout=600) as client:
        for label, path in _PAGES:
            cpu = _cpu_s(pid)
            began = time.perf_counter()
            answer = client.get(f"http://127.0.0.1:{port}{path}").raise_for_status()
            row[f"{label}_s"] = time.perf_counter() - began
            row[f"{label}_cpu_s"] = _cpu_s(pid) - cpu
            row[f"{label}_kib"] = len(answer.content) / 1024
            row[f"{label}_sent_kib"] = answer.num_bytes_downloaded / 1024
    return row


def _scenario(osm: Path, data: Path) -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely

    from bench._graphs import bench_inputs, graph_from_osm

    graph = graph_from_osm(osm)
    inputs = bench_inputs(graph, label=osm.name, query_points=1)
    folder = data / "scenarios" / "serve-bench"
    folder.mkdir(parents=True)
    grids = inputs.grids
    hull = shapely.union_all(grids.geometry.to_numpy()).convex_hull
    gpd.GeoDataFrame(geometry=[hull], crs=grids.crs).to_file(folder / "boundary.geojson")
    grids.to_file(folder / "grids.geojson")
    stations = inputs.facilities["stations"].assign(kind="station")
    centres = inputs.facilities["centres"].assign(kind="centre")
    both = gpd.GeoDataFrame(pd.concat([stations, centres], ignore_index=True), crs=stations.crs)
    both.drop(columns="node").to_file(folder / "stations.geojson")
    inputs.facilities["rest_points"].drop(columns=["node", "kind"]).to_file(
        folder / "rest_points.geojson"
    )
    layers = "".join(
        f'\n[layers.{layer}]\nfile = "{layer}.geojson"\ncrs = "wgs84"\n'
        for layer in ("boundary", "grids", "stations", "rest_points")
    )
    (folder / "scenario.toml").write_text(
        'name = "serve-bench"\ntitle_zh = "基准（示意数据）"\n'
        'title_en = "Benchmark (illustrative data)"\ndemo = true\n'
        'notice_zh = "示意数据：站点位置为随机生成，并非官方位置。"\n'
        'notice_en = "Illustrative data: locations are random, not official locations."\n' + layers,
        encoding="utf-8",
    )


def _start(
    data: Path | None,
    scenario: str,
    osm: Path | None,
    cache: Path,
    store: Path,
    timeout_s: float,
    server_path: Path | None,
) -> dict[str, float]:
    port = _free_port()
    command = [
        sys.executable, "-c", _START, str(data or ""), "serve", "--scenario", scenario,
        "--host", "127.0.0.1", "--port", str(port), "--basemap", "none",
        "--data-dir", str(store),
    ]  # fmt: skip
    if osm is not None:
        command += ["--osm", str(osm)]
    env = {**os.environ, "CIRCLES_CACHE_DIR": str(cache), "PYTHONUNBUFFERED": "1"}
    if server_path is not None:
        env["PYTHONPATH"] = str(server_path)
    began = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=store.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"the server stopped:\n{error[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - began > timeout_s:
                raise RuntimeError(f"no answer from /healthz within {timeout_s:g} s")
            time.sleep(0.2)
        seconds = time.perf_counter() - began
        row = {"seconds": seconds, "cpu_s": _cpu_s(process.pid), **_memory(process.pid)}
        row.update(_pages(port, process.pid))
        row["after_pages_rss"] = _memory(process.pid)["VmRSS"]
        return row
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("osm", type=Path, nargs="?", help="an .osm.pbf extract")
    parser.add_argument(
        "--scenario", help="serve this bundled scenario (e.g. jingkou) instead of the extract's"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per start")
    parser.add_argument("--server-path", type=Path, help="run the server from this checkout")
    args = parser.parse_args(argv)
    if args.osm is None and args.scenario is None:
        parser.error("give an .osm.pbf extract, or --scenario NAME")
    osm = args.osm.resolve() if args.osm is not None else None
    with tempfile.TemporaryDirectory(prefix="circles-serve-") as folder:
        cache = Path(folder) / "cache"
        data = None
        if args.scenario is None:
            data = Path(folder) / "data"
            _scenario(args.osm, data)
        scenario = args.scenario or "serve-bench"
        rows = {}
        for label in ("cold", "warm"):
            store = Path(folder) / f"store-{label}"
            rows[label] = _start(data, scenario, osm, cache, store, args.timeout, args.server_path)
    source = osm.name if osm is not None else "no street file"
    if args.scenario is None:
        print(f"circles serve on {source} (bench scenario: random facilities, 295 grids)")
    else:
        print(f"circles serve of scenario {scenario} ({source})")
    print(
        f"  {'start':<8}{'to /healthz s':>15}{'CPU s':>8}{'resident MiB':>14}{'peak MiB':>10}"
        f"{'first / s':>11}{'CPU s':>8}{'/courier s':>12}{'CPU s':>8}{'then MiB':>10}"
    )
    for label, row in rows.items():
        print(
            f"  {label:<8}{row['seconds']:>15.1f}{row['cpu_s']:>8.1f}{row['VmRSS']:>14.0f}"
            f"{row['VmHWM']:>10.0f}{row['public_s']:>11.2f}{row['public_cpu_s']:>8.2f}"
            f"{row['courier_s']:>12.2f}{row['courier_cpu_s']:>8.2f}"
            f"{row['after_pages_rss']:>10.0f}"
        )
    warm = rows["warm"]
    print(f"serve_cold_s: {rows['cold']['seconds']:.1f}")
    print(f"serve_warm_s: {warm['seconds']:.1f}")
    print(f"serve_warm_resident_mib: {warm['VmRSS']:.0f}")
    print(f"first_public_page_s: {warm['public_s']:.2f}")
    print(f"first_public_page_cpu_s: {warm['public_cpu_s']:.2f}")
    print(f"first_courier_page_s: {warm['courier_s']:.2f}")
    print(f"public_page_again_s: {warm['public_en_s']:.2f} (in English, warming over)")
    for label, _ in _PAGES[:2]:
        print(
            f"{label}_page_kib: {warm[f'{label}_kib']:.0f} "
            f"({warm[f'{label}_sent_kib']:.0f} compressed)"
        )
    print(f"resident_after_pages_mib: {warm['after_pages_rss']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
