"""Fixtures shared by every test folder, and run-wide settings.

No test downloads a walking network unless it asks to: the library's ``settings.offline``
and ``CIRCLES_OFFLINE`` (read by the command line and the service, also in subprocesses)
are set for the whole run; the tests of the download itself turn them off for themselves.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from geo import settings
from geo.manifest import MANIFEST_FILE, manifest_toml, read_manifest
from geo.scenario import scenario_folder

DATA = Path(__file__).resolve().parent / "data"

#: A scenario's own demo notice, with markup and characters that must stay plain text
#: on every page, in every file and on the command line.
CUSTOM_NOTICE_ZH = '演练数据：人口为街道办估算 <script>alert("zh")</script> & “引号” $5 至 $8'
CUSTOM_NOTICE_EN = '=Drill data <img src=x onerror=alert(1)> for the "Street" office\'s test & 50%'


def notice_folder(
    target: Path,
    *,
    source: str = "yangzhong",
    notice_zh: str | None = CUSTOM_NOTICE_ZH,
    notice_en: str | None = CUSTOM_NOTICE_EN,
) -> Path:
    """Copy a bundled demo scenario folder to ``target`` with its own notices in the
    manifest (None: the manifest gives none in that language); the copy is named after
    ``target``."""
    shutil.copytree(scenario_folder(source), target)
    manifest = dataclasses.replace(
        read_manifest(target), name=target.name, notice_zh=notice_zh, notice_en=notice_en
    )
    (target / MANIFEST_FILE).write_text(manifest_toml(manifest), encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def noticed_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled Yangzhong demo as a folder whose manifest gives its own notices
    (:data:`CUSTOM_NOTICE_ZH`, :data:`CUSTOM_NOTICE_EN`)."""
    return notice_folder(tmp_path_factory.mktemp("noticed") / "noticed")


def pytest_configure(config: pytest.Config) -> None:
    os.environ["CIRCLES_OFFLINE"] = "true"
    settings.offline = True


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, DATA / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def hostile_script() -> ModuleType:
    """The script that writes the hostile-file corpus (tests/data/make_hostile_corpus.py)."""
    return _script("make_hostile_corpus")


@pytest.fixture(scope="session")
def hostile_corpus(hostile_script: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile-file corpus, written once per test session into a temporary folder."""
    folder = tmp_path_factory.mktemp("hostile")
    hostile_script.write_corpus(folder)
    return folder
