"""``circles analyze``: coverage of every service circle, written as files and a map."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from tqdm.auto import tqdm

from api.cli._coverage_map import write_coverage_map
from api.cli._options import (
    LayerFiles,
    layer_file_options,
    load_district,
    load_scenario_option,
    network_options,
    out_crs_option,
    speed_option,
)
from geo.analysis.rules import PRESETS, Preset
from geo.coords import CoordinateSystem
from geo.errors import GeoError
from geo.export import approximate_notice
from geo.export.coverage_files import COVERAGE_FILES, write_coverage_files
from geo.results import Coverage

__all__ = ["command"]

_MAP_FILE = "map.html"


@click.command("analyze")
@layer_file_options(crs_option="--crs")
@network_options
@speed_option
@click.option(
    "--rules",
    "rules_preset",
    type=click.Choice(PRESETS),
    default=None,
    help="default: rest points 1 km, stations 10 min, centres 15 min walk; "
    "gb50180: GB 50180-2018 life circles, 300 / 500 / 1,000 m (default: the scenario's "
    "own rules, else 'default').",
)
@click.option(
    "--language",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the map's labels.",
)
@out_crs_option
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for summary.json, grids.geojson, underserved.geojson, "
    "service_areas.geojson and map.html.",
)
def command(
    scenario_name: str | None,
    grids: Path | None,
    stations: Path | None,
    rest_points: Path | None,
    boundary: Path | None,
    layers_crs: dict[str, CoordinateSystem],
    osm: Path | None,
    graphml: Path | None,
    download: bool | None,
    cache_folder: Path | None,
    speed_kmh: float | None,
    rules_preset: Preset | None,
    language: str,
    out_crs: str,
    no_progress: bool,
    out_dir: Path,
) -> None:
    """Analyse the service circles of every layer and write the results to --out.

    Layers: a bundled --scenario (jingkou by default) or your --grids, --stations and
    --rest-points files. Without --osm, --graphml or a cached network the walking
    network is downloaded on first use (unless --offline); failing that the walk is
    approximate (straight line x detour factor), and every output says so.
    """
    files = LayerFiles(
        scenario_name=scenario_name,
        grids=grids,
        stations=stations,
        rest_points=rest_points,
        boundary=boundary,
        layers_crs=layers_crs,
    )
    steps = ["layers", "network", "coverage", "files", "map"]
    with tqdm(
        total=len(steps), desc="analyze", unit="step", file=sys.stderr, disable=no_progress
    ) as bar:

        def advance(step: str) -> None:
            bar.set_postfix_str(step)
            bar.update(1)

        try:
            scenario = load_scenario_option(files)
            advance("layers")
            district = load_district(
                scenario,
                osm=osm,
                graphml=graphml,
                download=download,
                cache_folder=cache_folder,
                speed_kmh=speed_kmh,
            )
            advance("network")
            coverage = district.coverage_by_layer(preset=rules_preset)
            advance("coverage")
            results = {key: layer.result for key, layer in coverage.items()}
            written = write_coverage_files(
                out_dir,
                scenario=scenario,
                coverage=results,
                network=district.network,
                out_crs=out_crs,
            )
            advance("files")
            write_coverage_map(
                out_dir / _MAP_FILE,
                results,
                scenario=scenario,
                language="zh" if language == "zh" else "en",
            )
            advance("map")
        except GeoError as exc:
            raise click.ClickException(str(exc)) from exc

    for line in _report(coverage, written, out_dir, approximate=district.approximate):
        click.echo(line)
    if scenario.demo:
        click.echo(scenario.demo_notice("en"))


def _report(
    coverage: dict[str, Coverage],
    written: dict[str, Any],
    out_dir: Path,
    *,
    approximate: bool,
) -> list[str]:
    """Lines for the terminal: one per layer, the files, the approximate notice."""
    lines = []
    for key, layer in coverage.items():
        figures = layer.summary
        lines.append(
            f"{key}: {figures.facilities} facilities, {figures.rule.label}: "
            f"{figures.residents_covered:,.0f} of {figures.residents_total:,.0f} "
            f"residents covered ({100 * figures.share_covered:.1f}%)"
        )
    names = [COVERAGE_FILES[key] for key in written] + [_MAP_FILE]
    lines.append(f"wrote {', '.join(names)} to {out_dir}")
    if approximate:
        lines.append(approximate_notice("en"))
    return lines
