"""Opening hours as written in Chinese facility lists, and whether a place is open now.

The layers carry hours as free text. The forms found in district lists are read:
``24小时`` / ``全天`` / ``24h``; a time range ``8:00-20:00`` (also ``8:00～20:00``,
``8：00-20：00``, several joined by ``,`` ``、`` or ``;``); a day range before it,
``周一至周五 8:30-17:30`` (also ``周一到周六``, ``周一~周日``, ``每天``, ``工作日``). Anything
else is "not known", never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

__all__ = ["DISTRICT_TIMEZONE", "OpeningHours", "always_open", "is_open", "opening_hours"]

#: Time zone of Chinese districts (China Standard Time, UTC+8, no daylight saving).
DISTRICT_TIMEZONE = "Asia/Shanghai"

_DAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_ALWAYS = re.compile(r"^(24\s*小时|全天|24\s*h|24/7|00:00-24:00)(营业|开放)?$", re.IGNORECASE)
_DAY_RANGE = re.compile(
    r"^(?:周|星期)([一二三四五六日天])\s*(?:至|到|-|~)\s*(?:周|星期)?([一二三四五六日天])"
)
_ONE_DAY = re.compile(r"^(?:周|星期)([一二三四五六日天])")
_TIME_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*[-~至到]\s*(\d{1,2}):(\d{2})")


@dataclass(frozen=True)
class OpeningHours:
    """Opening hours read from text.

    Attributes
    ----------
    days
        Weekdays open, 0 = Monday ... 6 = Sunday.
    ranges
        ``(opens, closes)`` local times; ``closes`` at or before ``opens`` runs past
        midnight; ``(00:00, 00:00)`` is all day.
    """

    days: frozenset[int]
    ranges: tuple[tuple[time, time], ...]

    def open_at(self, moment: datetime) -> bool:
        """Whether the place is open at ``moment`` (a local time of the district)."""
        now = moment.time()
        today = moment.weekday()
        yesterday = (today - 1) % 7
        for opens, closes in self.ranges:
            if opens == closes:
                if today in self.days:
                    return True
                continue
            if opens < closes:
                if today in self.days and opens <= now < closes:
                    return True
            elif (today in self.days and now >= opens) or (yesterday in self.days and now < closes):
                return True
        return False

    def to_dict(self) -> dict[str, object]:
        """JSON form: ``days`` (0 = Monday) and ``ranges`` as ``"HH:MM"`` pairs."""
        return {
            "days": sorted(self.days),
            "ranges": [
                [opens.strftime("%H:%M"), closes.strftime("%H:%M")] for opens, closes in self.ranges
            ],
        }


def opening_hours(text: str | None) -> OpeningHours | None:
    """Read opening hours from the text of a layer's ``hours`` column.

    Parameters
    ----------
    text
        E.g. ``"周一至周五 8:30-17:30"``, ``"24小时"``, ``"6:00-22:00"``.

    Returns
    -------
    OpeningHours or None
        None when the text is empty or not in a known form.
    """
    if text is None:
        return None
    plain = text.strip().replace("：", ":").replace("～", "~").replace("—", "-").replace("–", "-")
    if not plain:
        return None
    every_day = frozenset(range(7))
    if _ALWAYS.match(plain.replace(" ", "")):
        return OpeningHours(every_day, ((time(0), time(0)),))
    days = every_day
    rest = plain
    for prefix in ("每天", "每日", "全周"):
        if rest.startswith(prefix):
            rest = rest[len(prefix) :]
            break
    else:
        if rest.startswith("工作日"):
            days, rest = frozenset(range(5)), rest[3:]
        elif found := _DAY_RANGE.match(rest):
            first, last = _DAYS[found.group(1)], _DAYS[found.group(2)]
            if last < first:
                return None
            days, rest = frozenset(range(first, last + 1)), rest[found.end() :]
        elif found := _ONE_DAY.match(rest):
            days, rest = frozenset({_DAYS[found.group(1)]}), rest[found.end() :]
    ranges = []
    pieces = [piece.strip() for piece in re.split(r"[,，、;；]", rest) if piece.strip()]
    for piece in pieces:
        found = _TIME_RANGE.fullmatch(piece)
        if found is None:
            return None
        hours = [int(found.group(i)) for i in (1, 3)]
        minutes = [int(found.group(i)) for i in (2, 4)]
        if any(h > 24 for h in hours) or any(m > 59 for m in minutes):
            return None
        opens, closes = (time(h % 24, m) for h, m in zip(hours, minutes, strict=True))
        if opens == closes and hours[0] != hours[1] - 24:
            return None
        ranges.append((opens, closes))
    if not ranges:
        return None
    return OpeningHours(days, tuple(ranges))


def is_open(
    text: str | None, moment: datetime | None = None, *, timezone: str = DISTRICT_TIMEZONE
) -> bool | None:
    """Whether a place whose hours read ``text`` is open at ``moment``.

    Parameters
    ----------
    text
        The ``hours`` text of the place.
    moment
        When; an aware datetime is turned into ``timezone``, a naive one is taken as
        local time there. ``None``: now.
    timezone
        IANA name of the district's time zone (``Asia/Shanghai`` in China).

    Returns
    -------
    bool or None
        None when the hours are not known or not in a form :func:`opening_hours` reads.
    """
    hours = opening_hours(text)
    if hours is None:
        return None
    zone = ZoneInfo(timezone)
    local = datetime.now(zone) if moment is None else moment
    if local.tzinfo is not None:
        local = local.astimezone(zone)
    return hours.open_at(local.replace(tzinfo=None))


def always_open(text: object) -> bool:
    """Whether hours reading ``text`` say open 24 hours, every day (False if not known)."""
    hours = opening_hours(text if isinstance(text, str) else None)
    return hours is not None and len(hours.days) == 7 and hours.ranges == ((time(0), time(0)),)
