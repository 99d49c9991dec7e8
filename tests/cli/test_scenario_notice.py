"""A scenario's own demo notice in every file and answer of the commands, read back."""

from __future__ import annotations

import contextlib
import html
import json
from pathlib import Path
from typing import Any

import openpyxl
import pyogrio
import pytest
from click.testing import CliRunner, Result
from matplotlib.text import Text

from api.cli import main
from geo.analysis import analyze_scenario, approximate_network
from geo.export import _fonts, planner_figure
from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH, load_scenario
from tests.conftest import CUSTOM_NOTICE_EN, CUSTOM_NOTICE_ZH

GEOJSON_FILES = ("grids.geojson", "underserved.geojson", "service_areas.geojson")


def run(command: str, scenario: Path, tmp_path: Path, *args: str) -> Result:
    """``circles COMMAND --scenario SCENARIO ARGS``, with a private network cache."""
    options = [command, "--cache-folder", str(tmp_path / "cache"), "--scenario", str(scenario)]
    result = CliRunner().invoke(main, [*options, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _no_standard_notice(text: str) -> None:
    assert DEMO_NOTICE_ZH not in text and DEMO_NOTICE_EN not in text


def test_analyze_files_map_and_output_carry_the_notice(
    noticed_scenario: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run("analyze", noticed_scenario, tmp_path, "--no-progress", "--out", str(out))
    assert CUSTOM_NOTICE_EN in result.output
    _no_standard_notice(result.output)
    summary = read(out / "summary.json")
    assert (summary["notice"], summary["notice_en"]) == (CUSTOM_NOTICE_ZH, CUSTOM_NOTICE_EN)
    for name in GEOJSON_FILES:
        collection = read(out / name)
        assert collection["notice"] == CUSTOM_NOTICE_ZH, name
        assert collection["notice_en"] == CUSTOM_NOTICE_EN, name
        assert collection["features"], name
        assert {f["properties"]["notice"] for f in collection["features"]} == {CUSTOM_NOTICE_ZH}
    # a GIS program keeps the per-feature notice
    grids = pyogrio.read_dataframe(out / "grids.geojson")
    assert set(grids["notice"]) == {CUSTOM_NOTICE_ZH}
    page = (out / "map.html").read_text(encoding="utf-8")
    for notice in (CUSTOM_NOTICE_ZH, CUSTOM_NOTICE_EN):
        assert html.escape(notice) in page and notice not in page
    _no_standard_notice(page)


def test_sites_and_nearest_answers_carry_the_notice(noticed_scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "sites"
    result = run("sites", noticed_scenario, tmp_path, "-k", "2", "--out", str(out))
    assert CUSTOM_NOTICE_EN in result.output
    summary = read(out / "summary.json")
    assert (summary["notice"], summary["notice_en"]) == (CUSTOM_NOTICE_ZH, CUSTOM_NOTICE_EN)
    features = read(out / "suggestions.geojson")["features"]
    assert len(features) == 2
    for feature in features:
        properties = feature["properties"]
        assert (properties["notice"], properties["notice_en"]) == (
            CUSTOM_NOTICE_ZH,
            CUSTOM_NOTICE_EN,
        )
    point = load_scenario(noticed_scenario).rest_points.geometry.iloc[0]
    where = ["--lon", str(point.x + 0.002), "--lat", str(point.y), "--layer", "rest_points"]
    answer = json.loads(run("nearest", noticed_scenario, tmp_path, *where, "-k", "1").output)
    assert (answer["notice"], answer["notice_en"]) == (CUSTOM_NOTICE_ZH, CUSTOM_NOTICE_EN)


def test_report_exports_carry_the_notice(noticed_scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = run("report", noticed_scenario, tmp_path, "-k", "2", "--out", str(out))
    assert CUSTOM_NOTICE_EN in result.output
    _no_standard_notice(result.output)
    about = pyogrio.read_dataframe(out / "report.gpkg", layer="about")
    notes = dict(zip(about["key"], about["value"], strict=True))
    assert (notes["notice_zh"], notes["notice_en"]) == (CUSTOM_NOTICE_ZH, CUSTOM_NOTICE_EN)
    sheet = openpyxl.load_workbook(out / "report.xlsx")["说明"]
    cells = {cell.value: cell for row in sheet.iter_rows(min_col=2, max_col=2) for cell in row}
    assert CUSTOM_NOTICE_ZH in cells and CUSTOM_NOTICE_EN in cells
    assert cells[CUSTOM_NOTICE_EN].data_type == "s"  # "=..." stays text, not a formula
    assert DEMO_NOTICE_ZH not in cells and DEMO_NOTICE_EN not in cells
    assert (out / "map.png").stat().st_size > 10_000


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_png_map_prints_the_notice_as_plain_text(
    noticed_scenario: Path, language: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if language == "en":
        monkeypatch.setattr(_fonts, "cjk_font_family", lambda: None)
    elif _fonts.cjk_font_family() is None:
        pytest.skip("no Chinese font installed (Debian: apt-get install fonts-noto-cjk)")
    scenario = load_scenario(noticed_scenario)
    coverage = analyze_scenario(scenario, approximate_network(scenario.boundary), progress=False)
    fallback = pytest.warns(UserWarning, match="no Chinese font found")
    with fallback if language == "en" else contextlib.nullcontext():
        figure = planner_figure(scenario=scenario, coverage=coverage["stations"], layer="stations")
    texts = [artist for artist in figure.findobj(Text) if artist.get_text()]
    notice = CUSTOM_NOTICE_ZH if language == "zh" else CUSTOM_NOTICE_EN
    (shown,) = [artist for artist in texts if notice in artist.get_text()]
    assert shown.get_parse_math() is False  # "$5 至 $8" is no formula
    figure.savefig(tmp_path / "map.png", format="png")  # draws without a mathtext error
