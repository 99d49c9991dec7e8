"""Where a point lies: inside the district, which grid, its contact."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from geo.analysis.places import PlaceLocator
from geo.coords import convert
from geo.scenario import load_scenario


def test_points_of_the_demo_grids_are_found_in_them() -> None:
    scenario = load_scenario("jingkou")
    locator = PlaceLocator(scenario.boundary, scenario.grids)
    sample = scenario.grids.iloc[::37]
    for _, grid in sample.iterrows():
        inner = grid.geometry.representative_point()
        place = locator.locate(inner.x, inner.y)
        assert place.inside
        assert place.grid is not None and place.grid.grid_id == grid["grid_id"]
        assert place.grid.community == grid["community"] and place.grid.street == grid["street"]


def test_gcj02_points_are_converted_first() -> None:
    scenario = load_scenario("jingkou")
    locator = PlaceLocator(scenario.boundary, scenario.grids)
    inner = scenario.grids.geometry.iloc[5].representative_point()
    lon, lat = convert([inner.x], [inner.y], "wgs84", "gcj02")
    place = locator.locate(float(lon[0]), float(lat[0]), crs="gcj02")
    assert place.grid is not None and place.grid.grid_id == scenario.grids["grid_id"].iloc[5]


def test_outside_every_grid_and_the_district() -> None:
    scenario = load_scenario("jingkou")
    locator = PlaceLocator(scenario.boundary, scenario.grids)
    place = locator.locate(119.2, 32.4)
    assert place.to_dict() == {"inside": False, "grid": None}


def test_contact_columns_when_the_layer_has_them() -> None:
    grids = gpd.GeoDataFrame(
        {
            "grid_id": ["A", "B"],
            "name": ["第1网格", "第2网格"],
            "community": ["东园社区", pd.NA],
            "leader": ["王芳", None],
            "phone": ["0511-85000001", None],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs=4326,
    )
    boundary = gpd.GeoDataFrame(geometry=[box(0, 0, 2, 1)], crs=4326)
    locator = PlaceLocator(boundary, grids)
    first = locator.locate(0.5, 0.5).to_dict()
    assert first["grid"] == {
        "grid_id": "A",
        "name": "第1网格",
        "community": "东园社区",
        "street": None,
        "leader": "王芳",
        "phone": "0511-85000001",
    }
    second = locator.locate(1.5, 0.5).grid
    assert second is not None and second.leader is None and second.community is None
