"""Delimited exports: Event Viewer "Save as" CSV (kind ``evtx-csv``) and tab-delimited text (kind
``evtx-text``), and ``Get-WinEvent | Export-Csv`` (kind ``evtx-csv``, any delimiter).

Event Viewer writes five localized column names (Level, Date and Time, Source, Event ID, Task
Category) and a sixth, unnamed value per row, the message; its dates are local time. PowerShell
writes EventLogRecord property names; ``TimeCreated`` is a local time in the user's culture and
``Properties`` is an unexpanded object name, so event data survives only in ``Message``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass

from analyzer.knowledge.eventfields import is_wanted
from analyzer.model import ReadResult
from analyzer.readers.exports.common import (
    GET_WINEVENT_COLUMNS,
    Columns,
    RawRecord,
    local_time_records,
)
from analyzer.readers.exports.tables import EV_COLUMNS, WINEVENT_COLUMNS, WINEVENT_TYPE_LINE

MAX_ROW_ERRORS = 20
_DELIMITERS = ("\t", ",", ";", "|")
_EV_FIELDS = ("level", "time", "provider", "event_id", "task")
# Rows are read into cells named by role (see `_rows`).
CSV_COLUMNS = Columns(
    provider="provider",
    event_id="event_id",
    time="time",
    record_id="record_id",
    computer="computer",
    channel="channel",
    level="level",
    level_name="level_name",
    message="message",
)


@dataclass(frozen=True)
class Layout:
    """How a delimited export is laid out: ``columns`` maps a field to its column index."""

    dialect: str  # "event-viewer" | "winevent"
    delimiter: str
    header_line: int  # 0-based index of the header line
    columns: dict[str, int]

    @property
    def kind(self) -> str:
        return (
            "evtx-text" if self.dialect == "event-viewer" and self.delimiter == "\t" else "evtx-csv"
        )


def _cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []


def _fold(cell: str) -> str:
    return cell.strip().strip("\ufeff").casefold()


def _winevent_columns(header: list[str]) -> dict[str, int] | None:
    names = {cell.strip().strip("\ufeff"): i for i, cell in enumerate(header)}
    if "Id" not in names or len(WINEVENT_COLUMNS & names.keys()) < 3:
        return None
    wanted = asdict(GET_WINEVENT_COLUMNS)
    return {field: names[column] for field, column in wanted.items() if column in names}


def _ev_columns(header: list[str], first_row: list[str]) -> dict[str, int] | None:
    folded = tuple(_fold(cell) for cell in header[:5])
    known = any(folded == tuple(_fold(n) for n in names) for names in EV_COLUMNS.values())
    # An unknown UI language: five names, rows of six values with a numeric event id.
    shaped = (
        len(header) == 5
        and len(first_row) == 6
        and first_row[3].strip().isdigit()
        and any(ch.isdigit() for ch in first_row[1])
    )
    if not (known or shaped):
        return None
    columns = {name: i for i, name in enumerate(_EV_FIELDS)}
    columns["message"] = 5
    return columns


def classify(text: str) -> tuple[Layout, int] | None:
    """The layout of a delimited export and how sure we are (0-100), or None."""
    lines = text.splitlines()[:3]
    if not lines:
        return None
    header_line = 0
    typed = lines[0].lstrip("\ufeff").startswith("#TYPE ")
    if typed:
        header_line = 1
        if len(lines) < 2:
            return None
    header_text = lines[header_line]
    counts = {d: header_text.count(d) for d in _DELIMITERS}
    delimiter = max(_DELIMITERS, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        return None
    header = _cells(header_text, delimiter)
    winevent = _winevent_columns(header)
    if winevent is not None:
        sure = 95 if lines[0].strip().startswith(WINEVENT_TYPE_LINE) else 85
        return Layout("winevent", delimiter, header_line, winevent), sure
    first_row = _cells(lines[header_line + 1], delimiter) if len(lines) > header_line + 1 else []
    ev = _ev_columns(header, first_row)
    if ev is not None:
        folded = tuple(_fold(c) for c in header[:5])
        sure = 85 if any(folded == tuple(map(_fold, n)) for n in EV_COLUMNS.values()) else 50
        return Layout("event-viewer", delimiter, header_line, ev), sure
    return None


_KEPT_CELLS = (
    "event_id",
    "provider",
    "time",
    "record_id",
    "computer",
    "channel",
    "level",
    "level_name",
)


def _rows(text: str, layout: Layout, result: ReadResult) -> list[tuple[int, dict[str, str]]]:
    """The cells each row needs, by field, with the line the row starts on. The message is kept
    only for events a reader wants: a System log export is mostly other events."""
    body = io.StringIO(text)
    for _ in range(layout.header_line + 1):
        body.readline()
    reader = csv.reader(body, delimiter=layout.delimiter)
    columns = [(name, layout.columns[name]) for name in _KEPT_CELLS if name in layout.columns]
    message_at = layout.columns.get("message")
    rows: list[tuple[int, dict[str, str]]] = []
    errors = 0
    line = layout.header_line + 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.warn(f"row not readable: {exc}", line=line, code="export.row-unreadable")
            errors += 1
            if errors >= MAX_ROW_ERRORS:
                result.warn(
                    "too many unreadable rows; the rest of the file was not read",
                    code="export.too-many-bad-rows",
                )
                break
            line = layout.header_line + 2 + reader.line_num
            continue
        if any(cell.strip() for cell in row):
            cells = {name: row[i].strip() for name, i in columns if i < len(row)}
            event_id = cells.get("event_id", "")
            if (
                message_at is not None
                and message_at < len(row)
                and event_id.isdigit()
                and is_wanted(cells.get("provider", ""), int(event_id))
            ):
                cells["message"] = row[message_at].strip()
            rows.append((line, cells))
        line = layout.header_line + 2 + reader.line_num
    return rows


def records(text: str, layout: Layout, result: ReadResult) -> list[RawRecord]:
    if "provider" not in layout.columns:
        result.warn(
            "no ProviderName column: events cannot be told apart by provider, so none are kept",
            code="export.no-provider-column",
        )
        return []
    rows = _rows(text, layout, result)
    return local_time_records(
        rows, CSV_COLUMNS, result, "row without a source or a numeric event id; skipped"
    )
