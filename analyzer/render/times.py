"""Reading and showing the times of a case: events are UTC, the customer may be elsewhere.

Readers give event times as ISO 8601 text (``2022-10-16T20:27:36.2228549Z``, python-evtx's
``2024-05-01 10:00:00+00:00``); the report shows them in UTC and, when an input revealed the
customer's offset from UTC, also in their local time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

_ISO = re.compile(
    r"^\s*(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<clock>\d{2}:\d{2}(?::\d{2})?)"
    r"(?:[.,](?P<fraction>\d+))?)?\s*(?P<zone>Z|z|UTC|[+-]\d{2}:?\d{2})?\s*$"
)
_OFFSET = re.compile(
    r"^\s*(?:UTC|GMT)?\s*(?P<sign>[+-])(?P<hours>\d{1,2}):?(?P<minutes>\d{2})?\s*$"
)
# Real offsets run from UTC-12:00 to UTC+14:00; anything beyond is not an offset.
_MAX_OFFSET = timedelta(hours=14)


def parse_utc_time(text: str | None, offset: timedelta | None = None) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text, or None when it is not one.

    Text without a zone is UTC unless ``offset`` is given (then it is local time at that offset).
    """
    if not text:
        return None
    match = _ISO.match(text)
    if match is None:
        return None
    clock = match["clock"] or "00:00:00"
    if len(clock) == 5:
        clock += ":00"
    # Python 3.10 only parses 3 or 6 fraction digits; Windows writes 7.
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    try:
        moment = datetime.fromisoformat(f"{match['date']}T{clock}.{fraction}")
    except ValueError:
        return None
    zone = match["zone"]
    if zone and zone.upper() not in ("Z", "UTC"):
        zone_offset = parse_offset(zone)
        if zone_offset is None:
            return None
        return (moment - zone_offset).replace(tzinfo=timezone.utc)
    if not zone and offset is not None:
        return (moment - offset).replace(tzinfo=timezone.utc)
    return moment.replace(tzinfo=timezone.utc)


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
    return offset if abs(offset) <= _MAX_OFFSET else None


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
