"""Write the corpus of deliberately broken layer files in tests/data/broken/.

Run from the repository root: ``.venv/bin/python tests/data/make_broken_corpus.py``.
Every file is a real file in a real format, broken in one way that the layer loaders must
report (tests/layers/test_corpus.py lists the message expected of each). The content is
fixed, timestamps included, so running the script again gives the same bytes (with the
same GDAL and openpyxl versions; the text files with any).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import openpyxl
from shapely.geometry import Point, Polygon, box

OUT = Path(__file__).resolve().parent / "broken"
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)

STATIONS_HEADER = "id,name,kind,lon,lat,address,hours,services"
STATION_ROWS = [
    "S001,正东路社区网格站,station,119.4571,32.2046,正东路12号,8:30-17:30,政策咨询;便民服务",
    "S002,大市口党群服务中心,centre,119.4622,32.2011,解放路3号,8:30-17:30,议事协商",
    "S003,谏壁网格站,station,119.5862,32.1527,谏壁镇1号,9:00-17:00,理论宣讲",
]


def _csv(name: str, lines: list[str], encoding: str = "utf-8") -> None:
    (OUT / name).write_bytes(("\n".join(lines) + "\n").encode(encoding))


def _fixed_zip(data: bytes, edit: Callable[[str, bytes], bytes] | None = None) -> bytes:
    """Rewrite a zip archive with fixed member timestamps (and optionally edited members)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            member = source.read(info.filename)
            member = edit(info.filename, member) if edit else member
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            target.writestr(fixed, member, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _fixed_core_properties(name: str, member: bytes) -> bytes:
    """Replace the creation and modification times that openpyxl writes."""
    if name != "docProps/core.xml":
        return member
    return re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", member)


def _xlsx_bytes(rows: list[list[object]], title: str = "Sheet1") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _fixed_zip(buffer.getvalue(), _fixed_core_properties)


def _geojson(name: str, features: list[dict[str, object]], crs: str | None = None) -> None:
    document: dict[str, object] = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    (OUT / name).write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")


def _feature(
    properties: dict[str, object], geometry: dict[str, object] | None
) -> dict[str, object]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _square(lon: float, lat: float, size: float = 0.004) -> dict[str, object]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _zip(name: str, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(OUT / name, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in sorted(members.items()):
            archive.writestr(zipfile.ZipInfo(member, date_time=_ZIP_TIME), data)


def _shapefile_parts(frame: gpd.GeoDataFrame, stem: str) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        frame.to_file(Path(folder) / f"{stem}.shp", encoding="UTF-8")
        parts = {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir())}
    dbf = parts[f"{stem}.dbf"]
    parts[f"{stem}.dbf"] = dbf[:1] + bytes([124, 1, 1]) + dbf[4:]  # last update: 2024-01-01
    return parts


def _gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """Write a GeoPackage layer with a fixed modification time."""
    frame.to_file(path, layer=layer)
    with sqlite3.connect(path) as database:
        database.execute("UPDATE gpkg_contents SET last_change = '2024-01-01T00:00:00.000Z'")
    database.close()


def csv_files() -> None:
    """CSV files: encodings, extensions and cell problems."""
    (OUT / "empty.csv").write_bytes(b"")
    _csv("stations.txt", [STATIONS_HEADER, *STATION_ROWS])
    _csv(
        "stations_latin1.csv",
        ["id,name,kind,lon,lat", "S001,Café Zürich,station,119.4571,32.2046"],
        encoding="latin-1",
    )
    _csv("stations_utf16.csv", [STATIONS_HEADER, *STATION_ROWS], encoding="utf-16")
    (OUT / "stations_workbook.csv").write_bytes(
        _xlsx_bytes([STATIONS_HEADER.split(","), *(r.split(",") for r in STATION_ROWS)])
    )
    _csv(
        "stations_swapped.csv",
        [
            STATIONS_HEADER,
            STATION_ROWS[0],
            "S002,大市口党群服务中心,centre,32.2011,119.4622,解放路3号,,",
        ],
    )
    _csv(
        "stations_out_of_range.csv",
        [STATIONS_HEADER, *STATION_ROWS[:2], "S003,谏壁网格站,station,219.4,32.1527,,,"],
    )
    _csv(
        "stations_projected_metres.csv",
        ["id,name,kind,x,y", "S001,正东路社区网格站,station,545120.3,3563871.9"],
    )
    _csv(
        "stations_duplicate_ids.csv",
        [STATIONS_HEADER, *STATION_ROWS, "S002,象山网格站,station,119.4801,32.2103,,,"],
    )
    _csv("stations_missing_name_column.csv", ["id,kind,lon,lat", "S001,station,119.4571,32.2046"])
    _csv(
        "stations_gbk_unknown_kind.csv",
        [
            "编号,名称,类型,经度,纬度,地址",
            "S001,正东路社区网格站,网格党群服务站,119.4571,32.2046,正东路12号",
            "S002,大市口社区,社区,119.4622,32.2011,解放路3号",
        ],
        encoding="gbk",
    )
    _csv(
        "stations_no_coordinates.csv",
        ["id,name,kind,address", "S001,正东路社区网格站,station,正东路12号"],
    )
    _csv(
        "stations_text_coordinates.csv",
        [STATIONS_HEADER, STATION_ROWS[0], "S002,大市口党群服务中心,centre,东经119度,32.2011,,,"],
    )
    _csv("stations_header_only.csv", [STATIONS_HEADER])
    _csv(
        "stations_two_id_columns.csv",
        ["id,编号,name,kind,lon,lat", "1,S001,正东路社区网格站,station,119.4571,32.2046"],
    )
    _csv(
        "stations_bad_demo.csv",
        ["id,name,kind,lon,lat,demo", "S001,正东路社区网格站,station,119.4571,32.2046,maybe"],
    )
    _csv(
        "rest_points_missing_names.csv",
        [
            "id,name,lon,lat,amenities",
            "R001,暖新驿站(正东路),119.4571,32.2046,饮用水;充电;雨具",
            "R002,,119.4622,32.2011,water;charging",
        ],
    )
    square = "POLYGON ((119.45 32.2, 119.454 32.2, 119.454 32.204, 119.45 32.204, 119.45 32.2))"
    _csv(
        "grids_negative_households.csv",
        [
            "grid_id,name,households,population,geometry",
            f'G001,正东路第一网格,320,781,"{square}"',
            f'G002,正东路第二网格,-5,,"{square.replace("119.45 ", "119.46 ")}"',
        ],
    )
    _csv(
        "grids_bad_wkt.csv",
        ["grid_id,name,wkt", 'G001,正东路第一网格,"POLYGON ((119.45 32.2, 119.454"'],
    )
    _csv("boundary_points.csv", ["name,lon,lat", "京口区,119.55,32.2"])


def xlsx_files() -> None:
    """XLSX workbooks with Chinese headers, a damaged one and an old .xls."""
    (OUT / "grids_text_population.xlsx").write_bytes(
        _xlsx_bytes(
            [
                ["网格编号", "网格名称", "社区", "户数", "常住人口", "geometry"],
                [
                    "G001",
                    "正东路第一网格",
                    "正东路社区",
                    320,
                    781,
                    "POLYGON ((119.45 32.2, 119.454 32.2, 119.454 32.204, 119.45 32.2))",
                ],
                [
                    "G002",
                    "正东路第二网格",
                    "正东路社区",
                    290,
                    "约3000",
                    "POLYGON ((119.46 32.2, 119.464 32.2, 119.464 32.204, 119.46 32.2))",
                ],
            ],
            title="网格",
        )
    )
    (OUT / "stations_missing_kind_column.xlsx").write_bytes(
        _xlsx_bytes(
            [
                ["编号", "名称", "经度", "纬度", "地址", "开放时间"],
                ["S001", "正东路社区网格站", 119.4571, 32.2046, "正东路12号", "8:30-17:30"],
            ]
        )
    )
    (OUT / "candidates_duplicate_ids.xlsx").write_bytes(
        _xlsx_bytes(
            [
                ["编号", "名称", "经度", "纬度"],
                ["C01", "正东路社区用房", 119.4571, 32.2046],
                ["C02", "谏壁老年活动室", 119.5862, 32.1527],
                ["C01", "象山物业用房", 119.4801, 32.2103],
            ]
        )
    )
    (OUT / "stations_damaged.xlsx").write_bytes(_xlsx_bytes([["id"], ["S001"]])[:300])
    (OUT / "stations_old_excel.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))


def geojson_files() -> None:
    """GeoJSON: invalid polygons, wrong types, null geometry, bad JSON, contradicting CRS."""
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[119.45, 32.2], [119.46, 32.21], [119.46, 32.2], [119.45, 32.21], [119.45, 32.2]]
        ],
    }
    _geojson(
        "grids_bowtie.geojson",
        [
            _feature({"grid_id": "G001", "name": "正东路第一网格"}, _square(119.44, 32.2)),
            _feature({"grid_id": "G002", "name": "正东路第二网格"}, bowtie),
        ],
    )
    _geojson(
        "grids_points.geojson",
        [
            _feature(
                {"grid_id": "G001", "name": "正东路第一网格"},
                {"type": "Point", "coordinates": [119.45, 32.2]},
            ),
        ],
    )
    _geojson(
        "grids_null_geometry.geojson",
        [
            _feature({"grid_id": "G001", "name": "正东路第一网格"}, _square(119.44, 32.2)),
            _feature({"grid_id": "G002", "name": "正东路第二网格"}, None),
        ],
    )
    text = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                _feature(
                    {"id": "S001", "name": "正东路社区网格站", "kind": "station"},
                    {"type": "Point", "coordinates": [119.4571, 32.2046]},
                )
            ],
        },
        ensure_ascii=False,
    )
    (OUT / "stations_broken_json.geojson").write_text(text[:-20], encoding="utf-8")
    _geojson(
        "stations_declared_3857.geojson",
        [
            _feature(
                {"id": "S001", "name": "正东路社区网格站", "kind": "station"},
                {"type": "Point", "coordinates": [13297750.0, 3790500.0]},
            ),
        ],
        crs="urn:ogc:def:crs:EPSG::3857",
    )


def gpkg_files() -> None:
    """GeoPackages: duplicate ids, several layers, a CRS contradicting --crs."""
    grids = gpd.GeoDataFrame(
        {
            "grid_id": ["G001", "G002", "G001"],
            "name": ["第一网格", "第二网格", "第三网格"],
            "households": [320, 290, 305],
        },
        geometry=[
            box(119.45, 32.2, 119.454, 32.204),
            box(119.46, 32.2, 119.464, 32.204),
            box(119.47, 32.2, 119.474, 32.204),
        ],
        crs="EPSG:4326",
    )
    _gpkg(grids, OUT / "grids_duplicate_ids.gpkg", "grids")
    several = OUT / "grids_several_layers.gpkg"
    _gpkg(grids.iloc[:1], several, "jingkou_grids_2023")
    _gpkg(grids.iloc[1:2], several, "jingkou_grids_2024")
    stations = gpd.GeoDataFrame(
        {"id": ["S001"], "name": ["正东路社区网格站"], "kind": ["station"]},
        geometry=[Point(119.4571, 32.2046)],
        crs="EPSG:4490",
    )
    _gpkg(stations, OUT / "stations_declared_4490.gpkg", "stations")
    (OUT / "grids_not_a_geopackage.gpkg").write_text(
        "grid_id,name\nG001,第一网格\n", encoding="utf-8"
    )


def shapefile_files() -> None:
    """Zipped shapefiles: polygons given as rest points, a missing .dbf, no shapefile."""
    polygons = gpd.GeoDataFrame(
        {"id": ["R001"], "name": ["暖新驿站"], "amenities": ["water;charging"]},
        geometry=[Polygon([(119.45, 32.2), (119.451, 32.2), (119.451, 32.201)])],
        crs="EPSG:4326",
    )
    _zip("rest_points_polygons.zip", _shapefile_parts(polygons, "rest_points"))
    points = gpd.GeoDataFrame(
        {"id": ["S001"], "name": ["正东路社区网格站"], "kind": ["station"]},
        geometry=[Point(119.4571, 32.2046)],
        crs="EPSG:4326",
    )
    parts = _shapefile_parts(points, "stations")
    _zip("stations_no_dbf.zip", {k: v for k, v in parts.items() if not k.endswith(".dbf")})
    _zip("stations_no_shapefile.zip", {"readme.txt": b"stations to come"})


WRITERS: tuple[Callable[[], None], ...] = (
    csv_files,
    xlsx_files,
    geojson_files,
    gpkg_files,
    shapefile_files,
)


def main() -> None:
    """Write every file of the corpus, replacing the folder's content."""
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    for writer in WRITERS:
        writer()
    print(f"{len(list(OUT.iterdir()))} files in {OUT}")


if __name__ == "__main__":
    main()
