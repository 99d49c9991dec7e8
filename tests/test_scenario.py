"""Tests of geo.scenario and of the bundled Jingkou demo data that it loads."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geo import settings
from geo.coords import convert
from geo.errors import CoordinateSystemError, ScenarioError
from geo.scenario import (
    DEMO_NOTICE_EN,
    DEMO_NOTICE_ZH,
    Scenario,
    available_scenarios,
    load_scenario,
    scenario_from_files,
)

REPO = Path(__file__).resolve().parent.parent
SCENARIO_FOLDER = REPO / "data" / "scenarios" / "jingkou"
BOUNDARIES = REPO / "data" / "boundaries"
METRIC_CRS = "EPSG:32650"

REAL = REPO / "data" / "real"
#: Jingkou's six street offices and two zones, by official code (data/real/).
JINGKOU_STREETS = {
    "321102001": "正东路街道",
    "321102002": "健康路街道",
    "321102003": "大市口街道",
    "321102004": "四牌楼街道",
    "321102005": "象山街道",
    "321102006": "谏壁街道",
    "321102400": "京口经济开发区",
    "321102401": "新民洲临港产业园",
}
AMENITIES = {
    "water",
    "charging",
    "rain_gear",
    "first_aid",
    "masks_sanitiser",
    "seats",
    "toilet",
    "microwave",
    "stationery",
}


def _load_script(name: str) -> ModuleType:
    """Import ``scripts/<name>.py``, which is not part of the installed package."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def jingkou() -> Scenario:
    return load_scenario("jingkou")


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return _load_script("make_demo_scenario")


@pytest.fixture(scope="module")
def metric_boundary(jingkou: Scenario) -> object:
    return jingkou.boundary.to_crs(METRIC_CRS).geometry.union_all()


# --- the loader ---------------------------------------------------------------------


def test_load_scenario_returns_every_layer(jingkou: Scenario) -> None:
    assert jingkou.name == "jingkou"
    assert jingkou.demo is True
    assert jingkou.candidates is not None
    for frame in (
        jingkou.boundary,
        jingkou.grids,
        jingkou.stations,
        jingkou.rest_points,
        jingkou.candidates,
    ):
        assert frame.crs == "EPSG:4326"
    assert jingkou.boundary["adcode"].tolist() == ["321102"]
    assert jingkou.boundary["name"].tolist() == ["京口区"]


def test_facilities_splits_stations_by_kind(jingkou: Scenario) -> None:
    stations = jingkou.facilities("stations")
    centres = jingkou.facilities("centres")
    rest_points = jingkou.facilities("rest_points")
    assert set(stations["kind"]) == {"station"}
    assert set(centres["kind"]) == {"centre"}
    assert len(stations) + len(centres) == len(jingkou.stations)
    assert list(stations.index) == list(range(len(stations)))
    assert rest_points["facility_id"].tolist() == jingkou.rest_points["facility_id"].tolist()
    for frame in (stations, centres, rest_points):
        assert {"facility_id", "name", "geometry"} <= set(frame.columns)


def test_facilities_returns_a_copy(jingkou: Scenario) -> None:
    centres = jingkou.facilities("centres")
    centres.loc[0, "name"] = "changed"
    assert "changed" not in set(jingkou.stations["name"])


def test_unknown_facility_layer_is_refused(jingkou: Scenario) -> None:
    with pytest.raises(
        ScenarioError,
        match="unknown analysis layer 'shops'; use one of stations, centres, rest_points",
    ):
        jingkou.facilities("shops")  # type: ignore[arg-type]


def test_unknown_scenario_lists_the_available_ones() -> None:
    assert "jingkou" in available_scenarios()
    with pytest.raises(
        ScenarioError,
        match=r"no bundled scenario named 'atlantis'.*available: dantu, jingkou, yangzhong",
    ):
        load_scenario("atlantis")
    with pytest.raises(LookupError, match=r"no bundled scenario named '\.\./jingkou'"):
        load_scenario("../jingkou")


def test_load_scenario_reads_settings_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(SCENARIO_FOLDER, tmp_path / "scenarios" / "copy")
    (tmp_path / "scenarios" / "copy" / "candidates.geojson").unlink()
    # without its manifest the folder is read as plain GeoJSON layers named by the folder
    (tmp_path / "scenarios" / "copy" / "scenario.toml").unlink()
    (tmp_path / "scenarios" / "incomplete").mkdir()
    monkeypatch.setattr(settings, "data_folder", tmp_path)
    assert available_scenarios() == ["copy"]
    scenario = load_scenario("copy")
    assert scenario.name == "copy"
    assert scenario.candidates is None
    assert len(scenario.grids) == 295


def test_scenario_from_files_without_boundary_uses_the_grids(tmp_path: Path) -> None:
    scenario = scenario_from_files(
        grids=SCENARIO_FOLDER / "grids.geojson",
        stations=SCENARIO_FOLDER / "stations.geojson",
        rest_points=SCENARIO_FOLDER / "rest_points.geojson",
    )
    assert scenario.name == "custom"
    assert scenario.candidates is None
    assert scenario.boundary["name"].tolist() == ["custom"]
    union = scenario.grids.to_crs(METRIC_CRS).geometry.union_all()
    outline = scenario.boundary.to_crs(METRIC_CRS).geometry.iloc[0]
    assert outline.symmetric_difference(union).area < 1e-6 * union.area


def _to_gcj02(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``frame`` with its lon/lat moved from WGS-84 to GCJ-02, as Amap would give them."""

    def move(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(convert(xy[:, 0], xy[:, 1], "wgs84", "gcj02"))

    out = frame.copy()
    out.geometry = shapely.transform(out.geometry.values, move)
    return out


def test_scenario_from_files_converts_gcj02(tmp_path: Path, jingkou: Scenario) -> None:
    paths = {}
    for layer in ("boundary", "grids", "stations", "rest_points"):
        paths[layer] = tmp_path / f"{layer}.geojson"
        _to_gcj02(getattr(jingkou, layer)).to_file(paths[layer])
    scenario = scenario_from_files(
        grids=paths["grids"],
        stations=paths["stations"],
        rest_points=paths["rest_points"],
        boundary=paths["boundary"],
        crs="GCJ-02",
        name="amap",
    )
    for layer in ("boundary", "grids", "stations", "rest_points"):
        loaded = getattr(scenario, layer).get_coordinates().to_numpy()
        original = getattr(jingkou, layer).get_coordinates().to_numpy()
        assert np.abs(loaded - original).max() < 1e-7  # degrees, about 1 cm
    moved = (
        _to_gcj02(jingkou.stations).to_crs(METRIC_CRS).distance(jingkou.stations.to_crs(METRIC_CRS))
    )
    assert moved.min() > 400.0  # the GCJ-02 files really were ~500 m off


def test_scenario_from_files_refuses_an_unknown_crs() -> None:
    with pytest.raises(CoordinateSystemError, match="unknown coordinate system 'baidu'"):
        scenario_from_files(
            grids=SCENARIO_FOLDER / "grids.geojson",
            stations=SCENARIO_FOLDER / "stations.geojson",
            rest_points=SCENARIO_FOLDER / "rest_points.geojson",
            crs="baidu",
        )


def test_demo_notices() -> None:
    assert DEMO_NOTICE_ZH == "示意数据：站点位置为演示用途生成，并非官方位置。"
    assert DEMO_NOTICE_EN == (
        "Illustrative demo data: locations are generated for demonstration and are not "
        "official locations."
    )


# --- the demo data ------------------------------------------------------------------


def test_demo_totals_are_exact(jingkou: Scenario) -> None:
    assert len(jingkou.grids) == 295
    assert int(jingkou.grids["households"].sum()) == 126_098
    assert int(jingkou.grids["population"].sum()) == 355_757
    assert len(jingkou.facilities("centres")) == 25
    assert len(jingkou.facilities("stations")) == 160
    assert len(jingkou.rest_points) == 100
    assert jingkou.candidates is not None and len(jingkou.candidates) == 120
    assert jingkou.grids["community"].nunique() == 61
    assert set(jingkou.grids["street"]) == set(JINGKOU_STREETS.values())


def test_jingkou_divisions_are_the_official_ones(jingkou: Scenario) -> None:
    divisions = pd.read_csv(REAL / "jingkou_divisions_nbs2023.csv", dtype=str)
    towns = divisions.loc[divisions["level"] == "township"]
    assert dict(zip(towns["code"], towns["name"], strict=True)) == JINGKOU_STREETS
    villages = divisions.loc[divisions["level"] == "village"]
    official = {
        (parent, name.removesuffix("居委会").removesuffix("村委会"))
        for parent, name in zip(villages["parent_name"], villages["name"], strict=True)
    }
    pairs = set(zip(jingkou.grids["street"], jingkou.grids["community"], strict=True))
    assert pairs == official  # every community and village, in its own street office
    assert "丁卯街道" not in set(jingkou.grids["street"])


def test_jingkou_streets_follow_the_real_street_office_points(jingkou: Scenario) -> None:
    points = pd.read_csv(REAL / "jingkou_street_offices_osm_coverage.csv")
    grids = jingkou.grids.to_crs(METRIC_CRS)
    for row in points.itertuples():
        point = gpd.GeoSeries([shapely.Point(row.lon, row.lat)], crs=4326).to_crs(METRIC_CRS)
        # the grid under each real street-office point belongs to that street office
        under = grids.loc[grids.contains(point.iloc[0]), "street"]
        assert under.tolist() == [row.addr_4]


def test_every_feature_is_flagged_demo(jingkou: Scenario) -> None:
    for frame in (jingkou.grids, jingkou.stations, jingkou.rest_points, jingkou.candidates):
        assert frame["demo"].dtype == bool
        assert frame["demo"].all()


def test_files_carry_the_notice() -> None:
    for layer in ("grids", "stations", "rest_points", "candidates"):
        text = (SCENARIO_FOLDER / f"{layer}.geojson").read_text(encoding="utf-8")
        assert f'"notice":"{DEMO_NOTICE_ZH}"' in text
        assert f'"notice_en":"{DEMO_NOTICE_EN}"' in text


def test_schemas_match_the_contract(jingkou: Scenario) -> None:
    assert jingkou.candidates is not None
    expected = {
        "grids": [
            "grid_id",
            "name",
            "community",
            "street",
            "leader",
            "phone",
            "households",
            "population",
            "demo",
        ],
        "stations": ["facility_id", "name", "kind", "address", "hours", "services", "demo"],
        "rest_points": ["facility_id", "name", "address", "hours", "amenities", "demo"],
        "candidates": ["candidate_id", "name", "kind", "demo"],
    }
    for layer, columns in expected.items():
        frame = getattr(jingkou, layer)
        assert [c for c in frame.columns if c != "geometry"] == columns
    assert str(jingkou.grids["households"].dtype) == "Int64"
    assert str(jingkou.grids["population"].dtype) == "Int64"
    assert set(jingkou.grids.geom_type) <= {"Polygon", "MultiPolygon"}
    for frame in (jingkou.stations, jingkou.rest_points, jingkou.candidates):
        assert set(frame.geom_type) == {"Point"}


def test_ids_are_unique_and_well_formed(jingkou: Scenario) -> None:
    assert jingkou.candidates is not None
    grid_ids = jingkou.grids["grid_id"]
    assert grid_ids.is_unique and grid_ids.str.fullmatch(r"JK-G\d{3}").all()
    assert jingkou.grids["name"].tolist()[:2] == ["第1网格", "第2网格"]
    station_ids = jingkou.stations["facility_id"]
    assert station_ids.is_unique
    assert station_ids.str.fullmatch(r"JK-C\d{2}|JK-S\d{3}").all()
    assert jingkou.rest_points["facility_id"].is_unique
    assert not set(station_ids) & set(jingkou.rest_points["facility_id"])
    assert jingkou.candidates["candidate_id"].is_unique
    assert jingkou.candidates["name"].is_unique


def test_names_follow_the_district_conventions(jingkou: Scenario) -> None:
    centres = jingkou.facilities("centres")
    stations = jingkou.facilities("stations")
    assert centres["name"].str.fullmatch(r".+(社区|村)党群服务中心").all()
    assert stations["name"].str.fullmatch(r"京口红韵·第\d+网格党群服务站").all()
    assert jingkou.rest_points["name"].str.startswith("暖“新”驿站·").all()
    assert jingkou.grids["community"].str.fullmatch(r".+(社区|村)").all()


def test_attributes_are_valid(jingkou: Scenario) -> None:
    for amenities in jingkou.rest_points["amenities"]:
        keys = amenities.split(";")
        assert set(keys) <= AMENITIES
        assert {"water", "charging"} <= set(keys)
    assert (jingkou.rest_points["hours"] == "24小时").sum() > 0
    for services in jingkou.stations["services"]:
        assert services.startswith("政策咨询;便民代办")
    assert (jingkou.stations["hours"].str.len() > 0).all()
    assert set(jingkou.candidates["kind"]) == {"supermarket", "estate_entrance", "community_room"}  # type: ignore[index]


def test_residents_per_household_are_plausible(jingkou: Scenario) -> None:
    ratio = jingkou.grids["population"] / jingkou.grids["households"]
    assert ratio.min() >= 2.0
    assert 2.3 < ratio.median() < 2.6  # 2.44 persons per family household
    assert (jingkou.grids["households"] > 0).all()


def test_points_lie_inside_the_district(jingkou: Scenario, metric_boundary: object) -> None:
    assert jingkou.candidates is not None
    for frame in (jingkou.stations, jingkou.rest_points, jingkou.candidates):
        inside = frame.to_crs(METRIC_CRS).within(metric_boundary)
        assert inside.all(), frame.loc[~inside, frame.columns[0]].tolist()


def test_grids_tile_the_urban_extent_without_overlap(
    jingkou: Scenario, generator: ModuleType, metric_boundary: object
) -> None:
    grids = jingkou.grids.to_crs(METRIC_CRS)
    union = grids.geometry.union_all()
    assert grids.area.sum() == pytest.approx(union.area, rel=1e-3)
    extent = (
        gpd.GeoSeries([generator.urban_extent(jingkou.boundary.geometry.iloc[0])], crs="EPSG:4326")
        .to_crs(METRIC_CRS)
        .iloc[0]
    )
    assert union.area == pytest.approx(extent.area, rel=1e-3)
    assert union.difference(metric_boundary.buffer(1.0)).area < 1.0  # m², rounding only
    area_km2 = grids.area / 1e6
    assert area_km2.min() > 0.05
    # urban grids are small; Xinminzhou's few grids cover farmland and port
    assert area_km2[grids["street"] != "新民洲临港产业园"].max() < 1.0
    assert 0.1 < area_km2.median() < 0.5


def test_communities_and_streets_are_contiguous(jingkou: Scenario) -> None:
    grids = jingkou.grids.to_crs(METRIC_CRS)
    for column in ("community", "street"):
        parts = grids.dissolve(column).geometry
        assert (parts.geom_type == "Polygon").all(), parts[parts.geom_type != "Polygon"].index
    streets_per_community = jingkou.grids.groupby("community")["street"].nunique()
    assert (streets_per_community == 1).all()


def test_stations_sit_in_grids_and_leave_some_without(jingkou: Scenario) -> None:
    grids = jingkou.grids[["grid_id", "geometry"]]
    joined = gpd.sjoin(jingkou.facilities("stations"), grids, predicate="within")
    assert len(joined) == 160
    assert joined["grid_id"].nunique() == 160
    assert len(grids) - joined["grid_id"].nunique() == 135


def test_centres_are_spread_out(jingkou: Scenario) -> None:
    centres = jingkou.facilities("centres").to_crs(METRIC_CRS).geometry
    nearest = [centres.drop(index=i).distance(point).min() for i, point in centres.items()]
    assert min(nearest) > 1000.0


def test_rest_points_stand_beside_a_host(jingkou: Scenario) -> None:
    assert jingkou.candidates is not None
    hosts = gpd.GeoSeries(
        [*jingkou.stations.geometry, *jingkou.candidates.geometry], crs="EPSG:4326"
    ).to_crs(METRIC_CRS)
    for point in jingkou.rest_points.to_crs(METRIC_CRS).geometry:
        assert hosts.distance(point).min() <= 25.0


# --- the generator ------------------------------------------------------------------


def test_largest_remainder_sums_exactly(generator: ModuleType) -> None:
    shares = generator.largest_remainder(10, [1.0, 1.0, 1.0])
    assert shares.tolist() == [4, 3, 3]
    rng = np.random.default_rng(1)
    weights = rng.lognormal(size=295)
    assert generator.largest_remainder(126_098, weights).sum() == 126_098


def test_generator_is_reproducible_and_matches_the_files(generator: ModuleType) -> None:
    boundary = gpd.read_file(BOUNDARIES / "jingkou_321102.geojson")
    first = generator.generate(boundary)
    second = generator.generate(boundary)
    assert set(first) == {"boundary", "grids", "stations", "rest_points", "candidates"}
    for layer in first:
        assert_geodataframe_equal(first[layer], second[layer])
        committed = gpd.read_file(SCENARIO_FOLDER / f"{layer}.geojson")
        assert_geodataframe_equal(
            first[layer], committed, check_dtype=False, check_less_precise=True
        )
    other = generator.generate(boundary, seed=1)
    assert not other["stations"].geometry.geom_equals(first["stations"].geometry).all()


# --- boundaries ---------------------------------------------------------------------


def test_boundary_conversion_improves_agreement_with_tianditu(jingkou: Scenario) -> None:
    """The committed WGS-84 outline fits Tianditu's far better than the GCJ-02 original."""
    build = _load_script("build_boundaries")
    wgs84 = gpd.read_file(BOUNDARIES / "jingkou_321102.geojson").geometry.iloc[0]
    tianditu = gpd.read_file(
        BOUNDARIES / "zhenjiang_districts_tianditu_simplified_cgcs2000.geojson"
    )
    reference = tianditu.loc[tianditu["gb"] == "156321102"].geometry.iloc[0]
    # Converting back to GCJ-02 restores the published Amap outline (the round trip
    # closes to 0.1 mm), so the comparison runs on committed files only.
    amap = build.convert_geometry(wgs84, "wgs84", "gcj02")
    before = build.outline_agreement(amap, reference)
    after = build.outline_agreement(wgs84, reference)
    assert before.iou == pytest.approx(0.823, abs=0.002)
    assert after.iou == pytest.approx(0.882, abs=0.002)
    assert before.median_m == pytest.approx(363, abs=2)
    assert after.median_m == pytest.approx(105, abs=2)
    scenario_outline = jingkou.boundary.geometry.iloc[0]
    assert scenario_outline.equals(wgs84)


# --- Dantu and Yangzhong ------------------------------------------------------------

#: district -> adcode, grids, centres, stations, rest points, candidates, communities
OTHER_DISTRICTS = {
    "dantu": ("321112", 88, 9, 30, 30, 36, 18),
    "yangzhong": ("321182", 56, 6, 55, 20, 24, 12),
}


@pytest.mark.parametrize("name", OTHER_DISTRICTS)
def test_other_demo_districts_keep_the_reported_counts_and_census_totals(name: str) -> None:
    adcode, grids, centres, stations, rest_points, candidates, communities = OTHER_DISTRICTS[name]
    scenario = load_scenario(name)
    census = pd.read_csv(REPO / "data" / "census" / "zhenjiang_population_2020.csv", dtype=str)
    row = census.loc[census["adcode"] == adcode].iloc[0]
    assert str(scenario.boundary["adcode"].iloc[0]) == adcode
    assert len(scenario.grids) == grids
    assert int(scenario.grids["population"].sum()) == int(row["population"])
    assert int(scenario.grids["households"].sum()) == int(row["family_households"])
    assert len(scenario.facilities("centres")) == centres
    assert len(scenario.facilities("stations")) == stations
    assert len(scenario.rest_points) == rest_points
    assert scenario.candidates is not None and len(scenario.candidates) == candidates
    assert scenario.grids["community"].nunique() == communities
    assert scenario.demo
    for frame in (scenario.grids, scenario.stations, scenario.rest_points, scenario.candidates):
        assert frame["demo"].all()
    folder = REPO / "data" / "scenarios" / name
    for layer in ("grids", "stations", "rest_points", "candidates"):
        text = (folder / f"{layer}.geojson").read_text(encoding="utf-8")
        assert f'"notice":"{DEMO_NOTICE_ZH}"' in text
    assert DEMO_NOTICE_ZH in (folder / "README.md").read_text(encoding="utf-8")
    outline = gpd.read_file(BOUNDARIES / "zhenjiang_321100_districts.geojson")
    outline = outline.loc[outline["adcode"].astype(str) == adcode].to_crs(METRIC_CRS)
    area = outline.geometry.union_all()
    for frame in (scenario.stations, scenario.rest_points, scenario.candidates):
        assert frame.to_crs(METRIC_CRS).within(area.buffer(1.0)).all()
    covered = scenario.grids.to_crs(METRIC_CRS).geometry.union_all()
    assert covered.area == pytest.approx(area.area, rel=1e-3)


def test_dantu_stations_stand_at_estate_gates() -> None:
    stations = load_scenario("dantu").facilities("stations")
    assert stations["name"].str.fullmatch(r"宜之家·.+(东门|南门|西门|北门)(（\d+）)?红色驿站").all()
    assert stations["name"].is_unique


@pytest.mark.parametrize("name", OTHER_DISTRICTS)
def test_generator_matches_the_other_districts_files(generator: ModuleType, name: str) -> None:
    district = generator.DISTRICTS[name]
    layers = generator.generate(generator.district_boundary(district), district=district)
    for layer, frame in layers.items():
        committed = gpd.read_file(REPO / "data" / "scenarios" / name / f"{layer}.geojson")
        assert_geodataframe_equal(frame, committed, check_dtype=False, check_less_precise=True)


@pytest.mark.parametrize("name", OTHER_DISTRICTS)
def test_other_districts_walk_15_minutes_to_their_stations(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.rules["stations"].limit == 15.0
    assert scenario.rules["stations"].unit == "min"
    assert load_scenario("jingkou").rules["stations"].limit == 10.0
