"""Benchmark: saving the planner's edits in one request against one request per edit.

Run ``python -m bench.save [--edits 5 20] [--repeats 3]``. The Jingkou demo is served
in-process (FastAPI's TestClient, approximate mode) on a temporary store. For every
count of edits (half additions, then moves and closes of existing stations) it times
saving them (a) the way the planner page did before, one request per edit (``POST``,
``PATCH``, ``DELETE`` of one facility: one derived district and one GeoPackage written
per edit), and (b) one ``PATCH /api/scenario/facilities`` with the whole list (one
district, one write). Each save starts from the same bundled scenario (a fresh store).
Wall and CPU seconds (this process: client and server) are the median of the repeats;
the report prints (a) / (b).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings

__all__ = ["main"]

_TOKEN = "bench-token-0123456789"
_AUTH = {"Authorization": f"Bearer {_TOKEN}"}


def _edits(count: int) -> list[dict[str, Any]]:
    """``count`` edits: additions, then moves and closes of the first stations."""
    adds = [
        {
            "action": "add",
            "layer": "stations",
            "facility_id": f"B{n}",
            "lon": 119.46 + n * 1e-3,
            "lat": 32.205,
            "name": f"bench {n}",
        }
        for n in range(count - count // 2)
    ]
    changes = [
        {
            "action": "move",
            "layer": "stations",
            "facility_id": f"JK-S{n + 1:03d}",
            "lon": 119.5,
            "lat": 32.2,
        }
        if n % 2 == 0
        else {"action": "close", "layer": "stations", "facility_id": f"JK-S{n + 1:03d}"}
        for n in range(count // 2)
    ]
    return adds + changes


def _one_by_one(client: TestClient, edits: list[dict[str, Any]]) -> None:
    base = "/api/scenario/facilities/stations"
    for edit in edits:
        if edit["action"] == "add":
            values = {key: edit[key] for key in ("facility_id", "lon", "lat", "name")}
            response = client.post(base, json=values, headers=_AUTH)
        elif edit["action"] == "move":
            location = {"lon": edit["lon"], "lat": edit["lat"]}
            url = f"{base}/{edit['facility_id']}"
            response = client.patch(url, json=location, headers=_AUTH)
        else:
            response = client.delete(f"{base}/{edit['facility_id']}", headers=_AUTH)
        response.raise_for_status()


def _at_once(client: TestClient, edits: list[dict[str, Any]]) -> None:
    version = client.get("/healthz").json()["version"]
    body = {"version": version, "edits": edits}
    client.patch("/api/scenario/facilities", json=body, headers=_AUTH).raise_for_status()


def _timed(
    save: Callable[[TestClient, list[dict[str, Any]]], None], count: int
) -> tuple[float, float]:
    """Wall and CPU seconds of one save of ``count`` edits on a fresh store."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            scenario="jingkou",
            data_dir=Path(folder) / "store",
            cache_dir=Path(folder) / "cache",
            edit_token=_TOKEN,
            offline=True,
        )
        with TestClient(create_app(settings)) as client:
            edits = _edits(count)
            wall, cpu = time.perf_counter(), time.process_time()
            save(client, edits)
            return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> None:
    """Print the times of both ways of saving, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, nargs="+", default=[5, 20])
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args(argv)
    print(
        "edits  one request per edit (wall / CPU s)  one request (wall / CPU s)  ratio (wall / CPU)"
    )
    for count in options.edits:
        runs = {
            name: [_timed(save, count) for _ in range(options.repeats)]
            for name, save in (("each", _one_by_one), ("once", _at_once))
        }
        each = [statistics.median(times) for times in zip(*runs["each"], strict=True)]
        once = [statistics.median(times) for times in zip(*runs["once"], strict=True)]
        print(
            f"{count:5d}  {each[0]:17.2f} / {each[1]:5.2f}  {once[0]:19.2f} / {once[1]:5.2f}"
            f"  {each[0] / once[0]:9.1f} / {each[1] / once[1]:.1f}"
        )


if __name__ == "__main__":
    main()
