"""The stations layer: service centres (党群服务中心) and grid stations (网格党群服务站)."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any, Literal

import geopandas as gpd

from geo.coords import CoordinateSystem
from geo.layers._attributes import choices, flags, identifiers, item_lists, names, texts
from geo.layers._columns import ADDRESS, DEMO, HOURS, ID, KIND, NAME, SERVICES, Columns
from geo.layers._load import LayerSpec, load_layer
from geo.layers._validate import ValidationReport
from geo.layers.boundary import BoundaryLike, boundary_geometry

__all__ = [
    "KINDS",
    "STATIONS",
    "StationKind",
    "stations_from_file",
    "stations_spec",
    "with_default_kind",
]

StationKind = Literal["centre", "station"]

#: Accepted spellings of ``kind`` (lower case) -> kind.
KINDS: dict[str, StationKind] = {
    "centre": "centre",
    "center": "centre",
    "党群服务中心": "centre",
    "中心": "centre",
    "station": "station",
    "网格党群服务站": "station",
    "服务站": "station",
    "站": "station",
}

_KIND_FIX = "use centre (党群服务中心, 中心) or station (网格党群服务站, 服务站, 站)"


def _attributes(columns: Columns, report: ValidationReport) -> dict[str, list[Any]]:
    return {
        "facility_id": identifiers(columns, "facility_id", "stations", report),
        "name": names(columns, report),
        "kind": choices(columns, "kind", KINDS, _KIND_FIX, report),
        "address": texts(columns, "address"),
        "hours": texts(columns, "hours"),
        "services": item_lists(columns, "services", None, report),
        "demo": flags(columns, "demo", report),
    }


STATIONS = LayerSpec(
    name="stations",
    geometry="point",
    columns={
        "facility_id": ("facility_id", "facility_i", *ID),
        "name": NAME,
        "kind": KIND,
        "address": ADDRESS,
        "hours": HOURS,
        "services": SERVICES,
        "demo": DEMO,
    },
    required=("name", "kind"),
    read_attributes=_attributes,
    dtypes={
        "facility_id": "str",
        "name": "str",
        "kind": "str",
        "address": "str",
        "hours": "str",
        "services": "str",
        "demo": "bool",
    },
)


def stations_from_file(
    path: str | os.PathLike[str],
    *,
    crs: CoordinateSystem | None = None,
    boundary: BoundaryLike | None = None,
    source_layer: str | None = None,
    default_kind: StationKind | None = None,
) -> gpd.GeoDataFrame:
    """Load service stations and centres.

    Parameters
    ----------
    path
        A .geojson/.json, .gpkg, zipped Shapefile (.zip), .shp, .csv or .xlsx file.
        CSV/XLSX give coordinates in columns lon/lat, lng/lat, longitude/latitude, x/y
        or 经度/纬度 (degrees).
    crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"}: the system of the file's lon/lat, or None
        for WGS-84 unless the file declares a CRS. Amap and Tencent give "gcj02", Baidu
        gives "bd09".
    boundary
        District boundary (layer, geometry in EPSG:4326, or file); points outside it are
        warned of.
    source_layer
        The GeoPackage layer, XLSX sheet or zipped shapefile to read if the file holds
        several (default: the one called "stations", else the only one).
    default_kind
        {"station", "centre"}: the kind of every row when the file has no kind column
        (then ``kind`` is not required); None requires the column.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, one row per station, columns:

        - ``facility_id`` (str, unique): from ``facility_id``/``id``/``编号``;
          ``stations-<row>`` where missing (warning).
        - ``name`` (str): from ``name``/``名称``; required.
        - ``kind`` (str): {"centre", "station"}, from ``kind``/``类型``; required.
          党群服务中心/中心 -> centre, 网格党群服务站/服务站/站 -> station.
        - ``address`` (str), ``hours`` (str): from ``地址``, ``开放时间``/``营业时间``;
          ``""`` when absent.
        - ``services`` (str): items separated by ``;``, from ``服务内容``/``服务项目``.
        - ``demo`` (bool): True for illustrative data; False when absent.
        - ``geometry``: Point.

    Raises
    ------
    LayerReadError
        If the file cannot be read at all.
    LayerValidationError
        If anything in it is wrong; ``.report`` lists every problem.
    """
    frame = load_layer(
        stations_spec(default_kind),
        path,
        crs=crs,
        boundary=boundary_geometry(boundary),
        source_layer=source_layer,
        stacklevel=2,
    )
    return with_default_kind(frame, default_kind)


def stations_spec(default_kind: StationKind | None) -> LayerSpec:
    """The stations schema, with ``kind`` optional when a default kind is given.

    Parameters
    ----------
    default_kind
        {"station", "centre"} or None (``kind`` required).

    Raises
    ------
    ValueError
        If ``default_kind`` is neither.
    """
    if default_kind is not None and default_kind not in ("station", "centre"):
        msg = f"default_kind must be 'station' or 'centre', got {default_kind!r}"
        raise ValueError(msg)
    return STATIONS if default_kind is None else replace(STATIONS, required=("name",))


def with_default_kind(
    frame: gpd.GeoDataFrame, default_kind: StationKind | None
) -> gpd.GeoDataFrame:
    """Give rows without a kind the default kind (a new frame; None changes nothing)."""
    if default_kind is None:
        return frame
    filled = frame.copy()
    filled["kind"] = filled["kind"].mask(filled["kind"] == "", default_kind)
    return filled
