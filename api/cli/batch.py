"""``circles batch``: many districts at once on dask.distributed, then the city outputs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import cast

import click

from api.cli._batch_files import WRITERS, write_city_map
from api.cli._options import districts_network_options, speed_option
from geo import settings
from geo.batch import BatchOptions, run_batch
from geo.errors import GeoError
from geo.export._labels import Language
from geo.scenario import ANALYSIS_LAYERS, AnalysisLayer

__all__ = ["command"]

_CITY_MAP = "map.html"


@click.command("batch")
@click.argument("scenarios", nargs=-1)
@click.option(
    "--city",
    default=None,
    help="Also run every bundled district of a city, e.g. zhenjiang.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the city outputs and a sub-folder per district.",
)
@click.option(
    "--scheduler",
    default=None,
    help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local "
    "cluster of process workers). Its workers must see the scenarios and --out.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Process workers of the local cluster (default: one per core, at most one per district).",
)
@districts_network_options
@speed_option
@click.option(
    "--layer",
    type=click.Choice(ANALYSIS_LAYERS),
    default="stations",
    show_default=True,
    help="Layer that gets suggested sites and colours the city maps.",
)
@click.option(
    "-k",
    "k",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Sites to suggest per district.",
)
@click.option(
    "--language",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the maps' labels.",
)
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
def command(
    scenarios: tuple[str, ...],
    city: str | None,
    out_dir: Path,
    scheduler: str | None,
    workers: int | None,
    osm: Path | None,
    download: bool | None,
    cache_folder: Path | None,
    speed_kmh: float | None,
    layer: str,
    k: int,
    language: str,
    no_progress: bool,
) -> None:
    """Analyse every SCENARIO (bundled name or folder) and the districts of --city.

    Each district's files go to OUT/<name>/ as circles analyze writes them, with
    OUT/<name>/sites/ as circles sites writes them; the city's summary.csv,
    summary.xlsx, underserved.csv, map.png and map.html go to OUT. A district that
    fails is reported and the others go on; the exit code is 1 if any failed.
    """
    if not logging.getLogger().isEnabledFor(logging.INFO):
        import distributed  # its import configures its loggers; quieten them after it

        logging.getLogger(distributed.__name__).setLevel(logging.WARNING)
    options = BatchOptions(
        osm=None if osm is None else str(osm),
        # the workers' own settings do not follow this process's: decide here
        download=not settings.offline if download is None else download,
        cache_folder=None if cache_folder is None else str(cache_folder),
        sites_layer=cast(AnalysisLayer, layer),
        k=k,
        speed_kmh=speed_kmh,
        language=cast(Language, language),
        writers=WRITERS,
    )
    try:
        result = run_batch(
            list(scenarios),
            out_dir,
            city=city,
            options=options,
            scheduler=scheduler,
            workers=workers,
            progress=not no_progress,
        )
        write_city_map(out_dir / _CITY_MAP, result, layer=layer, language=options.language)
    except GeoError as exc:
        raise click.ClickException(str(exc)) from exc
    for district in result.districts:
        share = district.circle(layer).share_covered
        click.echo(
            f"{district.name}: {district.grids} grids, {district.residents:,.0f} residents, "
            f"{layer} {100 * (share or 0.0):.1f}% covered, {district.sites} sites add "
            f"{district.residents_added:,.0f} ({district.seconds:.1f} s)"
        )
    for failure in result.failures:
        click.echo(f"{failure.name}: FAILED ({failure.error})\n{failure.message}", err=True)
    click.echo(
        f"{len(result.districts)} of {len(result.districts) + len(result.failures)} districts "
        f"done; city outputs in {out_dir}"
    )
    if not result.ok:
        raise SystemExit(1)
