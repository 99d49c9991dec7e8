"""Shared inputs of the export tests: the Jingkou demo scenario in approximate mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.analysis.coverage import CoverageEngine, LayerCoverage, analyze_scenario
from geo.analysis.network import WalkNetwork, approximate_network
from geo.analysis.rules import DEFAULT_RULES
from geo.analysis.siting import SiteSuggestions, maximal_covering_sites
from geo.export import write_report
from geo.scenario import Scenario, load_scenario

#: Sites suggested in the shared fixture.
K = 5


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    return load_scenario("jingkou")


@pytest.fixture(scope="session")
def network(scenario: Scenario) -> WalkNetwork:
    return approximate_network(scenario.boundary)


@pytest.fixture(scope="session")
def coverage(scenario: Scenario, network: WalkNetwork) -> dict[str, LayerCoverage]:
    return analyze_scenario(scenario, network, progress=False)


@pytest.fixture(scope="session")
def suggestions(scenario: Scenario, network: WalkNetwork) -> SiteSuggestions:
    engine = CoverageEngine(network, scenario.grids, progress=False)
    assert scenario.candidates is not None
    return maximal_covering_sites(
        engine,
        scenario.candidates,
        DEFAULT_RULES["stations"],
        k=K,
        facilities=scenario.facilities("stations"),
    )


@pytest.fixture(scope="session")
def report(
    tmp_path_factory: pytest.TempPathFactory,
    scenario: Scenario,
    coverage: dict[str, LayerCoverage],
    suggestions: SiteSuggestions,
) -> dict[str, Path]:
    """Every export of the demo scenario with suggestions for stations, written once."""
    return write_report(
        tmp_path_factory.mktemp("report"),
        scenario=scenario,
        coverage=coverage,
        suggestions=suggestions,
        layer="stations",
    )
