"""``circles sites``: suggest sites for new facilities of one layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
import pandas as pd
import shapely

from api.cli._options import load_district, network_options, speed_option
from geo.analysis.candidates import DEFAULT_SPACING_M
from geo.coords import COORDINATE_SYSTEMS, CoordinateSystem
from geo.errors import GeoError
from geo.layers import candidates_from_file
from geo.results import Suggestions
from geo.scenario import ANALYSIS_LAYERS, Scenario, load_scenario

if TYPE_CHECKING:
    from geo.analysis.network import WalkNetwork

__all__ = ["command", "write_sites_files"]


@click.command("sites")
@click.option(
    "--scenario",
    "scenario_name",
    default="jingkou",
    show_default=True,
    help="Scenario to plan for: a bundled name (jingkou) or a scenario folder.",
)
@click.option(
    "--layer",
    type=click.Choice(ANALYSIS_LAYERS),
    default="stations",
    show_default=True,
    help="Facility layer that gets new sites.",
)
@click.option(
    "--mode",
    type=click.Choice(["maximal", "set"]),
    default="maximal",
    show_default=True,
    help="maximal: the k sites covering the most residents not yet covered; "
    "set: the fewest sites reaching --target.",
)
@click.option(
    "-k",
    "k",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Number of sites to suggest (maximal mode).",
)
@click.option(
    "--target",
    type=click.FloatRange(min=0.0, max=1.0, min_open=True),
    default=1.0,
    show_default=True,
    help="Share of residents to cover (set mode).",
)
@click.option(
    "--exact",
    is_flag=True,
    help="Solve the integer program too and report the greedy's measured gap.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.0, min_open=True),
    default=60.0,
    show_default=True,
    help="Time limit of the integer-program solver, seconds.",
)
@click.option(
    "--candidates",
    "candidates_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Candidate sites file (default: the scenario's candidates layer, else "
    "street nodes in underserved grids).",
)
@click.option(
    "--candidates-crs",
    type=click.Choice(COORDINATE_SYSTEMS, case_sensitive=False),
    default=None,
    help="Coordinate system of the candidates file's lon/lat.",
)
@click.option(
    "--generate",
    is_flag=True,
    help="Generate candidates from street nodes in underserved grids even if "
    "the scenario has a candidates layer.",
)
@click.option(
    "--spacing",
    type=click.FloatRange(min=0.0, min_open=True),
    default=DEFAULT_SPACING_M,
    show_default=True,
    help="Smallest distance between generated candidates, metres.",
)
@network_options
@speed_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for suggestions.geojson and summary.json.",
)
def command(
    scenario_name: str,
    layer: str,
    mode: str,
    k: int,
    target: float,
    exact: bool,
    time_limit: float,
    candidates_file: Path | None,
    candidates_crs: str | None,
    generate: bool,
    spacing: float,
    osm: Path | None,
    graphml: Path | None,
    download: bool | None,
    cache_folder: Path | None,
    speed_kmh: float | None,
    out_dir: Path,
) -> None:
    """Suggest sites for new facilities and write suggestions.geojson and summary.json.

    Without --osm, --graphml or a cached network the walking network is downloaded on
    first use (unless --offline); failing that the walk is approximate (straight line x
    detour factor), and every output says so.
    """
    try:
        district = load_district(
            load_scenario(scenario_name),
            osm=osm,
            graphml=graphml,
            download=download,
            cache_folder=cache_folder,
            speed_kmh=speed_kmh,
        )
        own = (
            None
            if candidates_file is None
            else candidates_from_file(
                candidates_file,
                crs=cast(CoordinateSystem, candidates_crs.lower()) if candidates_crs else None,
            )
        )
        result = district.suggestions(
            layer,
            problem="maximal" if mode == "maximal" else "set",
            k=k,
            target=target,
            method="exact" if exact else ("greedy" if mode == "maximal" else "auto"),
            time_limit_s=time_limit,
            source="generated" if generate else "auto",
            candidates=own,
            spacing_m=spacing,
        )
    except GeoError as exc:
        raise click.ClickException(str(exc)) from exc

    summary = write_sites_files(
        out_dir, result, scenario=district.scenario, layer=layer, network=district.network
    )
    click.echo(_headline(summary))
    if district.demo:
        click.echo(district.scenario.demo_notice("en"))


def write_sites_files(
    out_dir: Path,
    result: Suggestions,
    *,
    scenario: Scenario,
    layer: str,
    network: WalkNetwork,
) -> dict[str, Any]:
    """Write ``suggestions.geojson`` and ``summary.json`` into ``out_dir``.

    Parameters
    ----------
    out_dir
        The folder, made if missing.
    result
        The suggestions for ``layer``.
    scenario
        The scenario they were made for (grid names, demo notice).
    layer
        The layer the sites are suggested for.
    network
        The walking network they were measured on (its source is reported).

    Returns
    -------
    dict
        The figures written to ``summary.json``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    grids = scenario.grids
    names = grids.set_index(grids["grid_id"].astype(str))["name"]
    summary = _summary(result, scenario, network.source, names)
    (out_dir / "suggestions.geojson").write_text(
        json.dumps(_feature_collection(result, scenario, names), ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    (out_dir / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return summary


def _summary(
    result: Suggestions, scenario: Scenario, source: str, names: pd.Series
) -> dict[str, Any]:
    """summary.json: the run's figures, rounded for people."""
    figures = result.summary
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "layer": figures.layer,
        "mode": figures.problem,
        "k": figures.k,
        "target": figures.target,
        "rule": figures.rule.label,
        "speed_kmh": figures.rule.to_dict()["speed_kmh"],
        "network": source,
        "approximate": figures.approximate,
        "candidates": figures.candidates,
        "sites": figures.sites,
        "residents_total": round(figures.residents_total, 1),
        "residents_covered_before": round(figures.residents_covered_before, 1),
        "residents_covered_after": round(figures.residents_covered_after, 1),
        "share_covered_before": _share(figures.share_covered_before),
        "share_covered_after": _share(figures.share_covered_after),
        "residents_added": round(figures.residents_added, 1),
        "method": figures.method,
        "optimal": figures.optimal,
        "optimality_gap": round(figures.optimality_gap, 6),
        "gap_is_bound": figures.gap_is_bound,
        "greedy_objective": round(figures.greedy_objective, 1),
        "exact_objective": (
            None if figures.exact_objective is None else round(figures.exact_objective, 1)
        ),
        "exact_status": figures.exact_status,
        "bound": round(figures.bound, 1),
        "target_met": figures.target_met,
        "solve_seconds": {key: round(v, 4) for key, v in figures.solve_seconds.items()},
        "residents_unreachable": round(figures.residents_unreachable, 1),
        "unreachable_grids": [
            {
                "grid_id": str(grid_id),
                "name": str(names.get(str(grid_id), "")),
                "residents": round(float(residents), 1),
            }
            for grid_id, residents in zip(
                result.unreachable["grid_id"],
                result.unreachable["residents_unreachable"],
                strict=True,
            )
        ],
        "demo": scenario.demo,
    }
    if scenario.demo:
        summary["notice"] = scenario.demo_notice("zh")
        summary["notice_en"] = scenario.demo_notice("en")
    return summary


def _feature_collection(
    result: Suggestions, scenario: Scenario, names: pd.Series
) -> dict[str, Any]:
    """suggestions.geojson: one Point feature per suggested site, best first."""
    served = result.served
    features = []
    for site in result.sites.itertuples(index=False):
        rows = served.loc[served["rank"] == site.rank]
        properties: dict[str, Any] = {
            "rank": int(site.rank),
            "candidate_id": str(site.candidate_id),
            "name": str(site.name),
            "kind": None if pd.isna(site.kind) else str(site.kind),
            "residents_added": round(float(site.residents_added), 1),
            "residents_covered_after": round(float(site.residents_covered_after), 1),
            "grids_served": [
                {
                    "grid_id": str(grid_id),
                    "name": str(names.get(str(grid_id), "")),
                    "residents_added": round(float(added), 1),
                }
                for grid_id, added in zip(rows["grid_id"], rows["residents_added"], strict=True)
            ],
            "approximate": result.summary.approximate,
            "demo": scenario.demo,
        }
        if scenario.demo:
            properties["notice"] = scenario.demo_notice("zh")
            properties["notice_en"] = scenario.demo_notice("en")
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(site.geometry),
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _headline(summary: dict[str, Any]) -> str:
    """One line for the terminal."""
    before = summary["share_covered_before"] or 0.0
    after = summary["share_covered_after"] or 0.0
    gap = summary["optimality_gap"]
    gap_text = f"greedy gap {'<= ' if summary['gap_is_bound'] else ''}{100 * gap:.1f}%"
    if summary["exact_status"] == "time limit":
        gap_text += f"; exact: time limit, bound {summary['bound']:,.1f}"
    elif summary["exact_status"] == "unproven":
        gap_text += "; exact: solver's optimum not confirmed"
    line = (
        f"{summary['sites']} sites for {summary['layer']} add "
        f"{summary['residents_added']:,.0f} residents: {100 * before:.1f}% -> "
        f"{100 * after:.1f}% covered ({summary['method']}, {gap_text})"
    )
    if not summary["target_met"]:
        line += (
            f"; target not reachable: {summary['residents_unreachable']:,.0f} residents "
            "are out of reach of every candidate"
        )
    if summary["approximate"]:
        line += " [approximate walk: straight line x detour factor]"
    return line
