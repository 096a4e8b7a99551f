"""Local wall-clock dates as Event Viewer and PowerShell print them in the user's culture.

``10/16/2022 8:27:36 PM`` (en-US), ``16.10.2022 20:27:36`` (de-DE), ``16/10/2022 20:27:36``
(en-GB, fr-FR), ``2022/10/16 20:27:36`` (zh-CN, ja-JP), ``2022/10/16 下午 8:27:36``. They carry no
zone, so they come out as ISO 8601 without one. Whether ``03/04/2022`` is day- or month-first is
decided once per file (`DateOrder`), from the dates that can only be read one way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from analyzer.readers.exports.tables import AM_MARKERS, PM_MARKERS

# Event Viewer puts bidi marks around date parts (U+200E in "‎8/‎25/‎2015").
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\ufeff"), None)
_DATE = re.compile(r"(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,7}))?")


@dataclass(frozen=True)
class DateOrder:
    day_first: bool
    ambiguous: bool = False  # every date could be read both ways; month-first was assumed


def _clean(text: str) -> str:
    return " ".join(text.translate(_INVISIBLE).replace("\xa0", " ").split())


def _parts(text: str) -> tuple[tuple[int, int, int], str] | None:
    match = _DATE.search(text)
    if not match:
        return None
    a, b, c = int(match.group(1)), int(match.group(3)), int(match.group(4))
    return (a, b, c), match.group(2)


def date_order(values: Iterable[str]) -> DateOrder:
    """Decide day-first vs month-first for all dates of one file."""
    dotted = twelve_hour = undecided = False
    for value in values:
        text = _clean(value)
        found = _parts(text)
        if not found:
            continue
        (a, b, _year), separator = found
        if a > 31:  # year first: no question
            continue
        if a > 12:
            return DateOrder(day_first=True)
        if b > 12:
            return DateOrder(day_first=False)
        undecided = True
        dotted = dotted or separator == "."
        lower = text.lower()
        twelve_hour = twelve_hour or any(m in lower for m in AM_MARKERS | PM_MARKERS)
    if dotted:
        return DateOrder(day_first=True)
    if twelve_hour:
        return DateOrder(day_first=False)
    return DateOrder(day_first=False, ambiguous=undecided)


def parse_local(text: str, order: DateOrder) -> str | None:
    """``2022-10-16T20:27:36`` (no zone) from a culture-formatted date, or None."""
    clean = _clean(text)
    date = _DATE.search(clean)
    clock = _CLOCK.search(clean, date.end()) if date else None
    if not date or not clock:
        return None
    a, b, c = int(date.group(1)), int(date.group(3)), int(date.group(4))
    if a > 31:
        year, month, day = a, b, c
    elif order.day_first:
        day, month, year = a, b, c
    else:
        month, day, year = a, b, c
    if year < 100:
        year += 2000
    hour, minute = int(clock.group(1)), int(clock.group(2))
    second = int(clock.group(3) or 0)
    fraction = (clock.group(4) or "")[:6]
    lower = clean.lower()
    if any(m in lower for m in PM_MARKERS) and hour < 12:
        hour += 12
    elif any(m in lower for m in AM_MARKERS) and hour == 12:
        hour = 0
    try:
        moment = datetime(year, month, day, hour, minute, second, int(fraction.ljust(6, "0")))
    except ValueError:
        return None
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{fraction.ljust(6, '0')}" if fraction else stamp


def with_offset(local_iso: str, utc_iso: str) -> str | None:
    """The local time with its UTC offset (rounded to 15 minutes), given the same instant in UTC:
    ``2022-10-16T22:27:36`` and ``2022-10-16T20:27:36.222854Z`` -> ``2022-10-16T22:27:36+02:00``."""
    try:
        local = datetime.fromisoformat(local_iso)
        utc = datetime.fromisoformat(utc_iso.replace("Z", "")).replace(microsecond=0)
    except ValueError:
        return None
    minutes = round((local.replace(microsecond=0) - utc).total_seconds() / 900) * 15
    if abs(minutes) > 14 * 60:
        return None  # not the same instant: the header and the XML disagree
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{local_iso}{sign}{hours:02d}:{rest:02d}"
