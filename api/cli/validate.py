"""``circles validate``: check a layer file and report every problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import click

from geo.coords import COORDINATE_SYSTEMS, CoordinateSystem
from geo.layers import LAYER_NAMES, LayerName, validate_layer

__all__ = ["command"]


@click.command("validate")
@click.argument("layer", type=click.Choice(LAYER_NAMES), metavar="LAYER")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--crs",
    type=click.Choice(COORDINATE_SYSTEMS, case_sensitive=False),
    default=None,
    help="Coordinate system of the file's lon/lat (default: the file's own CRS, else wgs84). "
    "Amap and Tencent give gcj02, Baidu gives bd09.",
)
@click.option(
    "--boundary",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="District boundary file: features outside it are warned of.",
)
@click.option(
    "--source-layer",
    default=None,
    help="GeoPackage layer, XLSX sheet or zipped shapefile to read, if the file holds several.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(
    layer: str,
    file: Path,
    crs: str | None,
    boundary: Path | None,
    source_layer: str | None,
    as_json: bool,
) -> None:
    """Check FILE as a LAYER and print every problem with its row, column, value and fix.

    LAYER is one of boundary, grids, stations, rest_points, candidates. Exits 0 when the
    layer loads (warnings allowed) and 1 when it does not.
    """
    _, report = validate_layer(
        cast(LayerName, layer),
        file,
        crs=cast(CoordinateSystem, crs.lower()) if crs else None,
        boundary=boundary,
        source_layer=source_layer,
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, allow_nan=False))
    else:
        click.echo(report.to_text())
    raise SystemExit(0 if report.ok else 1)
