"""``circles init``: make a scenario folder from a planner's own files."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from geo.coords import COORDINATE_SYSTEMS
from geo.errors import GeoError
from geo.folders import make_scenario_folder
from geo.layers.stations import StationKind
from geo.manifest import LAYER_KEYS, MANIFEST_FILE

__all__ = ["command"]

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _pairs(values: tuple[str, ...], option: str, example: str) -> dict[str, str]:
    """``LAYER=VALUE`` pairs of a repeated option as a dict, keyed by layer."""
    chosen: dict[str, str] = {}
    for value in values:
        layer, sep, given = value.partition("=")
        layer, given = layer.strip().replace("-", "_"), given.strip()
        if not sep or layer not in LAYER_KEYS or not given:
            msg = (
                f"{option} {value!r}: give LAYER=VALUE with LAYER one of "
                f"{', '.join(LAYER_KEYS)}, e.g. {option} {example}"
            )
            raise click.BadParameter(msg)
        chosen[layer] = given
    return chosen


def _layer_crs(_: click.Context, __: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    """``--crs LAYER=CRS`` pairs as a dict (checked here so that nothing is written)."""
    chosen: dict[str, str] = {}
    for value in values:
        [(layer, system)] = _pairs((value,), "--crs", "stations=gcj02").items()
        if system.lower() not in COORDINATE_SYSTEMS:
            msg = (
                f"--crs {value!r}: the coordinate system is one of "
                f"{', '.join(COORDINATE_SYSTEMS)}, e.g. --crs stations=gcj02"
            )
            raise click.BadParameter(msg)
        chosen[layer] = system.lower()
    return chosen


def _layer_sheet(_: click.Context, __: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    """``--sheet LAYER=NAME`` pairs as a dict."""
    return _pairs(values, "--sheet", "stations=站点")


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--boundary",
    required=True,
    help="District boundary file, or the adcode of a bundled one (e.g. 321112, Dantu).",
)
@click.option("--grids", type=_FILE, required=True, help="Grids layer file.")
@click.option("--stations", type=_FILE, required=True, help="Stations layer file.")
@click.option("--rest-points", type=_FILE, required=True, help="Rest points layer file.")
@click.option("--centres", type=_FILE, default=None, help="A file of service centres alone.")
@click.option("--candidates", type=_FILE, default=None, help="Candidate sites file.")
@click.option(
    "--crs",
    "crs",
    multiple=True,
    callback=_layer_crs,
    metavar="LAYER=CRS",
    help="Coordinate system of one layer's file, e.g. stations=gcj02 rest_points=bd09 "
    "(repeat for several; default: WGS-84 unless the file declares its own).",
)
@click.option(
    "--sheet",
    "sheets",
    multiple=True,
    callback=_layer_sheet,
    metavar="LAYER=NAME",
    help="XLSX sheet or GeoPackage layer to read of one layer's file, e.g. stations=站点 "
    "(repeat for several; default: the only one, or the one named like the layer).",
)
@click.option(
    "--stations-kind",
    type=click.Choice(["station", "centre"]),
    default=None,
    help="Kind of the stations file's rows when it has no kind column.",
)
@click.option("--name", default=None, help="Scenario name (default: the folder's name).")
def command(
    folder: Path,
    boundary: str,
    grids: Path,
    stations: Path,
    rest_points: Path,
    centres: Path | None,
    candidates: Path | None,
    crs: dict[str, str],
    sheets: dict[str, str],
    stations_kind: str | None,
    name: str | None,
) -> None:
    """Check every file and write FOLDER: the files and their scenario.toml.

    Every problem of every file is reported; with any error nothing is written and the
    exit status is 1. Then run analyze, sites, report and serve with --scenario FOLDER.
    """
    try:
        manifest = make_scenario_folder(
            folder,
            boundary=boundary,
            grids=grids,
            stations=stations,
            rest_points=rest_points,
            centres=centres,
            candidates=candidates,
            crs=crs,
            sheets=sheets,
            stations_kind=cast("StationKind | None", stations_kind),
            name=name,
        )
    except GeoError as exc:
        raise click.ClickException(str(exc)) from exc
    layers = ", ".join(
        f"{key} ({source.crs or 'as declared'})" for key, source in manifest.layers.items()
    )
    click.echo(f"wrote {folder / MANIFEST_FILE}: scenario {manifest.name!r}; {layers}")
    click.echo(f"next: circles analyze --scenario {folder} --out {folder / 'analysis'}")
