"""Scenario manifests: the format, every problem reported at once, and what they load."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from geo.district import District
from geo.errors import ScenarioError
from geo.manifest import (
    MANIFEST_FILE,
    MAX_NOTICE_CHARS,
    LayerSource,
    Manifest,
    manifest_toml,
    read_manifest,
)
from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH, load_scenario, scenario_folder
from tests.conftest import CUSTOM_NOTICE_EN, CUSTOM_NOTICE_ZH, notice_folder

JINGKOU = Path(__file__).resolve().parent.parent / "data" / "scenarios" / "jingkou"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the bundled Jingkou folder (its layers and manifest)."""
    target = tmp_path / "my_district"
    shutil.copytree(JINGKOU, target)
    return target


def test_bundled_jingkou_is_a_manifest_folder() -> None:
    manifest = read_manifest(scenario_folder("jingkou"))
    assert manifest.demo is True
    assert manifest.adcode == "321102"
    assert set(manifest.layers) == {"boundary", "grids", "stations", "rest_points", "candidates"}
    assert manifest.rules["stations"] == {"minutes": 10.0}


def test_round_trip(tmp_path: Path) -> None:
    (tmp_path / "g.csv").write_text("x", encoding="utf-8")
    manifest = Manifest(
        name="demo-1",
        title_zh='丹徒区 "示意"',
        layers={
            "grids": LayerSource(file="g.csv", crs="gcj02", source_layer="网格"),
            "stations": LayerSource(file="g.csv", default_kind="centre"),
            "rest_points": LayerSource(file="g.csv", crs="bd09"),
        },
        rules={"stations": {"minutes": 12.5}, "rest_points": {"metres": 800.0}},
        speed_kmh=4.0,
    )
    (tmp_path / MANIFEST_FILE).write_text(manifest_toml(manifest), encoding="utf-8")
    assert read_manifest(tmp_path) == manifest


def test_every_problem_is_listed(folder: Path) -> None:
    (folder / MANIFEST_FILE).write_text(
        'name = "bad name!"\nspeed_kmh = -2\ncolour = "red"\n'
        '[layers.grids]\nfile = "missing.geojson"\ncrs = "mars"\n'
        '[layers.stations]\nfile = "stations.geojson"\ndefault_kind = "kiosk"\n'
        "[rules.stations]\nminutes = 10\nmetres = 500\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        read_manifest(folder)
    problems = caught.value.detail["problems"]
    text = str(caught.value)
    for expected in (
        "name 'bad name!'",
        "speed_kmh must be a positive number, got -2",
        "unknown key 'colour'",
        "file 'missing.geojson' is not in my_district/",
        "crs 'mars' is not one of",
        "default_kind 'kiosk'",
        "[rules.stations] give minutes or metres",
        "[layers.rest_points] is missing",
    ):
        assert expected in text
    assert len(problems) == 8


def test_folder_rules_speed_and_per_layer_crs(folder: Path) -> None:
    text = (folder / MANIFEST_FILE).read_text(encoding="utf-8")
    text = text.replace("demo = true", "demo = true\nspeed_kmh = 4.0")
    text = text.replace("[rules.centres]\nminutes = 15.0", "[rules.centres]\nminutes = 20.0")
    (folder / MANIFEST_FILE).write_text(text, encoding="utf-8")
    scenario = load_scenario(folder)
    assert scenario.speed_kmh == 4.0
    district = District.load(scenario)
    assert district.rules["centres"].limit == 20.0
    assert district.rules["centres"].max_metres == pytest.approx(20 * 4000 / 60)
    assert district.rule("centres", preset="default").limit == 15.0
    bundled = load_scenario("jingkou")
    # a GCJ-02 declaration for the stations moves the stations alone
    shifted = text.replace(
        '[layers.stations]\nfile = "stations.geojson"\ncrs = "wgs84"',
        '[layers.stations]\nfile = "stations.geojson"\ncrs = "gcj02"',
    )
    (folder / MANIFEST_FILE).write_text(shifted, encoding="utf-8")
    moved = load_scenario(folder)
    offset = moved.stations.geometry.x.to_numpy() - bundled.stations.geometry.x.to_numpy()
    assert abs(offset).min() > 1e-3  # GCJ-02 is ~500 m off around Zhenjiang
    assert moved.grids.geometry.equals(bundled.grids.geometry)
    assert moved.rest_points.geometry.equals(bundled.rest_points.geometry)


def test_a_folder_path_or_a_name_and_clear_errors(tmp_path: Path) -> None:
    assert scenario_folder("jingkou").name == "jingkou"
    with pytest.raises(ScenarioError, match="no bundled scenario named 'atlantis'"):
        load_scenario("atlantis")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ScenarioError, match=r"holds no scenario\.toml"):
        load_scenario(empty)


def test_a_manifest_notice_is_the_notice_of_its_scenario(tmp_path: Path) -> None:
    own = load_scenario(notice_folder(tmp_path / "own"))
    assert own.demo_notice("zh") == CUSTOM_NOTICE_ZH
    assert own.demo_notice("en") == CUSTOM_NOTICE_EN
    bundled = load_scenario("yangzhong")
    assert (bundled.demo_notice("zh"), bundled.demo_notice("en")) == (
        DEMO_NOTICE_ZH,
        DEMO_NOTICE_EN,
    )
    assert dataclasses.replace(own, demo=False).demo_notice("zh") is None


def test_a_notice_in_one_language_keeps_the_standard_one_in_the_other(tmp_path: Path) -> None:
    chinese = load_scenario(notice_folder(tmp_path / "zh_only", notice_en=None))
    assert chinese.demo_notice("zh") == CUSTOM_NOTICE_ZH
    assert chinese.demo_notice("en") == DEMO_NOTICE_EN
    english = load_scenario(notice_folder(tmp_path / "en_only", notice_zh=None))
    assert english.demo_notice("zh") == DEMO_NOTICE_ZH
    assert english.demo_notice("en") == CUSTOM_NOTICE_EN


def _with_notices(folder: Path, lines: str) -> None:
    text = (folder / MANIFEST_FILE).read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if not line.startswith(("notice_", "demo ="))]
    (folder / MANIFEST_FILE).write_text(lines + "\n" + "\n".join(kept) + "\n", encoding="utf-8")


def test_a_long_notice_or_one_with_control_characters_is_refused(tmp_path: Path) -> None:
    folder = notice_folder(tmp_path / "bad")
    prefix = 'line one\nline "two" \\ '
    longest = prefix + "长" * (MAX_NOTICE_CHARS - len(prefix))
    manifest = dataclasses.replace(read_manifest(folder), notice_en=longest)
    (folder / MANIFEST_FILE).write_text(manifest_toml(manifest), encoding="utf-8")
    assert read_manifest(folder) == manifest  # quotes, line breaks and the limit itself
    _with_notices(
        folder,
        f'demo = true\nnotice_zh = "{"长" * (MAX_NOTICE_CHARS + 1)}"\n'
        'notice_en = "bell\\u0007 and escape\\u001b"',
    )
    with pytest.raises(ScenarioError) as caught:
        read_manifest(folder)
    assert caught.value.detail["problems"] == [
        f"notice_zh is {MAX_NOTICE_CHARS + 1} characters long; the limit is "
        f"{MAX_NOTICE_CHARS}: shorten it",
        "notice_en holds control characters (U+0007, U+001B); write it as plain text "
        "(line breaks are allowed)",
    ]


def test_a_notice_on_real_data_is_refused(tmp_path: Path) -> None:
    folder = notice_folder(tmp_path / "real")
    _with_notices(folder, 'demo = false\nnotice_zh = "数据截至2025年3月"')
    with pytest.raises(
        ScenarioError, match=r"notice_zh is the notice shown with demo data"
    ) as caught:
        load_scenario(folder)
    assert "add demo = true for illustrative data, or remove notice_zh" in str(caught.value)
    assert len(caught.value.detail["problems"]) == 1
