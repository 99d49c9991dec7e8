"""A short run of the load benchmark (bench/load.py): correctness only, never timing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.load import main, run_load

pytestmark = pytest.mark.slow


def test_concurrent_nearest_queries_all_answer(live_server: str) -> None:
    report = run_load(live_server, clients=20, requests=300, time_limit_s=120)
    assert report.requests == 300
    assert report.statuses == {"200": 300}
    assert report.all_ok
    assert 0 < report.p50_ms <= report.p99_ms <= report.max_ms


def test_benchmark_command_line(live_server: str, tmp_path: Path) -> None:
    output = tmp_path / "load.json"
    code = main(
        ["--url", live_server, "--clients", "5", "--requests", "40", "--warmup", "0",
         "--json", str(output)]
    )  # fmt: skip
    assert code == 0
    saved = json.loads(output.read_text(encoding="utf-8"))
    assert saved["requests"] == 40 and saved["statuses"] == {"200": 40}
