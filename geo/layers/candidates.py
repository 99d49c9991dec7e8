"""The candidates layer: places where a new station could go."""

from __future__ import annotations

import os
from typing import Any

import geopandas as gpd

from geo.coords import CoordinateSystem
from geo.layers._attributes import flags, identifiers, optional_texts, texts
from geo.layers._columns import DEMO, ID, KIND, NAME, Columns
from geo.layers._load import LayerSpec, load_layer
from geo.layers._validate import ValidationReport
from geo.layers.boundary import BoundaryLike, boundary_geometry

__all__ = ["CANDIDATES", "candidates_from_file"]


def _attributes(columns: Columns, report: ValidationReport) -> dict[str, list[Any]]:
    ids = identifiers(columns, "candidate_id", "candidates", report)
    return {
        "candidate_id": ids,
        "name": [name or id_ for name, id_ in zip(texts(columns, "name"), ids, strict=True)],
        "kind": optional_texts(columns, "kind"),
        "demo": flags(columns, "demo", report),
    }


CANDIDATES = LayerSpec(
    name="candidates",
    geometry="point",
    columns={
        "candidate_id": ("candidate_id", "candidate_", *ID),
        "name": NAME,
        "kind": KIND,
        "demo": DEMO,
    },
    required=(),
    read_attributes=_attributes,
    dtypes={"candidate_id": "str", "name": "str", "kind": "str", "demo": "bool"},
)


def candidates_from_file(
    path: str | os.PathLike[str],
    *,
    crs: CoordinateSystem | None = None,
    boundary: BoundaryLike | None = None,
    source_layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Load candidate sites for new stations.

    Parameters
    ----------
    path
        A .geojson/.json, .gpkg, zipped Shapefile (.zip), .shp, .csv or .xlsx file.
        CSV/XLSX give coordinates in columns lon/lat, lng/lat, longitude/latitude, x/y
        or 经度/纬度 (degrees).
    crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"}: the system of the file's lon/lat, or None
        for WGS-84 unless the file declares a CRS.
    boundary
        District boundary (layer, geometry in EPSG:4326, or file); points outside it are
        warned of.
    source_layer
        The GeoPackage layer, XLSX sheet or zipped shapefile to read if the file holds
        several (default: the one called "candidates", else the only one).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, one row per site, columns:

        - ``candidate_id`` (str, unique): from ``candidate_id``/``id``/``编号``;
          ``candidates-<row>`` where missing (warning).
        - ``name`` (str): from ``name``/``名称``; the id when absent.
        - ``kind`` (str or NA): free text such as "community room", from ``kind``/``类型``.
        - ``demo`` (bool): True for illustrative data; False when absent.
        - ``geometry``: Point.

    Raises
    ------
    LayerReadError
        If the file cannot be read at all.
    LayerValidationError
        If anything in it is wrong; ``.report`` lists every problem.
    """
    return load_layer(
        CANDIDATES,
        path,
        crs=crs,
        boundary=boundary_geometry(boundary),
        source_layer=source_layer,
        stacklevel=2,
    )
