"""Coverage results as JSON and GeoJSON: summary, grids, underserved grids, service areas.

The files of ``circles analyze``, also usable by any caller holding a coverage result
(``geo.analysis.analyze_scenario``). All geometry is EPSG:4326 (lon/lat degrees, six
decimals, about 0.1 m). Files of a demo scenario carry the demo-data notice: in
``summary.json`` the fields ``notice`` / ``notice_en``; in every GeoJSON file the same
two members at the top level of the FeatureCollection and ``demo`` plus ``notice`` in
every feature (GIS programs drop top-level extras). Results of approximate mode say so
in the same places (``approximate``, ``approximate_notice``).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo.analysis.underserved import underserved_grids
from geo.export._atomic import atomic_path
from geo.export._crs import collection_in_crs
from geo.export._labels import approximate_notice, layer_name
from geo.scenario import Scenario

if TYPE_CHECKING:
    from geo.analysis.coverage import LayerCoverage
    from geo.analysis.network import WalkNetwork

__all__ = [
    "COVERAGE_FILES",
    "coverage_summary",
    "grids_collection",
    "service_areas_collection",
    "underserved_collection",
    "write_coverage_files",
    "write_json",
]

logger = logging.getLogger(__name__)

#: Output -> file name in an analysis folder.
COVERAGE_FILES: dict[str, str] = {
    "summary": "summary.json",
    "grids": "grids.geojson",
    "underserved": "underserved.geojson",
    "service_areas": "service_areas.geojson",
}

_DECIMALS = 6


def _number(value: object, digits: int = 4) -> float | int | None:
    """A JSON-safe number: NaN and infinity become None."""
    if value is None or value is pd.NA:
        return None
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        return None
    return round(number, digits)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return str(value)


def _geometry(geometry: BaseGeometry | None) -> dict[str, Any] | None:
    if geometry is None or geometry.is_empty:
        return None
    rounded = shapely.transform(geometry, lambda xy: np.round(xy, _DECIMALS))
    result: dict[str, Any] = shapely.geometry.mapping(rounded)
    return result


def _approximate(coverage: Mapping[str, LayerCoverage]) -> bool:
    return any(layer.approximate for layer in coverage.values())


def _notices(scenario: Scenario, approximate: bool) -> dict[str, Any]:
    """The notice members every output carries."""
    members: dict[str, Any] = {"demo": scenario.demo, "approximate": approximate}
    if scenario.demo:
        members["notice"] = scenario.demo_notice("zh")
        members["notice_en"] = scenario.demo_notice("en")
    if approximate:
        members["approximate_notice"] = approximate_notice("zh")
        members["approximate_notice_en"] = approximate_notice("en")
    return members


def _feature_notice(scenario: Scenario) -> dict[str, Any]:
    if not scenario.demo:
        return {"demo": False}
    return {"demo": True, "notice": scenario.demo_notice("zh")}


def _collection(
    features: list[dict[str, Any]], scenario: Scenario, approximate: bool
) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        **_notices(scenario, approximate),
        "features": features,
    }


def coverage_summary(
    coverage: Mapping[str, LayerCoverage],
    *,
    scenario: Scenario,
    network: WalkNetwork | None = None,
) -> dict[str, Any]:
    """The figures of an analysis, per layer, ready for ``json.dump``.

    Parameters
    ----------
    coverage
        Coverage per layer key ("stations", "centres", "rest_points",
        "rest_points_circle"), as from ``geo.analysis.analyze_scenario``.
    scenario
        The scenario analysed.
    network
        The walking network used, described under ``network`` when given.

    Returns
    -------
    dict
        ``scenario``, ``demo``, ``approximate``, the notices, ``network`` and ``layers``:
        per layer ``name``, ``rule``, ``limit_m``, ``straight_line``, ``facilities``,
        ``facilities_far_from_street``, ``residents_total``, ``residents_covered``,
        ``share_covered``, ``approximate``.
    """
    approximate = _approximate(coverage)
    summary: dict[str, Any] = {"scenario": scenario.name, **_notices(scenario, approximate)}
    if network is not None:
        stats = network.stats()
        summary["network"] = {
            "source": network.source,
            "crs": network.crs.to_string(),
            "nodes": int(stats["nodes"]),
            "edges": int(stats["edges"]),
            "km": round(stats["km"], 1),
            "walk_speed_kmh": settings.walk_speed_kmh,
            "detour_factor": settings.detour_factor if network.approximate else None,
            "street_buffer_m": settings.street_buffer_m,
        }
    layers: dict[str, Any] = {}
    for key, layer in coverage.items():
        figures = layer.summary
        layers[key] = {
            "name": layer_name(key, "en"),
            "name_zh": layer_name(key, "zh"),
            "rule": figures["rule"],
            "limit_m": _number(layer.rule.max_metres, 1),
            "straight_line": layer.rule.straight_line,
            "speed_kmh": layer.rule.to_dict()["speed_kmh"],
            "facilities": int(figures["facilities"]),
            "facilities_far_from_street": int(figures.get("facilities_far_from_street", 0)),
            "residents_total": _number(figures["residents_total"], 1),
            "residents_covered": _number(figures["residents_covered"], 1),
            "share_covered": _number(figures["share_covered"], 6),
            "approximate": bool(figures["approximate"]),
        }
    summary["layers"] = layers
    return summary


def grids_collection(
    coverage: Mapping[str, LayerCoverage], *, scenario: Scenario
) -> dict[str, Any]:
    """Every grid with its residents and, per layer, covered share and nearest walk.

    Parameters
    ----------
    coverage
        Coverage per layer key, all on the same grids.
    scenario
        The scenario analysed.

    Returns
    -------
    dict
        A FeatureCollection; per grid ``grid_id``, ``name``, ``community``,
        ``residents`` and per layer key ``<key>_share_covered``,
        ``<key>_area_share_covered``, ``<key>_residents_covered``,
        ``<key>_nearest_minutes``, ``<key>_nearest_m``, ``<key>_nearest_facility_id``.
    """
    layers = list(coverage.items())
    if not layers:
        return _collection([], scenario, approximate=False)
    base = layers[0][1].grids
    per_layer = {key: layer.grids.set_index("grid_id") for key, layer in layers}
    features = []
    for row in base.itertuples(index=False):
        properties: dict[str, Any] = {
            "grid_id": str(row.grid_id),
            "name": _text(row.name),
            "community": _text(row.community),
            "residents": _number(row.residents, 1),
        }
        for key, table in per_layer.items():
            values = table.loc[row.grid_id]
            properties[f"{key}_share_covered"] = _number(values["share_covered"], 6)
            properties[f"{key}_area_share_covered"] = _number(values["area_share_covered"], 6)
            properties[f"{key}_residents_covered"] = _number(values["residents_covered"], 1)
            properties[f"{key}_nearest_minutes"] = _number(values["nearest_minutes"], 2)
            properties[f"{key}_nearest_m"] = _number(values["nearest_m"], 1)
            properties[f"{key}_nearest_facility_id"] = _text(values["nearest_facility_id"])
        properties.update(_feature_notice(scenario))
        features.append(
            {"type": "Feature", "geometry": _geometry(row.geometry), "properties": properties}
        )
    return _collection(features, scenario, _approximate(coverage))


def underserved_collection(
    coverage: Mapping[str, LayerCoverage], *, scenario: Scenario
) -> dict[str, Any]:
    """Grids leaving residents outside each layer's circle, ranked per layer.

    Grids with less than a millionth of a resident uncovered (rounding residue of a
    fully covered grid) are left out.

    Parameters
    ----------
    coverage
        Coverage per layer key.
    scenario
        The scenario analysed.

    Returns
    -------
    dict
        A FeatureCollection; per grid and layer ``layer``, ``rank`` (1 = most residents
        uncovered in that layer), ``grid_id``, ``name``, ``community``, ``residents``,
        ``residents_uncovered``, ``share_uncovered``, ``nearest_facility_id``,
        ``nearest_m``, ``nearest_minutes``.
    """
    features = []
    for key, layer in coverage.items():
        rows = underserved_grids(layer)
        for row in rows.itertuples(index=False):
            properties: dict[str, Any] = {
                "layer": key,
                "rank": int(row.rank),
                "grid_id": str(row.grid_id),
                "name": _text(row.name),
                "community": _text(row.community),
                "residents": _number(row.residents, 1),
                "residents_uncovered": _number(row.residents_uncovered, 1),
                "share_uncovered": _number(row.share_uncovered, 6),
                "nearest_facility_id": _text(row.nearest_facility_id),
                "nearest_m": _number(row.nearest_m, 1),
                "nearest_minutes": _number(row.nearest_minutes, 2),
                "approximate": layer.approximate,
                **_feature_notice(scenario),
            }
            features.append(
                {"type": "Feature", "geometry": _geometry(row.geometry), "properties": properties}
            )
    return _collection(features, scenario, _approximate(coverage))


def service_areas_collection(
    coverage: Mapping[str, LayerCoverage], *, scenario: Scenario
) -> dict[str, Any]:
    """Every facility's service area, all layers in one collection.

    Parameters
    ----------
    coverage
        Coverage per layer key.
    scenario
        The scenario analysed.

    Returns
    -------
    dict
        A FeatureCollection; per service area ``layer``, ``facility_id``, ``name``,
        ``rule``, ``access_m``, ``far_from_street``, ``approximate``.
    """
    features = []
    for key, layer in coverage.items():
        areas = layer.service_areas
        access: npt.NDArray[np.float64] = areas["access_m"].to_numpy(dtype=float)
        far = areas["far_from_street"].to_numpy(dtype=bool)
        for i, row in enumerate(areas.itertuples(index=False)):
            properties: dict[str, Any] = {
                "layer": key,
                "facility_id": str(row.facility_id),
                "name": _text(row.name),
                "rule": layer.rule.label,
                "access_m": _number(access[i], 1),
                "far_from_street": bool(far[i]),
                "approximate": layer.approximate,
                **_feature_notice(scenario),
            }
            features.append(
                {"type": "Feature", "geometry": _geometry(row.geometry), "properties": properties}
            )
    return _collection(features, scenario, _approximate(coverage))


def write_json(
    path: str | os.PathLike[str], data: Mapping[str, Any], *, indent: int | None = None
) -> Path:
    """Write JSON (UTF-8, Chinese kept readable) atomically; return the path.

    Parameters
    ----------
    path
        The file to write; its folder is created if missing.
    data
        JSON-safe content (no NaN or infinity).
    indent
        Indentation for people to read; None writes compactly.
    """
    target = Path(path)
    with atomic_path(target) as temporary:
        temporary.write_text(
            json.dumps(data, ensure_ascii=False, indent=indent, allow_nan=False),
            encoding="utf-8",
        )
    return target


def write_coverage_files(
    out_dir: str | os.PathLike[str],
    *,
    scenario: Scenario,
    coverage: Mapping[str, LayerCoverage],
    network: WalkNetwork | None = None,
    out_crs: str = "wgs84",
) -> dict[str, Path]:
    """Write the coverage files: summary, grids, underserved grids and service areas.

    Parameters
    ----------
    out_dir
        Folder to write to; created if missing. Existing files are replaced.
    scenario
        The scenario analysed.
    coverage
        Coverage per layer key, as from ``geo.analysis.analyze_scenario``.
    network
        The walking network used, described in the summary when given.
    out_crs
        {"wgs84", "cgcs2000", "gcj02", "bd09"}: coordinate system of the GeoJSON files,
        named in their ``coordinate_system`` member; WGS-84 by default.

    Returns
    -------
    dict[str, pathlib.Path]
        Written files by the keys of :data:`COVERAGE_FILES`.
    """
    folder = Path(out_dir)
    contents = {
        "summary": coverage_summary(coverage, scenario=scenario, network=network),
        "grids": collection_in_crs(grids_collection(coverage, scenario=scenario), out_crs),
        "underserved": collection_in_crs(
            underserved_collection(coverage, scenario=scenario), out_crs
        ),
        "service_areas": collection_in_crs(
            service_areas_collection(coverage, scenario=scenario), out_crs
        ),
    }
    written = {
        key: write_json(
            folder / COVERAGE_FILES[key], content, indent=2 if key == "summary" else None
        )
        for key, content in contents.items()
    }
    logger.info("coverage files in %s: %s", folder, ", ".join(COVERAGE_FILES.values()))
    return written
