"""Builders of good layer files in every format, for the loader tests."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry

STATION_ROWS: list[dict[str, object]] = [
    {
        "id": "S001",
        "name": "正东路社区网格站",
        "kind": "station",
        "lon": 119.4571,
        "lat": 32.2046,
        "address": "正东路12号",
        "hours": "8:30-17:30",
        "services": "政策咨询;便民服务",
    },
    {
        "id": "S002",
        "name": "大市口党群服务中心",
        "kind": "centre",
        "lon": 119.4622,
        "lat": 32.2011,
        "address": "解放路3号",
        "hours": "8:30-17:30",
        "services": "议事协商",
    },
    {
        "id": "S003",
        "name": "谏壁网格站",
        "kind": "station",
        "lon": 119.5862,
        "lat": 32.1527,
        "address": "",
        "hours": "",
        "services": "",
    },
]

#: English header -> Chinese header of the station files.
CHINESE: dict[str, str] = {
    "id": "编号",
    "name": "名称",
    "kind": "类型",
    "lon": "经度",
    "lat": "纬度",
    "address": "地址",
    "hours": "开放时间",
    "services": "服务内容",
    "households": "户数",
    "population": "常住人口",
    "community": "社区",
    "street": "街道",
    "grid_id": "网格编号",
    "amenities": "服务设施",
}

CHINESE_KINDS = {"station": "网格党群服务站", "centre": "党群服务中心"}

GRID_ROWS: list[dict[str, object]] = [
    {
        "grid_id": "G001",
        "name": "正东路第一网格",
        "community": "正东路社区",
        "street": "大市口街道",
        "households": 320,
        "population": 781,
        "geometry": box(119.450, 32.200, 119.454, 32.204),
    },
    {
        "grid_id": "G002",
        "name": "正东路第二网格",
        "community": "正东路社区",
        "street": "大市口街道",
        "households": 290,
        "population": None,
        "geometry": box(119.454, 32.200, 119.458, 32.204),
    },
]


class LayerFiles:
    """Writes good layer files into a test's temporary folder.

    The sample rows are attributes so that tests can compare the loaded layers with them.
    """

    station_rows = STATION_ROWS
    grid_rows = GRID_ROWS
    chinese = CHINESE
    chinese_kinds = CHINESE_KINDS

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def rename(
        rows: Sequence[Mapping[str, object]], headers: Mapping[str, str]
    ) -> list[dict[str, object]]:
        """Rename the keys of each row (e.g. to Chinese headers)."""
        return [{headers.get(k, k): v for k, v in row.items()} for row in rows]

    def csv(
        self, name: str, rows: Sequence[Mapping[str, object]], *, encoding: str = "utf-8"
    ) -> Path:
        """Write rows as CSV (None as an empty cell, geometry as WKT)."""
        path = self.folder / name
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows([{k: _cell(v) for k, v in row.items()} for row in rows])
        return path

    def xlsx(
        self, name: str, rows: Sequence[Mapping[str, object]], *, title_row: str | None = None
    ) -> Path:
        """Write rows to the first sheet of a workbook, optionally under a title row."""
        path = self.folder / name
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        if title_row is not None:
            sheet.append([title_row])
        sheet.append(list(rows[0]))
        for row in rows:
            sheet.append([_cell(v) for v in row.values()])
        workbook.save(path)
        return path

    def gis(self, name: str, frame: gpd.GeoDataFrame, *, layer: str | None = None) -> Path:
        """Write a frame with the driver its extension implies (GeoJSON, GeoPackage)."""
        path = self.folder / name
        frame.to_file(path, layer=layer)
        return path

    def zipped_shapefile(
        self, name: str, frame: gpd.GeoDataFrame, *, encoding: str = "UTF-8", cpg: bool = True
    ) -> Path:
        """Write a frame as a shapefile zipped into ``name``, with or without its .cpg."""
        folder = self.folder / (Path(name).stem + "_parts")
        folder.mkdir()
        frame.to_file(folder / "layer.shp", encoding=encoding)
        path = self.folder / name
        with zipfile.ZipFile(path, "w") as archive:
            for part in sorted(folder.iterdir()):
                if cpg or part.suffix != ".cpg":
                    archive.write(part, part.name)
        return path

    @staticmethod
    def points(
        rows: Sequence[Mapping[str, object]], crs: str | None = "EPSG:4326"
    ) -> gpd.GeoDataFrame:
        """A GeoDataFrame of station-like rows, with Point geometry from their lon/lat."""
        attributes = [{k: v for k, v in row.items() if k not in ("lon", "lat")} for row in rows]
        geometry = [Point(float(str(row["lon"])), float(str(row["lat"]))) for row in rows]
        return gpd.GeoDataFrame(attributes, geometry=geometry, crs=crs)

    @staticmethod
    def polygons(
        rows: Sequence[Mapping[str, object]], crs: str | None = "EPSG:4326"
    ) -> gpd.GeoDataFrame:
        """A GeoDataFrame of grid-like rows, whose ``geometry`` is a shapely geometry."""
        return gpd.GeoDataFrame(list(rows), geometry="geometry", crs=crs)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, BaseGeometry):
        return value.wkt
    return value


@pytest.fixture
def files(tmp_path: Path) -> LayerFiles:
    """Writer of good layer files in the test's temporary folder."""
    return LayerFiles(tmp_path)
