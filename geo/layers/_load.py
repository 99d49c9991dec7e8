"""The loading pipeline every layer shares: read, match columns, geometry, attributes, report."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo.coords import CoordinateSystem, check_coordinate_system
from geo.layers._budget import Budget, check_vertices
from geo.layers._columns import Columns, check_text, match_columns
from geo.layers._crs import plan_crs
from geo.layers._geometry import GeometryKind, check_within, source_geometry, to_wgs84
from geo.layers._read import read_table
from geo.layers._validate import ValidationReport

__all__ = ["Checked", "LayerSpec", "check_layer", "load_layer"]

logger = logging.getLogger(__name__)

AttributeReader = Callable[[Columns, ValidationReport], dict[str, list[Any]]]


@dataclass(frozen=True)
class LayerSpec:
    """What a layer holds and how its attributes are read.

    Attributes
    ----------
    name
        Layer name, in {"boundary", "grids", "stations", "rest_points", "candidates"}.
    geometry
        {"point", "polygon"}.
    columns
        Schema column -> accepted normalised headers (coordinates are accepted besides).
    required
        Schema columns that must be present.
    read_attributes
        Builds the output's attribute columns from the cells, recording problems.
    dtypes
        Output column -> pandas dtype, in output order (geometry comes last).
    """

    name: str
    geometry: GeometryKind
    columns: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    read_attributes: AttributeReader
    dtypes: Mapping[str, str]


@dataclass(frozen=True)
class Checked:
    """The outcome of checking a layer file: the report, and the content when it is ok."""

    spec: LayerSpec
    report: ValidationReport
    attributes: Mapping[str, list[Any]]
    geometry: list[BaseGeometry | None]

    def frame(self) -> gpd.GeoDataFrame:
        """Build the layer's GeoDataFrame (EPSG:4326); only call when ``report.ok``."""
        data = {
            name: pd.array(self.attributes[name], dtype=dtype)  # type: ignore[call-overload]
            for name, dtype in self.spec.dtypes.items()
        }
        geometry = gpd.GeoSeries(self.geometry, crs="EPSG:4326")
        return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")


def check_layer(
    spec: LayerSpec,
    path: str | os.PathLike[str],
    *,
    crs: str | None,
    boundary: BaseGeometry | None,
    source_layer: str | None,
    budget: Budget | None = None,
) -> Checked:
    """Read and check a layer file, recording every problem in the report.

    Parameters
    ----------
    spec
        The layer.
    path
        The file.
    crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"} or None: the system of the file's lon/lat.
    boundary
        District outline in EPSG:4326, or None; features outside it are warned of.
    source_layer
        Sheet, GeoPackage layer or zipped shapefile to read, when the file holds several.
    budget
        The limits the file must keep to; None uses the current :mod:`geo.settings`.

    Raises
    ------
    FileProblemError
        If the file cannot be read at all, or exceeds the budget (``BudgetError``).
    CoordinateSystemError
        If ``crs`` is not a supported name.
    """
    system: CoordinateSystem | None = None if crs is None else check_coordinate_system(crs)
    file = Path(path)
    report = ValidationReport(layer=spec.name, source=file.name)
    budget = Budget.current() if budget is None else budget
    raw = read_table(file, layer=spec.name, source_layer=source_layer, report=report, budget=budget)
    report.rows = len(raw.frame)
    if report.rows > budget.features:
        found = f"the file holds {report.rows:,} features"
        raise budget.refuse(file, "features", found)
    columns = match_columns(
        raw.frame, spec.columns, required=spec.required, layer=spec.name, report=report
    )
    check_text(columns, report)
    written, labels = source_geometry(raw.geometry, columns, spec.geometry, spec.name, report)
    check_vertices(file, written, columns.rows, budget)
    plan = plan_crs(system, raw.declared_crs, report)
    if plan is None:
        geometry: list[BaseGeometry | None] = [None] * len(written)
    else:
        geometry = to_wgs84(written, columns.rows, plan, labels, report)
    attributes = spec.read_attributes(columns, report)
    if report.rows == 0:
        report.error(None, None, None, "file holds no features", "add the features to the file")
    if boundary is not None:
        check_within(geometry, written, columns.rows, boundary, labels, spec.name, report)
    if report.ok:
        report.features = report.rows
    logger.info("%s", report.summary())
    return Checked(spec, report, attributes, geometry)


def load_layer(
    spec: LayerSpec,
    path: str | os.PathLike[str],
    *,
    crs: str | None,
    boundary: BaseGeometry | None,
    source_layer: str | None,
    stacklevel: int,
) -> gpd.GeoDataFrame:
    """Load a layer file completely or not at all.

    Raises :class:`LayerValidationError` (with the report) on any error; warns of each
    warning with ``stacklevel`` counted from the caller.
    """
    checked = check_layer(spec, path, crs=crs, boundary=boundary, source_layer=source_layer)
    checked.report.raise_or_warn(stacklevel=stacklevel + 1)
    return checked.frame()
