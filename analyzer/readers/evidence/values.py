"""Small value parsers shared by the evidence readers: hashes and PowerShell date-times."""

from __future__ import annotations

import re
from datetime import datetime

_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_INVISIBLE = re.compile(r"[\s:\u200e\u200f\u202a-\u202e\ufeff]")

# PowerShell prints dates in the machine's culture. With AM/PM it is en-US (month first);
# without, day first ('31.12.2025 23:59:59', '31/12/2025 23:59:59'); ISO is unambiguous.
_DATE = re.compile(
    r"^(?P<a>\d{1,4})[./-](?P<b>\d{1,2})[./-](?P<c>\d{1,4})\s+"
    r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?$"
)


def normalise_hash(value: str) -> tuple[str, bool]:
    """(hash, valid): 40 lower-case hex digits when it is one, else the text as given.

    Spaces, colons and the invisible marks that copying from Windows dialogs adds are removed
    first; anything else (cut, elided, retyped with a letter O) stays invalid."""
    compact = _INVISIBLE.sub("", value).lower()
    if _HEX40.match(compact):
        return compact, True
    return value.strip(), False


def local_datetime(text: str) -> str | None:
    """ISO 8601 local date-time (no zone) when the day/month order is certain, else None."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    a, b, c = (int(match.group(k)) for k in "abc")
    hour, minute = int(match.group("h")), int(match.group("m"))
    second = int(match.group("s") or 0)
    ampm = (match.group("ampm") or "").replace(".", "").replace(" ", "").upper()
    if ampm:
        hour = hour % 12 + (12 if ampm == "PM" else 0)
    if a > 31:
        year, month, day = a, b, c  # 2025-12-31
    elif ampm:
        month, day, year = a, b, c  # en-US
    else:
        day, month, year = a, b, c  # de, fr, en-GB
    try:
        return datetime(year, month, day, hour, minute, second).isoformat()
    except ValueError:
        return None
