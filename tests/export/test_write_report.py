"""write_report: every export of a scenario in one folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.analysis.network import WalkNetwork
from geo.errors import AnalysisError
from geo.export import REPORT_FILES, write_report
from geo.scenario import Scenario


def test_report_folder_holds_every_export(report: dict[str, Path]) -> None:
    assert set(report) == set(REPORT_FILES)
    for key, path in report.items():
        assert path.name == REPORT_FILES[key]
        assert path.stat().st_size > 0
    assert sorted(p.name for p in report["gpkg"].parent.iterdir()) == sorted(REPORT_FILES.values())


def test_coverage_from_the_network_and_no_stale_suggestions(
    tmp_path: Path, scenario: Scenario, network: WalkNetwork
) -> None:
    stale = tmp_path / "suggestions.csv"
    stale.write_text("rank\n1\n", encoding="utf-8")
    written = write_report(
        tmp_path, scenario=scenario, network=network, layer="centres", language="en"
    )
    assert set(written) == {"gpkg", "xlsx", "grids_csv", "png"}
    assert not (tmp_path / "suggestions.csv").exists()


def test_report_needs_coverage_or_a_network(tmp_path: Path, scenario: Scenario) -> None:
    with pytest.raises(AnalysisError, match="needs `coverage` or a `network`"):
        write_report(tmp_path, scenario=scenario)


def test_report_rejects_a_layer_without_coverage(
    tmp_path: Path, scenario: Scenario, network: WalkNetwork
) -> None:
    with pytest.raises(AnalysisError, match="no coverage for layer 'libraries'"):
        write_report(tmp_path, scenario=scenario, network=network, layer="libraries")
    assert list(tmp_path.iterdir()) == []
