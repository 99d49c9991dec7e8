"""Opening hours read from facility lists, and "open now" in the district's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from geo.hours import is_open, opening_hours

# 2026-12-01 is a Tuesday.
TUESDAY = datetime(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "days", "ranges"),
    [
        ("24小时", range(7), [(time(0), time(0))]),
        ("全天开放", range(7), [(time(0), time(0))]),
        ("6:00-22:00", range(7), [(time(6), time(22))]),
        ("周一至周五 8:30-17:30", range(5), [(time(8, 30), time(17, 30))]),
        (
            "周一到周六 8：30-12：00、14:00-17:30",
            range(6),
            [(time(8, 30), time(12)), (time(14), time(17, 30))],
        ),
        ("周一~周日 8:30-20:00", range(7), [(time(8, 30), time(20))]),
        ("工作日 9:00-17:00", range(5), [(time(9), time(17))]),
        ("每天 20:00-02:00", range(7), [(time(20), time(2))]),
    ],
)
def test_known_forms(text: str, days: range, ranges: list[tuple[time, time]]) -> None:
    hours = opening_hours(text)
    assert hours is not None
    assert hours.days == frozenset(days)
    assert list(hours.ranges) == ranges


@pytest.mark.parametrize(
    "text", [None, "", "节假日休息", "8点到5点", "周五至周一 9:00-17:00", "25:00-26:00"]
)
def test_unknown_forms_are_not_guessed(text: str | None) -> None:
    assert opening_hours(text) is None
    assert is_open(text, TUESDAY) is None


def test_open_at_local_times() -> None:
    weekdays = "周一至周五 8:30-17:30"
    assert is_open(weekdays, TUESDAY.replace(hour=8, minute=30)) is True
    assert is_open(weekdays, TUESDAY.replace(hour=17, minute=30)) is False
    assert is_open(weekdays, datetime(2026, 12, 5, 10)) is False  # Saturday
    assert is_open("24小时", datetime(2026, 12, 6, 3)) is True


def test_ranges_past_midnight_belong_to_the_day_they_start() -> None:
    late = "周一至周五 20:00-02:00"
    assert is_open(late, datetime(2026, 12, 5, 1)) is True  # Friday night, early Saturday
    assert is_open(late, datetime(2026, 12, 7, 1)) is False  # Sunday night is not open


def test_aware_times_are_turned_into_the_district_time_zone() -> None:
    # 01:00 UTC is 09:00 in Shanghai: open on a weekday morning, closed in Urumqi's 07:00
    moment = datetime(2026, 12, 1, 1, tzinfo=UTC)
    assert is_open("8:30-17:30", moment) is True
    assert is_open("8:30-17:30", moment, timezone="Asia/Urumqi") is False
