"""The broken-file corpus (tests/data/broken/): each file fails with its own precise message."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main
from geo.errors import LayerReadError, LayerValidationError
from geo.layers import (
    boundary_from_file,
    candidates_from_file,
    grids_from_file,
    rest_points_from_file,
    stations_from_file,
    validate_layer,
)

DATA = Path(__file__).resolve().parents[1] / "data"
CORPUS = DATA / "broken"

LOADERS = {
    "boundary": boundary_from_file,
    "grids": grids_from_file,
    "stations": stations_from_file,
    "rest_points": rest_points_from_file,
    "candidates": candidates_from_file,
}


@dataclass(frozen=True)
class Case:
    """A broken file and the problem it must be reported with."""

    file: str
    layer: str
    message: str  # regular expression matched against the problem's text
    row: int | None = None
    column: str | None = None
    unreadable: bool = False  # LayerReadError rather than LayerValidationError
    crs: str | None = None

    @property
    def location(self) -> str:
        parts = [f"row {self.row}"] if self.row is not None else []
        parts += [f"column {self.column}"] if self.column is not None else []
        return ", ".join(parts) + ": " if parts else ""


CASES = [
    Case("empty.csv", "stations", r"file is empty \(0 bytes\)", unreadable=True),
    Case(
        "stations.txt",
        "stations",
        r"unsupported file extension '\.txt'; fix: if it holds "
        r"comma-separated values, rename it to \.csv",
        unreadable=True,
    ),
    Case(
        "stations_old_excel.xls",
        "stations",
        r"unsupported file extension '\.xls'; fix: open it "
        r"in Excel or WPS and save it as an \.xlsx workbook",
        unreadable=True,
    ),
    Case(
        "stations_latin1.csv",
        "stations",
        r"file is neither UTF-8 nor GB18030 \(GBK\) text: "
        r"byte 0xe9 on line 2 cannot be decoded",
        unreadable=True,
    ),
    Case(
        "stations_utf16.csv",
        "stations",
        r"file is UTF-16 or binary, not UTF-8 or GB18030 text",
        unreadable=True,
    ),
    Case(
        "stations_workbook.csv",
        "stations",
        r"file is a zip archive \(an XLSX workbook\?\) with "
        r"a \.csv extension; fix: rename it to \.xlsx",
        unreadable=True,
    ),
    Case(
        "stations_damaged.xlsx",
        "stations",
        r"file is not a readable XLSX workbook "
        r"\(BadZipFile: File is not a zip file\)",
        unreadable=True,
    ),
    Case(
        "stations_broken_json.geojson",
        "stations",
        r"file is not valid JSON: Expecting ',' "
        r"delimiter at line 1, column \d+",
        unreadable=True,
    ),
    Case(
        "grids_not_a_geopackage.gpkg",
        "grids",
        r"file is not a readable GeoPackage \(.*not "
        r"recognized as being in a supported file format",
        unreadable=True,
    ),
    Case(
        "grids_several_layers.gpkg",
        "grids",
        r"file has several layers: 'jingkou_grids_2023', "
        r"'jingkou_grids_2024'; fix: name the layer to read",
        unreadable=True,
    ),
    Case(
        "stations_no_dbf.zip",
        "stations",
        r"shapefile stations comes without its \.dbf part",
        unreadable=True,
    ),
    Case(
        "stations_no_shapefile.zip",
        "stations",
        r"the zip archive holds no \.shp file",
        unreadable=True,
    ),
    Case("stations_header_only.csv", "stations", r"file holds no features"),
    Case(
        "stations_swapped.csv",
        "stations",
        r"value 119\.4622 is out of range \[-90, 90\]; "
        r"fix: are lon and lat swapped\?",
        3,
        "lat",
    ),
    Case(
        "stations_out_of_range.csv",
        "stations",
        r"value 219\.4 is out of range \[-180, 180\]",
        4,
        "lon",
    ),
    Case(
        "stations_projected_metres.csv",
        "stations",
        r"value 3563871\.9 is out of range "
        r"\[-90, 90\]; fix: the value looks like metres of a projected CRS",
        2,
        "y",
    ),
    Case(
        "stations_text_coordinates.csv", "stations", r"value '东经119度' is not a number", 3, "lon"
    ),
    Case(
        "stations_no_coordinates.csv",
        "stations",
        r"no coordinate columns; fix: add columns "
        r"lon and lat \(or 经度 and 纬度\)",
    ),
    Case(
        "stations_duplicate_ids.csv", "stations", r"value 'S002' is a duplicate of row 3", 5, "id"
    ),
    Case(
        "stations_two_id_columns.csv",
        "stations",
        r"columns 'id' and '编号' both give "
        r"facility_id",
        None,
        "编号",
    ),
    Case(
        "stations_missing_name_column.csv",
        "stations",
        r"missing required column name; fix: "
        r"add a column name \(also accepted: 名称\)",
        None,
        "name",
    ),
    Case(
        "stations_missing_kind_column.xlsx",
        "stations",
        r"missing required column kind",
        None,
        "kind",
    ),
    Case(
        "stations_gbk_unknown_kind.csv",
        "stations",
        r"value '社区' is not a known kind; fix: "
        r"use centre \(党群服务中心, 中心\) or station",
        3,
        "类型",
    ),
    Case("stations_bad_demo.csv", "stations", r"value 'maybe' is not a yes/no value", 2, "demo"),
    Case(
        "stations_declared_3857.geojson",
        "stations",
        r"file declares EPSG:3857 \(WGS 84 / "
        r"Pseudo-Mercator\) but crs='gcj02' was given",
        crs="gcj02",
    ),
    Case(
        "stations_declared_4490.gpkg",
        "stations",
        r"file declares EPSG:4490 \(China Geodetic "
        r"Coordinate System 2000\) but crs='bd09' was given",
        crs="bd09",
    ),
    Case("rest_points_missing_names.csv", "rest_points", r"name is missing", 3, "name"),
    Case(
        "rest_points_polygons.zip",
        "rest_points",
        r"geometry is a Polygon, not a Point",
        1,
        "geometry",
    ),
    Case(
        "candidates_duplicate_ids.xlsx",
        "candidates",
        r"value 'C01' is a duplicate of row 2",
        4,
        "编号",
    ),
    Case(
        "grids_duplicate_ids.gpkg",
        "grids",
        r"value 'G001' is a duplicate of row 1; fix: give "
        r"every feature its own grid_id",
        3,
        "grid_id",
    ),
    Case(
        "grids_negative_households.csv",
        "grids",
        r"value -5 is negative; fix: households must "
        r"be 0 or more",
        3,
        "households",
    ),
    Case("grids_text_population.xlsx", "grids", r"value '约3000' is not a number", 3, "常住人口"),
    Case(
        "grids_bad_wkt.csv",
        "grids",
        r"value 'POLYGON \(\(119\.45 32\.2, 119\.454' is not WKT "
        r"geometry",
        2,
        "wkt",
    ),
    Case(
        "grids_bowtie.geojson",
        "grids",
        r"polygon is invalid \(Self-intersection\[119\.455 "
        r"32\.205\]\); its outline encloses no area",
        2,
        "geometry",
    ),
    Case(
        "grids_points.geojson",
        "grids",
        r"geometry is a Point, not a Polygon or MultiPolygon",
        1,
        "geometry",
    ),
    Case("grids_null_geometry.geojson", "grids", r"geometry is empty", 2, "geometry"),
    Case("boundary_points.csv", "boundary", r"no polygon geometry: boundary needs polygons"),
]

IDS = [case.file for case in CASES]


def test_the_corpus_is_large_and_every_file_has_a_case():
    files = sorted(p.name for p in CORPUS.iterdir())
    assert len(files) >= 20
    assert files == sorted(IDS)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_loader_raises_the_precise_message(case):
    error = LayerReadError if case.unreadable else LayerValidationError
    with pytest.raises(error, match=re.escape(case.location) + case.message) as caught:
        LOADERS[case.layer](CORPUS / case.file, crs=case.crs)
    if not case.unreadable:
        assert caught.value.report.errors  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_report_locates_the_problem(case):
    layer, report = validate_layer(case.layer, CORPUS / case.file, crs=case.crs)
    assert layer is None
    assert not report.ok
    matching = [p for p in report.errors if re.search(case.message, p.to_text())]
    assert matching, report.to_text()
    assert (matching[0].row, matching[0].column) == (case.row, case.column)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_command_exits_1_with_the_message(case):
    arguments = ["validate", case.layer, str(CORPUS / case.file)]
    arguments += ["--crs", case.crs] if case.crs else []
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"{case.file}: not loaded")
    assert re.search(r"error: " + re.escape(case.location) + case.message, result.output)


def test_the_corpus_script_reproduces_the_corpus(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "make_broken_corpus", DATA / "make_broken_corpus.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(script, "OUT", tmp_path / "broken")
    script.main()
    fresh = {p.name: p for p in (tmp_path / "broken").iterdir()}
    assert sorted(fresh) == sorted(IDS)
    for case in CASES:
        committed, again = CORPUS / case.file, fresh[case.file]
        if again.suffix in (".csv", ".txt", ".geojson", ".xls"):
            assert committed.read_bytes() == again.read_bytes(), case.file
        else:  # bytes of binary formats may change with GDAL or openpyxl versions
            first = validate_layer(case.layer, committed, crs=case.crs)[1]
            second = validate_layer(case.layer, again, crs=case.crs)[1]
            assert first.to_text().replace(str(CORPUS), "") == second.to_text().replace(
                str(tmp_path / "broken"), ""
            )
