"""Writers the batch hands to its workers, and the city's interactive map.

The per-district writers are those of ``circles analyze`` (``map.html``) and
``circles sites`` (``suggestions.geojson``, ``summary.json``), so a batch writes each
district's files exactly as those commands do.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import TYPE_CHECKING

import folium
import geopandas as gpd

from api.cli._coverage_map import (
    MetricScale,
    inline_leaflet,
    map_page,
    notice_box,
    write_coverage_map,
)
from api.cli.sites import write_sites_files
from api.maps._look import COLOURINGS, grid_colour
from geo.batch import BatchResult, DistrictWriters, city_grids, city_notices
from geo.export._atomic import atomic_path
from geo.export._labels import Language, layer_name

if TYPE_CHECKING:
    pass

__all__ = ["WRITERS", "write_city_map"]


WRITERS = DistrictWriters(coverage_map=write_coverage_map, sites_files=write_sites_files)


def _share_legend(language: Language) -> folium.Element:
    """The legend of the planner page's share-of-residents classes."""
    colouring = COLOURINGS["share"]
    rows = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;background:{colour};'
        f'border:1px solid #78909c;margin-right:6px;"></span>{html.escape(label)}</div>'
        for colour, label in zip(colouring.colours, colouring.labels[language], strict=True)
    )
    return folium.Element(
        '<div class="circles-legend" style="position: fixed; top: 12px; left: 56px; '
        "z-index: 1000; background: rgba(255,255,255,0.92); padding: 6px 10px; "
        f'font-size: 12px; border-radius: 4px;"><b>{html.escape(colouring.titles[language])}'
        f"</b>{rows}</div>"
    )


def write_city_map(
    path: str | os.PathLike[str],
    result: BatchResult,
    *,
    layer: str = "stations",
    language: Language = "zh",
    tiles: str | None = "OpenStreetMap",
) -> Path:
    """Write an HTML map of every district's grids, coloured on one scale of covered shares.

    The classes and colours are the planner page's "share of residents covered".

    Parameters
    ----------
    path
        Target ``.html`` file; replaced in one step once written.
    result
        The batch, whose districts' ``grids.geojson`` are read.
    layer
        The coverage key whose covered share colours the grids.
    language
        {"zh", "en"}: language of the labels (notices are shown in both).
    tiles
        Basemap tiles (folium name or URL template); None for no basemap.
    """
    grids = city_grids(result.districts, layer)
    zh = language == "zh"
    fmap = folium.Map(tiles=tiles)
    inline_leaflet(fmap)
    fmap.add_child(MetricScale())
    if len(grids):
        frame = gpd.GeoDataFrame(
            {
                "district": grids["title" if zh else "district"].astype(str),
                "name": grids["name"].fillna("").astype(str),
                "residents": grids["residents"].round(0),
                "share": (100 * grids["share_covered"]).round(1),
                "colour": [
                    grid_colour("share", uncovered=0.0, share=share, minutes=0.0)
                    for share in grids["share_covered"].to_numpy(dtype=float)
                ],
            },
            geometry=grids.geometry,
            crs="EPSG:4326",
        )
        folium.GeoJson(
            frame,
            name=layer_name(layer, language),
            style_function=lambda feature: {
                "fillColor": feature["properties"]["colour"],
                "color": "#555555",
                "weight": 0.6,
                "fillOpacity": 0.6,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["district", "name", "residents", "share"],
                aliases=(
                    ["区县", "网格", "常住人口", "人口覆盖比例 %"]
                    if zh
                    else ["District", "Grid", "Residents", "Share of residents covered %"]
                ),
            ),
        ).add_to(fmap)
        west, south, east, north = grids.total_bounds
        fmap.fit_bounds([[south, west], [north, east]])
    notices = [*city_notices(result.districts, "zh"), *city_notices(result.districts, "en")]
    root = map_page(fmap)
    root.html.add_child(_share_legend(language))
    title = html.escape(layer_name(layer, language))
    root.html.add_child(
        folium.Element(
            '<div class="circles-title" style="position: fixed; top: 12px; right: 12px; '
            "z-index: 1000; background: rgba(255,255,255,0.92); padding: 6px 10px; "
            f'font-size: 14px; border-radius: 4px;">{title}</div>'
        )
    )
    if notices:
        root.html.add_child(notice_box(notices))
    target = Path(path)
    with atomic_path(target) as temporary:
        fmap.save(str(temporary))
    return target
