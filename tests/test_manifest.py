"""Scenario manifests: the format, every problem reported at once, and what they load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from geo.district import District
from geo.errors import ScenarioError
from geo.manifest import MANIFEST_FILE, LayerSource, Manifest, manifest_toml, read_manifest
from geo.scenario import load_scenario, scenario_folder

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
