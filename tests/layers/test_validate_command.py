"""``circles validate``: report text, JSON, exit codes 0/1/2, options."""

from __future__ import annotations

import json

import click
import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from api.cli import main
from api.cli.validate import command


def run(*arguments: str):
    return CliRunner().invoke(main, ["validate", *map(str, arguments)])


def test_good_file_exits_0_with_the_summary(files):
    path = files.csv("stations.csv", files.station_rows)
    result = run("stations", path)
    assert result.exit_code == 0
    assert result.output == "stations.csv: 3 features loaded, 0 errors, 0 warnings\n"


def test_warnings_are_printed_and_still_exit_0(files):
    rows = [{**r, "备注": "", "id": ""} for r in files.station_rows[:2]]
    result = run("stations", files.csv("stations.csv", rows))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "stations.csv: 2 features loaded, 0 errors, 3 warnings"
    assert (
        "  warning: column 备注: unknown column, not part of the stations layer; ignored"
        in lines[1]
    )
    assert lines[2].startswith(
        "  warning: row 2, column id: facility_id is missing; generated 'stations-2'"
    )


def test_bad_file_exits_1_with_every_problem(files):
    rows = [{**files.station_rows[0], "lat": 219.4}, {**files.station_rows[1], "kind": "x"}]
    result = run("stations", files.csv("stations.csv", rows))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "stations.csv: not loaded (2 rows read), 2 errors, 0 warnings",
        "  error: row 2, column lat: value 219.4 is out of range [-90, 90]; "
        "fix: give lon in [-180, 180] and lat in [-90, 90] degrees",
        "  error: row 3, column kind: value 'x' is not a known kind; "
        "fix: use centre (党群服务中心, 中心) or station (网格党群服务站, 服务站, 站)",
    ]


def test_json_report(files):
    rows = [{**files.station_rows[0], "lon": 32.2046, "lat": 119.4571}]
    result = run("stations", files.csv("stations.csv", rows), "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["summary"] == "stations.csv: not loaded (1 row read), 1 error, 0 warnings"
    assert (report["ok"], report["error_count"], report["warning_count"]) == (False, 1, 0)
    [problem] = report["problems"]
    assert problem["row"] == 2 and problem["column"] == "lat" and problem["value"] == 119.4571
    assert problem["fix"] == "are lon and lat swapped?"


def test_json_report_of_a_good_file(files):
    result = run("stations", files.csv("stations.csv", files.station_rows), "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["features"] == 3


def test_crs_option_is_used(files):
    path = files.gis("stations.gpkg", files.points(files.station_rows).to_crs(3857))
    assert run("stations", path).exit_code == 0
    result = run("stations", path, "--crs", "GCJ02")
    assert result.exit_code == 1
    assert "file declares EPSG:3857" in result.output


def test_boundary_option_warns_of_points_outside(files):
    outline = gpd.GeoDataFrame(
        {"name": ["京口区"]}, geometry=[box(119.40, 32.18, 119.50, 32.25)], crs=4326
    )
    boundary = files.gis("jingkou.geojson", outline)
    result = run("stations", files.csv("stations.csv", files.station_rows), "--boundary", boundary)
    assert result.exit_code == 0
    outside = "row 4, column lat: point at 119.586200, 32.152700 lies outside the district boundary"
    assert f"warning: {outside}" in result.output


def test_source_layer_option(files):
    path = files.gis("all.gpkg", files.points(files.station_rows), layer="a")
    files.gis("all.gpkg", files.points(files.station_rows[:1]), layer="b")
    assert run("stations", path).exit_code == 1
    result = run("stations", path, "--source-layer", "b")
    assert result.exit_code == 0
    assert result.output.startswith("all.gpkg: 1 feature loaded")


def test_missing_file_exits_1(tmp_path):
    result = run("grids", tmp_path / "missing.gpkg")
    assert result.exit_code == 1
    assert "error: file not found" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["station", "x.csv"], "Invalid value for 'LAYER': 'station' is not one of"),
        (["stations", "x.csv", "--crs", "mars"], "Invalid value for '--crs': 'mars' is not one of"),
        (["stations"], "Missing argument 'FILE'"),
        (["stations", "x.csv", "--boundary", "/no/such/boundary.geojson"], "does not exist"),
    ],
)
def test_usage_errors_exit_2(arguments, message):
    result = run(*arguments)
    assert result.exit_code == 2
    assert message in result.output


def test_command_is_registered_in_the_group():
    with click.Context(main) as context:
        assert main.get_command(context, "validate") is command
