"""Numbers in API answers are rounded by the key they are found under."""

from __future__ import annotations

import math

from api._json import rounded


def test_rounding_by_key() -> None:
    answer = rounded(
        {
            "metres": 1733.9999999999995,
            "nearest_m": 220.21446,
            "minutes": 23.1199999,
            "share_covered": 0.899488015303509,
            "residents_covered_b": 320035.9871286231,
            "change": 36.82926829269854,
            "solve_seconds": {"greedy": 0.00037029400027677184},
            "route": {"type": "LineString", "coordinates": [[119.45, 32.199999999999996]]},
            "location": [119.4583453000001, 32.2],
            "infinite": math.inf,
            "name": "第1网格",
            "k": 3,
            "flags": [True, None],
        }
    )
    assert answer == {
        "metres": 1734,
        "nearest_m": 220,
        "minutes": 23.1,
        "share_covered": 0.899,
        "residents_covered_b": 320036,
        "change": 37,
        "solve_seconds": {"greedy": 0.0},
        "route": {"type": "LineString", "coordinates": [[119.45, 32.2]]},
        "location": [119.458345, 32.2],
        "infinite": None,
        "name": "第1网格",
        "k": 3,
        "flags": [True, None],
    }
