"""What every export reader shares: one raw record per exported event, and how a list of them
becomes events (the wanted ones) and coverage (all of them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzer.errors import InputError
from analyzer.inputs.decode import DecodedText, decode_bytes
from analyzer.inputs.files import InputFile
from analyzer.knowledge.eventfields import build_event, canonical_provider, is_wanted, utc_iso
from analyzer.model import Coverage, ReadResult, Source
from analyzer.readers.bootinfo import last_boot_os
from analyzer.readers.exports.localtime import date_order, parse_local
from analyzer.readers.exports.tables import fields_from_message, level_number

# Warnings listed per input; a file damaged throughout gets one summary line for the rest.
MAX_WARNINGS = 50
# Exports are text read whole into memory; a larger one is read up to this size, with a warning.
MAX_EXPORT_BYTES = 256 * 1024 * 1024


@dataclass
class RawRecord:
    """One exported event before normalisation; ``line`` is where it starts in the file."""

    provider: str
    event_id: int
    line: int | None = None
    time: str | None = None
    time_is_local: bool = False
    local_time: str | None = None
    record_id: int | None = None
    computer: str | None = None
    channel: str | None = None
    level: int | None = None
    data: Mapping[str, Any] | Sequence[Any] = field(default_factory=dict)
    message: str | None = None


def read_text(file: InputFile, result: ReadResult) -> DecodedText:
    """Decode an export whole (bounded), recording the encoding on the result."""
    if file.size > MAX_EXPORT_BYTES:
        result.warn(
            f"file is {file.size:,} bytes; only the first {MAX_EXPORT_BYTES:,} bytes were read"
        )
    try:
        # Ask for no more than the file holds: a read of N bytes reserves N bytes first.
        data = file.read_bytes(min(MAX_EXPORT_BYTES, file.size + 1))
    except OSError as exc:
        raise InputError(f"{file.display}: cannot read the file: {exc.strerror or exc}") from exc
    decoded = decode_bytes(data)
    result.encoding = decoded.encoding
    if decoded.replaced:
        result.warn(f"some bytes are not valid {decoded.encoding}; they were replaced")
    if (parts := decoded.parts_note()) is not None:
        result.note(*parts)
    return decoded


def warn_some(result: ReadResult, problems: list[tuple[int | None, str]]) -> None:
    """Record the first `MAX_WARNINGS` problems (line, text) and count the rest."""
    for line, text in problems[:MAX_WARNINGS]:
        result.warn(text, line=line)
    if len(problems) > MAX_WARNINGS:
        result.warn(f"{len(problems) - MAX_WARNINGS:,} more problems of this kind not listed")


@dataclass(frozen=True)
class Columns:
    """The names under which a tabular export (CSV row, `Format-List` block) keeps each field."""

    provider: str
    event_id: str
    time: str
    record_id: str
    computer: str
    channel: str
    level: str
    level_name: str
    message: str


# Get-WinEvent's property names (its CSV columns and `Format-List` lines).
GET_WINEVENT_COLUMNS = Columns(
    provider="ProviderName",
    event_id="Id",
    time="TimeCreated",
    record_id="RecordId",
    computer="MachineName",
    channel="LogName",
    level="Level",
    level_name="LevelDisplayName",
    message="Message",
)


def local_time_records(
    rows: list[tuple[int, dict[str, str]]], columns: Columns, result: ReadResult, unusable: str
) -> list[RawRecord]:
    """Raw records from (line, cells) rows whose times are local display times; a row without a
    provider or a numeric id is skipped with the warning ``unusable``."""
    order = date_order(cells.get(columns.time, "") for _, cells in rows)
    if order.ambiguous and rows:
        result.note("local dates can be read day- or month-first; read as month/day")
    out: list[RawRecord] = []
    problems: list[tuple[int | None, str]] = []
    for line, cells in rows:
        provider, event_id = cells.get(columns.provider, ""), cells.get(columns.event_id, "")
        if not provider or not event_id.isdigit():
            problems.append((line, unusable))
            continue
        stamp = cells.get(columns.time, "")
        local = parse_local(stamp, order)
        if local is None and stamp:
            problems.append((line, f"date {stamp[:40]!r} not understood"))
        record_id = cells.get(columns.record_id, "")
        out.append(
            RawRecord(
                provider=provider,
                event_id=int(event_id),
                line=line,
                time=local,
                time_is_local=local is not None,
                record_id=int(record_id) if record_id.isdigit() else None,
                computer=cells.get(columns.computer) or None,
                channel=cells.get(columns.channel) or None,
                level=level_number(cells.get(columns.level, ""))
                or level_number(cells.get(columns.level_name, "")),
                message=cells.get(columns.message) or None,
            )
        )
    warn_some(result, problems)
    return out


def _most_common(values: list[str | None]) -> str | None:
    counts = Counter(v for v in values if v)
    if not counts:
        return None
    # Most frequent, ties broken by name so that output is deterministic.
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]


def _first_and_last(records: list[RawRecord]) -> list[str]:
    """The earliest and latest record time. Windows writes every UTC time as ``...Z`` with the
    same number of digits, so such times order as text and only the two ends are normalised."""
    raw = [r.time for r in records if r.time]
    if not raw:
        return []
    if all(t.endswith("Z") for t in raw) and len({len(t) for t in raw}) == 1:
        ends = [min(raw), max(raw)]
        return [utc_iso(t) or t for t in ends]
    local = [r.time for r in records if r.time and r.time_is_local]
    utc = [utc_iso(r.time) or r.time for r in records if r.time and not r.time_is_local]
    return sorted(local + utc)


def finish(result: ReadResult, records: list[RawRecord]) -> ReadResult:
    """Keep the wanted events (provider + id) and describe what the export covers."""
    for raw in records:
        provider = canonical_provider(raw.provider)
        if not is_wanted(provider, raw.event_id):
            continue
        data = raw.data
        message = raw.message.replace("\r\n", "\n").replace("\r", "\n") if raw.message else None
        if not data and message:
            data = fields_from_message(provider, raw.event_id, message)
        result.events.append(
            build_event(
                provider=provider,
                event_id=raw.event_id,
                time=raw.time,
                record_id=raw.record_id,
                source=Source(result.path, line=raw.line, record=raw.record_id),
                data=data,
                computer=raw.computer,
                level=raw.level,
                channel=raw.channel,
                time_is_local=raw.time_is_local,
                message=message,
                local_time=raw.local_time,
            )
        )
    times = _first_and_last(records)
    result.coverage = Coverage(
        channel=_most_common([r.channel for r in records]),
        computer=_most_common([r.computer for r in records]),
        first=times[0] if times else None,
        last=times[-1] if times else None,
        records=len(records),
        os=last_boot_os(result.events),
    )
    if not records and result.usable:
        result.warn("no event records found in this export")
    return result
