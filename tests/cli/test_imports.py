"""Commands load only what they use: no maps, plots, workbooks or solvers for a lookup.

Each command runs in a fresh interpreter, which then reports the heavy modules it
imported (osmnx, folium, matplotlib, openpyxl, pulp each take a good part of a second).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from api.cli import COMMANDS, main
from geo.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("osmnx", "folium", "matplotlib", "openpyxl", "pulp")

_PROBE = f"""
import json, sys
from api.cli import main
try:
    main(sys.argv[1:], prog_name="circles")
    code = 0
except SystemExit as stop:
    code = stop.code
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r}))
sys.stderr.write(chr(10) + json.dumps({{"code": code, "loaded": loaded}}) + chr(10))
"""


def _run(tmp_path: Path, *args: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "CIRCLES_OFFLINE": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    report: dict[str, Any] = json.loads(done.stderr.strip().splitlines()[-1])
    report["stdout"] = done.stdout
    return report


def test_help_loads_no_heavy_module(tmp_path: Path) -> None:
    report = _run(tmp_path, "--help")
    assert report["code"] == 0
    assert "nearest" in report["stdout"] and "validate" in report["stdout"]
    assert report["loaded"] == []


def test_validate_loads_no_heavy_module(tmp_path: Path) -> None:
    stations = ROOT / "data" / "scenarios" / "jingkou" / "stations.geojson"
    report = _run(tmp_path, "validate", "stations", str(stations))
    assert report["code"] == 0, report["stdout"]
    assert report["loaded"] == []


def test_nearest_loads_no_heavy_module(tmp_path: Path) -> None:
    point = load_scenario("jingkou").facilities("rest_points").geometry.iloc[0]
    report = _run(
        tmp_path, "nearest", "--layer", "rest_points", "--lon", str(point.x + 0.003),
        "--lat", str(point.y), "--offline", "--cache-folder", str(tmp_path / "cache"),
    )  # fmt: skip
    assert report["code"] == 0, report["stdout"]
    assert json.loads(report["stdout"])["results"]
    assert report["loaded"] == []


def test_listed_summaries_are_the_commands_own() -> None:
    context = click.Context(main)
    for name, (_, summary) in COMMANDS.items():
        command = main.get_command(context, name)
        assert command is not None
        assert command.get_short_help_str(limit=500) == summary
