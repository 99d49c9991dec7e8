"""The courier map: rest points with their amenities and 1 km circles, and "near me"."""

from __future__ import annotations

import folium

from api.maps._base import (
    MapContext,
    add_boundary,
    add_legend,
    add_nearme,
    extent,
    geojson,
    new_map,
    render,
    route_legend,
)
from api.maps._layers import AREA_STYLE, area_spec, facility_markers, service_circle
from geo.analysis.rules import REST_POINT_CIRCLE
from geo.district import District

__all__ = ["COURIER_FILTERS", "courier_map"]

#: What couriers can ask a rest point to have (amenity keys; "24h": open 24 hours).
COURIER_FILTERS = ("toilet", "microwave", "charging", "24h")


def courier_map(district: District, context: MapContext) -> str:
    """The courier map page.

    Warm-new rest points with amenity icons and their 1 km straight-line circle
    (1公里服务圈); the 1 km walk along the streets as a layer to switch on (and a rest
    point's own walk when its popup opens); "near me" with the nearest rest points,
    walking minutes and routes.

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
        context,
        title=words["courier_title"],
        bounds=extent(scenario.rest_points, scenario.boundary),
    )
    add_boundary(page, scenario.boundary, context)
    rest_points = district.facilities("rest_points")

    circles = folium.FeatureGroup(name=words["layer_rest_circles"], show=True)
    style = {**AREA_STYLE["rest_points"], "fillOpacity": 0.08, "dashArray": "4 4"}
    centres = geojson(rest_points, context, lambda row: {"name": row["name"]})
    for feature in centres["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        folium.Circle(
            location=[lat, lon],
            radius=REST_POINT_CIRCLE.max_metres,
            interactive=False,
            className="circles-rest-circle",
            **style,
        ).add_to(circles)
    circles.add_to(page)

    walk = folium.FeatureGroup(name=words["layer_rest_points"], show=False)
    service_circle(
        district.coverage("rest_points").union,
        "rest_points",
        context,
        name=words["layer_rest_points"],
    ).add_to(walk)
    walk.add_to(page)

    markers = folium.FeatureGroup(name=words["kind_rest_point"], show=True)
    facility_markers(rest_points, "rest_points", context, name=words["kind_rest_point"]).add_to(
        markers
    )
    markers.add_to(page)
    folium.LayerControl(collapsed=True).add_to(page)
    add_nearme(
        page,
        context,
        [("rest_points", words["kind_rest_point"])],
        k=3,
        filters=COURIER_FILTERS,
        areas={"rest_points": area_spec("rest_points", context)},
    )
    add_legend(
        page,
        [
            {"swatch": "pin-rest_point", "label": words["kind_rest_point"]},
            {
                "swatch": "circle",
                "color": AREA_STYLE["rest_points"]["color"],
                "label": words["layer_rest_circles"],
            },
            {"swatch": "you", "label": words["legend_you"]},
            route_legend(context),
        ],
        amenities=True,
    )
    return render(page, context)
