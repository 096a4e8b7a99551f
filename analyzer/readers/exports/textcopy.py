"""Event Viewer "Copy details as text" (and `wevtutil qe /f:text`): a block of ``Label: value`` lines (Log Name, Source, Date
in local time, Event ID, Level, Computer, Description) followed by the event XML. Customers paste
one or several such blocks into a file; the labels are in the UI language, the XML is not.

The XML is the truth (UTC ``SystemTime``, record id, named data); the header adds the message text
and the exporter's local time, from which the local UTC offset is derived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analyzer.inputs.decode import split_lines
from analyzer.knowledge.eventfields import utc_iso
from analyzer.model import ReadResult
from analyzer.readers import Sample
from analyzer.readers.exports.common import RawRecord, warn_some
from analyzer.readers.exports.localtime import DateOrder, date_order, parse_local, with_offset
from analyzer.readers.exports.tables import TEXT_COPY_LABELS, level_number
from analyzer.readers.exports.xmlevents import find_events, strip_view_marks

_LABEL = re.compile(r"^\s*([^:：\t]{1,40}?)\s*[:：]\s*(.*?)\s*$")
# `wevtutil qe LOG /f:text` numbers its blocks ("Event[0]:") and indents the labels.
_WEVTUTIL_EVENT = re.compile(r"^Event\[\d+\]:\s*$")
_BARE_LABEL = re.compile(r"^\s*[^\s:：<][^:：<]{0,40}[:：]\s*$")


@dataclass
class Header:
    """The labelled lines of one copied event; ``line`` is its first line in the file."""

    line: int
    fields: dict[str, str] = field(default_factory=dict)
    description: list[str] = field(default_factory=list)

    @property
    def message(self) -> str | None:
        text = "\n".join(self.description).strip()
        return text or None

    def drop_xml_label(self) -> None:
        """The last line before the XML is its label ("Event Xml:", "Ereignis-XML:")."""
        while self.description and not self.description[-1].strip():
            self.description.pop()
        if self.description and _BARE_LABEL.match(self.description[-1]):
            self.description.pop()


def _label_of(line: str) -> tuple[str, str] | None:
    match = _LABEL.match(line)
    if not match:
        return None
    name = TEXT_COPY_LABELS.get(match.group(1).strip().lower())
    return (name, match.group(2)) if name else None


def headers_in(lines: list[str], first_line: int) -> list[Header]:
    """Split lines into copied-event headers. A copy starts with its log name; inside a
    description (which may hold ``Name: value`` lines of its own) only a log-name label ends it."""
    headers: list[Header] = []
    current: Header | None = None
    in_description = False
    for offset, line in enumerate(lines):
        if _WEVTUTIL_EVENT.match(line):
            current, in_description = None, False
            continue
        labelled = _label_of(line)
        if labelled and in_description and labelled[0] != "channel":
            labelled = None
        if labelled:
            name, value = labelled
            if current is None or name in current.fields or name == "channel":
                current = Header(first_line + offset)
                headers.append(current)
            in_description = name == "description"
            current.fields[name] = value
            if in_description and value:
                current.description.append(value)
        elif in_description and current is not None:
            current.description.append(line)
    return headers


def score(text: str) -> int:
    """95 for a copy with its XML, 80 for labels alone (wevtutil text, a copy without XML)."""
    lines = split_lines(text[:8192])[:40]
    names = {labelled[0] for labelled in map(_label_of, lines) if labelled}
    if {"event_id", "provider"} <= names and "<Event" in text:
        return 95
    if {"event_id", "provider", "date"} <= names:
        return 80
    return 0


def sniff(sample: Sample) -> int:
    return score(sample.text.text) if sample.text is not None else 0


def _record_from_header(header: Header, order: DateOrder, result: ReadResult) -> RawRecord | None:
    fields = header.fields
    provider = fields.get("provider", "").strip()
    event_id = fields.get("event_id", "").strip()
    if not provider or not event_id.isdigit():
        result.warn("copied event without a source or a numeric event id; skipped", header.line)
        return None
    local = parse_local(fields.get("date", ""), order)
    if local is None and fields.get("date"):
        result.warn(f"date {fields['date'][:40]!r} not understood", header.line)
    return RawRecord(
        provider=provider,
        event_id=int(event_id),
        line=header.line,
        time=local,
        time_is_local=local is not None,
        computer=fields.get("computer") or None,
        channel=fields.get("channel") or None,
        level=level_number(fields.get("level", "")),
        message=header.message,
    )


def records(text: str, result: ReadResult) -> list[RawRecord]:
    text = strip_view_marks(text)[0]  # the XML part may come from Event Viewer's XML View
    found = list(find_events(text))
    out: list[RawRecord] = []
    problems: list[tuple[int | None, str]] = []
    blocks: list[tuple[list[Header], RawRecord | None]] = []
    position, line = 0, 1
    for event in found:
        before = text[position : event.start]
        blocks.append((headers_in(split_lines(before), line), event.record))
        if event.record is None:
            problems.append((event.line, f"event skipped: {event.problem}"))
        line += text.count("\n", position, event.end)
        position = event.end
    warn_some(result, problems)
    tail_headers = headers_in(split_lines(text[position:]), line)
    dates = [h.fields["date"] for hs, _ in blocks for h in hs if "date" in h.fields]
    tail_dates = [h.fields["date"] for h in tail_headers if "date" in h.fields]
    order = date_order(dates + tail_dates)
    # With the XML's UTC time beside it, an ambiguous local date settles itself (below).
    if order.ambiguous and tail_dates:
        result.note("local dates can be read day- or month-first; read as month/day")
    for headers, record in blocks:
        if record is None:
            continue
        header = headers[-1] if headers else None
        if header is not None:
            header.drop_xml_label()
            if record.message is None:
                record.message = header.message
            date = header.fields.get("date", "")
            local = parse_local(date, order)
            utc = utc_iso(record.time) if record.time else None
            if local and utc:
                record.local_time = with_offset(local, utc)
                if record.local_time is None:  # the other reading may match the UTC time
                    flipped = parse_local(date, DateOrder(day_first=not order.day_first))
                    record.local_time = with_offset(flipped, utc) if flipped else None
            elif local and not record.time:
                record.time, record.time_is_local = local, True
        out.append(record)
    # Headers after the last XML (or in a copy without XML) still describe events.
    for header in tail_headers:
        raw = _record_from_header(header, order, result)
        if raw is not None:
            out.append(raw)
    return out
