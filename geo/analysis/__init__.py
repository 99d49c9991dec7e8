"""Analyses: walking network, service circles, coverage, underserved grids, siting, nearest."""

from geo.analysis.coverage import CoverageEngine, LayerCoverage, analyze_scenario
from geo.analysis.nearest import NearestFacilities, NearestResult
from geo.analysis.network import (
    WalkNetwork,
    approximate_network,
    network_from_graph,
    network_from_graphml,
    network_from_osm_file,
    walk_network,
)
from geo.analysis.rules import DEFAULT_RULES, REST_POINT_CIRCLE, ServiceRule, gb50180_rules
from geo.analysis.service_areas import NodeDistances, node_distances, service_areas
from geo.analysis.underserved import underserved_grids

__all__ = [
    "DEFAULT_RULES",
    "REST_POINT_CIRCLE",
    "CoverageEngine",
    "LayerCoverage",
    "NearestFacilities",
    "NearestResult",
    "NodeDistances",
    "ServiceRule",
    "WalkNetwork",
    "analyze_scenario",
    "approximate_network",
    "gb50180_rules",
    "network_from_graph",
    "network_from_graphml",
    "network_from_osm_file",
    "node_distances",
    "service_areas",
    "underserved_grids",
    "walk_network",
]
