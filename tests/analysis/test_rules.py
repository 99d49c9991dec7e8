"""rule_for: the one place service rules are built."""

from __future__ import annotations

import pytest

from geo import settings
from geo.analysis.rules import DEFAULT_RULES, ServiceRule, gb50180_rules, rule_for
from geo.errors import AnalysisError


def test_layer_defaults_fix_the_walking_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "walk_speed_kmh", 4.0)
    rule = rule_for("stations")
    assert (rule.limit, rule.unit, rule.speed_kmh) == (10.0, "min", 4.0)
    # fixed when built: a later change of the setting does not move it
    monkeypatch.setattr(settings, "walk_speed_kmh", 6.0)
    assert rule.max_metres == pytest.approx(10 * 4000 / 60)
    assert rule.to_dict()["speed_kmh"] == 4.0


def test_minutes_and_metres_override_the_preset() -> None:
    assert rule_for("centres", minutes=12, speed_kmh=3.0).max_metres == pytest.approx(600.0)
    metres = rule_for("rest_points", preset="gb50180", metres=800, straight_line=True)
    assert (metres.limit, metres.unit, metres.straight_line) == (800.0, "m", True)


def test_presets_and_the_scenario_default() -> None:
    assert rule_for("stations", preset="gb50180").max_metres == 500.0
    own = ServiceRule(15.0, "min", 4.2)
    assert rule_for("stations", default=own) == own
    assert rule_for("stations", default=own, speed_kmh=3.0).speed_kmh == 3.0
    # a preset asked for wins over the scenario's own rule
    assert rule_for("stations", default=own, preset="default").limit == 10.0
    assert rule_for("centres", default=own, straight_line=True).straight_line is True


def test_module_rules_come_from_rule_for() -> None:
    assert {k: (r.limit, r.unit) for k, r in DEFAULT_RULES.items()} == {
        "rest_points": (1000.0, "m"),
        "stations": (10.0, "min"),
        "centres": (15.0, "min"),
    }
    assert {k: r.max_metres for k, r in gb50180_rules(speed_kmh=5.0).items()} == {
        "rest_points": 300.0,
        "stations": 500.0,
        "centres": 1000.0,
    }


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"layer": "schools"}, "no service rule for layer 'schools'"),
        ({"layer": "stations", "minutes": 5, "metres": 400}, "give minutes or metres, not both"),
        ({"layer": "stations", "preset": "gb99"}, "unknown rule preset 'gb99'"),
        ({"layer": "stations", "minutes": 0}, "rule limit must be positive"),
        ({"layer": "stations", "speed_kmh": -1.0}, "rule speed must be positive"),
    ],
)
def test_bad_rules_are_refused(kwargs: dict, match: str) -> None:
    layer = kwargs.pop("layer")
    with pytest.raises(AnalysisError, match=match):
        rule_for(layer, **kwargs)
