"""Load benchmark of the map service: concurrent nearest-facility queries.

Run from the repository root::

    python -m bench.load                      # starts `circles serve` on a free port
    python -m bench.load --url http://127.0.0.1:8000 --clients 50 --requests 2000

``--clients`` clients each keep one HTTP/1.1 connection and send their next request as
soon as the last one answers, until ``--requests`` answers arrived or ``--time-limit`` seconds
passed. Query points are drawn (with a fixed seed) over the extent of the scenario's
stations and rest points; the layer rotates over stations, centres and rest points.
It prints the answers per status, the throughput and the latency percentiles. It is a
benchmark: it reports figures and fails only if answers are not 200.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import numpy as np

__all__ = ["LoadReport", "main", "run_load", "started_server"]

LAYERS = ("stations", "centres", "rest_points")


@dataclass(frozen=True)
class LoadReport:
    """Figures of one load run.

    Attributes
    ----------
    url
        The server.
    clients
        Concurrent clients.
    requests
        Answers received.
    statuses
        Answers per HTTP status (as text), plus "error" for failed connections.
    seconds
        Wall-clock duration of the run.
    throughput
        Answers per second.
    p50_ms, p90_ms, p99_ms, max_ms
        Latency percentiles, milliseconds.
    """

    url: str
    clients: int
    requests: int
    statuses: dict[str, int]
    seconds: float
    throughput: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def all_ok(self) -> bool:
        """True when every answer was a 200."""
        return set(self.statuses) == {"200"}

    def to_text(self) -> str:
        """The report as a few lines for a terminal."""
        statuses = ", ".join(
            f"{status}: {count}" for status, count in sorted(self.statuses.items())
        )
        return "\n".join(
            [
                f"nearest queries against {self.url}",
                f"  clients {self.clients}, answers {self.requests} ({statuses})",
                f"  {self.seconds:.2f} s, {self.throughput:.0f} answers/s",
                f"  latency p50 {self.p50_ms:.1f} ms, p90 {self.p90_ms:.1f} ms, "
                f"p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms",
            ]
        )


def _query_points(url: str, count: int, seed: int) -> list[dict[str, str]]:
    """Query parameters over the extent of the served facilities (fixed seed)."""
    lons: list[float] = []
    lats: list[float] = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for layer in ("stations", "rest_points"):
            for feature in client.get(f"/api/layers/{layer}").json()["features"]:
                lon, lat = feature["geometry"]["coordinates"]
                lons.append(lon)
                lats.append(lat)
    rng = np.random.default_rng(seed)
    lon = rng.uniform(min(lons), max(lons), count)
    lat = rng.uniform(min(lats), max(lats), count)
    return [
        {
            "lon": f"{lon[i]:.6f}",
            "lat": f"{lat[i]:.6f}",
            "layer": LAYERS[i % len(LAYERS)],
            "k": "3",
        }
        for i in range(count)
    ]


async def _client(
    host: str,
    port: int,
    queries: list[dict[str, str]],
    cursor: list[int],
    deadline: float,
    latencies: list[float],
    statuses: Counter[str],
) -> None:
    """One client: a keep-alive HTTP/1.1 connection sending one query after another.

    A minimal client (raw asyncio streams) so that the load generator, which shares the
    machine with the server, spends little CPU per request compared with the server.
    """
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while cursor[0] < len(queries) and time.perf_counter() < deadline:
            params = queries[cursor[0]]
            cursor[0] += 1
            request = (
                f"GET /api/nearest?{urlencode(params)} HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\nAccept: application/json\r\n\r\n"
            ).encode("ascii")
            sent = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = lines[0].split(" ", 2)[1]
            length = next(
                int(line.split(":", 1)[1])
                for line in lines[1:]
                if line.lower().startswith("content-length:")
            )
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - sent)
            if status == "200" and not json.loads(body)["results"]:
                status = "200-empty"
            statuses[status] += 1
    except (OSError, asyncio.IncompleteReadError, StopIteration, ValueError):
        statuses["error"] += 1
    finally:
        writer.close()


async def _run(
    url: str, queries: list[dict[str, str]], clients: int, time_limit_s: float
) -> tuple[list[float], Counter[str], float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    cursor = [0]
    start = time.perf_counter()
    deadline = start + time_limit_s
    await asyncio.gather(
        *(
            _client(host, port, queries, cursor, deadline, latencies, statuses)
            for _ in range(clients)
        )
    )
    return latencies, statuses, time.perf_counter() - start


def run_load(
    url: str,
    *,
    clients: int = 50,
    requests: int = 2000,
    time_limit_s: float = 120.0,
    seed: int = 0,
) -> LoadReport:
    """Send ``requests`` nearest queries from ``clients`` concurrent clients.

    Parameters
    ----------
    url
        Base URL of a running server, e.g. ``"http://127.0.0.1:8000"``.
    clients
        Concurrent clients (connections).
    requests
        Total queries to send.
    time_limit_s
        Stop sending after this many seconds.
    seed
        Seed of the query points.

    Returns
    -------
    LoadReport
    """
    queries = _query_points(url, requests, seed)
    # A thread of its own for the event loop: callers may already run one (notebooks,
    # playwright's sync API).
    with ThreadPoolExecutor(max_workers=1) as pool:
        latencies, statuses, seconds = pool.submit(
            asyncio.run, _run(url, queries, clients, time_limit_s)
        ).result()
    ms = np.asarray(latencies) * 1000.0 if latencies else np.zeros(1)
    answered = sum(statuses.values())
    return LoadReport(
        url=url,
        clients=clients,
        requests=answered,
        statuses=dict(statuses),
        seconds=seconds,
        throughput=answered / seconds if seconds > 0 else 0.0,
        p50_ms=float(np.percentile(ms, 50)),
        p90_ms=float(np.percentile(ms, 90)),
        p99_ms=float(np.percentile(ms, 99)),
        max_ms=float(ms.max()),
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def started_server(*, osm_file: Path | None = None, timeout_s: float = 120.0) -> Iterator[str]:
    """Start ``circles serve`` in its own process on a free port; yield its URL.

    The server uses a temporary scenario store and the plain basemap.
    """
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="circles-bench-") as folder:
        command = [
            sys.executable, "-m", "api.cli", "serve",
            "--host", "127.0.0.1", "--port", str(port),
            "--basemap", "none", "--data-dir", folder,
        ]  # fmt: skip
        if osm_file is not None:
            command += ["--osm", str(osm_file)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if process.poll() is not None:
                    error = process.stderr.read().decode() if process.stderr else ""
                    msg = f"the server stopped during start-up:\n{error[-2000:]}"
                    raise RuntimeError(msg)
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    msg = f"the server did not answer /healthz within {timeout_s:g} s"
                    raise RuntimeError(msg)
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the benchmark, print the report; exit 1 if not all were 200."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", help="a running server; default: start one")
    parser.add_argument("--osm", type=Path, help="OSM file for the server this starts")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds")
    parser.add_argument("--warmup", type=int, default=100, help="queries sent before timing")
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = parser.parse_args(argv)

    def measure(url: str) -> LoadReport:
        if args.warmup:
            run_load(url, clients=min(args.clients, 10), requests=args.warmup, seed=1)
        return run_load(
            url, clients=args.clients, requests=args.requests, time_limit_s=args.time_limit
        )

    if args.url:
        report = measure(args.url.rstrip("/"))
    else:
        with started_server(osm_file=args.osm) as url:
            report = measure(url)
    print(report.to_text())
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2), encoding="utf-8")
    return 0 if report.all_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
