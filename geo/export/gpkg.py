"""GeoPackage export: every layer, coverage, service areas and suggestions in one file."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geo.analysis.underserved import underserved_grids
from geo.coords import check_coordinate_system
from geo.export._atomic import atomic_path
from geo.export._crs import CRS_NAMES, in_crs
from geo.export._labels import approximate_notice, layer_name, rule_text
from geo.scenario import LANGUAGES

if TYPE_CHECKING:
    from geo.analysis.coverage import LayerCoverage
    from geo.analysis.siting import SiteSuggestions
    from geo.scenario import Scenario

__all__ = ["geopackage_layers", "write_geopackage"]

logger = logging.getLogger(__name__)

#: Coverage columns copied onto the grids layer, prefixed by the analysis layer name.
_COVERAGE_COLUMNS: tuple[str, ...] = (
    "residents_covered",
    "share_covered",
    "area_share_covered",
    "nearest_minutes",
    "nearest_m",
    "nearest_facility_id",
)


def _multi(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame`` with Polygons promoted to MultiPolygons (one geometry type per table)."""
    promoted = [
        shapely.MultiPolygon([geometry]) if isinstance(geometry, shapely.Polygon) else geometry
        for geometry in frame.geometry
    ]
    result = frame.copy()
    result[frame.geometry.name] = gpd.GeoSeries(promoted, index=frame.index, crs=frame.crs)
    return result


def _wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.to_crs("EPSG:4326").reset_index(drop=True)


def _grids_layer(scenario: Scenario, coverage: Mapping[str, LayerCoverage]) -> gpd.GeoDataFrame:
    """Scenario grids with residents and, per analysis layer, its coverage columns."""
    grids = _wgs84(scenario.grids)
    for layer, layer_coverage in coverage.items():
        table = pd.DataFrame(layer_coverage.grids.drop(columns="geometry"))
        if "residents" not in grids.columns:
            grids = grids.merge(table[["grid_id", "residents"]], on="grid_id", how="left")
        renamed = table[["grid_id", *_COVERAGE_COLUMNS]].rename(
            columns={column: f"{layer}_{column}" for column in _COVERAGE_COLUMNS}
        )
        grids = grids.merge(renamed, on="grid_id", how="left")
    columns = [column for column in grids.columns if column != "geometry"]
    return _multi(
        gpd.GeoDataFrame(grids[[*columns, "geometry"]], geometry="geometry", crs="EPSG:4326")
    )


def _unions_layer(coverage: Mapping[str, LayerCoverage]) -> gpd.GeoDataFrame:
    """One row per analysis layer: the union of its service areas."""
    rows = {
        "layer": list(coverage),
        "layer_name": [layer_name(layer, "zh") for layer in coverage],
        "rule": [rule_text(item.rule, "en") for item in coverage.values()],
        "approximate": [bool(item.approximate) for item in coverage.values()],
    }
    frame = gpd.GeoDataFrame(
        rows, geometry=[item.union for item in coverage.values()], crs="EPSG:4326"
    )
    return _multi(frame)


def _about_table(
    scenario: Scenario,
    coverage: Mapping[str, LayerCoverage],
    suggestions: SiteSuggestions | None,
    suggestion_layer: str | None,
) -> pd.DataFrame:
    """Attribute-only table of notes: scenario, notices, rules, siting figures."""
    items: list[tuple[str, str]] = [("scenario", scenario.name)]
    items += [
        (f"notice_{lang}", notice)
        for lang in LANGUAGES
        if (notice := scenario.demo_notice(lang)) is not None
    ]
    if any(item.approximate for item in coverage.values()):
        items += [
            ("approximate_zh", approximate_notice("zh")),
            ("approximate_en", approximate_notice("en")),
        ]
    items += [(f"rule_{layer}", rule_text(item.rule, "en")) for layer, item in coverage.items()]
    if suggestion_layer is not None:
        items.append(("suggestions_layer", suggestion_layer))
    if suggestions is not None:
        figures = suggestions.summary
        items += [
            (f"suggestions_{key}", str(figures[key]))
            for key in ("method", "residents_covered_before", "residents_covered_after",
                        "optimality_gap", "gap_is_bound")
        ]  # fmt: skip
    return pd.DataFrame(items, columns=["key", "value"])


def geopackage_layers(
    *,
    scenario: Scenario,
    coverage: Mapping[str, LayerCoverage],
    suggestions: SiteSuggestions | None = None,
    suggestion_layer: str | None = None,
    out_crs: str = "wgs84",
) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """Return the tables :func:`write_geopackage` writes, by table name.

    Parameters
    ----------
    scenario
        The scenario analysed.
    coverage
        Coverage per analysis layer, as from ``geo.analysis.coverage.analyze_scenario``.
    suggestions
        Suggested sites (``geo.analysis.siting``), or None.
    suggestion_layer
        The analysis layer the suggestions are for, noted in ``about``.
    out_crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"}: the system of every geometry, noted in
        ``about`` (``coordinate_system``). CGCS2000 is tagged EPSG:4490; GCJ-02 and
        BD-09 have no EPSG code and keep the EPSG:4326 tag with shifted coordinates.

    Returns
    -------
    dict
        Table name -> frame, all geometry in ``out_crs`` (WGS-84 by default):
        ``boundary``, ``grids`` (with
        ``<layer>_residents_covered``, ``<layer>_share_covered``, ... per analysis
        layer), ``stations``, ``rest_points``, ``candidates`` (if the scenario has any),
        ``service_areas_<layer>``, ``service_union`` (one row per layer),
        ``underserved_<layer>``, ``suggestions`` and ``suggestions_served`` (the residents
        each site adds per grid; if given) and ``about``, an attribute-only table of notes
        (demo data, approximate mode, rules, siting figures).
    """
    check_coordinate_system(out_crs)
    tables: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {
        "boundary": _multi(_wgs84(scenario.boundary)),
        "grids": _grids_layer(scenario, coverage),
        "stations": _wgs84(scenario.stations),
        "rest_points": _wgs84(scenario.rest_points),
    }
    if scenario.candidates is not None and len(scenario.candidates):
        tables["candidates"] = _wgs84(scenario.candidates)
    for layer, layer_coverage in coverage.items():
        tables[f"service_areas_{layer}"] = _multi(_wgs84(layer_coverage.service_areas))
    if coverage:
        tables["service_union"] = _unions_layer(coverage)
    for layer, layer_coverage in coverage.items():
        tables[f"underserved_{layer}"] = _multi(_wgs84(underserved_grids(layer_coverage)))
    if suggestions is not None:
        tables["suggestions"] = _wgs84(suggestions.sites)
        tables["suggestions_served"] = suggestions.served.reset_index(drop=True)
    about = _about_table(scenario, coverage, suggestions, suggestion_layer)
    tables["about"] = pd.concat(
        [about, pd.DataFrame([("coordinate_system", CRS_NAMES[out_crs])], columns=about.columns)],
        ignore_index=True,
    )
    return {
        name: in_crs(table, out_crs) if isinstance(table, gpd.GeoDataFrame) else table
        for name, table in tables.items()
    }


def write_geopackage(
    path: str | os.PathLike[str],
    *,
    scenario: Scenario,
    coverage: Mapping[str, LayerCoverage],
    suggestions: SiteSuggestions | None = None,
    suggestion_layer: str | None = None,
    out_crs: str = "wgs84",
) -> Path:
    """Write the scenario, its coverage and suggested sites to one GeoPackage.

    One table per layer (see :func:`geopackage_layers`), EPSG:4326, written with pyogrio.
    The file is written beside ``path`` and renamed into place, so ``path`` is never
    left half-written.

    Parameters
    ----------
    path
        Target ``.gpkg`` file; replaced if it exists.
    scenario
        The scenario analysed.
    coverage
        Coverage per analysis layer.
    suggestions
        Suggested sites, or None.
    suggestion_layer
        The analysis layer the suggestions are for.
    out_crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"}: the system of every geometry (see
        :func:`geopackage_layers`).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    tables = geopackage_layers(
        scenario=scenario,
        coverage=coverage,
        suggestions=suggestions,
        suggestion_layer=suggestion_layer,
        out_crs=out_crs,
    )
    target = Path(path)
    with atomic_path(target) as temporary:
        for name, table in tables.items():
            if isinstance(table, gpd.GeoDataFrame):
                table.to_file(temporary, layer=name, driver="GPKG", engine="pyogrio")
            else:
                pyogrio.write_dataframe(table, temporary, layer=name, driver="GPKG")
    logger.info("wrote %s: %d tables", target, len(tables))
    return target
