"""The command line and the service give the same figures for the same parameters."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main
from api.settings import Settings
from geo import settings


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("entry-points")


@pytest.fixture(scope="module")
def client(folder: Path) -> Iterator[TestClient]:
    chosen = Settings(
        scenario="jingkou", data_dir=folder / "store", cache_dir=folder / "cache", offline=True
    )
    with TestClient(create_app(chosen)) as started:
        yield started


@pytest.fixture(autouse=True)
def private_cache(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "cache_folder", folder / "cache")


def _cli(*args: str) -> None:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_sites_agree(client: TestClient, folder: Path) -> None:
    out = folder / "sites"
    _cli("sites", "--scenario", "jingkou", "--layer", "centres", "-k", "4",
         "--speed-kmh", "4", "--out", str(out))  # fmt: skip
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    cli_sites = json.loads((out / "suggestions.geojson").read_text(encoding="utf-8"))
    answer = client.post("/api/sites", json={"layer": "centres", "k": 4, "speed_kmh": 4}).json()
    assert answer["rule"]["speed_kmh"] == 4.0
    assert summary["speed_kmh"] == 4.0
    api_ids = [f["properties"]["candidate_id"] for f in answer["features"]]
    assert [f["properties"]["candidate_id"] for f in cli_sites["features"]] == api_ids
    assert len(api_ids) == 4
    for key in ("residents_covered_before", "residents_covered_after", "residents_added"):
        assert summary[key] == pytest.approx(
            answer["summary"][key], abs=1.0
        )  # API: whole residents


def test_coverage_agrees(client: TestClient, folder: Path) -> None:
    out = folder / "analyze"
    _cli("analyze", "--scenario", "jingkou", "--speed-kmh", "3.5", "--no-progress",
         "--out", str(out))  # fmt: skip
    layers = json.loads((out / "summary.json").read_text(encoding="utf-8"))["layers"]
    for layer in ("stations", "centres", "rest_points"):
        answer = client.get("/api/coverage", params={"layer": layer, "speed_kmh": 3.5}).json()
        assert layers[layer]["speed_kmh"] == answer["rule"]["speed_kmh"] == 3.5
        assert layers[layer]["limit_m"] == pytest.approx(answer["summary"]["limit_m"], abs=1.0)
        assert layers[layer]["residents_covered"] == pytest.approx(
            answer["summary"]["residents_covered"], abs=1.0
        )
