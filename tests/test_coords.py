"""Tests of geo.coords: round trips, vectorisation, and agreement with prcoords."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import prcoords
import pytest
from pyproj import Geod
from shapely.geometry import Point

from geo.coords import check_coordinate_system, convert, in_china
from geo.errors import CoordinateSystemError

GEOD = Geod(ellps="WGS84")

# Points strictly inside the GCJ-02 rectangle (lon 72.004-137.8347, lat 0.8293-55.8271),
# far enough from its edges that no shifted point crosses them.
CHINA_LON = np.arange(73.0, 136.0, 0.25)
CHINA_LAT = np.arange(3.0, 54.0, 0.25)

# Published pairs from the test suite of eviltransform (github.com/googollee/eviltransform,
# python/test.py and go/transform_test.go), an implementation independent of this one:
# (WGS-84 lat, WGS-84 lon, GCJ-02 lat, GCJ-02 lon).
EVILTRANSFORM_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


def _metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Geodesic distance in metres on the WGS-84 ellipsoid."""
    _, _, distance = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(distance)


@pytest.fixture(scope="module")
def china_grid() -> tuple[np.ndarray, np.ndarray]:
    """A 0.25 degree grid over China: 252 x 204 = 51,408 points."""
    lon, lat = np.meshgrid(CHINA_LON, CHINA_LAT)
    return lon.ravel(), lat.ravel()


@pytest.fixture(scope="module")
def random_china_points() -> tuple[np.ndarray, np.ndarray]:
    """2,000 seeded random points in China's GCJ-02 rectangle."""
    rng = np.random.default_rng(2020)
    return rng.uniform(73.0, 135.0, 2000), rng.uniform(3.0, 53.0, 2000)


@pytest.mark.parametrize("shifted", ["gcj02", "bd09"])
def test_round_trip_closes_over_all_of_china(
    china_grid: tuple[np.ndarray, np.ndarray], shifted: str
) -> None:
    lon, lat = china_grid
    slon, slat = convert(lon, lat, "wgs84", shifted)
    back_lon, back_lat = convert(slon, slat, shifted, "wgs84")
    # Both inverses are iterative and close to well under a millimetre.
    assert _metres(lon, lat, back_lon, back_lat).max() < 0.001
    # The offset itself is real: hundreds of metres, never zero inside China.
    offset = _metres(lon, lat, slon, slat)
    assert offset.min() > 1.0
    assert offset.max() < 1500.0


def test_gcj02_offset_is_about_500_m_in_zhenjiang() -> None:
    lon, lat = convert(119.4550, 32.2000, "wgs84", "gcj02")
    offset = _metres(np.array(119.4550), np.array(32.2000), lon, lat)
    assert 450.0 < float(offset) < 650.0


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (-0.1276, 51.5072),
        (-74.006, 40.7128),
        (139.6917, 35.6895),
        (151.2093, -33.8688),
        (2.35, 48.86),
    ],
)
def test_points_outside_china_are_not_shifted_by_gcj02(lon: float, lat: float) -> None:
    assert not in_china(lon, lat)
    for src, dst in [("wgs84", "gcj02"), ("gcj02", "wgs84")]:
        out_lon, out_lat = convert(lon, lat, src, dst)
        assert float(out_lon) == lon
        assert float(out_lat) == lat


def test_bd09_applies_its_own_shift_outside_china() -> None:
    lon, lat = convert(-0.1276, 51.5072, "wgs84", "bd09")
    assert 0.005 < abs(float(lon) + 0.1276) < 0.02
    back_lon, back_lat = convert(lon, lat, "bd09", "wgs84")
    assert float(_metres(np.array(-0.1276), np.array(51.5072), back_lon, back_lat)) < 0.5


def test_in_china_box_edges() -> None:
    assert in_china([72.004, 137.8347], [0.8293, 55.8271]).all()
    assert not in_china([72.0, 120.0], [30.0, 56.0]).any()


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ("wgs84", "gcj02"),
        ("gcj02", "wgs84"),
        ("wgs84", "bd09"),
        ("bd09", "wgs84"),
        ("gcj02", "bd09"),
        ("bd09", "gcj02"),
    ],
)
def test_vectorised_matches_point_by_point(src: str, dst: str) -> None:
    lon = np.array([[119.43, 119.52], [116.39, 121.47]])
    lat = np.array([[32.15, 32.21], [39.91, 31.23]])
    out_lon, out_lat = convert(lon, lat, src, dst)
    assert out_lon.shape == (2, 2)
    for index in np.ndindex(lon.shape):
        one_lon, one_lat = convert(lon[index], lat[index], src, dst)
        assert out_lon[index] == pytest.approx(float(one_lon), abs=1e-9)
        assert out_lat[index] == pytest.approx(float(one_lat), abs=1e-9)


def test_accepts_geoseries_and_series_and_leaves_them_unchanged() -> None:
    points = gpd.GeoSeries([Point(119.45, 32.20), Point(119.55, 32.18)], crs="EPSG:4326")
    before = points.copy()
    lon, lat = convert(points.x, points.y, "gcj02", "wgs84")
    assert isinstance(lon, np.ndarray)
    assert lon.shape == (2,)
    ref_lon, ref_lat = convert(
        np.array([119.45, 119.55]), np.array([32.20, 32.18]), "gcj02", "wgs84"
    )
    np.testing.assert_array_equal(lon, ref_lon)
    np.testing.assert_array_equal(lat, ref_lat)
    assert points.geom_equals(before).all()

    series_lon, _ = convert(pd.Series([119.45]), pd.Series([32.20]), "gcj02", "wgs84")
    assert series_lon[0] == ref_lon[0]


def test_input_array_is_not_modified() -> None:
    lon = np.array([119.45, 119.55])
    lat = np.array([32.20, 32.18])
    convert(lon, lat, "gcj02", "wgs84")
    np.testing.assert_array_equal(lon, [119.45, 119.55])
    np.testing.assert_array_equal(lat, [32.20, 32.18])


def test_same_system_and_cgcs2000_are_identity() -> None:
    lon, lat = convert([119.45, 119.55], [32.20, 32.18], "cgcs2000", "wgs84")
    np.testing.assert_array_equal(lon, [119.45, 119.55])
    np.testing.assert_array_equal(lat, [32.20, 32.18])
    same_lon, _ = convert(119.45, 32.20, "gcj02", "gcj02")
    assert float(same_lon) == 119.45
    via_cgcs, _ = convert(119.45, 32.20, "cgcs2000", "gcj02")
    via_wgs, _ = convert(119.45, 32.20, "wgs84", "gcj02")
    assert float(via_cgcs) == float(via_wgs)


def test_forward_agrees_with_prcoords(random_china_points: tuple[np.ndarray, np.ndarray]) -> None:
    lon, lat = random_china_points
    gcj_lon, gcj_lat = convert(lon, lat, "wgs84", "gcj02")
    bd_lon, bd_lat = convert(lon, lat, "wgs84", "bd09")
    bd_from_gcj_lon, bd_from_gcj_lat = convert(lon, lat, "gcj02", "bd09")
    for i in range(len(lon)):
        expected = prcoords.wgs_gcj((lat[i], lon[i]))
        assert abs(gcj_lat[i] - expected.lat) < 1e-6
        assert abs(gcj_lon[i] - expected.lon) < 1e-6
        expected = prcoords.wgs_bd((lat[i], lon[i]))
        assert abs(bd_lat[i] - expected.lat) < 1e-6
        assert abs(bd_lon[i] - expected.lon) < 1e-6
        expected = prcoords.gcj_bd((lat[i], lon[i]))
        assert abs(bd_from_gcj_lat[i] - expected.lat) < 1e-6
        assert abs(bd_from_gcj_lon[i] - expected.lon) < 1e-6


@pytest.mark.parametrize(
    ("src", "dst", "oracle"),
    [
        ("gcj02", "wgs84", prcoords.gcj_wgs_bored),
        ("bd09", "gcj02", prcoords.bd_gcj_bored),
        ("bd09", "wgs84", prcoords.bd_wgs_bored),
    ],
)
def test_inverse_agrees_with_prcoords(
    random_china_points: tuple[np.ndarray, np.ndarray],
    src: str,
    dst: str,
    oracle: Callable[..., prcoords.Coords],
) -> None:
    lon, lat = random_china_points
    out_lon, out_lat = convert(lon, lat, src, dst)
    with warnings.catch_warnings():
        # prcoords warns when a BD-09 point's GCJ-02 image leaves its China rectangle.
        warnings.simplefilter("ignore", UserWarning)
        expected = [oracle((lat[i], lon[i])) for i in range(len(lon))]
    expected_lon = np.array([e.lon for e in expected])
    expected_lat = np.array([e.lat for e in expected])
    assert _metres(out_lon, out_lat, expected_lon, expected_lat).max() < 0.5


def test_closed_form_bd09_inverse_is_refined() -> None:
    """The usual closed-form BD-09 inverse (prcoords.bd_gcj) is off by decimetres; ours is not."""
    rng = np.random.default_rng(9)
    lon, lat = rng.uniform(73.0, 135.0, 500), rng.uniform(3.0, 53.0, 500)
    bd_lon, bd_lat = convert(lon, lat, "gcj02", "bd09")
    back_lon, back_lat = convert(bd_lon, bd_lat, "bd09", "gcj02")
    closed = [prcoords.bd_gcj((bd_lat[i], bd_lon[i])) for i in range(len(lon))]
    closed_metres = _metres(
        lon, lat, np.array([c.lon for c in closed]), np.array([c.lat for c in closed])
    )
    assert _metres(lon, lat, back_lon, back_lat).max() < 0.001
    assert closed_metres.max() > 0.05


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), EVILTRANSFORM_PAIRS)
def test_published_pairs(wgs_lat: float, wgs_lon: float, gcj_lat: float, gcj_lon: float) -> None:
    lon, lat = convert(wgs_lon, wgs_lat, "wgs84", "gcj02")
    assert float(lon) == pytest.approx(gcj_lon, abs=1e-9)
    assert float(lat) == pytest.approx(gcj_lat, abs=1e-9)
    back_lon, back_lat = convert(gcj_lon, gcj_lat, "gcj02", "wgs84")
    assert float(_metres(np.array(wgs_lon), np.array(wgs_lat), back_lon, back_lat)) < 0.01


@pytest.mark.parametrize(
    ("name", "expected"),
    [("WGS84", "wgs84"), ("GCJ-02", "gcj02"), (" bd_09 ", "bd09"), ("CGCS2000", "cgcs2000")],
)
def test_check_coordinate_system_normalises(name: str, expected: str) -> None:
    assert check_coordinate_system(name) == expected


def test_unknown_coordinate_system_is_refused() -> None:
    with pytest.raises(CoordinateSystemError, match=r"unknown coordinate system 'mars'.*gcj02"):
        convert(119.45, 32.20, "mars", "wgs84")
    with pytest.raises(ValueError, match="unknown coordinate system 'EPSG:3857'"):
        convert(119.45, 32.20, "wgs84", "EPSG:3857")


def test_lon_and_lat_must_have_the_same_shape() -> None:
    with pytest.raises(ValueError, match=r"lon and lat differ in shape: \(2,\) and \(3,\)"):
        convert([119.4, 119.5], [32.1, 32.2, 32.3], "gcj02", "wgs84")
