"""Exports in the user's coordinate system: WGS-84 (default), CGCS2000, GCJ-02, BD-09.

Analyses run in WGS-84; an export converts its coordinates once, at the edge, and names
the system in its headers (``经度(GCJ-02)``) and notes. GCJ-02 (Amap, Tencent) and BD-09
(Baidu) have no EPSG code: their files keep the EPSG:4326 tag with shifted coordinates,
which is how those maps' own tools exchange them, and say so in their notes.
"""

from __future__ import annotations

from typing import Any, Final

import geopandas as gpd
import numpy as np
import shapely
import shapely.geometry

from geo.coords import CoordinateSystem, check_coordinate_system, convert

__all__ = ["CRS_NAMES", "collection_in_crs", "coordinate_header", "in_crs", "in_crs_xy"]

#: Display name of each coordinate system, as headers and notes write it.
CRS_NAMES: Final[dict[str, str]] = {
    "wgs84": "WGS-84",
    "cgcs2000": "CGCS2000",
    "gcj02": "GCJ-02",
    "bd09": "BD-09",
}


def in_crs_xy(
    lon: np.ndarray, lat: np.ndarray, out_crs: CoordinateSystem
) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 lon/lat degrees converted to ``out_crs`` (CGCS2000 equals WGS-84 to ~1 m)."""
    if out_crs in ("wgs84", "cgcs2000"):
        return lon, lat
    return convert(lon, lat, "wgs84", out_crs)


def in_crs(frame: gpd.GeoDataFrame, out_crs: str) -> gpd.GeoDataFrame:
    """A copy of ``frame`` with its geometry in ``out_crs``.

    Parameters
    ----------
    frame
        Features in any CRS (turned into EPSG:4326 first).
    out_crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"}. CGCS2000 is tagged EPSG:4490.

    Returns
    -------
    geopandas.GeoDataFrame
    """
    system = check_coordinate_system(out_crs)
    wgs = frame.to_crs("EPSG:4326")
    if system == "wgs84":
        return wgs
    if system == "cgcs2000":
        return wgs.set_crs("EPSG:4490", allow_override=True)
    moved = shapely.transform(
        wgs.geometry.to_numpy(),
        lambda xy: np.column_stack(in_crs_xy(xy[:, 0], xy[:, 1], system)),
    )
    return wgs.set_geometry(gpd.GeoSeries(moved, index=wgs.index, crs="EPSG:4326"))


def coordinate_header(label: str, out_crs: str) -> str:
    """A lon/lat header naming its system: ``经度`` -> ``经度(GCJ-02)``."""
    return f"{label}({CRS_NAMES[check_coordinate_system(out_crs)]})"


def collection_in_crs(collection: dict[str, Any], out_crs: str) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (WGS-84) with its coordinates in ``out_crs``, naming
    the system in a ``coordinate_system`` member (coordinates to 6 decimals)."""
    system = check_coordinate_system(out_crs)
    features = []
    for feature in collection.get("features", []):
        geometry = feature.get("geometry")
        if geometry is not None and system in ("gcj02", "bd09"):
            shape = shapely.transform(
                shapely.geometry.shape(geometry),
                lambda xy: np.round(np.column_stack(in_crs_xy(xy[:, 0], xy[:, 1], system)), 6),
            )
            geometry = shapely.geometry.mapping(shape)
        features.append({**feature, "geometry": geometry})
    return {**collection, "coordinate_system": CRS_NAMES[system], "features": features}
