"""The resource budget: hostile files are refused in bounded memory, naming the limit."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys

import openpyxl
import pytest
from click.testing import CliRunner
from shapely.geometry import Polygon

from api.cli import main
from geo import settings
from geo.errors import LayerReadError, LayerTooLargeError
from geo.layers import stations_from_file, validate_layer
from geo.layers._budget import Budget

CORPUS_NAMES = [
    "xlsx_far_corner.xlsx",
    "xlsx_far_row_hidden.xlsx",
    "xlsx_far_column_unsized.xlsx",
    "xlsx_declared_whole_sheet.xlsx",
    "xlsx_too_many_rows.xlsx",
    "xlsx_bomb.xlsx",
    "csv_too_many_rows.csv",
    "csv_wide.csv",
    "csv_million_columns.csv",
    "geojson_too_many_features.geojson",
    "geojson_nan.geojson",
    "geojson_overflow.geojson",
    "geojson_deep.geojson",
    "geojson_nested_properties.geojson",
    "gpkg_too_many_features.gpkg",
    "shapefile_too_many_features.zip",
    "shapefile_bomb.zip",
]


def test_the_corpus_lists_every_file(hostile_script, hostile_corpus):
    assert sorted(hostile_script.CORPUS) == sorted(CORPUS_NAMES)
    assert sorted(p.name for p in hostile_corpus.iterdir()) == sorted(CORPUS_NAMES)


@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_hostile_file_is_refused_with_one_clear_error(hostile_script, hostile_corpus, name):
    expected = hostile_script.CORPUS[name][1]
    layer, report = validate_layer("stations", hostile_corpus / name)
    assert layer is None
    assert len(report.errors) == 1, report.to_text()
    text = report.errors[0].to_text()
    if expected in Budget.__dataclass_fields__:
        assert f"(setting max_{expected})" in text
        assert f"CIRCLES_MAX_{expected.upper()}" in text
    else:
        assert re.search(expected, text), text
    json.dumps(report.to_dict(), allow_nan=False)


@pytest.mark.parametrize("name", ["xlsx_far_corner.xlsx", "csv_wide.csv", "geojson_deep.geojson"])
def test_loader_raises_a_read_error_naming_the_file(hostile_corpus, name):
    with pytest.raises(LayerReadError, match=name.replace(".", r"\.")):
        stations_from_file(hostile_corpus / name)


def test_budget_errors_are_their_own_class(hostile_corpus):
    with pytest.raises(LayerTooLargeError, match=r"more than the limit of 50,000 features"):
        stations_from_file(hostile_corpus / "csv_too_many_rows.csv")


def test_the_limit_can_be_raised(hostile_corpus, monkeypatch):
    monkeypatch.setattr(settings, "max_features", 60_000)
    layer, report = validate_layer("stations", hostile_corpus / "csv_too_many_rows.csv")
    assert report.ok, report.to_text()
    assert layer is not None and len(layer) == 50_001


def test_validate_command_exits_1_with_strict_json(hostile_corpus):
    for name in CORPUS_NAMES:
        result = CliRunner().invoke(
            main, ["validate", "stations", str(hostile_corpus / name), "--json"]
        )
        assert result.exit_code == 1, (name, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        document = json.loads(result.output, parse_constant=pytest.fail)
        assert document["error_count"] == 1


# Peak resident memory of this process image, kB: VmHWM starts afresh at exec, whereas
# getrusage's ru_maxrss keeps the peak of the (large) test process that forked it.
_MEASURE = """
import sys
from pathlib import Path
from geo.layers import validate_layer
for path in sorted(Path(sys.argv[1]).iterdir()):
    layer, report = validate_layer("stations", path)
    assert layer is None, path
status = Path("/proc/self/status").read_text().splitlines()
print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def test_refusing_the_whole_corpus_stays_within_a_memory_bound(hostile_corpus):
    # Before the budget, the far-corner workbook alone made the reader pad a dense table
    # of a million rows (more than 13 GB). Peak resident memory, in kB:
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(hostile_corpus)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    peak_mb = int(result.stdout.split()[-1]) / 1024
    assert peak_mb < 1024, f"peak resident memory {peak_mb:.0f} MB"


def _polygon(vertices: int) -> Polygon:
    ring = [
        (
            119.45 + 0.01 * math.cos(2 * math.pi * i / vertices),
            32.2 + 0.01 * math.sin(2 * math.pi * i / vertices),
        )
        for i in range(vertices)
    ]
    return Polygon(ring)


def test_vertices_per_geometry_are_limited(tmp_path, monkeypatch):
    path = tmp_path / "grids.csv"
    path.write_text(
        f'grid_id,name,geometry\nG1,a,"{_polygon(50).wkt}"\nG2,b,"{_polygon(300).wkt}"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(settings, "max_vertices", 200)
    layer, report = validate_layer("grids", path)
    assert layer is None
    (problem,) = report.errors
    assert problem.row == 3
    assert "the geometry of row 3 has 301 vertices: more than the limit of 200" in problem.message


def test_cells_per_sheet_are_limited(tmp_path, monkeypatch):
    path = tmp_path / "stations.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "name", "kind", "lon", "lat"])
    for i in range(30):
        sheet.append([f"S{i}", "a", "station", 119.45, 32.2])
    workbook.save(path)
    monkeypatch.setattr(settings, "max_cells", 100)
    _, report = validate_layer("stations", path)
    (problem,) = report.errors
    assert "more than the limit of 100 cells (setting max_cells)" in problem.message
    assert problem.row == 21  # 5 cells a row: row 21 brings the count to 105


def test_a_budget_passed_explicitly_wins_over_the_settings(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,name,kind,lon,lat\n" + "S1,a,station,119.45,32.2\n" * 3)
    tight = Budget(features=2, columns=10, cells=100, vertices=10, nesting=8, input_bytes=10**6)
    _, report = validate_layer("stations", path, budget=tight)
    assert "more than the limit of 2 features" in report.errors[0].message


def test_wide_header_is_checked_in_linear_time(tmp_path, monkeypatch):
    # 50,000 columns took over 80 s when each header was compared with every kept one.
    monkeypatch.setattr(settings, "max_columns", 100_000)
    monkeypatch.setattr(settings, "max_cells", 10_000_000)
    header = ["id", "name", "kind", "lon", "lat"] + [f"c{i}" for i in range(50_000)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(header) + "\nS1,a,station,119.45,32.2\n", encoding="utf-8")
    layer, report = validate_layer("stations", path)
    assert layer is not None and len(layer) == 1
    assert len(report.warnings) == 50_000  # one per unknown column


def test_an_environment_variable_sets_a_limit(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,name,kind,lon,lat\n" + "S1,a,station,119.45,32.2\n" * 3)
    code = (
        "import sys; from geo.layers import validate_layer; "
        "_, r = validate_layer('stations', sys.argv[1]); print(r.errors[0].message)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={**os.environ, "CIRCLES_MAX_FEATURES": "2"},
    )
    assert "more than the limit of 2 features" in result.stdout


def test_excel_rows_count_the_title_and_header_rows(files):
    rows = [dict(r) for r in files.station_rows]
    rows[1]["lat"] = 95.0
    path = files.xlsx("stations.xlsx", rows, title_row="京口区网格站一览")
    _, report = validate_layer("stations", path)
    (problem,) = report.errors
    assert problem.row == 4  # title row 1, header row 2, first station row 3


def test_csv_rows_are_lines_even_after_a_multiline_cell(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        'id,name,kind,lon,lat,address\nS1,a,station,119.45,32.2,"正东路\n12号"\n'
        "S2,b,station,abc,32.2,\n",
        encoding="utf-8",
    )
    _, report = validate_layer("stations", path)
    (problem,) = report.errors
    assert (problem.row, problem.column) == (4, "lon")


def test_points_outside_quote_the_file_coordinates_beside_the_converted(files):
    rows = [dict(files.station_rows[0]), {**files.station_rows[1], "lon": 119.9, "lat": 32.5}]
    path = files.csv("s.csv", rows)
    _, report = validate_layer(
        "stations", path, crs="gcj02", boundary=Polygon.from_bounds(119.4, 32.1, 119.7, 32.3)
    )
    (warning,) = report.warnings
    assert warning.row == 3
    assert "(WGS-84; 119.9, 32.5 as written in the file) lies outside" in warning.message


def test_control_characters_in_layer_text_are_errors(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(
        "id,name,kind,lon,lat,address\n"
        "S1,正东路\x07站,station,119.45,32.2,\n"
        'S2,b,station,119.45,32.2,"多行\n地址"\n'.encode()
    )
    layer, report = validate_layer("stations", path)
    assert layer is None
    (problem,) = report.errors
    assert (problem.row, problem.column) == (2, "name")
    assert "control character U+0007 at position 4" in problem.message
