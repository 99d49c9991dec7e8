"""Reading and validating layers: boundary, grids, stations, rest points, candidates.

Every loader reads GeoJSON, GeoPackage, zipped Shapefile, CSV or XLSX, checks the whole
file and returns a GeoDataFrame in EPSG:4326 with the layer's schema, or raises one
error that lists every problem (row, column, value, fix). See docs/layers.md.
"""

from __future__ import annotations

from geo.layers._validate import Problem, Severity, ValidationReport
from geo.layers.boundary import BoundaryLike, boundary_from_file, boundary_geometry
from geo.layers.candidates import candidates_from_file
from geo.layers.grids import grids_from_file
from geo.layers.rest_points import AMENITY_KEYS, rest_points_from_file
from geo.layers.stations import StationKind, stations_from_file
from geo.layers.validation import LAYER_NAMES, LayerName, validate_layer

__all__ = [
    "AMENITY_KEYS",
    "LAYER_NAMES",
    "BoundaryLike",
    "LayerName",
    "Problem",
    "Severity",
    "StationKind",
    "ValidationReport",
    "boundary_from_file",
    "boundary_geometry",
    "candidates_from_file",
    "grids_from_file",
    "rest_points_from_file",
    "stations_from_file",
    "validate_layer",
]
