"""Exports for a meeting and for GIS: GeoPackage, XLSX, CSV and a static PNG map.

Every writer writes a temporary file beside its target and renames it into place, so a
failed export never leaves a half-written file. Exports of demo data carry the demo-data
notice; exports of approximate-mode coverage say so.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from geo.analysis.coverage import analyze_scenario
from geo.errors import AnalysisError
from geo.export._labels import (
    GRID_COLUMNS,
    SUGGESTION_COLUMNS,
    SUMMARY_COLUMNS,
    Language,
    approximate_notice,
)
from geo.export.gpkg import geopackage_layers, write_geopackage
from geo.export.tables import (
    grid_coverage_table,
    grid_table,
    labelled,
    suggestion_table,
    summary_table,
    write_csv,
    write_xlsx,
)

if TYPE_CHECKING:
    from geo.analysis.coverage import LayerCoverage
    from geo.analysis.network import WalkNetwork
    from geo.analysis.rules import ServiceRule
    from geo.analysis.siting import SiteSuggestions
    from geo.scenario import Scenario

__all__ = [
    "GRID_COLUMNS",
    "REPORT_FILES",
    "SUGGESTION_COLUMNS",
    "SUMMARY_COLUMNS",
    "approximate_notice",
    "geopackage_layers",
    "grid_coverage_table",
    "grid_table",
    "labelled",
    "map_language",
    "planner_figure",
    "render_png",
    "suggestion_table",
    "summary_table",
    "write_csv",
    "write_geopackage",
    "write_report",
    "write_xlsx",
]

logger = logging.getLogger(__name__)

#: Export -> file name in a report folder.
REPORT_FILES: dict[str, str] = {
    "gpkg": "report.gpkg",
    "xlsx": "report.xlsx",
    "grids_csv": "grids.csv",
    "suggestions_csv": "suggestions.csv",
    "png": "map.png",
}


def write_report(
    out_dir: str | os.PathLike[str],
    *,
    scenario: Scenario,
    network: WalkNetwork | None = None,
    coverage: Mapping[str, LayerCoverage] | None = None,
    rules: dict[str, ServiceRule] | None = None,
    suggestions: SiteSuggestions | None = None,
    layer: str = "stations",
    language: Language = "zh",
    out_crs: str = "wgs84",
) -> dict[str, Path]:
    """Write every export of a scenario into one folder.

    Parameters
    ----------
    out_dir
        Folder to write to; created if missing. Existing exports are replaced.
    scenario
        The scenario analysed.
    network
        Walking network to compute the coverage on, when ``coverage`` is not given.
    coverage
        Coverage per analysis layer, as from ``geo.analysis.analyze_scenario``; None
        computes it on ``network`` with ``rules``.
    rules
        Rule per layer for computing the coverage; None uses the defaults.
    suggestions
        Suggested sites for ``layer``, or None (then no ``suggestions.csv``; one left by
        an earlier report in ``out_dir`` is removed).
    layer
        The coverage key the map shows and the suggestions are for, one of {"stations",
        "centres", "rest_points", "rest_points_circle"}.
    language
        {"zh", "en"}: language of headers, sheets and map labels.
    out_crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"}: coordinate system of the GeoPackage, the
        workbook and the CSV coordinates (named in headers and notes); WGS-84 by default.

    Returns
    -------
    dict[str, pathlib.Path]
        Written files by kind, among the keys of :data:`REPORT_FILES`: ``report.gpkg``,
        ``report.xlsx``, ``grids.csv``, ``suggestions.csv`` (with suggestions) and
        ``map.png``.

    Raises
    ------
    AnalysisError
        If neither ``coverage`` nor ``network`` is given, or ``layer`` has no coverage.
    """
    if coverage is None:
        if network is None:
            msg = "write_report needs `coverage` or a `network` to compute it on; got neither"
            raise AnalysisError(msg)
        coverage = analyze_scenario(scenario, network, rules=rules, progress=False)
    if layer not in coverage:
        msg = f"no coverage for layer {layer!r}; the coverage has {', '.join(coverage)}"
        raise AnalysisError(msg)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {key: folder / name for key, name in REPORT_FILES.items()}
    written = {
        "gpkg": write_geopackage(
            paths["gpkg"],
            scenario=scenario,
            coverage=coverage,
            suggestions=suggestions,
            suggestion_layer=layer if suggestions is not None else None,
            out_crs=out_crs,
        ),
        "xlsx": write_xlsx(
            paths["xlsx"],
            scenario=scenario,
            coverage=coverage,
            suggestions=suggestions,
            suggestion_layer=layer if suggestions is not None else None,
            language=language,
            out_crs=out_crs,
        ),
        "grids_csv": write_csv(
            paths["grids_csv"],
            grid_coverage_table(scenario, coverage, language=language),
            columns=GRID_COLUMNS,
            language=language,
        ),
    }
    if suggestions is None:
        # A suggestions.csv of an earlier report would contradict this one.
        paths["suggestions_csv"].unlink(missing_ok=True)
    else:
        written["suggestions_csv"] = write_csv(
            paths["suggestions_csv"],
            suggestion_table(suggestions, language=language, out_crs=out_crs),
            columns=SUGGESTION_COLUMNS,
            language=language,
            out_crs=out_crs,
        )
    from geo.export.static_map import render_png

    written["png"] = render_png(
        paths["png"],
        scenario=scenario,
        coverage=coverage[layer],
        layer=layer,
        suggestions=suggestions,
        language=language,
    )
    logger.info("report in %s: %s", folder, ", ".join(path.name for path in written.values()))
    return written


def __getattr__(name: str) -> object:
    """The static map's functions, imported on first use (matplotlib loads slowly)."""
    if name in ("map_language", "planner_figure", "render_png"):
        from geo.export import static_map

        return getattr(static_map, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
