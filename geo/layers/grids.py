"""The grids layer: community-governance grid polygons (网格) and their residents."""

from __future__ import annotations

import os
from typing import Any

import geopandas as gpd

from geo.coords import CoordinateSystem
from geo.layers._attributes import counts, flags, identifiers, names, optional_texts
from geo.layers._columns import COMMUNITY, DEMO, HOUSEHOLDS, ID, NAME, POPULATION, STREET, Columns
from geo.layers._load import LayerSpec, load_layer
from geo.layers._validate import ValidationReport
from geo.layers.boundary import BoundaryLike, boundary_geometry

__all__ = ["GRIDS", "grids_from_file"]


def _attributes(columns: Columns, report: ValidationReport) -> dict[str, list[Any]]:
    return {
        "grid_id": identifiers(columns, "grid_id", "grids", report),
        "name": names(columns, report),
        "community": optional_texts(columns, "community"),
        "street": optional_texts(columns, "street"),
        "leader": optional_texts(columns, "leader"),
        "phone": optional_texts(columns, "phone"),
        "households": counts(columns, "households", report),
        "population": counts(columns, "population", report),
        "demo": flags(columns, "demo", report),
    }


GRIDS = LayerSpec(
    name="grids",
    geometry="polygon",
    columns={
        "grid_id": ("grid_id", "网格编号", *ID),
        "name": (*NAME, "网格名称"),
        "community": COMMUNITY,
        "street": STREET,
        "leader": ("leader", "grid_leader", "网格长", "网格员"),
        "phone": ("phone", "contact_phone", "联系电话", "电话"),
        "households": HOUSEHOLDS,
        "population": POPULATION,
        "demo": DEMO,
    },
    required=("name",),
    read_attributes=_attributes,
    dtypes={
        "grid_id": "str",
        "name": "str",
        "community": "str",
        "street": "str",
        "leader": "str",
        "phone": "str",
        "households": "Int64",
        "population": "Int64",
        "demo": "bool",
    },
)


def grids_from_file(
    path: str | os.PathLike[str],
    *,
    crs: CoordinateSystem | None = None,
    boundary: BoundaryLike | None = None,
    source_layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Load community-governance grids (网格).

    Parameters
    ----------
    path
        A .geojson/.json, .gpkg, zipped Shapefile (.zip), .shp, .csv or .xlsx file
        (CSV/XLSX with a WKT column ``geometry`` or ``wkt``).
    crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"}: the system of the file's lon/lat, or None
        for WGS-84 unless the file declares a CRS.
    boundary
        District boundary (layer, geometry in EPSG:4326, or file); a grid whose inner
        point lies outside it is warned of.
    source_layer
        The GeoPackage layer, XLSX sheet or zipped shapefile to read if the file holds
        several (default: the one called "grids", else the only one).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, one row per grid, columns:

        - ``grid_id`` (str, unique): from ``grid_id``/``网格编号``/``id``/``编号``;
          ``grids-<row>`` where missing (warning).
        - ``name`` (str): from ``name``/``名称``/``网格名称``; required.
        - ``community``, ``street`` (str or NA): from ``社区``, ``街道``.
        - ``leader``, ``phone`` (str or NA): the grid's public contact, from ``网格长`` /
          ``网格员`` and ``联系电话`` / ``电话``; shown to residents on the public map.
        - ``households``, ``population`` (Int64, NA when unknown): from ``户数``,
          ``人口``/``常住人口``; whole numbers of 0 or more.
        - ``demo`` (bool): True for illustrative data; False when absent.
        - ``geometry``: Polygon or MultiPolygon.

    Raises
    ------
    LayerReadError
        If the file cannot be read at all.
    LayerValidationError
        If anything in it is wrong; ``.report`` lists every problem.
    """
    return load_layer(
        GRIDS,
        path,
        crs=crs,
        boundary=boundary_geometry(boundary),
        source_layer=source_layer,
        stacklevel=2,
    )
