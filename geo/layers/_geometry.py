"""A layer's geometry: built from the file, checked, repaired where safe, converted to WGS-84."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.coords import convert
from geo.layers._cells import is_blank, show, to_float
from geo.layers._columns import Columns
from geo.layers._crs import CrsPlan, describe
from geo.layers._validate import ValidationReport

__all__ = ["GeometryKind", "Labels", "check_within", "source_geometry", "to_wgs84"]

GeometryKind = Literal["point", "polygon"]

_Geometries = list[BaseGeometry | None]


@dataclass(frozen=True)
class Labels:
    """Column names under which geometry problems are reported, as in the file.

    Attributes
    ----------
    lon, lat
        The longitude and latitude columns, or the geometry column for both.
    cells
        True when lon and lat are cells of their own (CSV/XLSX), False for a geometry.
    """

    lon: str
    lat: str
    cells: bool


def _parse_point(
    columns: Columns, row: int, lon: object, lat: object, report: ValidationReport
) -> Point | None:
    values: list[float] = []
    for target, value in (("lon", lon), ("lat", lat)):
        label = columns.label(target)
        if is_blank(value):
            report.error(
                row,
                label,
                None,
                f"{target} value is missing",
                "fill in lon and lat in degrees, or delete the row",
            )
            continue
        try:
            values.append(to_float(value))
        except ValueError:
            report.error(
                row,
                label,
                value,
                f"value {show(value)} is not a number",
                "write the coordinate in decimal degrees, such as 119.4550 or 32.2040",
            )
    return Point(values) if len(values) == 2 else None


def _parse_wkt(
    row: int, label: str, value: object, report: ValidationReport
) -> BaseGeometry | None:
    if is_blank(value):
        return None
    try:
        return shapely.from_wkt(str(value).strip())
    except shapely.errors.ShapelyError as exc:
        shown = str(value) if len(str(value)) <= 40 else str(value)[:40] + "..."
        report.error(
            row,
            label,
            shown,
            f"value {shown!r} is not WKT geometry ({exc})",
            "write it as WKT, e.g. POLYGON ((119.45 32.20, 119.46 32.20, 119.46 32.21, "
            "119.45 32.20))",
        )
        return None


def _polygonal(geometry: BaseGeometry) -> Polygon | MultiPolygon | None:
    if isinstance(geometry, Polygon | MultiPolygon):
        return geometry
    parts = [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if isinstance(merged, Polygon | MultiPolygon) else None


def _repair(
    row: int, label: str, geometry: BaseGeometry, report: ValidationReport
) -> BaseGeometry | None:
    """Repair an invalid polygon if that keeps its area within 1 %, else record an error."""
    reason = shapely.is_valid_reason(geometry)
    repaired = _polygonal(shapely.make_valid(geometry))
    before = abs(geometry.area)
    after = repaired.area if repaired is not None else 0.0
    if repaired is not None and before > 0 and abs(after - before) <= 0.01 * before:
        report.warning(
            row,
            label,
            reason,
            f"polygon is invalid ({reason}) and was repaired, keeping its area",
            "check the outline in a GIS and save it valid",
        )
        return repaired
    change = (
        "its outline encloses no area"
        if before == 0
        else (f"repairing it would change its area by {abs(after - before) / before:.0%}")
    )
    report.error(
        row,
        label,
        reason,
        f"polygon is invalid ({reason}); {change}",
        "redraw the outline so that it does not cross itself (no bow-ties)",
    )
    return None


def _shape(
    row: int,
    label: str,
    geometry: BaseGeometry | None,
    kind: GeometryKind,
    report: ValidationReport,
) -> BaseGeometry | None:
    """Check a geometry's presence and type; repair invalid polygons."""
    if geometry is None or geometry.is_empty:
        report.error(
            row,
            label,
            None,
            "geometry is empty",
            "draw the feature or delete the row"
            if kind == "polygon"
            else "give the point's coordinates or delete the row",
        )
        return None
    geometry = shapely.force_2d(geometry)
    if kind == "point" and isinstance(geometry, MultiPoint) and len(geometry.geoms) == 1:
        return geometry.geoms[0]
    expected = (Point,) if kind == "point" else (Polygon, MultiPolygon)
    if not isinstance(geometry, expected):
        wanted = "a Point" if kind == "point" else "a Polygon or MultiPolygon"
        report.error(
            row,
            label,
            geometry.geom_type,
            f"geometry is a {geometry.geom_type}, not {wanted}",
            f"this layer holds {kind}s: give each feature {wanted}",
        )
        return None
    if kind == "polygon" and not geometry.is_valid:
        return _repair(row, label, geometry, report)
    return geometry


def source_geometry(
    geometry: Sequence[BaseGeometry | None] | None,
    columns: Columns,
    kind: GeometryKind,
    layer: str,
    report: ValidationReport,
) -> tuple[_Geometries, Labels]:
    """Build each row's geometry, as written in the file (not yet converted).

    Parameters
    ----------
    geometry
        Geometries read from a GIS format, or None for CSV/XLSX, whose geometry comes
        from lon/lat columns (points) or a WKT column.
    columns
        The table's cells.
    kind
        {"point", "polygon"}: what the layer holds.
    layer
        Layer name, for messages.
    report
        Receives an error for every missing, unreadable, wrong-type or broken geometry.

    Returns
    -------
    geometries, labels
        One geometry per row, None where there is an error; the column names to report
        coordinate problems under.
    """
    rows = columns.rows
    if geometry is not None:
        labels = Labels("geometry", "geometry", False)
        return [
            _shape(r, "geometry", g, kind, report) for r, g in zip(rows, geometry, strict=True)
        ], labels
    has_lonlat = "lon" in columns and "lat" in columns
    if kind == "point" and has_lonlat:
        labels = Labels(columns.label("lon"), columns.label("lat"), True)
        pairs = zip(columns.cells("lon"), columns.cells("lat"), strict=True)
        return [_parse_point(columns, r, lon, lat, report) for (r, lon), (_, lat) in pairs], labels
    if "wkt" in columns:
        label = columns.label("wkt")
        shaped: _Geometries = []
        for row, value in columns.cells("wkt"):
            parsed = _parse_wkt(row, label, value, report)
            unreadable = parsed is None and not is_blank(value)
            shaped.append(None if unreadable else _shape(row, label, parsed, kind, report))
        return shaped, Labels(label, label, False)
    if kind == "point":
        fix = "add columns lon and lat (or 经度 and 纬度) in degrees"
        message = (
            "no coordinate columns"
            if not ("lon" in columns or "lat" in columns)
            else (f"column {'lat' if 'lon' in columns else 'lon'} is missing")
        )
    else:
        fix = "add a WKT column geometry, or use GeoJSON, GeoPackage or a zipped Shapefile"
        message = f"no polygon geometry: {layer} needs polygons, not lon/lat points"
    report.error(None, None, None, message, fix)
    return [None] * len(rows), Labels("geometry", "geometry", False)


def _degrees_fix(value: float) -> str:
    if abs(value) > 1000:
        return (
            "the value looks like metres of a projected CRS, not degrees: convert to lon/lat, "
            "or use a GeoPackage or Shapefile that declares its CRS"
        )
    return "give lon in [-180, 180] and lat in [-90, 90] degrees"


def _in_range(row: int, geometry: BaseGeometry, labels: Labels, report: ValidationReport) -> bool:
    minx, miny, maxx, maxy = geometry.bounds
    ok = True
    if miny < -90 or maxy > 90:
        value = maxy if maxy > 90 else miny
        swapped = minx >= -90 and maxx <= 90
        noun = "value" if labels.cells else "latitude"
        report.error(
            row,
            labels.lat,
            value,
            f"{noun} {value!r} is out of range [-90, 90]",
            "are lon and lat swapped?" if swapped else _degrees_fix(value),
        )
        ok = False
    if minx < -180 or maxx > 180:
        value = maxx if maxx > 180 else minx
        noun = "value" if labels.cells else "longitude"
        report.error(
            row,
            labels.lon,
            value,
            f"{noun} {value!r} is out of range [-180, 180]",
            _degrees_fix(value),
        )
        ok = False
    return ok


def _convert_lonlat(geometries: list[BaseGeometry], src: str) -> list[BaseGeometry]:
    def shift(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lon, lat = convert(coords[:, 0], coords[:, 1], src, "wgs84")
        return np.column_stack([lon, lat])

    converted = shapely.transform(np.asarray(geometries, dtype=object), shift)
    return list(converted)


def to_wgs84(
    geometries: _Geometries,
    rows: list[int],
    plan: CrsPlan,
    labels: Labels,
    report: ValidationReport,
) -> _Geometries:
    """Check lon/lat ranges and convert every present geometry to WGS-84 (EPSG:4326).

    ``rows`` are the 1-based row numbers of ``geometries``, for messages. Lon/lat data is
    range-checked as written, then converted with :func:`geo.coords.convert`; data in a
    declared projected (or other) CRS is reprojected with pyproj, then range-checked.
    """
    result: _Geometries = list(geometries)
    present = [i for i, g in enumerate(result) if g is not None]
    if plan.reproject_from is not None:
        series = gpd.GeoSeries([result[i] for i in present], crs=plan.reproject_from).to_crs(4326)
        for i, geometry in zip(present, series, strict=True):
            result[i] = geometry
    checked = []
    for i in present:
        geometry = result[i]
        if geometry is not None and _in_range(rows[i], geometry, labels, report):
            checked.append(i)
        else:
            result[i] = None
    if plan.reproject_from is not None and len(checked) < len(present):
        report.error(
            None,
            None,
            plan.reproject_from.to_string(),
            f"some coordinates fall outside the world after reprojecting from "
            f"{describe(plan.reproject_from)}",
            "check the CRS the file declares",
        )
    if plan.lonlat in ("gcj02", "bd09") and checked:
        converted = _convert_lonlat(
            [g for g in (result[i] for i in checked) if g is not None], plan.lonlat
        )
        for i, geometry in zip(checked, converted, strict=True):
            result[i] = geometry
    return result


def check_within(
    geometries: _Geometries,
    written: _Geometries,
    rows: list[int],
    boundary: BaseGeometry,
    labels: Labels,
    layer: str,
    report: ValidationReport,
) -> None:
    """Warn of every point outside ``boundary``, and every polygon whose inner point is.

    ``geometries`` and ``boundary`` are in EPSG:4326; ``written`` are the same geometries
    as the file gives them (before conversion), whose coordinates a point's warning
    quotes when they differ; ``rows`` numbers the geometries as the file does.
    """
    present = [
        (row, g, w) for row, g, w in zip(rows, geometries, written, strict=True) if g is not None
    ]
    probes = [g if isinstance(g, Point) else g.representative_point() for _, g, _ in present]
    inside = shapely.covers(boundary, np.asarray(probes, dtype=object))
    for (row, geometry, source), probe, covered in zip(present, probes, inside, strict=True):
        if covered:
            continue
        where = f"{probe.x:.6f}, {probe.y:.6f}"
        noun = "point" if isinstance(geometry, Point) else "polygon"
        if isinstance(source, Point) and not source.equals_exact(probe, 1e-9):
            where_written = f"{source.x!r}, {source.y!r}"
            noun_where = f"point at {where} (WGS-84; {where_written} as written in the file)"
        else:
            noun_where = f"{noun} at {where}"
        report.warning(
            row,
            labels.lat if labels.cells else labels.lon,
            where,
            f"{noun_where} lies outside the district boundary",
            f"check its coordinates and the crs of the {layer} file",
        )
