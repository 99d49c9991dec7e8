"""Peak memory of the map service while it refuses the hostile-file corpus.

Run from the repository root::

    python -m bench.hostile

It writes the corpus of ``tests/data/make_hostile_corpus.py`` to a temporary folder,
starts ``circles serve`` in its own process (approximate mode, a temporary store, an edit
token), uploads every file as the stations layer and reads the server's peak resident
memory (``VmHWM`` of ``/proc/<pid>/status``, Linux) after start-up and after each upload.
Between uploads it asks ``/healthz``: the service must keep answering. It prints one line
per file (status, error code, seconds, peak MB) and fails if an upload does not answer 4xx.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    msg = "no VmHWM in /proc: this benchmark needs Linux"
    raise RuntimeError(msg)


def _corpus(folder: Path) -> list[Path]:
    spec = importlib.util.spec_from_file_location(
        "make_hostile_corpus", ROOT / "tests" / "data" / "make_hostile_corpus.py"
    )
    if spec is None or spec.loader is None:
        msg = "tests/data/make_hostile_corpus.py is missing"
        raise RuntimeError(msg)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    written: list[Path] = script.write_corpus(folder)
    return written


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: run the benchmark and print the figures; exit 1 on a non-4xx answer."""
    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per request")
    args = parser.parse_args(argv)
    token = secrets.token_urlsafe()
    with tempfile.TemporaryDirectory(prefix="circles-hostile-") as folder:
        files = _corpus(Path(folder) / "corpus")
        port = _free_port()
        env = {
            **os.environ,
            "CIRCLES_EDIT_TOKEN": token,
            "CIRCLES_OFFLINE": "true",
            "CIRCLES_MAX_UPLOAD_BYTES": str(16 * 1024 * 1024),
        }
        command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
        command += ["--basemap", "none", "--data-dir", str(Path(folder) / "store")]
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        url = f"http://127.0.0.1:{port}"
        failures = 0
        try:
            deadline = time.monotonic() + args.timeout
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    msg = "the server did not start"
                    raise RuntimeError(msg)
                time.sleep(0.2)
            started = _peak_mb(server.pid)
            print(f"server started: peak {started:.0f} MB resident")
            for path in sorted(files, key=lambda p: p.name):
                begin = time.perf_counter()
                response = httpx.put(
                    f"{url}/api/scenario/layers/stations",
                    files={"file": (path.name, path.read_bytes())},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=args.timeout,
                )
                seconds = time.perf_counter() - begin
                code = response.json().get("error", {}).get("code")
                healthy = httpx.get(f"{url}/healthz", timeout=args.timeout).status_code
                failures += not (400 <= response.status_code < 500) or healthy != 200
                print(
                    f"{path.name:36s} {path.stat().st_size / 1e6:6.2f} MB  "
                    f"{response.status_code} {code:18s} {seconds:6.2f} s  "
                    f"peak {_peak_mb(server.pid):6.0f} MB  healthz {healthy}"
                )
            print(
                f"peak resident memory: {_peak_mb(server.pid):.0f} MB (at start-up {started:.0f})"
            )
        finally:
            server.terminate()
            server.wait(timeout=60)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
