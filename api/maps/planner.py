"""The planner page: the map with a side panel (a bottom sheet on a phone) driven by
``/static/app/planner.js``: the layer, the rule and k, coverage figures, suggested sites,
what-if edits with undo and a token-protected save, layer upload and exports.

The page carries no data but the district outline and the frame of the grids; the
script asks the API for everything else, so every figure on the page is the one the
API answers (and ``circles sites`` prints) for the same parameters.
"""

from __future__ import annotations

from typing import Any

from api.maps._base import MapContext, add_boundary, extent, new_map, render, script_call
from api.maps._layers import AREA_STYLE
from api.maps._look import colouring_spec
from geo import settings as geo_settings
from geo.district import District
from geo.scenario import ANALYSIS_LAYERS, DATA_LAYERS

__all__ = ["EXPORT_FORMATS", "PLANNER_SITES", "planner_map"]

#: Sites suggested by default: the same k as ``circles sites``.
PLANNER_SITES = 10
#: Export buttons of the page, in order (``POST /api/export/{format}``).
EXPORT_FORMATS = ("gpkg", "xlsx", "csv", "png")
_CRS_CHOICES = ("wgs84", "gcj02", "bd09", "cgcs2000")
_MARKER = {"stations": "station", "centres": "centre", "rest_points": "rest_point"}
_FACILITY_LAYER = {"stations": "stations", "centres": "stations", "rest_points": "rest_points"}
_KIND = {"stations": "station", "centres": "centre", "rest_points": None}


def _layers(district: District, context: MapContext) -> list[dict[str, Any]]:
    words = context.words()
    return [
        {
            "name": layer,
            "label": words[f"layer_{layer}"],
            "facilityLayer": _FACILITY_LAYER[layer],
            "kind": _KIND[layer],
            "marker": _MARKER[layer],
            "colour": AREA_STYLE[layer]["color"],
            "rule": {"limit": own.limit, "unit": own.unit},
            "gb50180": {"limit": preset.limit, "unit": preset.unit},
        }
        for layer in ANALYSIS_LAYERS
        for own, preset in [(district.rules[layer], district.rule(layer, preset="gb50180"))]
    ]


def planner_map(district: District, context: MapContext) -> str:
    """The planner page.

    Parameters
    ----------
    district
        The scenario (its outline and the frame of its grids are drawn; the rest is
        asked for by the page's script).
    context
        Language, basemap, notices.

    Returns
    -------
    str
        The page's HTML.
    """
    words = context.words()
    scenario = district.scenario
    bounds = extent(scenario.grids, scenario.boundary)
    page = new_map(
        context, title=words["planner_title"], bounds=bounds, scripts=["/static/app/planner.js"]
    )
    add_boundary(page, scenario.boundary, context)
    min_lon, min_lat, max_lon, max_lat = bounds
    options = {
        "api": {
            "grids": "/api/grids",
            "coverage": "/api/coverage",
            "layers": "/api/layers",
            "whatif": "/api/whatif",
            "sites": "/api/sites",
            "facilities": "/api/scenario/facilities",
            "uploads": "/api/scenario/layers",
            "exports": "/api/export",
        },
        "layers": _layers(district, context),
        "speed": geo_settings.walk_speed_kmh,
        "k": PLANNER_SITES,
        "colourings": colouring_spec(context.lang),
        "dataLayers": list(DATA_LAYERS),
        "crsChoices": list(_CRS_CHOICES),
        "exports": list(EXPORT_FORMATS),
        "crs": "wgs84",
        "bounds": [[min_lat, min_lon], [max_lat, max_lon]],
    }
    if context.crs == "gcj02":
        # Amap tiles: the page draws in GCJ-02; its answers are shifted by the API.
        options["crs"] = "gcj02"
    page.add_child(script_call("circlesPlanner", options))
    return render(page, context)
