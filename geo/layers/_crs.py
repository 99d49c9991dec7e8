"""Deciding how a layer's coordinates become WGS-84: the ``crs`` argument against the file's CRS.

GCJ-02 and BD-09 have no EPSG code, so no file can declare them: data in those systems
comes as plain lon/lat, either with no CRS or tagged EPSG:4326 / OGC:CRS84 (as Amap
exports are). So ``crs="gcj02"`` or ``"bd09"`` is accepted for such files and
contradicts any other declared CRS. ``"wgs84"`` and ``"cgcs2000"`` name a datum; they
agree with any CRS on that datum (EPSG:4326, EPSG:4490, Web Mercator, UTM, CGCS2000
Gauss-Kruger zones...), and such a projected CRS is reprojected with pyproj.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyproj

from geo.coords import CoordinateSystem
from geo.layers._validate import ValidationReport

__all__ = ["CrsPlan", "describe", "plan_crs"]

_WGS84 = pyproj.CRS.from_epsg(4326)
_CGCS2000 = pyproj.CRS.from_epsg(4490)


@dataclass(frozen=True)
class CrsPlan:
    """How to bring a layer's coordinates to WGS-84.

    Attributes
    ----------
    lonlat
        The system of lon/lat coordinates, converted with :func:`geo.coords.convert`;
        None when the data must be reprojected instead.
    reproject_from
        The declared CRS to reproject from with pyproj; None for lon/lat data.
    """

    lonlat: CoordinateSystem | None
    reproject_from: pyproj.CRS | None = None


def describe(crs: pyproj.CRS) -> str:
    """Name a CRS for messages, e.g. ``"EPSG:3857 (WGS 84 / Pseudo-Mercator)"``."""
    code = crs.to_string() if crs.to_authority() else "a custom CRS"
    return f"{code} ({crs.name})"


def _datum(crs: pyproj.CRS) -> CoordinateSystem | None:
    geodetic = crs.geodetic_crs
    if geodetic is None:
        return None
    if geodetic.equals(_WGS84, ignore_axis_order=True):
        return "wgs84"
    if geodetic.equals(_CGCS2000, ignore_axis_order=True):
        return "cgcs2000"
    return None


def plan_crs(
    crs: CoordinateSystem | None, declared: pyproj.CRS | None, report: ValidationReport
) -> CrsPlan | None:
    """Decide how to convert a layer to WGS-84, or record an error if ``crs`` contradicts the file.

    Parameters
    ----------
    crs
        The coordinate system the caller says the data is in, or None.
    declared
        The CRS the file declares, or None.
    report
        Receives an error when the two contradict.

    Returns
    -------
    CrsPlan or None
        None after recording an error.
    """
    if declared is None:
        return CrsPlan(crs or "wgs84")
    datum = _datum(declared)
    plain_lonlat = declared.is_geographic and datum is not None
    if plain_lonlat and declared.equals(_WGS84, ignore_axis_order=True):
        return CrsPlan(crs or "wgs84")
    if plain_lonlat and crs in (None, "wgs84", "cgcs2000"):
        return CrsPlan(datum)
    if datum is not None and crs in (None, "wgs84", "cgcs2000"):
        return CrsPlan(None, declared)
    if datum is None and crs is None:
        return CrsPlan(None, declared)
    if crs in ("gcj02", "bd09"):
        fix = (
            f"{crs} data is stored as plain lon/lat without a CRS (or tagged EPSG:4326); "
            "if the file's CRS is right, leave out crs (--crs) to use it"
        )
    else:
        fix = "leave out crs (--crs) to use the file's CRS, or correct the CRS in the file"
    report.error(
        None,
        None,
        declared.to_string(),
        f"file declares {describe(declared)} but crs={crs!r} was given",
        fix,
    )
    return None
