"""Conversion between the coordinate systems used for maps of China.

Four systems are supported, all as lon/lat degrees:

``wgs84``
    WGS-84 (EPSG:4326), used by GPS and OpenStreetMap.
``cgcs2000``
    China Geodetic Coordinate System 2000 (EPSG:4490), used by Tianditu and official
    surveys. It differs from WGS-84 by centimetres, so it is treated as WGS-84.
``gcj02``
    The obfuscated "Mars" system required for published maps in China (Amap, Tencent,
    Apple and Google maps inside China). It is WGS-84 plus a smooth offset of up to
    ~700 m (about 500 m in Zhenjiang). Points outside China carry no offset.
``bd09``
    Baidu's system: GCJ-02 plus a further rotation and shift.

WGS-84 to GCJ-02 and GCJ-02 to BD-09 are closed formulas; their inverses are not, so
GCJ-02 to WGS-84 and BD-09 to GCJ-02 are solved by fixed-point iteration until the round
trip closes to within 1e-9 degrees (about 0.1 mm). (The closed-form BD-09 inverse found
in most libraries is off by up to ~0.2 m; here it only seeds the iteration.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from geo.errors import CoordinateSystemError

__all__ = [
    "COORDINATE_SYSTEMS",
    "CoordinateSystem",
    "check_coordinate_system",
    "convert",
    "in_china",
]

CoordinateSystem = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]
COORDINATE_SYSTEMS: tuple[str, ...] = get_args(CoordinateSystem)

FloatArray = npt.NDArray[np.float64]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_BD_PI = np.pi * 3000.0 / 180.0
_INVERSE_TOLERANCE_DEG = 1e-9
_INVERSE_MAX_ITERATIONS = 30


def in_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Tell which points fall in the rectangle where GCJ-02 applies its offset.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees.

    Returns
    -------
    numpy.ndarray
        Boolean array, True where the GCJ-02 offset applies. This is the rough
        bounding box that GCJ-02 implementations use (lon 72.004-137.8347,
        lat 0.8293-55.8271), not the national border.
    """
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    return (lon_a >= 72.004) & (lon_a <= 137.8347) & (lat_a >= 0.8293) & (lat_a <= 55.8271)


def _transform_lat(x: FloatArray, y: FloatArray) -> FloatArray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: FloatArray, y: FloatArray) -> FloatArray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj02_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return the (dlon, dlat) that GCJ-02 adds to a WGS-84 point, zero outside China."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _wgs84_to_gcj02(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    dlon, dlat = _gcj02_offset(lon, lat)
    return lon + dlon, lat + dlat


def _invert(
    forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    lon: FloatArray,
    lat: FloatArray,
    start: tuple[FloatArray, FloatArray],
) -> tuple[FloatArray, FloatArray]:
    """Solve ``forward(x) == (lon, lat)`` by fixed-point iteration from ``start``.

    Both offsets are smooth and small, so each step divides the error by a large factor;
    the loop stops once every point's round trip closes to within 1e-9 degrees.
    """
    x_lon, x_lat = start
    for _ in range(_INVERSE_MAX_ITERATIONS):
        f_lon, f_lat = forward(x_lon, x_lat)
        err_lon, err_lat = f_lon - lon, f_lat - lat
        x_lon, x_lat = x_lon - err_lon, x_lat - err_lat
        if np.all(np.abs(err_lon) < _INVERSE_TOLERANCE_DEG) and np.all(
            np.abs(err_lat) < _INVERSE_TOLERANCE_DEG
        ):
            break
    return x_lon, x_lat


def _gcj02_to_wgs84(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Invert GCJ-02: find the WGS-84 point whose GCJ-02 image is the input."""
    return _invert(_wgs84_to_gcj02, lon, lat, (lon.copy(), lat.copy()))


def _gcj02_to_bd09(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _BD_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The usual closed-form inverse of BD-09; it is off by up to ~0.2 m."""
    x = lon - 0.0065
    y = lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _bd09_to_gcj02(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Invert BD-09 exactly, refining the closed-form inverse by fixed-point iteration."""
    return _invert(_gcj02_to_bd09, lon, lat, _bd09_to_gcj02_approx(lon, lat))


def _to_wgs84(lon: FloatArray, lat: FloatArray, src: str) -> tuple[FloatArray, FloatArray]:
    if src == "gcj02":
        return _gcj02_to_wgs84(lon, lat)
    if src == "bd09":
        return _gcj02_to_wgs84(*_bd09_to_gcj02(lon, lat))
    return lon, lat


def _from_wgs84(lon: FloatArray, lat: FloatArray, dst: str) -> tuple[FloatArray, FloatArray]:
    if dst == "gcj02":
        return _wgs84_to_gcj02(lon, lat)
    if dst == "bd09":
        return _gcj02_to_bd09(*_wgs84_to_gcj02(lon, lat))
    return lon, lat


def check_coordinate_system(name: str) -> CoordinateSystem:
    """Return ``name`` lower-cased if it is a supported coordinate system, else raise.

    Parameters
    ----------
    name
        One of {"wgs84", "cgcs2000", "gcj02", "bd09"}, in any case.

    Raises
    ------
    CoordinateSystemError
        If the name is not supported.
    """
    normalised = str(name).strip().lower().replace("-", "").replace("_", "")
    if normalised not in COORDINATE_SYSTEMS:
        msg = (
            f"unknown coordinate system {name!r}; use one of {', '.join(COORDINATE_SYSTEMS)} "
            "(Amap and Tencent give gcj02, Baidu gives bd09, GPS and OpenStreetMap give wgs84)"
        )
        raise CoordinateSystemError(msg)
    return normalised  # type: ignore[return-value]


def convert(
    lon: npt.ArrayLike, lat: npt.ArrayLike, src: str, dst: str
) -> tuple[FloatArray, FloatArray]:
    """Convert lon/lat coordinates between Chinese map coordinate systems.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees, in ``src``: scalars, sequences, arrays or
        pandas/GeoPandas Series of equal length.
    src, dst
        Source and target system, each in {"wgs84", "cgcs2000", "gcj02", "bd09"}.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lon, lat)`` in ``dst``, float64 arrays of the input's shape.

    Raises
    ------
    CoordinateSystemError
        If ``src`` or ``dst`` is not a supported system.

    Notes
    -----
    GCJ-02 to WGS-84 and BD-09 to GCJ-02 are solved iteratively; the round trips
    WGS-84 -> GCJ-02 -> WGS-84 and WGS-84 -> BD-09 -> WGS-84 close to well under a
    millimetre. Points outside China's GCJ-02 rectangle are
    returned unshifted by GCJ-02 (BD-09's own shift still applies).

    Examples
    --------
    >>> lon, lat = convert(119.4550, 32.2000, "gcj02", "wgs84")
    """
    src_cs = check_coordinate_system(src)
    dst_cs = check_coordinate_system(dst)
    lon_a = np.array(lon, dtype=float, copy=True)
    lat_a = np.array(lat, dtype=float, copy=True)
    if lon_a.shape != lat_a.shape:
        msg = f"lon and lat differ in shape: {lon_a.shape} and {lat_a.shape}"
        raise ValueError(msg)
    if src_cs == dst_cs:
        return lon_a, lat_a
    wlon, wlat = _to_wgs84(lon_a, lat_a, src_cs)
    return _from_wgs84(wlon, wlat, dst_cs)
