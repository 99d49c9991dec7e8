"""Good files in every format and with English or Chinese headers load to the same layer."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Point

from geo.errors import LayerWarning
from geo.layers import (
    boundary_from_file,
    candidates_from_file,
    grids_from_file,
    rest_points_from_file,
    stations_from_file,
)


def expected_stations(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    """The stations layer the sample rows must load to."""
    frame = pd.DataFrame(
        {
            "facility_id": pd.array([r["id"] for r in rows], dtype="str"),
            "name": pd.array([r["name"] for r in rows], dtype="str"),
            "kind": pd.array([r["kind"] for r in rows], dtype="str"),
            "address": pd.array([r["address"] for r in rows], dtype="str"),
            "hours": pd.array([r["hours"] for r in rows], dtype="str"),
            "services": pd.array([r["services"] for r in rows], dtype="str"),
            "demo": pd.array([False] * len(rows), dtype="bool"),
        }
    )
    geometry = [Point(float(str(r["lon"])), float(str(r["lat"]))) for r in rows]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def load_quietly(path: Path, **kwargs: object) -> gpd.GeoDataFrame:
    """Load stations, failing the test on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", LayerWarning)
        return stations_from_file(path, **kwargs)  # type: ignore[arg-type]


def test_csv_with_english_headers(files):
    path = files.csv("stations.csv", files.station_rows)
    assert_geodataframe_equal(load_quietly(path), expected_stations(files.station_rows))


def test_csv_with_chinese_headers_and_kinds(files):
    rows = [{**r, "kind": files.chinese_kinds[str(r["kind"])]} for r in files.station_rows]
    path = files.csv("站点.csv", files.rename(rows, files.chinese))
    assert_geodataframe_equal(load_quietly(path), expected_stations(files.station_rows))


def test_gbk_csv_loads(files):
    path = files.csv("站点.csv", files.rename(files.station_rows, files.chinese), encoding="gbk")
    assert_geodataframe_equal(load_quietly(path), expected_stations(files.station_rows))


def test_utf8_csv_with_bom_and_semicolons(files, tmp_path):
    lines = ["编号;名称;类型;lng;lat", "S001;正东路社区网格站;站;119.4571;32.2046"]
    path = tmp_path / "bom.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    layer = load_quietly(path)
    assert layer.loc[0, "facility_id"] == "S001"
    assert layer.loc[0, "kind"] == "station"
    assert layer.geometry[0].equals(Point(119.4571, 32.2046))


def test_xlsx_with_chinese_headers_below_a_title_row(files):
    rows = files.rename(files.station_rows, files.chinese)
    path = files.xlsx("站点.xlsx", rows, title_row="京口区网格党群服务站一览表")
    assert_geodataframe_equal(load_quietly(path), expected_stations(files.station_rows))


def test_xlsx_numbers_as_ids_and_notes_in_headers(files):
    rows = [
        {
            "编号": 1,
            "名称": "正东路社区网格站",
            "类型": "中心",
            "经度（GCJ-02）": 119.45,
            "纬度（GCJ-02）": 32.2,
        }
    ]
    layer = load_quietly(files.xlsx("站点.xlsx", rows))
    assert layer.loc[0, "facility_id"] == "1"
    assert layer.loc[0, "kind"] == "centre"


@pytest.mark.parametrize("name", ["stations.geojson", "stations.gpkg"])
def test_gis_formats(files, name):
    path = files.gis(name, files.points(files.station_rows))
    assert_geodataframe_equal(load_quietly(path), expected_stations(files.station_rows))


def test_geopackage_named_layer(files):
    path = files.gis("all.gpkg", files.points(files.station_rows), layer="jingkou_2023")
    files.gis("all.gpkg", files.points(files.station_rows[:1]), layer="jingkou_2024")
    layer = load_quietly(path, source_layer="jingkou_2024")
    assert list(layer["facility_id"]) == ["S001"]


def test_geopackage_layer_named_like_the_layer_is_chosen(files):
    path = files.gis("all.gpkg", files.points(files.station_rows[:1]), layer="boundary")
    files.gis("all.gpkg", files.points(files.station_rows), layer="stations")
    assert len(load_quietly(path)) == 3


def test_zipped_gbk_shapefile_with_chinese_headers(files):
    frame = files.points(files.station_rows).rename(columns=files.chinese)
    path = files.zipped_shapefile("stations.zip", frame, encoding="GBK")
    assert_geodataframe_equal(load_quietly(path), expected_stations(files.station_rows))


def test_utf8_shapefile_with_chinese_headers_cut_at_ten_bytes(files):
    frame = files.points(files.station_rows).rename(columns=files.chinese)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's note that it cuts the names
        path = files.zipped_shapefile("stations.zip", frame, encoding="UTF-8")
    with pytest.warns(LayerWarning) as caught:
        layer = stations_from_file(path)
    messages = "\n".join(str(w.message) for w in caught)
    assert "column name cut at the format's 10-byte limit" in messages
    assert "column 开放时: unknown column" in messages
    assert list(layer["name"]) == [r["name"] for r in files.station_rows]


def test_zipped_gbk_shapefile_without_cpg_is_read_with_a_warning(files):
    frame = files.points(files.station_rows).rename(columns=files.chinese)
    path = files.zipped_shapefile("stations.zip", frame, encoding="GBK", cpg=False)
    with pytest.warns(LayerWarning, match=r"no \.cpg file"):
        layer = stations_from_file(path)
    assert list(layer["name"]) == [r["name"] for r in files.station_rows]


def test_plain_shapefile(files):
    folder = files.folder / "shp"
    folder.mkdir()
    files.points(files.station_rows).to_file(folder / "stations.shp", encoding="UTF-8")
    layer = load_quietly(folder / "stations.shp")
    assert_geodataframe_equal(layer, expected_stations(files.station_rows))


def test_grids_from_csv_wkt_and_xlsx_chinese_headers(files):
    csv_path = files.csv("grids.csv", files.grid_rows)
    xlsx_path = files.xlsx(
        "网格.xlsx", files.rename(files.grid_rows, {**files.chinese, "name": "网格名称"})
    )
    from_csv = grids_from_file(csv_path)
    from_xlsx = grids_from_file(xlsx_path)
    assert_geodataframe_equal(from_csv, from_xlsx)
    assert list(from_csv.columns) == [
        "grid_id",
        "name",
        "community",
        "street",
        "leader",
        "phone",
        "households",
        "population",
        "demo",
        "geometry",
    ]
    assert from_csv["households"].dtype == "Int64"
    assert from_csv["households"].tolist() == [320, 290]
    assert pd.isna(from_csv.loc[1, "population"])
    assert from_csv.geometry[0].equals(files.grid_rows[0]["geometry"])


def test_grids_from_geopackage(files):
    path = files.gis("grids.gpkg", files.polygons(files.grid_rows), layer="网格")
    layer = grids_from_file(path)
    assert layer["grid_id"].tolist() == ["G001", "G002"]
    assert layer.crs.to_epsg() == 4326


def test_rest_points_amenities_in_chinese(files):
    rows = [
        {
            "编号": "R001",
            "名称": "暖新驿站(正东路)",
            "经度": 119.4571,
            "纬度": 32.2046,
            "服务设施": "饮用水、充电，雨伞;急救药箱;卫生间;微波炉;纸笔;口罩;座椅",
        },
        {
            "编号": "R002",
            "名称": "暖新驿站(谏壁)",
            "经度": 119.5862,
            "纬度": 32.1527,
            "服务设施": "",
        },
    ]
    layer = rest_points_from_file(files.csv("驿站.csv", rows))
    assert layer.loc[0, "amenities"] == (
        "water;charging;rain_gear;first_aid;toilet;microwave;stationery;masks_sanitiser;seats"
    )
    assert layer.loc[1, "amenities"] == ""
    assert list(layer.columns) == [
        "facility_id",
        "name",
        "address",
        "hours",
        "amenities",
        "demo",
        "geometry",
    ]


def test_candidates_without_names_take_their_ids(files):
    rows = [{"candidate_id": "C1", "kind": "社区用房", "lon": 119.45, "lat": 32.2}]
    layer = candidates_from_file(files.csv("candidates.csv", rows))
    assert layer.loc[0, "name"] == "C1"
    assert layer.loc[0, "kind"] == "社区用房"
    assert list(layer.columns) == ["candidate_id", "name", "kind", "demo", "geometry"]


def test_boundary_from_geojson(files):
    frame = gpd.GeoDataFrame(
        {"name": ["京口区"], "adcode": [321102]},
        geometry=[files.grid_rows[0]["geometry"]],
        crs="EPSG:4326",
    )
    layer = boundary_from_file(files.gis("jingkou.geojson", frame))
    assert layer.loc[0, "name"] == "京口区"
    assert layer.loc[0, "adcode"] == "321102"
    assert list(layer.columns) == ["name", "adcode", "geometry"]


def test_boundary_without_name_takes_the_file_name(files):
    frame = gpd.GeoDataFrame(geometry=[files.grid_rows[0]["geometry"]], crs="EPSG:4326")
    layer = boundary_from_file(files.gis("jingkou.gpkg", frame))
    assert layer.loc[0, "name"] == "jingkou"
    assert pd.isna(layer.loc[0, "adcode"])
