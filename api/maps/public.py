"""The public map: stations and centres with their circles, and "near me"."""

from __future__ import annotations

import folium

from api.maps._base import (
    MapContext,
    add_boundary,
    add_legend,
    add_nearme,
    extent,
    new_map,
    render,
    route_legend,
)
from api.maps._layers import AREA_STYLE, area_spec, facility_markers, service_circle
from geo.district import District

__all__ = ["public_map"]

_LAYERS = ("stations", "centres")


def public_map(district: District, context: MapContext) -> str:
    """The public map page.

    Grid service stations and party-mass service centres with each layer's walking
    circle (one polygon per layer; a facility's own area is shown when its popup opens);
    tapping the map or "locate me" shows the nearest few with walking minutes and routes.

    Parameters
    ----------
    district
        The scenario and its coverage.
    context
        Language, basemap, notices.

    Returns
    -------
    str
        The page's HTML.
    """
    words = context.words()
    scenario = district.scenario
    page = new_map(
        context, title=words["public_title"], bounds=extent(scenario.stations, scenario.boundary)
    )
    add_boundary(page, scenario.boundary, context)
    for layer in _LAYERS:
        label = words[f"layer_{layer}"]
        group = folium.FeatureGroup(name=label, show=True)
        service_circle(district.coverage(layer).union, layer, context, name=label).add_to(group)
        facility_markers(district.facilities(layer), layer, context, name=label).add_to(group)
        group.add_to(page)
    folium.LayerControl(collapsed=True).add_to(page)
    add_nearme(
        page,
        context,
        [(layer, words[f"short_{layer}"]) for layer in _LAYERS],
        k=3,
        areas={layer: area_spec(layer, context) for layer in _LAYERS},
    )
    add_legend(
        page,
        [
            {"swatch": "pin-station", "label": words["kind_station"]},
            {"swatch": "pin-centre", "label": words["kind_centre"]},
            {
                "swatch": "area",
                "color": AREA_STYLE["stations"]["color"],
                "label": words["circle_stations"],
            },
            {
                "swatch": "area",
                "color": AREA_STYLE["centres"]["color"],
                "label": words["circle_centres"],
            },
            {"swatch": "you", "label": words["legend_you"]},
            route_legend(context),
        ],
    )
    return render(page, context)
