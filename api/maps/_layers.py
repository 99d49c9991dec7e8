"""Map layers shared by the pages: facility markers and service circles.

A page draws each layer's service circle (the union of its facilities' areas) as one
polygon; a facility's own area is asked for (``/api/areas/{layer}/{facility_id}``) and
drawn by ``/static/app/maps.js`` only while its popup is open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
from jinja2 import Template
from shapely.geometry.base import BaseGeometry

from api.maps._base import MapContext, geojson, script_json

__all__ = ["AREA_STYLE", "FACILITY_AREA_STYLE", "area_spec", "facility_markers", "service_circle"]

#: Outline and fill of each analysis layer's service areas.
AREA_STYLE: dict[str, dict[str, Any]] = {
    "stations": {"color": "#c62828", "fillColor": "#e57373", "weight": 1, "fillOpacity": 0.12},
    "centres": {"color": "#6a1b9a", "fillColor": "#ba68c8", "weight": 1.5, "fillOpacity": 0.10},
    "rest_points": {"color": "#ef6c00", "fillColor": "#ffb74d", "weight": 1, "fillOpacity": 0.12},
}

#: A facility's own area while its popup is open: the layer's colours, stronger.
FACILITY_AREA_STYLE: dict[str, dict[str, Any]] = {
    layer: {"color": style["color"], "fillColor": style["fillColor"], "weight": 2.5,
            "fillOpacity": 0.3}
    for layer, style in AREA_STYLE.items()
}  # fmt: skip

_MARKER = {"stations": "station", "centres": "centre", "rest_points": "rest_point"}
_KIND_WORD = {
    "stations": "kind_station",
    "centres": "kind_centre",
    "rest_points": "kind_rest_point",
}
_DETAILS = ("address", "hours", "services", "amenities")


class _FacilityLayer(folium.map.Layer):
    """Facility markers drawn by ``circlesMaps.facilityLayer`` (``/static/app/maps.js``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = circlesMaps.facilityLayer(
            {{ this.map_name }}, {{ this.data_json }}, {{ this.options_json }});
        {% endmacro %}
        """
    )

    def __init__(
        self, data: dict[str, Any], *, name: str, cluster: bool, area: dict[str, Any] | None
    ) -> None:
        super().__init__(name=name, control=False)
        self._name = "FacilityLayer"
        self.data_json = script_json(data)
        self.options_json = script_json({"cluster": cluster, "area": area})
        self.map_name = ""

    def render(self, **kwargs: Any) -> None:
        """Render, naming the map the layer is drawn on (its nearest folium.Map parent)."""
        parent = self._parent
        while parent is not None and not isinstance(parent, folium.Map):
            parent = parent._parent
        self.map_name = parent.get_name() if parent is not None else ""
        super().render(**kwargs)


def facility_markers(
    facilities: gpd.GeoDataFrame,
    layer: str,
    context: MapContext,
    *,
    name: str,
    cluster: bool = True,
    area: bool = True,
) -> folium.map.Layer:
    """One marker per facility with its popup (name, kind, address, hours, services or
    amenities), drawn by ``circlesMaps.facilityLayer`` in ``/static/app/maps.js``.

    With ``cluster``, markers close together are grouped until the streets are readable
    (zoom 16), and a tap on a group asks for the nearest facilities there. With ``area``,
    an open popup shows the facility's own service area under the layer's rule, asked
    for then (in the page's coordinate system). Add the layer to a
    :class:`folium.FeatureGroup` of the map.
    """
    words = context.words()

    def properties(row: Mapping[str, Any]) -> dict[str, Any]:
        found = {key: row[key] for key in _DETAILS if key in row}
        return {
            "facility_id": row["facility_id"],
            "name": row["name"],
            "kind_label": words[_KIND_WORD[layer]],
            "marker": _MARKER[layer],
            **found,
        }

    return _FacilityLayer(
        geojson(facilities, context, properties),
        name=name,
        cluster=cluster,
        area=area_spec(layer, context) if area else None,
    )


def area_spec(layer: str, context: MapContext) -> dict[str, Any]:
    """How the page asks for a facility's own area of ``layer`` and draws it (the
    ``spec`` of ``circlesMaps.areaOnPopup``): the URL before the facility's id, the
    page's coordinate system, the style."""
    return {"url": f"/api/areas/{layer}", "crs": context.crs, "style": FACILITY_AREA_STYLE[layer]}


def service_circle(
    circle: BaseGeometry,
    layer: str,
    context: MapContext,
    *,
    name: str,
    show: bool = True,
) -> folium.GeoJson:
    """A layer's service circle as one polygon, simplified for display (not clickable:
    taps reach the map).

    Parameters
    ----------
    circle
        The union of the layer's service areas (EPSG:4326).
    layer
        The analysis layer (its colours).
    context
        The page.
    name, show
        The layer's name in the layer control, and whether it starts shown.
    """
    style = AREA_STYLE[layer]
    frame = gpd.GeoDataFrame({"layer": [layer]}, geometry=[circle], crs="EPSG:4326")
    return folium.GeoJson(
        geojson(frame, context, lambda row: {"layer": row["layer"], "style": style}, simplify=True),
        name=name,
        show=show,
        interactive=False,
        className=f"circles-area circles-area-{layer}",
    )
