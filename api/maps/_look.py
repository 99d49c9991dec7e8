"""One look for every coverage map: the grid colourings, their classes and legends.

The planner page (``/planner``) and the command line's ``map.html`` colour grids with
these classes and words, so a darker red always means "worse served", whatever is shown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final, Literal

from api.settings import Language

__all__ = ["COLOURINGS", "NO_DATA", "Colouring", "ColouringName", "colouring_spec", "grid_colour"]

ColouringName = Literal["uncovered", "share", "minutes"]

#: Fill of a grid with no value (no residents, no reachable facility).
NO_DATA: Final = "#e0e0e0"
# ColorBrewer YlOrRd, 5 classes: pale = well served, dark red = badly served.
_YLORRD = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")


@dataclass(frozen=True)
class Colouring:
    """One way of colouring grids.

    Attributes
    ----------
    column
        The grid property coloured: ``uncovered`` (residents left out), ``share``
        (0-1 share of residents covered) or ``minutes`` (walk to the nearest facility).
    edges
        Class edges in the property's unit, ascending; class ``i`` holds values in
        ``[edges[i], edges[i + 1])``.
    colours
        One colour per class.
    labels
        Legend label of each class, per language.
    titles
        Legend title, per language.
    """

    column: str
    edges: tuple[float, ...]
    colours: tuple[str, ...]
    labels: dict[Language, tuple[str, ...]]
    titles: dict[Language, str]

    def colour(self, value: float | None) -> str:
        """The fill of a grid whose property is ``value`` (None or NaN: no data)."""
        if value is None or not math.isfinite(value):
            return NO_DATA
        chosen = self.colours[0]
        for edge, colour in zip(self.edges, self.colours, strict=True):
            if value >= edge:
                chosen = colour
        return chosen


COLOURINGS: Final[dict[ColouringName, Colouring]] = {
    "uncovered": Colouring(
        column="uncovered",
        edges=(0.0, 1.0, 100.0, 300.0, 1000.0),
        colours=("#f5f5f5", *_YLORRD[1:]),
        labels={
            "zh": ("0", "1–99", "100–299", "300–999", "≥ 1,000"),
            "en": ("0", "1–99", "100–299", "300–999", "≥ 1,000"),
        },
        titles={"zh": "未覆盖居民（人）", "en": "Residents left out"},
    ),
    "share": Colouring(
        # negated so that the classes ascend from well to badly served
        column="share",
        edges=(-1.0, -0.999, -0.75, -0.5, -0.25),
        colours=_YLORRD,
        labels={
            "zh": ("100%", "75–99%", "50–74%", "25–49%", "< 25%"),
            "en": ("100%", "75–99%", "50–74%", "25–49%", "< 25%"),
        },
        titles={"zh": "居民覆盖比例", "en": "Share of residents covered"},
    ),
    "minutes": Colouring(
        column="minutes",
        edges=(0.0, 5.0, 10.0, 15.0, 30.0),
        colours=_YLORRD,
        labels={
            "zh": ("< 5 分钟", "5–9 分钟", "10–14 分钟", "15–29 分钟", "≥ 30 分钟"),
            "en": ("< 5 min", "5–9 min", "10–14 min", "15–29 min", "≥ 30 min"),
        },
        titles={"zh": "到最近站点步行时间", "en": "Walk to the nearest"},
    ),
}


def grid_colour(name: ColouringName, *, uncovered: float, share: float, minutes: float) -> str:
    """The fill of a grid under colouring ``name``.

    Parameters
    ----------
    name
        {"uncovered", "share", "minutes"}.
    uncovered
        Residents left out of the circle.
    share
        Share of the grid's residents covered, 0-1.
    minutes
        Walking minutes to the nearest facility (inf or NaN: none reachable).
    """
    value = {"uncovered": uncovered, "share": -share, "minutes": minutes}[name]
    return COLOURINGS[name].colour(value)


def colouring_spec(lang: Language) -> dict[str, dict[str, Any]]:
    """Every colouring as JSON for the page's scripts (``edges``, ``colours``,
    ``labels``, ``title``; ``share`` edges are negated shares)."""
    return {
        name: {
            "column": colouring.column,
            "edges": list(colouring.edges),
            "colours": list(colouring.colours),
            "labels": list(colouring.labels[lang]),
            "title": colouring.titles[lang],
            "noData": NO_DATA,
        }
        for name, colouring in COLOURINGS.items()
    }
