"""``Get-WinEvent ... | Format-List``: what customers paste from a PowerShell window.

One block of ``Name : value`` lines per event (``TimeCreated``, ``ProviderName``, ``Id``,
``Message`` by default; every EventLogRecord property with ``fl *``). Long values wrap onto
lines indented to the value column. ``TimeCreated`` is local time in the user's culture.
"""

from __future__ import annotations

import re

from analyzer.inputs.decode import split_lines
from analyzer.model import ReadResult
from analyzer.readers import Sample
from analyzer.readers.exports.common import (
    GET_WINEVENT_COLUMNS,
    RawRecord,
    local_time_records,
)

# EventLogRecord properties (not localized) -> raw record field.
PROPERTIES: dict[str, str] = {
    "TimeCreated": "time",
    "ProviderName": "provider",
    "Id": "event_id",
    "Message": "message",
    "RecordId": "record_id",
    "MachineName": "computer",
    "LogName": "channel",
    "Level": "level",
    "LevelDisplayName": "level_name",
}
_PROPERTY = re.compile(r"^([A-Za-z]+) *: ?(.*)$")
_CONTINUATION = re.compile(r"^\s+\S")


def _property(line: str) -> tuple[str, str] | None:
    match = _PROPERTY.match(line)
    return (match.group(1), match.group(2).strip()) if match else None


def score(text: str) -> int:
    """85 when the first lines hold ``Id : …`` and ``ProviderName : …`` properties."""
    names = set()
    for line in split_lines(text[:8192])[:60]:
        found = _property(line)
        if found and " : " in line:
            names.add(found[0])
    return 85 if {"Id", "ProviderName"} <= names else 0


def sniff(sample: Sample) -> int:
    return score(sample.text.text) if sample.text is not None else 0


def _blocks(lines: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Property blocks with the line each starts on; wrapped values are joined back."""
    blocks: list[tuple[int, dict[str, str]]] = []
    current: dict[str, str] | None = None
    last: str | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue  # between events, or inside a multi-line message
        found = _property(line) if not _CONTINUATION.match(line) else None
        if found and found[0] in PROPERTIES:
            name, value = found
            if current is None or name in current:
                current = {}
                blocks.append((number, current))
            current[name] = value
            last = name
        elif found:
            last = None  # a property we do not use (fl *): skip it and its continuation
        elif last is not None and current is not None:
            current[last] = f"{current[last]} {line.strip()}".strip()
    return blocks


def records(text: str, result: ReadResult) -> list[RawRecord]:
    blocks = _blocks(split_lines(text))
    return local_time_records(
        blocks,
        GET_WINEVENT_COLUMNS,
        result,
        "event without a ProviderName or a numeric Id; skipped",
    )
