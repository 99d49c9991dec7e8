"""A static PNG map of the planner view, drawn with matplotlib alone (no tiles, no internet)."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import matplotlib as mpl
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib_scalebar.scalebar import ScaleBar

from geo.export import _fonts
from geo.export._atomic import atomic_path
from geo.export._labels import (
    NOTICE_LINE_IN,
    Language,
    approximate_notice,
    facility_layer,
    layer_name,
    notice_lines,
    rule_text,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from geo.analysis.coverage import LayerCoverage
    from geo.analysis.siting import SiteSuggestions
    from geo.scenario import Scenario

__all__ = ["map_language", "planner_figure", "render_png"]

logger = logging.getLogger(__name__)

#: Width of the map figure, inches.
_MAP_WIDTH_IN = 11.0
#: Height of the footer below the map (legend and two lines of notices), inches; each
#: further line of notices adds NOTICE_LINE_IN.
_FOOTER_IN = 1.0

_TEXT: dict[str, tuple[str, str]] = {
    "uncovered": ("未覆盖人口（人）", "Residents not covered"),
    "circle": ("服务圈范围", "Service circle"),
    "facilities": ("现有设施", "Existing facilities"),
    "suggested": ("建议新增站点（按排名编号）", "Suggested sites (numbered by rank)"),
    "boundary": ("区界", "District boundary"),
    "title": ("{area} {layer}{rule}服务圈", "{area}: {layer}, {rule}"),
    "covered": (
        "覆盖 {covered:,.0f} / {total:,.0f} 人（{share:.1%}），{facilities} 处设施",
        "{covered:,.0f} of {total:,.0f} residents covered ({share:.1%}); facilities: {facilities}",
    ),
    "added": (
        "建议新增 {count} 处，可再覆盖 {added:,.0f} 人",
        "{count} suggested sites would add {added:,.0f} residents",
    ),
}


def _text(key: str, language: Language) -> str:
    pair = _TEXT[key]
    return pair[0] if language == "zh" else pair[1]


def map_language(language: Language = "zh") -> tuple[Language, str | None]:
    """Return the language a map can be drawn in, and the font family to draw it with.

    Parameters
    ----------
    language
        {"zh", "en"}: the language asked for.

    Returns
    -------
    tuple
        ``(language, family)``: "zh" and a Chinese font family when one is installed;
        "en" and None otherwise, with a warning when Chinese was asked for.
    """
    if language == "en":
        return "en", None
    family = _fonts.cjk_font_family()
    if family is None:
        warnings.warn(
            "no Chinese font found, so the map is labelled in English; install one "
            "(Debian/Ubuntu: apt-get install fonts-noto-cjk) for Chinese labels",
            stacklevel=3,
        )
        return "en", None
    return "zh", family


def _extent(
    grids: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame | None,
) -> tuple[float, float, float, float]:
    """Bounds (metres) of the grids, facilities and suggested sites, with a margin."""
    frames = [grids.geometry, facilities.geometry]
    if sites is not None:
        frames.append(sites.geometry)
    bounds = [frame.total_bounds for frame in frames if len(frame)]
    minx = min(b[0] for b in bounds)
    miny = min(b[1] for b in bounds)
    maxx = max(b[2] for b in bounds)
    maxy = max(b[3] for b in bounds)
    margin = 0.04 * max(maxx - minx, maxy - miny, 1.0)
    return minx - margin, miny - margin, maxx + margin, maxy + margin


def _north_arrow(axes: Axes, emphasis: str) -> None:
    """A north arrow in the upper right corner (the map is drawn in UTM, north up)."""
    axes.annotate(
        "N",
        xy=(0.96, 0.96),
        xytext=(0, -42),
        xycoords="axes fraction",
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=12,
        fontweight=emphasis,
        path_effects=[patheffects.withStroke(linewidth=3, foreground="white")],
        arrowprops={
            "facecolor": "black",
            "edgecolor": "white",
            "width": 4,
            "headwidth": 12,
            "headlength": 10,
        },
        zorder=8,
    )


def _draw_suggestions(axes: Axes, points: gpd.GeoDataFrame, emphasis: str) -> None:
    """Suggested sites as red stars labelled with their rank."""
    axes.scatter(
        points.geometry.x,
        points.geometry.y,
        marker="*",
        s=260,
        color="#d7191c",
        edgecolor="white",
        linewidth=0.8,
        zorder=6,
    )
    ranks = points["rank"].astype(int)
    outline = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for rank, point in zip(ranks, points.geometry, strict=True):
        axes.annotate(
            str(rank),
            xy=(point.x, point.y),
            xytext=(6, 6),
            textcoords="offset points",
            fontsize=9,
            fontweight=emphasis,
            color="#a50f15",
            path_effects=outline,
            zorder=7,
        )


def planner_figure(
    *,
    scenario: Scenario,
    coverage: LayerCoverage,
    layer: str,
    suggestions: SiteSuggestions | None = None,
    language: Language = "zh",
) -> Figure:
    """Draw the planner view of one analysis layer.

    The district boundary; grids coloured by residents outside the service circle, with
    a colour bar; the union of the service areas; the layer's facilities; suggested sites
    as numbered stars; a scale bar and a north arrow; a title with the covered share and,
    below the map, the scenario's demo notice and the approximate-mode notice when they
    apply, wrapped to the map's width (the figure grows with their lines).
    Drawn in the data's UTM zone so the scale bar is true. Needs no internet: there is
    no basemap.

    Parameters
    ----------
    scenario
        The scenario analysed.
    coverage
        Coverage of ``layer``.
    layer
        The coverage key {"stations", "centres", "rest_points", "rest_points_circle"}.
    suggestions
        Suggested sites for the layer, or None.
    language
        {"zh", "en"}. Chinese needs a Chinese font; without one the map falls back to
        English with a warning.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not registered with pyplot).
    """
    language, family = map_language(language)
    fonts = [family, "DejaVu Sans"] if family is not None else ["DejaVu Sans"]
    # Weight of the title, rank numbers and north arrow: bold where the font has it.
    emphasis = "bold" if family is None or _fonts.has_bold(family) else "normal"
    with mpl.rc_context({"font.family": fonts, "axes.unicode_minus": False}):
        return _draw(scenario, coverage, layer, suggestions, language, emphasis)


def _draw(
    scenario: Scenario,
    coverage: LayerCoverage,
    layer: str,
    suggestions: SiteSuggestions | None,
    language: Language,
    emphasis: str,
) -> Figure:
    crs = scenario.boundary.estimate_utm_crs()
    grids = coverage.grids.to_crs(crs)
    grids["residents_uncovered"] = (grids["residents"] - grids["residents_covered"]).clip(lower=0.0)
    facilities = scenario.facilities(facility_layer(layer)).to_crs(crs)
    sites = None if suggestions is None else suggestions.sites.to_crs(crs)
    extent = _extent(grids, facilities, sites)
    width_m, height_m = extent[2] - extent[0], extent[3] - extent[1]
    map_height = min(max((_MAP_WIDTH_IN - 0.4) * height_m / width_m, 4.0), 14.0)
    notices = _notices(scenario, coverage, language)
    footer_height = _FOOTER_IN + NOTICE_LINE_IN * max(len(notices) - 2, 0)
    figure = Figure(figsize=(_MAP_WIDTH_IN, map_height + 1.5 + footer_height), layout="constrained")
    rows = figure.add_gridspec(2, 1, height_ratios=[map_height + 1.3, footer_height])
    axes = figure.add_subplot(rows[0])
    footer = figure.add_subplot(rows[1])
    footer.set_axis_off()
    grids.plot(
        ax=axes,
        column="residents_uncovered",
        cmap="OrRd",
        vmin=0.0,
        edgecolor="#bdbdbd",
        linewidth=0.3,
        legend=True,
        legend_kwds={
            "label": _text("uncovered", language),
            "orientation": "horizontal",
            "shrink": 0.5,
            "pad": 0.01,
            "aspect": 40,
        },
    )
    union = gpd.GeoSeries([coverage.union], crs="EPSG:4326").to_crs(crs)
    union.plot(ax=axes, facecolor="#3182bd", alpha=0.2, edgecolor="#08519c", linewidth=0.8)
    scenario.boundary.to_crs(crs).boundary.plot(ax=axes, color="black", linewidth=1.3)
    axes.scatter(
        facilities.geometry.x,
        facilities.geometry.y,
        s=14,
        color="#08306b",
        edgecolor="white",
        linewidth=0.4,
        zorder=5,
    )
    handles: list[Patch | Line2D] = [
        Line2D([], [], color="black", linewidth=1.3, label=_text("boundary", language)),
        Patch(
            facecolor="#3182bd",
            alpha=0.4,
            edgecolor="#08519c",
            label=f"{_text('circle', language)} ({rule_text(coverage.rule, language)})",
        ),
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color="#08306b",
            markeredgecolor="white",
            label=f"{_text('facilities', language)}: {layer_name(layer, language)}",
        ),
    ]
    if sites is not None and len(sites):
        _draw_suggestions(axes, sites, emphasis)
        handles.append(
            Line2D(
                [],
                [],
                marker="*",
                markersize=14,
                linestyle="",
                color="#d7191c",
                label=_text("suggested", language),
            )
        )
    footer.legend(handles=handles, loc="upper center", ncols=2, fontsize=10, frameon=False)
    axes.add_artist(ScaleBar(1.0, units="m", location="lower right", box_alpha=0.8))
    _north_arrow(axes, emphasis)
    axes.set_xlim(extent[0], extent[2])
    axes.set_ylim(extent[1], extent[3])
    axes.set_axis_off()
    axes.set_aspect("equal")
    _titles(figure, axes, scenario, coverage, layer, suggestions, language, emphasis)
    if notices:
        footer.text(
            0.5,
            0.0,
            "\n".join(notices),
            transform=footer.transAxes,
            ha="center",
            va="bottom",
            fontsize=10.5,
            color="#99000d",
            parse_math=False,  # a scenario's own notice is plain text: "$" is no formula
        )
    return figure


def _notices(scenario: Scenario, coverage: LayerCoverage, language: Language) -> list[str]:
    """The lines of the notices below the map: demo data, approximate mode."""
    demo_notice = scenario.demo_notice(language)
    notices = [] if demo_notice is None else [demo_notice]
    if coverage.approximate:
        notices.append(approximate_notice(language))
    return notice_lines(notices)


def _titles(
    figure: Figure,
    axes: Axes,
    scenario: Scenario,
    coverage: LayerCoverage,
    layer: str,
    suggestions: SiteSuggestions | None,
    language: Language,
    emphasis: str,
) -> None:
    """Title and the coverage figures above the map."""
    area = str(scenario.boundary["name"].iloc[0]) if language == "zh" else scenario.name.title()
    figure.suptitle(
        _text("title", language).format(
            area=area, layer=layer_name(layer, language), rule=rule_text(coverage.rule, language)
        ),
        fontsize=15,
        fontweight=emphasis,
    )
    summary = coverage.summary
    lines = [
        _text("covered", language).format(
            covered=float(summary["residents_covered"]),
            total=float(summary["residents_total"]),
            share=float(summary["share_covered"]),
            facilities=int(summary["facilities"]),
        )
    ]
    if suggestions is not None and len(suggestions.sites):
        lines.append(
            _text("added", language).format(
                count=len(suggestions.sites), added=float(suggestions.summary["residents_added"])
            )
        )
    axes.set_title("；".join(lines) if language == "zh" else "; ".join(lines), fontsize=11)


def render_png(
    path: str | os.PathLike[str],
    *,
    scenario: Scenario,
    coverage: LayerCoverage,
    layer: str,
    suggestions: SiteSuggestions | None = None,
    language: Language = "zh",
    dpi: int = 150,
) -> Path:
    """Write the planner view of one analysis layer as a PNG (see :func:`planner_figure`).

    Parameters
    ----------
    path
        Target ``.png`` file; replaced in one step once written.
    scenario, coverage, layer, suggestions, language
        As for :func:`planner_figure`.
    dpi
        Resolution, dots per inch; the figure is 11 inches wide, its height follows the
        district's shape and the lines of notices.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    figure = planner_figure(
        scenario=scenario,
        coverage=coverage,
        layer=layer,
        suggestions=suggestions,
        language=language,
    )
    target = Path(path)
    with atomic_path(target) as temporary:
        figure.savefig(temporary, dpi=dpi, format="png", facecolor="white")
    logger.info("wrote %s", target)
    return target
