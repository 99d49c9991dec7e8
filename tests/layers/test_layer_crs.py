"""Coordinate systems: the crs argument, the file's declared CRS, conversion to WGS-84."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import Point, box

from geo.coords import convert
from geo.errors import CoordinateSystemError, LayerValidationError
from geo.layers import grids_from_file, stations_from_file, validate_layer


def station_coords(files):
    lon = np.array([r["lon"] for r in files.station_rows], dtype=float)
    lat = np.array([r["lat"] for r in files.station_rows], dtype=float)
    return lon, lat


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_csv_in_a_chinese_system_is_converted_to_wgs84(files, system):
    layer = stations_from_file(files.csv("amap.csv", files.station_rows), crs=system)
    lon, lat = station_coords(files)
    want_lon, want_lat = convert(lon, lat, system, "wgs84")
    np.testing.assert_allclose(layer.geometry.x, want_lon, atol=1e-12)
    np.testing.assert_allclose(layer.geometry.y, want_lat, atol=1e-12)
    # GCJ-02 is roughly 500 m off WGS-84 in Zhenjiang: the conversion really moved the points.
    moved = layer.to_crs(32650).distance(files.points(files.station_rows).to_crs(32650))
    assert (moved > 300).all()


def test_crs_names_are_read_loosely(files):
    path = files.csv("amap.csv", files.station_rows)
    np.testing.assert_allclose(
        stations_from_file(path, crs="GCJ-02").geometry.x,  # type: ignore[arg-type]
        stations_from_file(path, crs="gcj02").geometry.x,
    )


def test_unknown_crs_name_raises(files):
    with pytest.raises(CoordinateSystemError, match="unknown coordinate system 'mars'"):
        stations_from_file(files.csv("a.csv", files.station_rows), crs="mars")  # type: ignore[arg-type]


def test_gcj02_polygons_are_converted_vertex_by_vertex(files):
    path = files.gis("grids.geojson", files.polygons(files.grid_rows))
    layer = grids_from_file(path, crs="gcj02")
    source = files.grid_rows[0]["geometry"]
    xy = shapely.get_coordinates(source)
    want = np.column_stack(convert(xy[:, 0], xy[:, 1], "gcj02", "wgs84"))
    np.testing.assert_allclose(shapely.get_coordinates(layer.geometry[0]), want, atol=1e-12)


def test_geojson_tagged_crs84_accepts_gcj02_as_amap_exports_are(files, tmp_path):
    frame = files.points(files.station_rows)
    document = json.loads(frame.to_json())
    document["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    path = tmp_path / "amap.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    layer = stations_from_file(path, crs="gcj02")
    want_lon, _ = convert(*station_coords(files), "gcj02", "wgs84")
    np.testing.assert_allclose(layer.geometry.x, want_lon, atol=1e-12)


def test_geopackage_tagged_4326_accepts_gcj02(files):
    layer = stations_from_file(
        files.gis("amap.gpkg", files.points(files.station_rows)), crs="gcj02"
    )
    want_lon, _ = convert(*station_coords(files), "gcj02", "wgs84")
    np.testing.assert_allclose(layer.geometry.x, want_lon, atol=1e-12)


def test_declared_web_mercator_is_reprojected(files):
    path = files.gis("mercator.geojson", files.points(files.station_rows).to_crs(3857))
    text = path.read_text(encoding="utf-8")
    assert "3857" in text  # the file declares its CRS
    layer = stations_from_file(path)
    lon, lat = station_coords(files)
    np.testing.assert_allclose(layer.geometry.x, lon, atol=1e-9)
    np.testing.assert_allclose(layer.geometry.y, lat, atol=1e-9)


def test_declared_cgcs2000_gauss_kruger_agrees_with_crs_cgcs2000(files):
    grids = files.polygons(files.grid_rows).set_crs(4490, allow_override=True).to_crs(4547)
    layer = grids_from_file(files.gis("grids.gpkg", grids), crs="cgcs2000")
    expected = gpd.GeoSeries([r["geometry"] for r in files.grid_rows], crs=4490)
    transformer = pyproj.Transformer.from_crs(4547, 4326, always_xy=True)
    xy = shapely.get_coordinates(grids.geometry[0])
    want = np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    np.testing.assert_allclose(shapely.get_coordinates(layer.geometry[0]), want, atol=1e-9)
    assert layer.geometry[0].equals_exact(expected[0], tolerance=1e-7)


def test_declared_cgcs2000_lonlat_is_kept(files):
    frame = files.points(files.station_rows, crs="EPSG:4490")
    layer = stations_from_file(files.gis("tianditu.gpkg", frame))
    np.testing.assert_allclose(layer.geometry.x, station_coords(files)[0])
    assert layer.crs.to_epsg() == 4326


def test_declared_beijing_1954_is_reprojected_when_crs_is_not_given(files):
    frame = files.points(files.station_rows).to_crs(4214)
    layer = stations_from_file(files.gis("bj54.gpkg", frame))
    np.testing.assert_allclose(layer.geometry.x, station_coords(files)[0], atol=1e-7)


@pytest.mark.parametrize(
    ("epsg", "crs", "declared"),
    [
        (3857, "gcj02", "EPSG:3857"),
        (4490, "gcj02", "EPSG:4490"),
        (4547, "bd09", "EPSG:4547"),
        (4214, "wgs84", "EPSG:4214"),
    ],
)
def test_declared_crs_contradicting_the_argument_is_an_error(files, epsg, crs, declared):
    path = files.gis("stations.gpkg", files.points(files.station_rows).to_crs(epsg))
    with pytest.raises(LayerValidationError, match=f"file declares {declared} .* but crs='{crs}'"):
        stations_from_file(path, crs=crs)
    layer, report = validate_layer("stations", path, crs=crs)
    assert layer is None
    [problem] = report.errors
    assert (problem.row, problem.column, problem.value) == (None, None, declared)


def test_gcj02_outside_china_is_not_shifted(files):
    rows = [{**files.station_rows[0], "lon": 8.69, "lat": 49.41}]  # Heidelberg
    layer = stations_from_file(files.csv("heidelberg.csv", rows), crs="gcj02")
    assert layer.geometry[0].equals(Point(8.69, 49.41))


def test_boundary_is_compared_in_wgs84(files):
    lon, lat = station_coords(files)
    outline = box(lon.min() - 0.001, lat.min() - 0.001, lon.max() + 0.001, lat.max() + 0.001)
    path = files.csv("amap.csv", files.station_rows)
    # Read as GCJ-02, the points move ~500 m south-west, and some leave the tight outline.
    with pytest.warns(UserWarning, match="lies outside the district boundary"):
        stations_from_file(path, crs="gcj02", boundary=outline)
