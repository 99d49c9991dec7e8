"""Service-circle rules: how far a facility's service reaches.

A rule is a walking distance in metres (``unit="m"``) or a walking time in minutes
(``unit="min"``) at a walking speed (``settings.walk_speed_kmh`` unless given). Times
turn into metres as ``minutes * speed_kmh * 1000 / 60``: 10 minutes at 4.5 km/h is 750 m.

A rule with ``straight_line=True`` measures the plain crow-fly distance instead of the
walk along the streets: that is the branded 1公里服务圈 (1 km service circle) drawn
around rest points, shown next to the 1 km network walk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from geo import settings
from geo.errors import AnalysisError

__all__ = [
    "DEFAULT_RULES",
    "REST_POINT_CIRCLE",
    "ServiceRule",
    "gb50180_rules",
    "metres_per_minute",
]


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


#: Rules of the Jingkou commitments: a rest point within 1 km along the streets, a grid
#: service station within a 10-minute walk, a party-mass service centre within 15 minutes.
DEFAULT_RULES: dict[str, ServiceRule] = {
    "rest_points": ServiceRule(1000.0, "m"),
    "stations": ServiceRule(10.0, "min"),
    "centres": ServiceRule(15.0, "min"),
}

#: The branded 1公里服务圈 of rest points: a plain 1 km straight-line circle.
REST_POINT_CIRCLE = ServiceRule(1000.0, "m", straight_line=True)


def gb50180_rules() -> dict[str, ServiceRule]:
    """Rules after GB 50180-2018 (Standard for urban residential area planning and design).

    The standard sets life circles of 5, 10 and 15 minutes' walk, about 300, 500 and
    1,000 m. Here the distances are used: rest points 300 m (5-minute circle), stations
    500 m (10-minute circle), centres 1,000 m (15-minute circle).

    Returns
    -------
    dict[str, ServiceRule]
        Keys {"rest_points", "stations", "centres"}.
    """
    return {
        "rest_points": ServiceRule(300.0, "m"),
        "stations": ServiceRule(500.0, "m"),
        "centres": ServiceRule(1000.0, "m"),
    }
