"""``circles network``: build (and cache) the walking network of a district."""

from __future__ import annotations

import json
from pathlib import Path

import click

from api.cli._options import offline_option
from geo.analysis.network import walk_network
from geo.errors import GeoError
from geo.layers import boundary_from_file
from geo.scenario import load_scenario

__all__ = ["command"]


@click.command("network")
@click.option(
    "--scenario",
    default=None,
    help="Scenario (bundled name or folder) whose boundary to use (default: jingkou).",
)
@click.option(
    "--boundary",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="District boundary file (instead of a scenario's).",
)
@click.option(
    "--osm",
    "osm_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="OpenStreetMap .osm or .osm.pbf file to build the streets from.",
)
@click.option(
    "--graphml",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A walking network saved as GraphML, used as is.",
)
@click.option(
    "--cache-folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where built networks are cached (default: settings.cache_folder).",
)
@offline_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def command(
    scenario: str | None,
    boundary: Path | None,
    osm_file: Path | None,
    graphml: Path | None,
    cache_folder: Path | None,
    download: bool | None,
    as_json: bool,
) -> None:
    """Build the walking network of a district, cache it, and report its size.

    Sources, in order: --graphml, the cache, --osm, a download (unless --offline); with
    none of them the analyses run in approximate mode (straight line x detour factor).
    """
    try:
        outline = (
            boundary_from_file(boundary)
            if boundary is not None
            else load_scenario(scenario or "jingkou").boundary
        )
        network = walk_network(
            outline,
            osm_file=osm_file,
            graphml=graphml,
            cache_folder=cache_folder,
            download=download,
        )
    except GeoError as exc:
        raise click.ClickException(str(exc)) from exc
    stats = network.stats()
    figures = {
        "source": network.source,
        "approximate": network.approximate,
        "crs": network.crs.to_string(),
        "nodes": int(stats["nodes"]),
        "edges": int(stats["edges"]),
        "km": round(stats["km"], 1),
    }
    if as_json:
        click.echo(json.dumps(figures, indent=2))
    elif network.approximate:
        click.echo(
            "no street network (no cache, OSM file or download): the analyses will run in "
            "approximate mode, straight-line distance x detour factor"
        )
    else:
        click.echo(
            f"walk network ({network.source}, {figures['crs']}): {figures['nodes']:,} nodes, "
            f"{figures['edges']:,} edges, {figures['km']:,.1f} km of street"
        )
