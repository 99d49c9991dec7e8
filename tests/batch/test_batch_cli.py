"""``circles batch`` on a LocalCluster of two process workers, against ``circles analyze``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner, Result
from distributed import Client
from PIL import Image

from api.cli import main
from geo.batch import SUMMARY_HEADERS
from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
#: Zhenjiang's bundled districts, in adcode order, and their grids in the reports.
BUNDLED = {"jingkou": 295, "dantu": 88, "yangzhong": 56}
#: The districts of the batch that succeed, in the order they are given.
GOOD = ("half_stations", *BUNDLED)

ANALYZE_FILES = ("summary.json", "grids.geojson", "underserved.geojson", "service_areas.geojson")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, scenario_folders: dict[str, Path]) -> Path:
    """One batch: a copy of Jingkou with half its stations, a broken one, then the city's."""
    root = tmp_path_factory.mktemp("batch")
    result = invoke(
        "batch",
        str(scenario_folders["half_stations"]),
        str(scenario_folders["broken"]),
        "--city",
        "zhenjiang",
        "--out",
        str(root / "out"),
        "--workers",
        "2",
        "--cache-folder",
        str(root / "cache"),
        "--no-progress",
    )
    (root / "exit_code").write_text(str(result.exit_code))
    (root / "output.txt").write_text(result.output, encoding="utf-8")
    return root


def analyze(folder: Path, cache: Path, scenario: str | Path) -> Path:
    """``circles analyze`` on a bundled name or a scenario folder's files."""
    if isinstance(scenario, Path):
        layers = ["--boundary", "grids", "stations", "rest-points"]
        args = [
            item
            for option in layers
            for item in (
                (option, str(scenario / "boundary.geojson"))
                if option == "--boundary"
                else (f"--{option}", str(scenario / f"{option.replace('-', '_')}.geojson"))
            )
        ]
    else:
        args = ["--scenario", scenario]
    result = invoke(
        "analyze", *args, "--out", str(folder), "--cache-folder", str(cache), "--no-progress"
    )
    assert result.exit_code == 0, result.output
    return folder


def test_exit_code_says_one_district_failed(batch: Path) -> None:
    output = (batch / "output.txt").read_text(encoding="utf-8")
    assert (batch / "exit_code").read_text() == "1"
    assert "4 of 5 districts done" in output


@pytest.mark.parametrize("name", list(BUNDLED))
def test_bundled_district_files_equal_circles_analyze_and_sites(
    batch: Path, tmp_path: Path, name: str
) -> None:
    reference = analyze(tmp_path / "analyze", tmp_path / "cache", name)
    district = batch / "out" / name
    for file in ANALYZE_FILES:
        assert read(district / file) == read(reference / file), file
    assert (district / "map.html").stat().st_size > 100_000

    sites = tmp_path / "sites"
    result = invoke("sites", "--scenario", name, "--out", str(sites),
                    "--cache-folder", str(tmp_path / "cache"))  # fmt: skip
    assert result.exit_code == 0, result.output
    ours = district / "sites"
    assert (ours / "suggestions.geojson").read_bytes() == (
        sites / "suggestions.geojson"
    ).read_bytes()
    summary, expected = read(ours / "summary.json"), read(sites / "summary.json")
    assert summary.pop("solve_seconds").keys() == expected.pop("solve_seconds").keys()
    assert summary == expected


@pytest.mark.parametrize("name", ["half_stations"])
def test_folder_district_figures_equal_circles_analyze(
    batch: Path, tmp_path: Path, scenario_folders: dict[str, Path], name: str
) -> None:
    reference = analyze(tmp_path / "analyze", tmp_path / "cache", scenario_folders[name])
    district = batch / "out" / name
    ours, theirs = read(district / "summary.json"), read(reference / "summary.json")
    assert ours["layers"] == theirs["layers"]
    assert ours["network"] == theirs["network"]
    for file in ("grids.geojson", "underserved.geojson", "service_areas.geojson"):
        assert read(district / file)["features"] == read(reference / file)["features"], file


def test_districts_are_the_reported_ones(batch: Path) -> None:
    report = {d["name"]: d for d in read(batch / "out" / "batch.json")["districts"]}
    assert {name: report[name]["grids"] for name in BUNDLED} == BUNDLED
    layers = {name: read(batch / "out" / name / "summary.json")["layers"] for name in GOOD}
    assert (
        layers["half_stations"]["stations"]["facilities"]
        == (layers["jingkou"]["stations"]["facilities"] + 1) // 2
    )
    shares = {name: figures["stations"]["share_covered"] for name, figures in layers.items()}
    assert len(set(shares.values())) == len(GOOD)


def test_broken_district_fails_alone_with_its_validation_report(batch: Path) -> None:
    output = (batch / "output.txt").read_text(encoding="utf-8")
    assert "broken: FAILED (LayerValidationError)" in output
    assert "row 4, column households: value -5 is negative" in output
    assert not (batch / "out" / "broken").exists()
    assert not list((batch / "out").glob(".*partial"))
    report = read(batch / "out" / "batch.json")
    assert report["ok"] is False
    [failure] = report["failures"]
    assert failure["name"] == "broken"
    assert "households: value -5 is negative" in failure["message"]
    assert [d["name"] for d in report["districts"]] == list(GOOD)


def test_city_summary_has_a_row_per_district(batch: Path) -> None:
    out = batch / "out"
    table = pd.read_csv(out / "summary.csv", dtype={"adcode": str})
    assert list(table.columns) == list(SUMMARY_HEADERS)
    assert list(table["district"]) == [*GOOD, "broken"]
    assert list(table["status"]) == ["ok"] * len(GOOD) + ["failed"]
    for row in table.iloc[: len(GOOD)].itertuples(index=False):
        layers = read(out / str(row.district) / "summary.json")["layers"]
        assert row.stations_share_covered == pytest.approx(layers["stations"]["share_covered"])
        assert row.centres_facilities == layers["centres"]["facilities"]
        sites = read(out / str(row.district) / "sites" / "summary.json")
        assert row.residents_added == pytest.approx(sites["residents_added"], abs=0.1)
        assert row.sites == sites["sites"]
        underserved = read(out / str(row.district) / "underserved.geojson")["features"]
        stations = [f for f in underserved if f["properties"]["layer"] == "stations"]
        assert row.stations_underserved_grids == len(stations)
        assert row.notice.startswith(DEMO_NOTICE_ZH)

    sheets = pd.read_excel(out / "summary.xlsx", sheet_name=None)
    assert list(sheets) == ["汇总", "未覆盖网格排名", "说明"]
    assert list(sheets["汇总"].columns[:6]) == [
        "区县",
        "名称",
        "行政区划代码",
        "状态",
        "常住人口",
        "网格数",
    ]
    assert "网格党群服务站人口覆盖比例" in sheets["汇总"].columns
    assert DEMO_NOTICE_ZH in set(sheets["说明"]["内容"])


def test_city_ranking_orders_every_districts_underserved_grids(batch: Path) -> None:
    out = batch / "out"
    ranking = pd.read_csv(out / "underserved.csv")
    stations = ranking.loc[ranking["layer"] == "stations"]
    expected = sum(
        1
        for name in GOOD
        for f in read(out / name / "underserved.geojson")["features"]
        if f["properties"]["layer"] == "stations"
    )
    assert len(stations) == expected
    assert list(stations["city_rank"]) == list(range(1, expected + 1))
    assert stations["residents_uncovered"].is_monotonic_decreasing
    assert set(stations["district"]) == set(GOOD)


def test_city_maps_show_every_district_and_the_notices(batch: Path) -> None:
    out = batch / "out"
    with Image.open(out / "map.png") as image:
        assert image.size[0] > 1000
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50
    page = (out / "map.html").read_text(encoding="utf-8")
    assert DEMO_NOTICE_ZH in page and DEMO_NOTICE_EN in page
    grids = sum(len(read(out / name / "grids.geojson")["features"]) for name in GOOD)
    assert page.count('"grid_id"') == 0  # the page carries the figures, not the ids
    assert page.count('"share":') == grids


@pytest.fixture
def dask_processes(tmp_path: Path) -> Iterator[str]:
    """A ``dask scheduler`` and a ``dask worker``, separate processes on 127.0.0.1; its address."""
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *sys.path])}
    common = {"env": env, "cwd": tmp_path, "stdout": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--dashboard-address", ":0", "--scheduler-file", str(scheduler_file)],
        stderr=(tmp_path / "scheduler.log").open("wb"), **common,
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "dask", "worker", "--scheduler-file", str(scheduler_file),
         "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
        stderr=(tmp_path / "worker.log").open("wb"), **common,
    )  # fmt: skip
    try:
        # The client waits (bounded) for the scheduler to write its file, then for workers.
        with Client(scheduler_file=str(scheduler_file), timeout="60s") as client:
            client.wait_for_workers(1, timeout=60)
            yield str(client.scheduler.address)
    finally:
        for process in (worker, scheduler):
            process.terminate()
        for process in (worker, scheduler):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def test_batch_through_a_separate_dask_scheduler_and_worker(
    batch: Path, tmp_path: Path, scenario_folders: dict[str, Path], dask_processes: str
) -> None:
    with Client(dask_processes, timeout="30s") as client:
        worker_pids = set(client.run(os.getpid).values())
    out = tmp_path / "out"
    result = invoke(
        "batch", "--city", "zhenjiang", "--out", str(out), "--scheduler", dask_processes,
        "--cache-folder", str(tmp_path / "cache"), "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = read(out / "batch.json")
    assert {d["pid"] for d in report["districts"]} <= worker_pids
    assert os.getpid() not in worker_pids
    for name in BUNDLED:
        local = batch / "out" / name
        assert read(out / name / "summary.json") == read(local / "summary.json"), name
        assert read(out / name / "grids.geojson") == read(local / "grids.geojson"), name
        assert (out / name / "sites" / "suggestions.geojson").read_bytes() == (
            local / "sites" / "suggestions.geojson"
        ).read_bytes()
