"""Checking any layer file by name, for the command line and the upload endpoint."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Literal, get_args

import geopandas as gpd

from geo.coords import CoordinateSystem
from geo.errors import LayerError, LayerValidationError, LayerWarning
from geo.layers._budget import Budget
from geo.layers._load import LayerSpec, check_layer
from geo.layers._read import FileProblemError
from geo.layers._validate import ValidationReport
from geo.layers.boundary import BOUNDARY, BoundaryLike, boundary_geometry
from geo.layers.candidates import CANDIDATES
from geo.layers.grids import GRIDS
from geo.layers.rest_points import REST_POINTS
from geo.layers.stations import STATIONS, StationKind, stations_spec, with_default_kind

__all__ = ["LAYER_NAMES", "LayerName", "validate_layer"]

LayerName = Literal["boundary", "grids", "stations", "rest_points", "candidates"]
LAYER_NAMES: tuple[str, ...] = get_args(LayerName)

_SPECS: dict[str, LayerSpec] = {
    spec.name: spec for spec in (BOUNDARY, GRIDS, STATIONS, REST_POINTS, CANDIDATES)
}


def _boundary_problem(exc: LayerError) -> str:
    if isinstance(exc, LayerValidationError) and isinstance(exc.report, ValidationReport):
        return "; ".join(p.to_text() for p in exc.report.errors)
    return str(exc)


def validate_layer(
    layer: LayerName,
    path: str | os.PathLike[str],
    *,
    crs: CoordinateSystem | None = None,
    boundary: BoundaryLike | None = None,
    source_layer: str | None = None,
    budget: Budget | None = None,
    default_kind: StationKind | None = None,
) -> tuple[gpd.GeoDataFrame | None, ValidationReport]:
    """Check a layer file and report every problem, without raising for its content.

    Parameters
    ----------
    layer
        {"boundary", "grids", "stations", "rest_points", "candidates"}.
    path
        The file, in any format the layer's loader reads.
    crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"} or None, as for the loaders.
    boundary
        District boundary (layer, geometry in EPSG:4326, or file) to warn of features
        outside it; ignored for the boundary layer itself.
    source_layer
        The GeoPackage layer, XLSX sheet or zipped shapefile to read if the file holds several.
    budget
        The limits the file must keep to (features, columns, cells, vertices, nesting,
        bytes); None uses the current :mod:`geo.settings`. A file past one is reported
        as one error naming the limit.
    default_kind
        Stations only: {"station", "centre"}, the kind of rows when the file has no kind
        column (then ``kind`` is not required); None requires the column.

    Returns
    -------
    layer, report
        The loaded layer (EPSG:4326, the loader's schema) or None when there is an
        error, and the report of every error and warning. Warnings are not emitted.

    Raises
    ------
    LayerError
        If ``layer`` is not a layer name.
    CoordinateSystemError
        If ``crs`` is not a supported coordinate system.
    """
    spec = _SPECS.get(layer)
    if spec is None:
        msg = f"unknown layer {layer!r}; use one of {', '.join(LAYER_NAMES)}"
        raise LayerError(msg)
    if default_kind is not None:
        if spec is not STATIONS:
            msg = f"a default kind is for the stations layer, not {layer!r}"
            raise LayerError(msg)
        spec = stations_spec(default_kind)
    source = Path(path).name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LayerWarning)
            outline = boundary_geometry(boundary) if spec is not BOUNDARY else None
    except LayerError as exc:
        report = ValidationReport(spec.name, source)
        report.error(
            None,
            None,
            str(boundary),
            f"the boundary cannot be used: {_boundary_problem(exc)}",
            "check the boundary file on its own: circles validate boundary FILE",
        )
        return None, report
    try:
        checked = check_layer(
            spec, path, crs=crs, boundary=outline, source_layer=source_layer, budget=budget
        )
    except FileProblemError as exc:
        return None, ValidationReport(spec.name, source, problems=[exc.problem])
    if not checked.report.ok:
        return None, checked.report
    return with_default_kind(checked.frame(), default_kind), checked.report
