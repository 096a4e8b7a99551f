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
from analyzer.readers.exports.common import RawRecord, warn_some
from analyzer.readers.exports.localtime import date_order, parse_local
from analyzer.readers.exports.tables import level_number

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
    order = date_order(block.get("TimeCreated", "") for _, block in blocks)
    if order.ambiguous and blocks:
        result.note("local dates can be read day- or month-first; read as month/day")
    out: list[RawRecord] = []
    problems: list[tuple[int | None, str]] = []
    for line, block in blocks:
        provider, event_id = block.get("ProviderName", ""), block.get("Id", "")
        if not provider or not event_id.isdigit():
            problems.append((line, "event without a ProviderName or a numeric Id; skipped"))
            continue
        stamp = block.get("TimeCreated", "")
        local = parse_local(stamp, order)
        if local is None and stamp:
            problems.append((line, f"date {stamp[:40]!r} not understood"))
        record_id = block.get("RecordId", "")
        out.append(
            RawRecord(
                provider=provider,
                event_id=int(event_id),
                line=line,
                time=local,
                time_is_local=local is not None,
                record_id=int(record_id) if record_id.isdigit() else None,
                computer=block.get("MachineName") or None,
                channel=block.get("LogName") or None,
                level=level_number(block.get("Level", ""))
                or level_number(block.get("LevelDisplayName", "")),
                message=block.get("Message") or None,
            )
        )
    warn_some(result, problems)
    return out
