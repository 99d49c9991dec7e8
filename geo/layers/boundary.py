"""The district boundary layer: the outline(s) that the other layers are checked against."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from geo.coords import CoordinateSystem
from geo.layers._attributes import optional_texts, texts
from geo.layers._columns import ADCODE, NAME, Columns
from geo.layers._load import LayerSpec, load_layer
from geo.layers._validate import ValidationReport

__all__ = ["BOUNDARY", "BoundaryLike", "boundary_from_file", "boundary_geometry"]

#: A boundary given to the other loaders: a layer, a geometry (EPSG:4326) or a file.
BoundaryLike: TypeAlias = gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry | str | os.PathLike[str]


def _attributes(columns: Columns, report: ValidationReport) -> dict[str, list[Any]]:
    default = Path(report.source).stem
    return {
        "name": [name or default for name in texts(columns, "name")],
        "adcode": optional_texts(columns, "adcode"),
    }


BOUNDARY = LayerSpec(
    name="boundary",
    geometry="polygon",
    columns={"name": NAME, "adcode": ADCODE},
    required=(),
    read_attributes=_attributes,
    dtypes={"name": "str", "adcode": "str"},
)


def boundary_from_file(
    path: str | os.PathLike[str],
    *,
    crs: CoordinateSystem | None = None,
    source_layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Load a district boundary: one or more outlines (the district, or its streets).

    Parameters
    ----------
    path
        A .geojson/.json, .gpkg, zipped Shapefile (.zip), .shp, .csv or .xlsx file
        (CSV/XLSX with a WKT column ``geometry`` or ``wkt``).
    crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"}: the system of the file's lon/lat, or None
        for WGS-84 unless the file declares a CRS. Amap boundaries are "gcj02".
    source_layer
        The GeoPackage layer, XLSX sheet or zipped shapefile to read if the file holds
        several (default: the one called "boundary", else the only one).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, one row per outline, columns:

        - ``name`` (str): from ``name``/``名称``; the file name when absent.
        - ``adcode`` (str or NA): administrative code, from ``adcode``/``行政区划代码``.
        - ``geometry``: Polygon or MultiPolygon.

    Raises
    ------
    LayerReadError
        If the file cannot be read at all.
    LayerValidationError
        If anything in it is wrong; ``.report`` lists every problem.
    """
    return load_layer(
        BOUNDARY, path, crs=crs, boundary=None, source_layer=source_layer, stacklevel=2
    )


def boundary_geometry(boundary: BoundaryLike | None) -> BaseGeometry | None:
    """Return a boundary as one geometry in EPSG:4326.

    Parameters
    ----------
    boundary
        A GeoDataFrame or GeoSeries (any CRS; EPSG:4326 if it has none), a shapely
        geometry in EPSG:4326, the path of a boundary file (read by
        :func:`boundary_from_file` with its default ``crs``), or None.
    """
    if boundary is None or isinstance(boundary, BaseGeometry):
        return boundary
    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        layer = boundary if boundary.crs is None else boundary.to_crs(4326)
        union: BaseGeometry = layer.union_all()
        return union
    union = boundary_from_file(boundary).union_all()
    return union
