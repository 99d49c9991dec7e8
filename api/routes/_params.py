"""Query parameters shared by several routes: the analysis layer and the service rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Query, Response

from api.errors import InvalidParameterError
from api.routes._deps import Current
from geo.analysis.rules import ServiceRule
from geo.district import District
from geo.scenario import ANALYSIS_LAYERS, check_analysis_layer

__all__ = [
    "MAX_RULE_METRES",
    "Layer",
    "LayerName",
    "Rule",
    "RuleParams",
    "RuleQuery",
    "analysis_layer",
    "rule_query",
    "service_rule",
]

#: Largest walking distance a rule may ask for, metres (60 minutes at 5 km/h).
MAX_RULE_METRES = 5000.0


#: The ``layer`` query parameter, unchecked (see :func:`analysis_layer`).
LayerName = Annotated[
    str,
    Query(
        max_length=64,
        description=(
            f"Analysis layer, one of {', '.join(ANALYSIS_LAYERS)}: grid service stations "
            "(10-min walk), party-mass service centres (15-min walk), rest points (1 km)."
        ),
        examples=["stations"],
    ),
]


async def analysis_layer(layer: LayerName = "stations") -> str:
    """The analysis layer of a request (unknown names answer 404 with the known ones)."""
    check_analysis_layer(layer)
    return layer


Layer = Annotated[str, Depends(analysis_layer)]


@dataclass(frozen=True)
class RuleQuery:
    """The rule parameters of a request, before they are applied to a layer.

    Attributes
    ----------
    preset
        {"default", "gb50180"}, or None for the layer's own rule.
    minutes, metres
        A walking time (minutes) or distance (metres) limit; at most one is set.
    straight_line
        Measure the straight-line distance instead of the walk.
    speed_kmh
        Walking speed in km/h; None uses the scenario's.
    """

    preset: Literal["default", "gb50180"] | None
    minutes: float | None
    metres: float | None
    straight_line: bool
    speed_kmh: float | None

    def rule(self, district: District, layer: str) -> ServiceRule:
        """The rule these parameters give the layer (see :meth:`District.rule`)."""
        return district.rule(
            layer,
            preset=self.preset,
            minutes=self.minutes,
            metres=self.metres,
            straight_line=self.straight_line,
            speed_kmh=self.speed_kmh,
        )


async def rule_query(
    rule: Annotated[
        Literal["default", "gb50180"] | None,
        Query(
            description=(
                "Rule preset: 'default' (rest points 1 km, stations 10 min, centres 15 min) "
                "or 'gb50180' (GB 50180-2018: 300 m, 500 m, 1,000 m); default: the "
                "scenario's own rule of the layer."
            )
        ),
    ] = None,
    minutes: Annotated[
        float | None,
        Query(
            gt=0, le=60, description="Walking time limit in minutes, (0, 60]; overrides the preset."
        ),
    ] = None,
    metres: Annotated[
        float | None,
        Query(
            gt=0,
            le=MAX_RULE_METRES,
            description="Walking distance limit in metres, (0, 5000]; overrides the preset.",
        ),
    ] = None,
    straight_line: Annotated[
        bool, Query(description="Measure the straight-line distance instead of the walk.")
    ] = False,
    speed_kmh: Annotated[
        float | None,
        Query(ge=0.5, le=10, description="Walking speed, km/h; default: the scenario's."),
    ] = None,
) -> RuleQuery:
    """The rule parameters of a request.

    Raises
    ------
    InvalidParameterError
        If both ``minutes`` and ``metres`` are given.
    """
    if minutes is not None and metres is not None:
        msg = f"give minutes or metres, not both (got minutes={minutes:g}, metres={metres:g})"
        raise InvalidParameterError(msg, detail={"minutes": minutes, "metres": metres})
    return RuleQuery(rule, minutes, metres, straight_line, speed_kmh)


#: The rule parameters, for routes that name the layer in their path.
RuleParams = Annotated[RuleQuery, Depends(rule_query)]


async def service_rule(snapshot: Current, layer: Layer, params: RuleParams) -> ServiceRule:
    """The service rule of a request (the layer's own rule unless the query says otherwise)."""
    return params.rule(snapshot.district, layer)


Rule = Annotated[ServiceRule, Depends(service_rule)]


_CRS_NAMES = {"wgs84": "WGS-84", "cgcs2000": "CGCS2000", "gcj02": "GCJ-02", "bd09": "BD-09"}


async def out_crs(
    response: Response,
    out_crs: Annotated[
        Literal["wgs84", "cgcs2000", "gcj02", "bd09"],
        Query(
            description=(
                "Coordinate system of the answer's coordinates: wgs84 (GeoJSON's own, the "
                "default), gcj02 (Amap, Tencent), bd09 (Baidu) or cgcs2000 (Tianditu). The "
                "answer names it in `coordinate_system` and the `X-Coordinate-System` header."
            )
        ),
    ] = "wgs84",
) -> str:
    """The coordinate system an answer is given in; its name goes into the header."""
    response.headers["X-Coordinate-System"] = _CRS_NAMES[out_crs]
    return out_crs


#: The ``out_crs`` query parameter of GeoJSON answers (see :func:`out_crs`).
OutCrs = Annotated[str, Depends(out_crs)]


def crs_member(system: str) -> dict[str, str]:
    """The answer's member naming its coordinate system."""
    return {"coordinate_system": _CRS_NAMES[system]}
