"""Scenario folders for batch tests: the bundled Jingkou demo, altered copies, a broken one."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from geo import settings

LAYER_FILES = ("boundary", "grids", "stations", "rest_points", "candidates")


def jingkou_folder() -> Path:
    return Path(settings.data_folder) / "scenarios" / "jingkou"


def read(path: Path) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return content


def copy_scenario(
    target: Path, *, edit: dict[str, Callable[[list[dict[str, Any]]], list[dict[str, Any]]]]
) -> Path:
    """Copy the Jingkou folder to ``target``, passing some layers' features through ``edit``."""
    target.mkdir(parents=True)
    for stem in LAYER_FILES:
        source = jingkou_folder() / f"{stem}.geojson"
        if stem not in edit:
            shutil.copy(source, target / source.name)
            continue
        collection = read(source)
        collection["features"] = edit[stem](collection["features"])
        (target / source.name).write_text(json.dumps(collection, ensure_ascii=False), "utf-8")
    return target


def break_households(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    features[3]["properties"]["households"] = -5
    return features


@pytest.fixture(scope="session")
def scenario_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A copy of Jingkou with every other station, and one with a bad grid."""
    root = tmp_path_factory.mktemp("scenarios")
    return {
        "half_stations": copy_scenario(
            root / "half_stations", edit={"stations": lambda features: features[::2]}
        ),
        "broken": copy_scenario(root / "broken", edit={"grids": break_households}),
    }
