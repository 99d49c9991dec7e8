"""``circles report``: GeoPackage, XLSX, CSV and a PNG map of a scenario, for a meeting."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Literal, cast

import click

from api.cli._options import load_district, network_options, out_crs_option, speed_option
from geo.errors import GeoError
from geo.export import approximate_notice, write_report
from geo.scenario import ANALYSIS_LAYERS, load_scenario

__all__ = ["command"]

logger = logging.getLogger(__name__)


@click.command("report")
@click.option(
    "--scenario",
    "scenario_name",
    default="jingkou",
    show_default=True,
    help="Scenario to report on: a bundled name (jingkou) or a scenario folder.",
)
@click.option(
    "--layer",
    type=click.Choice(ANALYSIS_LAYERS),
    default="stations",
    show_default=True,
    help="Facility layer the map shows and new sites are suggested for.",
)
@click.option(
    "-k",
    "k",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Number of new sites to suggest (0: none).",
)
@click.option(
    "--exact",
    is_flag=True,
    help="Solve the integer program for the sites too (slower; reports the greedy's gap).",
)
@network_options
@speed_option
@click.option(
    "--language",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of headers, sheet names and map labels.",
)
@out_crs_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for report.gpkg, report.xlsx, grids.csv, suggestions.csv and map.png.",
)
def command(
    scenario_name: str,
    layer: str,
    k: int,
    exact: bool,
    osm: Path | None,
    graphml: Path | None,
    download: bool | None,
    cache_folder: Path | None,
    speed_kmh: float | None,
    language: str,
    out_crs: str,
    out_dir: Path,
) -> None:
    """Write the exports of a scenario: coverage of every layer, suggested sites, a map.

    Without --osm, --graphml or a cached network the walking network is downloaded on
    first use (unless --offline); failing that the walk is approximate (straight line x
    detour factor), and every export says so.
    """
    start = time.perf_counter()
    try:
        district = load_district(
            load_scenario(scenario_name),
            osm=osm,
            graphml=graphml,
            download=download,
            cache_folder=cache_folder,
            speed_kmh=speed_kmh,
        )
        coverage = district.coverage_by_layer()
        suggestions = (
            district.suggestions(
                layer, k=k, method="exact" if exact else "greedy", time_limit_s=60.0
            )
            if k > 0
            else None
        )
        written = write_report(
            out_dir,
            scenario=district.scenario,
            coverage={key: result.result for key, result in coverage.items()},
            suggestions=None if suggestions is None else suggestions.result,
            layer=layer,
            language=cast(Literal["zh", "en"], language),
            out_crs=out_crs,
        )
    except GeoError as exc:
        raise click.ClickException(str(exc)) from exc

    seconds = time.perf_counter() - start
    for path in written.values():
        click.echo(f"wrote {path}")
    if suggestions is not None:
        figures = suggestions.summary
        click.echo(
            f"{figures.sites} sites for {layer} add {figures.residents_added:,.0f} "
            f"residents: {figures.residents_covered_before:,.0f} -> "
            f"{figures.residents_covered_after:,.0f} covered ({figures.method})"
        )
    click.echo(f"report written in {seconds:.1f} s")
    if district.demo:
        click.echo(district.scenario.demo_notice("en"))
    if district.approximate:
        click.echo(approximate_notice("en"))
