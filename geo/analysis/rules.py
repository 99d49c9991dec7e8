"""Service-circle rules: how far a facility's service reaches.

A rule is a walking distance in metres (``unit="m"``) or a walking time in minutes
(``unit="min"``) at a walking speed (``settings.walk_speed_kmh`` unless given). Times
turn into metres as ``minutes * speed_kmh * 1000 / 60``: 10 minutes at 4.5 km/h is 750 m.

A rule with ``straight_line=True`` measures the plain crow-fly distance instead of the
walk along the streets: that is the branded 1公里服务圈 (1 km service circle) drawn
around rest points, shown next to the 1 km network walk.

Every entry point (command line, service, notebook, batch, scenario manifest) builds its
rules with :func:`rule_for`, which fixes the walking speed when the rule is built.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

from geo import settings
from geo.errors import AnalysisError

__all__ = [
    "DEFAULT_RULES",
    "PRESETS",
    "REST_POINT_CIRCLE",
    "Preset",
    "ServiceRule",
    "gb50180_rules",
    "metres_per_minute",
    "rule_for",
]

Preset = Literal["default", "gb50180"]
#: The rule presets {"default", "gb50180"}.
PRESETS: tuple[Preset, ...] = get_args(Preset)


def metres_per_minute(speed_kmh: float | None = None) -> float:
    """Walking metres per minute at a speed.

    Parameters
    ----------
    speed_kmh
        Walking speed in km/h; ``None`` uses ``settings.walk_speed_kmh``.

    Returns
    -------
    float
        Metres walked in one minute (75 at 4.5 km/h).
    """
    speed = settings.walk_speed_kmh if speed_kmh is None else speed_kmh
    if not speed > 0:
        msg = f"walking speed must be positive, got {speed!r} km/h; pass e.g. speed_kmh=4.5"
        raise AnalysisError(msg)
    return speed * 1000.0 / 60.0


@dataclass(frozen=True)
class ServiceRule:
    """How far a facility's service reaches.

    Parameters
    ----------
    limit
        The reach: metres when ``unit="m"``, minutes of walking when ``unit="min"``.
    unit
        {"m", "min"}.
    speed_kmh
        Walking speed in km/h turning minutes into metres; ``None`` uses
        ``settings.walk_speed_kmh`` at the time the rule is applied.
    straight_line
        Measure the straight-line (crow-fly) distance instead of the walk along streets.
    """

    limit: float
    unit: Literal["m", "min"]
    speed_kmh: float | None = None
    straight_line: bool = False

    def __post_init__(self) -> None:
        if self.unit not in ("m", "min"):
            msg = f"rule unit must be 'm' or 'min', got {self.unit!r}"
            raise AnalysisError(msg)
        if not self.limit > 0:
            msg = f"rule limit must be positive, got {self.limit!r} {self.unit}"
            raise AnalysisError(msg)
        if self.speed_kmh is not None and not self.speed_kmh > 0:
            msg = f"rule speed must be positive, got {self.speed_kmh!r} km/h; use e.g. 4.5"
            raise AnalysisError(msg)

    @property
    def metres_per_minute(self) -> float:
        """Walking metres per minute under this rule."""
        return metres_per_minute(self.speed_kmh)

    @property
    def max_metres(self) -> float:
        """The reach in metres (walked along streets, or straight-line)."""
        if self.unit == "m":
            return float(self.limit)
        return float(self.limit) * self.metres_per_minute

    @property
    def label(self) -> str:
        """A short English description, e.g. ``"10 min walk"`` or ``"1 km circle"``."""
        if self.unit == "min":
            amount = f"{self.limit:g} min"
        elif self.limit >= 1000:
            amount = f"{self.limit / 1000:g} km"
        else:
            amount = f"{self.limit:g} m"
        return f"{amount} circle" if self.straight_line else f"{amount} walk"

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON: ``limit``, ``unit``, ``speed_kmh`` (the speed it applies),
        ``straight_line``, ``max_metres`` and ``label``."""
        return {
            "limit": self.limit,
            "unit": self.unit,
            "speed_kmh": settings.walk_speed_kmh if self.speed_kmh is None else self.speed_kmh,
            "straight_line": self.straight_line,
            "max_metres": self.max_metres,
            "label": self.label,
        }


#: Reach and unit per analysis layer of each preset. "default": the Jingkou commitments,
#: a rest point within 1 km along the streets, a grid service station within a 10-minute
#: walk, a party-mass service centre within 15 minutes. "gb50180": GB 50180-2018
#: (Standard for urban residential area planning and design) sets life circles of 5, 10
#: and 15 minutes' walk, about 300, 500 and 1,000 m; the distances are used (rest points
#: 300 m, stations 500 m, centres 1,000 m).
_PRESET_LIMITS: dict[str, dict[str, tuple[float, Literal["m", "min"]]]] = {
    "default": {"rest_points": (1000.0, "m"), "stations": (10.0, "min"), "centres": (15.0, "min")},
    "gb50180": {"rest_points": (300.0, "m"), "stations": (500.0, "m"), "centres": (1000.0, "m")},
}


def rule_for(
    layer: str,
    *,
    preset: Preset | None = None,
    minutes: float | None = None,
    metres: float | None = None,
    straight_line: bool = False,
    speed_kmh: float | None = None,
    default: ServiceRule | None = None,
) -> ServiceRule:
    """The service rule of one analysis layer: the one place rules are built.

    The reach is, in order: ``minutes`` or ``metres`` if given, else the ``preset``'s
    reach for the layer, else ``default`` (e.g. the scenario's own rule), else the
    "default" preset. The walking speed is fixed in the rule.

    Parameters
    ----------
    layer
        {"stations", "centres", "rest_points"}.
    preset
        {"default", "gb50180"}, or None.
    minutes
        Walking time limit, minutes.
    metres
        Walking (or straight-line) distance limit, metres.
    straight_line
        Measure the crow-fly distance instead of the walk along the streets.
    speed_kmh
        Walking speed in km/h; None keeps ``default``'s speed if it has one, else
        ``settings.walk_speed_kmh``.
    default
        The layer's rule when neither ``minutes``, ``metres`` nor ``preset`` is given.

    Returns
    -------
    ServiceRule
        A rule whose ``speed_kmh`` is set.

    Raises
    ------
    AnalysisError
        If ``layer`` or ``preset`` is unknown, both ``minutes`` and ``metres`` are given,
        or a limit or the speed is not positive.
    """
    limits = _PRESET_LIMITS["default"]
    if layer not in limits:
        msg = f"no service rule for layer {layer!r}; use one of {', '.join(limits)}"
        raise AnalysisError(msg)
    if preset is not None and preset not in _PRESET_LIMITS:
        msg = f"unknown rule preset {preset!r}; use one of {', '.join(_PRESET_LIMITS)}"
        raise AnalysisError(msg)
    if minutes is not None and metres is not None:
        msg = f"give minutes or metres, not both (got minutes={minutes:g}, metres={metres:g})"
        raise AnalysisError(msg)
    if default is not None and speed_kmh is None:
        speed_kmh = default.speed_kmh
    speed = settings.walk_speed_kmh if speed_kmh is None else speed_kmh
    if minutes is not None:
        return ServiceRule(float(minutes), "min", speed, straight_line)
    if metres is not None:
        return ServiceRule(float(metres), "m", speed, straight_line)
    if preset is None and default is not None:
        return replace(
            default, speed_kmh=speed, straight_line=straight_line or default.straight_line
        )
    limit, unit = _PRESET_LIMITS[preset or "default"][layer]
    return ServiceRule(limit, unit, speed, straight_line)


#: Rules of the Jingkou commitments (the "default" preset) with the walking speed left to
#: ``settings.walk_speed_kmh`` at the time they are applied.
DEFAULT_RULES: dict[str, ServiceRule] = {
    layer: replace(rule_for(layer), speed_kmh=None) for layer in _PRESET_LIMITS["default"]
}

#: The branded 1公里服务圈 of rest points: a plain 1 km straight-line circle.
REST_POINT_CIRCLE = replace(rule_for("rest_points", straight_line=True), speed_kmh=None)


def gb50180_rules(*, speed_kmh: float | None = None) -> dict[str, ServiceRule]:
    """Rules after GB 50180-2018: rest points 300 m, stations 500 m, centres 1,000 m.

    Parameters
    ----------
    speed_kmh
        Walking speed in km/h; None uses ``settings.walk_speed_kmh``.

    Returns
    -------
    dict[str, ServiceRule]
        Keys {"rest_points", "stations", "centres"}.
    """
    return {
        layer: rule_for(layer, preset="gb50180", speed_kmh=speed_kmh)
        for layer in _PRESET_LIMITS["gb50180"]
    }
