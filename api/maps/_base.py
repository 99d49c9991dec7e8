"""What every map page shares: offline assets, basemap, top bar, notices, GeoJSON helpers.

Leaflet and the app's own scripts are linked from ``/static`` (served by the app), never
from a CDN. With basemap "amap" every overlay is shifted from WGS-84 to GCJ-02 to sit on
Amap's tiles, and the near-me control asks and draws in GCJ-02.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast
from urllib.parse import urlencode

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from jinja2 import Template
from shapely.geometry.base import BaseGeometry

from api.maps._text import AMENITIES, text
from api.notices import Audience, approximate_notice
from api.settings import Basemap, Language
from geo import settings as geo_settings
from geo.coords import convert

__all__ = [
    "STATIC_JS",
    "MapContext",
    "add_boundary",
    "add_html_control",
    "add_legend",
    "add_nearme",
    "extent",
    "geojson",
    "new_map",
    "render",
    "route_legend",
    "script_call",
    "script_json",
]

#: Scripts and style sheets of every page, all served by the app under /static.
STATIC_JS: tuple[tuple[str, str], ...] = (
    ("leaflet", "/static/vendor/leaflet/leaflet.js"),
    ("markercluster", "/static/vendor/leaflet.markercluster/leaflet.markercluster.js"),
    ("circles_maps", "/static/app/maps.js"),
    ("circles_nearme", "/static/app/nearme.js"),
)
STATIC_CSS: tuple[tuple[str, str], ...] = (
    ("leaflet_css", "/static/vendor/leaflet/leaflet.css"),
    ("markercluster_css", "/static/vendor/leaflet.markercluster/MarkerCluster.css"),
    ("circles_css", "/static/app/maps.css"),
)

# Coordinates are rounded to 5 decimals (~1 m) and polygons simplified by ~2 m for
# display: smaller pages, no visible change.
_DECIMALS = 5
_SIMPLIFY_DEG = 0.00002


@dataclass(frozen=True)
class MapContext:
    """How one page is drawn.

    Attributes
    ----------
    lang
        {"zh", "en"}.
    basemap
        {"osm", "tianditu", "amap", "none"}.
    demo_notice
        The scenario's demo notice in ``lang``, shown in a banner (as text, escaped), or
        None for real data.
    approximate
        The walking network is approximate: the page says so.
    path
        The page's own path, for the language switch.
    tianditu_key
        Tianditu browser key (basemap "tianditu" only).
    keep_query
        Query parameters the language switch keeps (e.g. the basemap).
    audience
        {"resident", "operator"}: the wording of the approximate-mode notice.
    district
        The district's name, for answers that a point lies outside it.
    """

    lang: Language
    basemap: Basemap
    demo_notice: str | None
    approximate: bool
    path: str
    tianditu_key: str | None = None
    keep_query: Mapping[str, str] = field(default_factory=dict)
    audience: Audience = "resident"
    district: str = ""

    @property
    def crs(self) -> Literal["wgs84", "gcj02"]:
        """Coordinate system the page draws in: GCJ-02 on Amap tiles, else WGS-84."""
        return "gcj02" if self.basemap == "amap" else "wgs84"

    def words(self) -> dict[str, str]:
        """The page's words in its language."""
        return text(self.lang)


class _ScriptCall(MacroElement):
    """Call a global function of the app's scripts with the map and JSON options."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.function }}({{ this._parent.get_name() }}, {{ this.options_json }});
        {% endmacro %}
        """
    )

    def __init__(self, function: str, options: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "ScriptCall"
        self.function = function
        self.options_json = script_json(options)


class _HtmlControl(MacroElement):
    """A block of HTML shown as a Leaflet control (legend, summary panel)."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div id="{{ this.get_name() }}" class="{{ this.css_class }} circles-detached">
            {{- this.content -}}
        </div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var node = document.getElementById({{ this.get_name()|tojson }});
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function () {
                node.classList.remove("circles-detached");
                L.DomEvent.disableClickPropagation(node);
                L.DomEvent.disableScrollPropagation(node);
                return node;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, content: str, *, position: str, css_class: str) -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.content = content
        self.position = position
        self.css_class = css_class


def script_json(value: Any) -> str:
    """JSON safe to embed in a <script> element."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def _tile_layers(context: MapContext) -> list[folium.TileLayer]:
    if context.basemap == "osm":
        return [
            folium.TileLayer(
                tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                attr="&copy; OpenStreetMap contributors",
                name="OpenStreetMap",
                max_zoom=19,
                control=False,
            )
        ]
    if context.basemap == "amap":
        lang = "zh_cn" if context.lang == "zh" else "en"
        return [
            folium.TileLayer(
                tiles=(
                    "https://webrd0{s}.is.autonavi.com/appmaptile?"
                    f"lang={lang}&size=1&scale=1&style=8&x={{x}}&y={{y}}&z={{z}}"
                ),
                attr="&copy; 高德地图 AutoNavi",
                name="Amap",
                subdomains="1234",
                max_zoom=18,
                control=False,
            )
        ]
    if context.basemap == "tianditu":
        key = context.tianditu_key or ""
        labels = "cva" if context.lang == "zh" else "eva"
        return [
            folium.TileLayer(
                tiles=(
                    f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
                    f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
                    f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
                ),
                attr="&copy; 天地图 Tianditu",
                name=f"Tianditu {layer}",
                subdomains="01234567",
                max_zoom=18,
                control=False,
            )
            for layer in ("vec", labels)
        ]
    return []


def _topbar(context: MapContext, title: str) -> str:
    words = context.words()
    other: Language = "en" if context.lang == "zh" else "zh"
    query = urlencode({**context.keep_query, "lang": other})
    banners = []
    if context.demo_notice is not None:
        banners.append(
            '<div class="circles-banner circles-banner-demo" role="note"'
            f' data-short="{html.escape(words["banner_demo_short"])}">'
            '<span class="circles-banner-text">'
            f"{html.escape(context.demo_notice)}</span></div>"
        )
    if context.approximate:
        banners.append(
            '<div class="circles-banner circles-banner-approximate" role="note"'
            f' data-short="{html.escape(words[f"banner_approximate_short_{context.audience}"])}">'
            '<span class="circles-banner-text">'
            f"{html.escape(approximate_notice(context.lang, audience=context.audience))}"
            "</span></div>"
        )
    return (
        '<header class="circles-topbar">'
        f'<span class="circles-title">{html.escape(title)}</span>'
        f'<a class="circles-lang-switch" href="{html.escape(context.path)}?{html.escape(query)}"'
        f' hreflang="{other}" lang="{other}">{html.escape(words["switch_label"])}</a>'
        f"{''.join(banners)}"
        "</header>"
    )


def new_map(
    context: MapContext,
    *,
    title: str,
    bounds: tuple[float, float, float, float],
    scripts: Iterable[str] = (),
) -> folium.Map:
    """Start a page: offline assets, basemap, top bar with notices and language switch.

    Parameters
    ----------
    context
        How the page is drawn.
    title
        Page title, in the page's language.
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` to fit, WGS-84 degrees.
    scripts
        Further scripts of this page only, URLs under ``/static``.

    Returns
    -------
    folium.Map
        The map, without data layers.
    """
    min_lon, min_lat, max_lon, max_lat = bounds
    if context.crs == "gcj02":
        lons, lats = convert([min_lon, max_lon], [min_lat, max_lat], "wgs84", "gcj02")
        min_lon, max_lon = float(lons[0]), float(lons[1])
        min_lat, max_lat = float(lats[0]), float(lats[1])
    page = folium.Map(
        location=[(min_lat + max_lat) / 2, (min_lon + max_lon) / 2],
        zoom_start=13,
        tiles=None,
        control_scale=False,
    )
    # Without tiles (basemap "none") the map itself must know how far it can zoom.
    page.options["maxZoom"] = 19
    # Served by the app itself: no CDN, works offline.
    page.default_js = list(STATIC_JS[:1])
    page.default_css = list(STATIC_CSS[:1])
    root = cast(Figure, page.get_root())
    for name, url in STATIC_CSS:
        root.header.add_child(CssLink(url), name=name)
    root.header.add_child(
        Element(
            "<script>window.CIRCLES = "
            + script_json(
                {
                    "lang": context.lang,
                    "district": context.district,
                    "text": context.words(),
                    "amenities": AMENITIES[context.lang],
                }
            )
            + ";</script>"
        ),
        name="circles_config",
    )
    for name, url in STATIC_JS:
        root.header.add_child(JavascriptLink(url), name=name)
    for index, url in enumerate(scripts):
        root.header.add_child(JavascriptLink(url), name=f"page_script_{index}")
    root.header.add_child(Element(f"<title>{html.escape(title)}</title>"), name="title")
    root.header.add_child(
        Element('<meta name="theme-color" content="#c62828" />'), name="theme_color"
    )
    root.html.add_child(Element(_topbar(context, title)), name="circles_topbar")
    for tiles in _tile_layers(context):
        tiles.add_to(page)
    page.fit_bounds([[min_lat, min_lon], [max_lat, max_lon]])
    return page


def extent(
    frame: gpd.GeoDataFrame, fallback: gpd.GeoDataFrame
) -> tuple[float, float, float, float]:
    """Bounds of ``frame`` (EPSG:4326), or of ``fallback`` when ``frame`` is empty or its
    bounds have no width or no height (one facility: the page would zoom in all the way)."""
    if len(frame) and frame.geometry.notna().any():
        min_lon, min_lat, max_lon, max_lat = (float(value) for value in frame.total_bounds)
        if max_lon > min_lon and max_lat > min_lat:
            return min_lon, min_lat, max_lon, max_lat
    min_lon, min_lat, max_lon, max_lat = (float(value) for value in fallback.total_bounds)
    return min_lon, min_lat, max_lon, max_lat


def _display_geometry(
    geometry: BaseGeometry, context: MapContext, *, simplify: bool
) -> BaseGeometry:
    if simplify and geometry.geom_type in (
        "Polygon",
        "MultiPolygon",
        "LineString",
        "MultiLineString",
    ):
        geometry = geometry.simplify(_SIMPLIFY_DEG, preserve_topology=True)
    if context.crs == "gcj02":
        geometry = shapely.transform(
            geometry, lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1], "wgs84", "gcj02"))
        )
    return shapely.transform(geometry, lambda xy: np.round(xy, _DECIMALS))


def geojson(
    frame: gpd.GeoDataFrame,
    context: MapContext,
    properties: Callable[[Mapping[str, Any]], dict[str, Any]],
    *,
    simplify: bool = False,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection for a page, in the page's coordinate system.

    Parameters
    ----------
    frame
        Features in EPSG:4326.
    context
        The page (its coordinate system: GCJ-02 on Amap tiles).
    properties
        Row (a mapping of column -> value) -> the feature's properties.
    simplify
        Simplify lines and polygons by ~2 m for display.

    Returns
    -------
    dict
        The FeatureCollection.
    """
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    features = []
    for record, geometry in zip(records, frame.geometry, strict=True):
        if geometry is None or geometry.is_empty:
            continue
        shape = _display_geometry(geometry, context, simplify=simplify)
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(shape),
                "properties": _plain(properties(record)),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """Properties with numpy / pandas scalars and missing values made JSON-friendly."""
    plain: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            plain[key] = value
        elif value is None or (not isinstance(value, str) and _is_missing(value)):
            plain[key] = None
        elif isinstance(value, np.generic):
            plain[key] = value.item()
        else:
            plain[key] = value
    return plain


def _is_missing(value: Any) -> bool:
    try:
        return bool(value != value)  # NaN, pd.NA raises
    except (TypeError, ValueError):
        return True


def add_boundary(page: folium.Map, boundary: gpd.GeoDataFrame, context: MapContext) -> None:
    """Draw the district outline (not clickable)."""
    folium.GeoJson(
        geojson(
            boundary,
            context,
            lambda _row: {
                "style": {"color": "#37474f", "weight": 2, "fill": False, "dashArray": "6 4"}
            },
            simplify=True,
        ),
        name=context.words()["layer_boundary"],
        control=False,
        interactive=False,
        className="circles-boundary",
    ).add_to(page)


def add_nearme(
    page: folium.Map,
    context: MapContext,
    layers: Iterable[tuple[str, str]],
    *,
    k: int = 3,
    filters: Iterable[str] = (),
    areas: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Add the near-me control (``/static/app/nearme.js``).

    Parameters
    ----------
    page
        The map.
    context
        The page: its coordinate system decides how taps are sent and answers drawn.
    layers
        ``(layer name, label)`` pairs the user can choose; the first is selected.
    k
        How many nearest facilities to show.
    filters
        Amenity keys the user can require (rest points), ``"24h"`` for open 24 hours;
        sent as ``amenity`` / ``open_24h`` parameters of ``/api/nearest``.
    areas
        Per layer, where a found facility's own area is asked for and how it is drawn
        while its popup is open (``circlesMaps.areaOnPopup``); None: not shown.
    """
    options = {
        "filters": list(filters),
        "detourFactor": geo_settings.detour_factor if context.approximate else 1.0,
        "api": "/api/nearest",
        "layers": [{"name": name, "label": label} for name, label in layers],
        "k": k,
        "tapCrs": context.crs,
        "outCrs": context.crs,
        "areas": dict(areas or {}),
    }
    page.add_child(_ScriptCall("circlesNearMe", options))


def add_legend(
    page: folium.Map, items: Iterable[Mapping[str, str]], *, amenities: bool = False
) -> None:
    """Add a small legend (``circlesMaps.legend``), folded on phones.

    Parameters
    ----------
    page
        The map.
    items
        ``{"swatch": ..., "label": ..., "color": ...}`` rows; swatches are
        ``pin-station``, ``pin-centre``, ``pin-rest_point``, ``area`` (with ``color``),
        ``circle``, ``you``, ``route``, ``route-straight``.
    amenities
        Also list the rest points' amenity pictograms with their names.
    """
    page.add_child(
        _ScriptCall(
            "circlesMaps.legend", {"items": [dict(item) for item in items], "amenities": amenities}
        )
    )


def route_legend(context: MapContext) -> dict[str, str]:
    """The legend row of the near-me routes: a walk, or a straight-line estimate."""
    words = context.words()
    if context.approximate:
        return {"swatch": "route-straight", "label": words["legend_route_straight"]}
    return {"swatch": "route", "label": words["legend_route"]}


def script_call(function: str, options: Mapping[str, Any]) -> MacroElement:
    """An element calling a global function of the app's scripts with the map and
    ``options`` (JSON)."""
    return _ScriptCall(function, options)


def add_html_control(page: folium.Map, content: str, *, position: str, css_class: str) -> None:
    """Show trusted HTML (already escaped) as a Leaflet control at ``position``."""
    page.add_child(_HtmlControl(content, position=position, css_class=css_class))


def render(page: folium.Map, context: MapContext) -> str:
    """The page's complete HTML, its ``<html>`` element marked with the page's language.

    The page's common behaviour (metric scale, popups kept inside the viewport, the
    notice when tiles fail, collapsible banners) is set up last, once every layer exists.
    """
    page.add_child(_ScriptCall("circlesMaps.page", {}))
    lang = "zh-CN" if context.lang == "zh" else "en"
    return page.get_root().render().replace("<html>", f'<html lang="{lang}">', 1)
