"""Analyses: walking network, service circles, coverage, underserved grids, siting, nearest."""
