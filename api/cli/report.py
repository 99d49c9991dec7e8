"""``circles report``: GeoPackage, XLSX, CSV and a PNG map of a scenario, for a meeting."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Literal, cast

import click

from api.cli._options import load_network, network_options
from geo.analysis.candidates import candidate_sites
from geo.analysis.coverage import CoverageEngine, analyze_scenario
from geo.analysis.siting import maximal_covering_sites
from geo.errors import GeoError
from geo.export import approximate_notice, demo_notice, write_report
from geo.scenario import ANALYSIS_LAYERS, AnalysisLayer, load_scenario

__all__ = ["command"]

logger = logging.getLogger(__name__)


@click.command("report")
@click.option(
    "--scenario",
    "scenario_name",
    default="jingkou",
    show_default=True,
    help="Bundled scenario to report on.",
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
@click.option(
    "--language",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of headers, sheet names and map labels.",
)
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
    language: str,
    out_dir: Path,
) -> None:
    """Write the exports of a scenario: coverage of every layer, suggested sites, a map.

    Without --osm, --graphml or a cached network the walking network is downloaded on
    first use (unless --offline); failing that the walk is approximate (straight line x
    detour factor), and every export says so.
    """
    start = time.perf_counter()
    try:
        scenario = load_scenario(scenario_name)
        network = load_network(
            scenario.boundary,
            osm=osm,
            graphml=graphml,
            download=download,
            cache_folder=cache_folder,
        )
        coverage = analyze_scenario(scenario, network, progress=False)
        suggestions = None
        if k > 0:
            engine = CoverageEngine(network, scenario.grids, progress=False)
            layer_coverage = coverage[layer]
            share = layer_coverage.grids.set_index("grid_id")["share_covered"]
            candidates = candidate_sites(
                network, engine.grids, share, candidates=scenario.candidates
            )
            suggestions = maximal_covering_sites(
                engine,
                candidates,
                layer_coverage.rule,
                k=k,
                facilities=scenario.facilities(cast(AnalysisLayer, layer)),
                method="exact" if exact else "greedy",
            )
        written = write_report(
            out_dir,
            scenario=scenario,
            coverage=coverage,
            suggestions=suggestions,
            layer=layer,
            language=cast(Literal["zh", "en"], language),
        )
    except GeoError as exc:
        raise click.ClickException(str(exc)) from exc

    seconds = time.perf_counter() - start
    for path in written.values():
        click.echo(f"wrote {path}")
    if suggestions is not None:
        figures = suggestions.summary
        click.echo(
            f"{figures['sites']} sites for {layer} add {figures['residents_added']:,.0f} "
            f"residents: {figures['residents_covered_before']:,.0f} -> "
            f"{figures['residents_covered_after']:,.0f} covered ({figures['method']})"
        )
    click.echo(f"report written in {seconds:.1f} s")
    if scenario.demo:
        click.echo(demo_notice("en"))
    if network.approximate:
        click.echo(approximate_notice("en"))
