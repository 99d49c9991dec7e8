"""The rest points layer: warm-new rest points (暖"新"驿站) for couriers and riders."""

from __future__ import annotations

import os
from typing import Any

import geopandas as gpd

from geo.coords import CoordinateSystem
from geo.layers._attributes import flags, identifiers, item_lists, names, texts
from geo.layers._columns import ADDRESS, AMENITIES, DEMO, HOURS, ID, NAME, Columns
from geo.layers._load import LayerSpec, load_layer
from geo.layers._validate import ValidationReport
from geo.layers.boundary import BoundaryLike, boundary_geometry

__all__ = ["AMENITY_KEYS", "AMENITY_NAMES", "REST_POINTS", "rest_points_from_file"]

#: The amenity keys, in the order maps list them.
AMENITY_KEYS: tuple[str, ...] = (
    "water",
    "charging",
    "rain_gear",
    "first_aid",
    "masks_sanitiser",
    "seats",
    "toilet",
    "microwave",
    "stationery",
)

#: Accepted amenity names (lower case, spaces as ``_``) -> key.
AMENITY_NAMES: dict[str, str] = {
    **{key: key for key in AMENITY_KEYS},
    "drinking_water": "water",
    "饮用水": "water",
    "饮水": "water",
    "热水": "water",
    "充电": "charging",
    "手机充电": "charging",
    "雨具": "rain_gear",
    "雨伞": "rain_gear",
    "急救药箱": "first_aid",
    "药箱": "first_aid",
    "医药箱": "first_aid",
    "masks_sanitizer": "masks_sanitiser",
    "口罩": "masks_sanitiser",
    "消毒": "masks_sanitiser",
    "座椅": "seats",
    "休息": "seats",
    "厕所": "toilet",
    "卫生间": "toilet",
    "微波炉": "microwave",
    "纸笔": "stationery",
}


def _attributes(columns: Columns, report: ValidationReport) -> dict[str, list[Any]]:
    return {
        "facility_id": identifiers(columns, "facility_id", "rest_points", report),
        "name": names(columns, report),
        "address": texts(columns, "address"),
        "hours": texts(columns, "hours"),
        "amenities": item_lists(columns, "amenities", AMENITY_NAMES, report),
        "demo": flags(columns, "demo", report),
    }


REST_POINTS = LayerSpec(
    name="rest_points",
    geometry="point",
    columns={
        "facility_id": ("facility_id", "facility_i", *ID),
        "name": NAME,
        "address": ADDRESS,
        "hours": HOURS,
        "amenities": AMENITIES,
        "demo": DEMO,
    },
    required=("name",),
    read_attributes=_attributes,
    dtypes={
        "facility_id": "str",
        "name": "str",
        "address": "str",
        "hours": "str",
        "amenities": "str",
        "demo": "bool",
    },
)


def rest_points_from_file(
    path: str | os.PathLike[str],
    *,
    crs: CoordinateSystem | None = None,
    boundary: BoundaryLike | None = None,
    source_layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Load warm-new rest points for couriers, delivery riders and drivers.

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
        several (default: the one called "rest_points", else the only one).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, one row per rest point, columns:

        - ``facility_id`` (str, unique): from ``facility_id``/``id``/``编号``;
          ``rest_points-<row>`` where missing (warning).
        - ``name`` (str): from ``name``/``名称``; required.
        - ``address`` (str), ``hours`` (str): ``""`` when absent.
        - ``amenities`` (str): keys from :data:`AMENITY_KEYS` separated by ``;``, from
          ``amenities``/``设施``/``服务设施``; Chinese names (饮用水, 充电, 雨具...) are
          mapped to keys, unknown items are dropped with a warning.
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
        REST_POINTS,
        path,
        crs=crs,
        boundary=boundary_geometry(boundary),
        source_layer=source_layer,
        stacklevel=2,
    )
