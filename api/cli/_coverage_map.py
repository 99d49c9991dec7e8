"""A stand-alone HTML map (folium) of an analysis: coverage per layer, with a layer control.

Per layer: grids coloured by the residents left out (the planner page's classes and
colours, ``api.maps._look``), the union of the service
areas, and the facilities. Demo data shows the demo-data notice; approximate mode shows
the approximate notice. Leaflet (the copy the web service serves) is written into the
page, so the map opens without internet; only the basemap tiles need it.
"""

from __future__ import annotations

import html
import importlib.resources
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, cast

import folium
import geopandas as gpd
import shapely
from branca.element import Figure, MacroElement
from jinja2 import Template

from api.maps._layers import AREA_STYLE
from api.maps._look import COLOURINGS, ColouringName, grid_colour
from geo.export import approximate_notice
from geo.export._atomic import atomic_path
from geo.export._labels import Language, facility_layer, layer_name, rule_text
from geo.scenario import LANGUAGES, Scenario

if TYPE_CHECKING:
    from geo.analysis.coverage import LayerCoverage

__all__ = [
    "MetricScale",
    "coverage_map",
    "inline_leaflet",
    "map_page",
    "notice_box",
    "write_coverage_map",
]

#: Service-area colour of each coverage key: the service's maps' own (one look).
_LAYER_COLOURS = {
    "stations": AREA_STYLE["stations"]["color"],
    "centres": AREA_STYLE["centres"]["color"],
    "rest_points": AREA_STYLE["rest_points"]["color"],
    "rest_points_circle": AREA_STYLE["rest_points"]["color"],
}
#: The grid colouring of the map: the planner page's first one, with its classes.
_COLOURING: ColouringName = "uncovered"

_TEXT: dict[str, tuple[str, str]] = {
    "share": ("居民覆盖比例", "Share of residents covered"),
    "uncovered": ("未覆盖居民（人）", "Residents left out"),
    "union": ("服务圈范围", "Service circle"),
    "facilities": ("设施", "Facilities"),
    "grid": ("网格", "Grid"),
    "residents": ("常住人口", "Residents"),
    "nearest": ("最近设施步行(分钟)", "Walk to nearest (min)"),
    "boundary": ("边界", "Boundary"),
}


def _t(key: str, language: Language) -> str:
    zh, en = _TEXT[key]
    return zh if language == "zh" else en


def _grids_layer(coverage: LayerCoverage, language: Language) -> folium.GeoJson:
    grids = coverage.grids
    uncovered = (grids["residents"] - grids["residents_covered"]).clip(lower=0.0)
    frame = gpd.GeoDataFrame(
        {
            "name": grids["name"].fillna("").astype(str),
            "residents": grids["residents"].round(0),
            "uncovered": uncovered.round(0),
            "share": (100 * grids["share_covered"]).round(1),
            "minutes": grids["nearest_minutes"].round(1),
            "colour": [
                grid_colour(_COLOURING, uncovered=u, share=s, minutes=m)
                for u, s, m in zip(
                    uncovered.to_numpy(dtype=float),
                    grids["share_covered"].to_numpy(dtype=float),
                    grids["nearest_minutes"].to_numpy(dtype=float),
                    strict=True,
                )
            ],
        },
        geometry=grids.geometry,
        crs="EPSG:4326",
    )
    return folium.GeoJson(
        frame,
        style_function=lambda feature: {
            "fillColor": feature["properties"]["colour"],
            "color": "#78909c",
            "weight": 0.6,
            "fillOpacity": 0.65,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "residents", "uncovered", "share", "minutes"],
            aliases=[
                _t("grid", language),
                _t("residents", language),
                _t("uncovered", language),
                f"{_t('share', language)} %",
                _t("nearest", language),
            ],
        ),
    )


def _union_layer(coverage: LayerCoverage, colour: str, language: Language) -> folium.GeoJson:
    union = shapely.simplify(coverage.union, 2e-5, preserve_topology=True)
    return folium.GeoJson(
        shapely.geometry.mapping(union),
        style_function=lambda _: {
            "fillColor": colour,
            "color": colour,
            "weight": 1.5,
            "fillOpacity": 0.15,
        },
        tooltip=f"{_t('union', language)}: {rule_text(coverage.rule, language)}",
    )


def notice_box(lines: list[str]) -> folium.Element:
    body = "<br>".join(html.escape(line) for line in lines)
    return folium.Element(
        '<div class="circles-notice" style="position: fixed; bottom: 48px; left: 12px; '
        "z-index: 1000; max-width: 420px; background: rgba(255,255,255,0.92); "
        "border: 1px solid #c0392b; padding: 6px 10px; font-size: 13px; "
        f'border-radius: 4px;">{body}</div>'
    )


def _legend(language: Language) -> folium.Element:
    """The legend of the grid colouring, as on the planner page."""
    colouring = COLOURINGS[_COLOURING]
    rows = [
        f'<div><span style="display:inline-block;width:12px;height:12px;'
        f'background:{colour};border:1px solid #78909c;margin-right:6px;"></span>'
        f"{html.escape(label)}</div>"
        for colour, label in zip(colouring.colours, colouring.labels[language], strict=True)
    ]
    return folium.Element(
        '<div class="circles-legend" style="position: fixed; top: 12px; left: 56px; '
        "z-index: 1000; background: rgba(255,255,255,0.92); padding: 6px 10px; "
        'font-size: 12px; border-radius: 4px;">'
        f"<b>{html.escape(colouring.titles[language])}</b>{''.join(rows)}</div>"
    )


class MetricScale(MacroElement):
    """A metric-only scale bar, as on the service's maps."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, maxWidth: 120}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


def map_page(fmap: folium.Map) -> Figure:
    """The HTML page holding the map."""
    return cast(Figure, fmap.get_root())


def inline_leaflet(fmap: folium.Map) -> None:
    """Write Leaflet's script and style sheet into the page instead of CDN links."""
    leaflet = importlib.resources.files("api") / "static" / "vendor" / "leaflet"
    script = (leaflet / "leaflet.js").read_text(encoding="utf-8")
    style = (leaflet / "leaflet.css").read_text(encoding="utf-8")
    fmap.default_js = []
    fmap.default_css = []
    header = map_page(fmap).header
    header.add_child(folium.Element(f"<style>{style}</style>"), name="leaflet_css")
    header.add_child(folium.Element(f"<script>{script}</script>"), name="leaflet")


def coverage_map(
    coverage: Mapping[str, LayerCoverage],
    *,
    scenario: Scenario,
    language: Language = "zh",
    tiles: str | None = "OpenStreetMap",
) -> folium.Map:
    """Build the coverage map of an analysis.

    Parameters
    ----------
    coverage
        Coverage per layer key, as from ``geo.analysis.analyze_scenario``.
    scenario
        The scenario analysed (boundary, facilities, demo flag).
    language
        {"zh", "en"}: language of the labels (notices are shown in both).
    tiles
        Basemap tiles (folium name or URL template); None for no basemap.

    Returns
    -------
    folium.Map
        One overlay per layer (the first shown), the boundary, a layer control, a legend
        and the notices.
    """
    west, south, east, north = scenario.boundary.to_crs("EPSG:4326").total_bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], tiles=tiles)
    fmap.add_child(MetricScale())
    inline_leaflet(fmap)
    folium.GeoJson(
        scenario.boundary.to_crs("EPSG:4326")[["geometry"]],
        name=_t("boundary", language),
        style_function=lambda _: {"fill": False, "color": "#333333", "weight": 2},
    ).add_to(fmap)
    for position, (key, layer) in enumerate(coverage.items()):
        colour = _LAYER_COLOURS.get(key, "#3182bd")
        group = folium.FeatureGroup(
            name=f"{layer_name(key, language)} ({rule_text(layer.rule, language)})",
            show=position == 0,
        )
        _grids_layer(layer, language).add_to(group)
        _union_layer(layer, colour, language).add_to(group)
        facilities = scenario.facilities(facility_layer(key)).to_crs("EPSG:4326")
        for row in facilities.itertuples(index=False):
            folium.CircleMarker(
                location=[row.geometry.y, row.geometry.x],
                radius=4,
                color=colour,
                fill=True,
                fill_opacity=0.9,
                weight=1,
                tooltip=html.escape(f"{row.name} ({row.facility_id})"),
            ).add_to(group)
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    notices = [notice for lang in LANGUAGES if (notice := scenario.demo_notice(lang)) is not None]
    if any(layer.approximate for layer in coverage.values()):
        notices += [approximate_notice("zh"), approximate_notice("en")]
    root = map_page(fmap)
    root.html.add_child(_legend(language))
    if notices:
        root.html.add_child(notice_box(notices))
    return fmap


def write_coverage_map(
    path: str | os.PathLike[str],
    coverage: Mapping[str, LayerCoverage],
    *,
    scenario: Scenario,
    language: Language = "zh",
    tiles: str | None = "OpenStreetMap",
) -> Path:
    """Write :func:`coverage_map` as one HTML file; return its path."""
    target = Path(path)
    with atomic_path(target) as temporary:
        coverage_map(coverage, scenario=scenario, language=language, tiles=tiles).save(
            str(temporary)
        )
    return target
