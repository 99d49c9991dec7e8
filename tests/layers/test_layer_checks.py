"""Checks on layer content: every problem at once, repairs, generated ids, all-or-nothing loads."""

from __future__ import annotations

import json

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import MultiPoint, Point, Polygon, box

from geo.errors import LayerError, LayerReadError, LayerValidationError, LayerWarning
from geo.layers import (
    ValidationReport,
    grids_from_file,
    rest_points_from_file,
    stations_from_file,
    validate_layer,
)


def station(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "S001",
        "name": "正东路社区网格站",
        "kind": "station",
        "lon": 119.4571,
        "lat": 32.2046,
    }
    return {**base, **changes}


def only(report: ValidationReport, severity: str = "error"):
    problems = [p for p in report.problems if p.severity == severity]
    assert len(problems) == 1, report.to_text()
    return problems[0]


def test_every_problem_is_reported_at_once(files):
    rows = [
        station(),
        station(id="S002", lon=32.2, lat=119.4),
        station(id="S001", kind="社区"),
        station(id="S004", name=""),
        station(id="S005", lon="abc"),
    ]
    path = files.csv("stations.csv", rows)
    with pytest.raises(LayerValidationError) as caught:
        stations_from_file(path)
    report = caught.value.report
    found = {(p.row, p.column) for p in report.errors}
    # Rows are CSV lines: the header is line 1.
    assert found == {(3, "lat"), (4, "id"), (4, "kind"), (5, "name"), (6, "lon")}
    assert str(caught.value) == report.to_text()
    assert str(caught.value).startswith(
        "stations.csv: not loaded (5 rows read), 5 errors, 0 warnings"
    )
    assert (
        "row 3, column lat: value 119.4 is out of range [-90, 90]; fix: are lon and lat swapped?"
        in str(caught.value)
    )


def test_failed_load_returns_nothing_half_loaded(files):
    rows = [station(id=f"S{i:03d}") for i in range(1, 100)] + [station(id="S100", lat=95.0)]
    path = files.csv("stations.csv", rows)
    with pytest.raises(
        LayerValidationError, match=r"row 101, column lat: value 95\.0 is out of range"
    ):
        stations_from_file(path)
    layer, report = validate_layer("stations", path)
    assert layer is None
    assert (report.rows, report.features, report.ok) == (100, 0, False)


def test_validate_layer_returns_the_layer_and_its_warnings(files):
    path = files.csv("stations.csv", [{**station(), "备注": "x"}])
    layer, report = validate_layer("stations", path)
    assert isinstance(layer, gpd.GeoDataFrame)
    assert report.ok and report.features == 1
    problem = only(report, "warning")
    assert (problem.row, problem.column) == (None, "备注")
    assert report.summary() == "stations.csv: 1 feature loaded, 0 errors, 1 warning"


def test_warnings_point_at_the_caller_and_stay_in_the_report(files):
    path = files.csv("stations.csv", [station(id="")])
    with pytest.warns(
        LayerWarning, match=r"row 2, column id: facility_id is missing; generated 'stations-2'"
    ) as caught:
        layer = stations_from_file(path)
    assert caught[0].filename == __file__
    assert layer.loc[0, "facility_id"] == "stations-2"
    _, report = validate_layer("stations", path)
    assert only(report, "warning").message == "facility_id is missing; generated 'stations-2'"


def test_ids_are_generated_when_the_column_is_absent(files):
    rows = [{k: v for k, v in station().items() if k != "id"}] * 2
    with pytest.warns(
        LayerWarning, match="no facility_id column: ids stations-<row> were generated"
    ):
        layer = stations_from_file(files.csv("stations.csv", rows))
    assert layer["facility_id"].tolist() == ["stations-2", "stations-3"]


def test_validate_layer_refuses_unknown_layer_names(files):
    with pytest.raises(LayerError, match="unknown layer 'station'; use one of boundary, grids"):
        validate_layer("station", files.csv("s.csv", [station()]))  # type: ignore[arg-type]


def test_unreadable_file_raises_read_error(tmp_path):
    with pytest.raises(LayerReadError, match=r"nothing\.csv: file not found"):
        stations_from_file(tmp_path / "nothing.csv")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("中心", "centre"),
        ("Center", "centre"),
        ("党群服务中心", "centre"),
        ("站", "station"),
        ("服务站", "station"),
        ("网格党群服务站", "station"),
        (" STATION ", "station"),
    ],
)
def test_kind_spellings(files, value, kind):
    layer = stations_from_file(files.csv("s.csv", [station(kind=value)]))
    assert layer.loc[0, "kind"] == kind


def test_blank_kind_is_an_error(files):
    _, report = validate_layer("stations", files.csv("s.csv", [station(kind="")]))
    problem = only(report)
    assert (problem.row, problem.column, problem.message) == (2, "kind", "kind is missing")


def test_services_are_split_on_chinese_separators(files):
    layer = stations_from_file(
        files.csv("s.csv", [{**station(), "服务项目": "政策咨询、便民服务；议事协商"}])
    )
    assert layer.loc[0, "services"] == "政策咨询;便民服务;议事协商"


def test_unknown_amenities_are_dropped_with_a_warning(files):
    rows = [
        {
            "id": "R1",
            "name": "驿站",
            "lon": 119.45,
            "lat": 32.2,
            "amenities": "water;wifi;充电;按摩椅",
        }
    ]
    with pytest.warns(
        LayerWarning, match=r"row 2, column amenities: unknown amenities 'wifi', '按摩椅' ignored"
    ):
        layer = rest_points_from_file(files.csv("r.csv", rows))
    assert layer.loc[0, "amenities"] == "water;charging"


def grid(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "grid_id": "G1",
        "name": "第一网格",
        "households": 320,
        "population": 781,
        "geometry": box(119.45, 32.2, 119.454, 32.204),
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("households", "expected"), [("1,234", 1234), ("12.0", 12), ("0", 0), ("", None)]
)
def test_households_accept_whole_numbers(files, households, expected):
    layer = grids_from_file(files.csv("g.csv", [grid(households=households)]))
    value = layer.loc[0, "households"]
    assert pd.isna(value) if expected is None else value == expected


@pytest.mark.parametrize(
    ("population", "message"),
    [
        ("12.5", "value '12.5' is not a whole number"),
        ("约3000", "value '约3000' is not a number"),
        ("-3", "value -3 is negative"),
    ],
)
def test_population_must_be_a_whole_number_of_zero_or_more(files, population, message):
    _, report = validate_layer("grids", files.csv("g.csv", [grid(population=population)]))
    problem = only(report)
    assert (problem.row, problem.column, problem.message) == (2, "population", message)


def test_demo_flags(files):
    rows = [station(id="S1", demo="是"), station(id="S2", demo="false"), station(id="S3", demo="")]
    layer = stations_from_file(files.csv("s.csv", rows))
    assert layer["demo"].tolist() == [True, False, False]
    assert layer["demo"].dtype == bool


def test_repairable_polygon_is_repaired_with_a_warning(files):
    # A ring touching itself at (1, 1): invalid, and make_valid keeps its area.
    ring = [(0, 0), (2, 0), (2, 2), (1, 1), (0, 2), (1, 1), (0, 0)]
    shell = [(119.45 + x * 0.001, 32.2 + y * 0.001) for x, y in ring]
    broken = Polygon(shell)
    assert not broken.is_valid
    path = files.gis("g.geojson", gpd.GeoDataFrame([grid(geometry=broken)], crs=4326))
    with pytest.warns(
        LayerWarning, match=r"row 1, column geometry: polygon is invalid \(.*\) and was repaired"
    ):
        layer = grids_from_file(path)
    assert layer.geometry[0].is_valid
    assert layer.geometry[0].area == pytest.approx(broken.area, rel=0.01)


def test_bowtie_polygon_is_an_error(files):
    bowtie = Polygon([(119.45, 32.2), (119.46, 32.21), (119.46, 32.2), (119.45, 32.21)])
    path = files.gis(
        "g.geojson", gpd.GeoDataFrame([grid(), grid(grid_id="G2", geometry=bowtie)], crs=4326)
    )
    with pytest.raises(
        LayerValidationError,
        match=r"row 2, column geometry: polygon is invalid \(Self-intersection",
    ):
        grids_from_file(path)


def test_single_point_multipoints_and_z_are_accepted(files):
    frame = gpd.GeoDataFrame(
        [{"id": "S1", "name": "a", "kind": "station"}, {"id": "S2", "name": "b", "kind": "centre"}],
        geometry=[MultiPoint([(119.45, 32.2)]), Point(119.46, 32.21, 8.0)],
        crs=4326,
    )
    layer = stations_from_file(files.gis("s.gpkg", frame))
    assert layer.geometry.tolist() == [Point(119.45, 32.2), Point(119.46, 32.21)]


def test_points_outside_the_boundary_are_warned_of(files):
    rows = [station(), station(id="S2", lon=119.9, lat=32.5)]
    outline = gpd.GeoDataFrame(geometry=[box(119.40, 32.10, 119.70, 32.30)], crs=4326)
    boundary = files.gis("boundary.geojson", outline)
    path = files.csv("s.csv", rows)
    with pytest.warns(
        LayerWarning, match=r"row 3, column lat: point at 119\.900000, 32\.500000 lies outside"
    ):
        layer = stations_from_file(path, boundary=boundary)
    assert len(layer) == 2
    _, report = validate_layer("stations", path, boundary=outline.to_crs(3857))
    assert only(report, "warning").row == 3


def test_grid_centred_outside_the_boundary_is_warned_of(files):
    rows = [grid(), grid(grid_id="G2", geometry=box(120.0, 32.0, 120.01, 32.01))]
    with pytest.warns(LayerWarning, match=r"row 3, column geometry: polygon at .* lies outside"):
        grids_from_file(files.csv("g.csv", rows), boundary=box(119.4, 32.1, 119.7, 32.3))


def test_unusable_boundary_file_is_reported(files):
    path = files.csv("s.csv", [station()])
    layer, report = validate_layer("stations", path, boundary=files.csv("b.csv", [station()]))
    assert layer is None
    assert only(report).message.startswith("the boundary cannot be used: no polygon geometry")


def test_xlsx_sheet_named_like_the_layer_is_chosen(files):
    path = files.folder / "book.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["说明"])
    workbook.active.append(["本表为演示数据", "2024"])
    sheet = workbook.create_sheet("stations")
    sheet.append(["编号", "名称", "类型", "经度", "纬度"])
    sheet.append(["S1", "正东路社区网格站", "站", 119.45, 32.2])
    workbook.save(path)
    assert stations_from_file(path)["facility_id"].tolist() == ["S1"]
    with pytest.raises(LayerReadError, match=r"file has several sheets: 'Sheet', 'stations'"):
        grids_from_file(path)


def test_headerless_values_and_extra_cells_are_warned_of(files, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,name,kind,lon,lat\nS1,a,station,119.45,32.2,oops\n", encoding="utf-8")
    with pytest.warns(LayerWarning, match=r"column #6: column 6 has values but no header"):
        stations_from_file(path)


def test_report_as_json(files):
    _, report = validate_layer("stations", files.csv("s.csv", [station(lat=119.4, lon=32.2)]))
    document = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert document["ok"] is False
    assert document["error_count"] == 1
    assert document["problems"] == [
        {
            "severity": "error",
            "row": 2,
            "column": "lat",
            "value": 119.4,
            "message": "value 119.4 is out of range [-90, 90]",
            "fix": "are lon and lat swapped?",
        }
    ]
