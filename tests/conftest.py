"""Fixtures shared by every test folder, and run-wide settings.

No test downloads a walking network unless it asks to: the library's ``settings.offline``
and ``CIRCLES_OFFLINE`` (read by the command line and the service, also in subprocesses)
are set for the whole run; the tests of the download itself turn them off for themselves.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

from geo import settings

DATA = Path(__file__).resolve().parent / "data"


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
