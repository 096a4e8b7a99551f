"""Reading and showing the times of a case: events are UTC, the customer may be elsewhere.

Records carry their times parsed once (`analyzer.model.parse_time`: ``Event.utc_moment``,
``Coverage.first_moment``, ...); the report shows them in UTC and, when an input revealed the
customer's offset from UTC, also in their local time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from analyzer.model import MAX_UTC_OFFSET

_OFFSET = re.compile(
    r"^\s*(?:UTC|GMT)?\s*(?P<sign>[+-])(?P<hours>\d{1,2}):?(?P<minutes>\d{2})?\s*$"
)


def parse_offset(value: Any) -> timedelta | None:
    """The customer's offset from UTC: ``"+02:00"``, ``"-0530"``, ``"UTC+1"``, minutes as a
    number, or a timedelta. None when absent or not a plausible offset."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, timedelta):
        offset = value
    elif isinstance(value, (int, float)):
        offset = timedelta(minutes=value)
    elif isinstance(value, str):
        match = _OFFSET.match(value)
        if match is None:
            return None
        offset = timedelta(hours=int(match["hours"]), minutes=int(match["minutes"] or 0))
        if match["sign"] == "-":
            offset = -offset
    else:
        return None
    return offset if abs(offset) <= MAX_UTC_OFFSET else None


def offset_label(offset: timedelta) -> str:
    """``UTC+02:00``, ``UTC-05:30``."""
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def format_utc(moment: datetime) -> str:
    """``2022-10-16 20:27:36 UTC`` (sub-second digits dropped: no reader compares on them)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_clock(moment: datetime, offset: timedelta) -> str:
    """The wall-clock time at ``offset``: ``2022-10-16 22:27:36``."""
    return (moment.astimezone(timezone.utc) + offset).strftime("%Y-%m-%d %H:%M:%S")


def format_local(moment: datetime, offset: timedelta) -> str:
    """``2022-10-16 22:27:36 local (UTC+02:00)``."""
    return f"{format_clock(moment, offset)} local ({offset_label(offset)})"
