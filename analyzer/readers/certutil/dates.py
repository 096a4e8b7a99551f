"""certutil dates: kept raw, turned into ISO 8601 only when the day/month order is certain.

certutil prints local time in the machine's regional format, independently of the UI language:
`6/26/2019 10:40 AM` (en-US), `10.08.2021 14:14` (de), `12/05/1997 02:00` (fr, dd/MM),
`2026/7/18 0:13` (zh-CN). The order is certain for a leading 4-digit year (y/m/d), for dotted
dates (d.m.y), and for slashed dates when a number above 12 shows which part is the day. One
machine prints every date of a dump the same way, so one such date settles the whole dump.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

_DATE = re.compile(
    r"^\s*(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})\s*,?\s*"
    r"(上午|下午|午前|午後)?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM|am|pm|a\.m\.|p\.m\.|上午|下午)?\s*$"
)
_PM = {"PM", "pm", "p.m.", "下午", "午後"}
_AM = {"AM", "am", "a.m.", "上午", "午前"}


class DateOrder:
    """The day/month order shared by the dates of one dump: "ymd", "dmy", "mdy" or None. Dates
    are added as the dump is read (`add`); the order is that of every date added so far."""

    def __init__(self, raws: Iterable[str | None] = ()):
        self.votes: set[str] = set()
        for raw in raws:
            self.add(raw)

    def add(self, raw: str | None) -> None:
        match = _DATE.match(raw or "")
        if not match or len(match.group(1)) == 4 or match.group(2) == ".":
            return
        first, second = int(match.group(1)), int(match.group(3))
        if first > 12 >= second:
            self.votes.add("dmy")
        elif second > 12 >= first:
            self.votes.add("mdy")

    @property
    def slashed(self) -> str | None:
        return next(iter(self.votes)) if len(self.votes) == 1 else None


def iso_datetime(raw: str | None, order: DateOrder) -> str | None:
    """ISO 8601 local date-time, or None when the order is not certain or the text is no date."""
    match = _DATE.match(raw or "")
    if not match:
        return None
    a, sep, b, c = match.group(1), match.group(2), match.group(3), match.group(4)
    if len(a) == 4:
        year, month, day = int(a), int(b), int(c)
    elif len(c) != 4:
        return None
    elif sep == "." or order.slashed == "dmy":
        day, month, year = int(a), int(b), int(c)
    elif order.slashed == "mdy":
        month, day, year = int(a), int(b), int(c)
    else:
        return None
    hour, minute = int(match.group(6)), int(match.group(7))
    second = int(match.group(8) or 0)
    marker = match.group(9) or match.group(5)
    if marker in _PM and hour < 12:
        hour += 12
    elif marker in _AM and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, minute, second).isoformat()
    except ValueError:
        return None
