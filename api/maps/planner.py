"""The planner map: coverage per layer, underserved grids, suggested sites, a summary."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import folium
from folium.utilities import JsCode

from api.maps._base import (
    MapContext,
    add_boundary,
    add_html_control,
    extent,
    geojson,
    new_map,
    render,
)
from api.maps._layers import facility_markers, service_areas
from api.state import ANALYSIS_LAYERS, Snapshot

__all__ = ["UNCOVERED_BINS", "planner_map"]

#: Lower edges of the legend's classes of residents left out per grid, and their colours
#: (ColorBrewer YlOrRd, 5 classes).
UNCOVERED_BINS: tuple[tuple[float, str], ...] = (
    (0.0, "#ffffb2"),
    (100.0, "#fecc5c"),
    (300.0, "#fd8d3c"),
    (600.0, "#f03b20"),
    (1000.0, "#bd0026"),
)
_NOBODY_LEFT_OUT = "#f5f5f5"
#: Sites suggested on the planner map (maximal covering, greedy).
PLANNER_SITES = 5


def _colour(uncovered: float) -> str:
    if uncovered <= 0.5:
        return _NOBODY_LEFT_OUT
    colour = UNCOVERED_BINS[0][1]
    for lower, candidate in UNCOVERED_BINS:
        if uncovered >= lower:
            colour = candidate
    return colour


def _grid_properties(row: Mapping[str, Any]) -> dict[str, Any]:
    residents = float(row["residents"])
    uncovered = max(residents - float(row["residents_covered"]), 0.0)
    return {
        "grid_id": row["grid_id"],
        "name": row["name"],
        "community": row.get("community"),
        "residents": round(residents),
        "uncovered": round(uncovered),
        "share_covered": row["share_covered"],
        "nearest_minutes": row["nearest_minutes"],
        "style": {
            "fillColor": _colour(uncovered),
            "color": "#78909c",
            "weight": 0.6,
            "fillOpacity": 0.65,
        },
    }


def _legend(context: MapContext) -> str:
    words = context.words()
    rows = [f'<div class="circles-legend-title"><b>{html.escape(words["legend"])}</b></div>']
    rows.append(
        '<div class="circles-legend-row"><span class="circles-legend-swatch" '
        f'style="background:{_NOBODY_LEFT_OUT}"></span>0</div>'
    )
    edges = [lower for lower, _ in UNCOVERED_BINS]
    for index, (lower, colour) in enumerate(UNCOVERED_BINS):
        upper = edges[index + 1] if index + 1 < len(edges) else None
        start = max(lower, 1.0)
        span = f"{start:,.0f}–{upper - 1:,.0f}" if upper is not None else f"≥ {lower:,.0f}"
        rows.append(
            '<div class="circles-legend-row"><span class="circles-legend-swatch" '
            f'style="background:{colour}"></span>{span}</div>'
        )
    return "".join(rows)


def _summary(snapshot: Snapshot, context: MapContext, added: float) -> str:
    words = context.words()
    head = (
        f"<tr><th></th><th>{html.escape(words['facilities'])}</th>"
        f"<th>{html.escape(words['covered_share'])}</th>"
        f"<th>{html.escape(words['uncovered'])}</th></tr>"
    )
    body = []
    for layer in ANALYSIS_LAYERS:
        summary = snapshot.coverage(layer).summary
        left_out = summary["residents_total"] - summary["residents_covered"]
        body.append(
            f"<tr><td>{html.escape(words[f'layer_{layer}'])}</td>"
            f"<td>{summary['facilities']:,}</td>"
            f"<td>{100 * summary['share_covered']:.1f}%</td>"
            f"<td>{left_out:,.0f}</td></tr>"
        )
    total = snapshot.coverage("stations").summary["residents_total"]
    return (
        f"<div><b>{html.escape(words['summary'])}</b> · {html.escape(words['residents'])} "
        f"{total:,.0f}</div><table>{head}{''.join(body)}</table>"
        f"<div>{html.escape(words['layer_sites'])}: "
        f"{html.escape(words['adds'].format(residents=f'{added:,.0f}'))}</div>"
    )


def planner_map(snapshot: Snapshot, context: MapContext) -> str:
    """The planner map page.

    Per analysis layer a switchable overlay with its facilities and service areas, and a
    choropleth of the residents each grid leaves outside that layer's circle (with a
    legend); the suggested new grid-station sites; a summary panel of coverage per layer.

    Parameters
    ----------
    snapshot
        The scenario, its coverage and site suggestions.
    context
        Language, basemap, notices.

    Returns
    -------
    str
        The page's HTML.
    """
    words = context.words()
    scenario = snapshot.scenario
    page = new_map(
        context, title=words["planner_title"], bounds=extent(scenario.boundary, scenario.boundary)
    )
    add_boundary(page, scenario.boundary, context)
    for layer in ANALYSIS_LAYERS:
        coverage = snapshot.coverage(layer)
        label = words[f"layer_{layer}"]
        grids = folium.FeatureGroup(
            name=f"{words['layer_underserved']} · {label}", show=layer == "stations"
        )
        folium.GeoJson(
            geojson(coverage.grids, context, _grid_properties, simplify=True),
            name=label,
            on_each_feature=JsCode("circlesMaps.grid"),
            className=f"circles-grid circles-grid-{layer}",
        ).add_to(grids)
        grids.add_to(page)
        group = folium.FeatureGroup(name=label, show=layer == "stations")
        service_areas(coverage.service_areas, layer, context, name=label).add_to(group)
        facility_markers(
            snapshot.facilities(layer), layer, context, name=label, cluster=False
        ).add_to(group)
        group.add_to(page)

    suggestions = snapshot.suggestions("stations", k=PLANNER_SITES)
    sites = folium.FeatureGroup(name=words["layer_sites"], show=True)
    folium.GeoJson(
        geojson(
            suggestions.sites,
            context,
            lambda row: {
                "name": row["name"],
                "rank": int(row["rank"]),
                "residents_added": f"{float(row['residents_added']):,.0f}",
            },
        ),
        name=words["layer_sites"],
        on_each_feature=JsCode("circlesMaps.site"),
    ).add_to(sites)
    sites.add_to(page)

    folium.LayerControl(collapsed=True).add_to(page)
    add_html_control(
        page,
        _summary(snapshot, context, float(suggestions.sites["residents_added"].sum())),
        position="bottomleft",
        css_class="circles-panel circles-summary leaflet-bar",
    )
    add_html_control(
        page,
        _legend(context),
        position="topright",
        css_class="circles-panel circles-legend leaflet-bar",
    )
    return render(page, context)
