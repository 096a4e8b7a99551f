"""Read one binary `.evtx`: lay out its chunks, plan which to parse, run an engine, tell coverage.

The plan: chunks that can hold a finding (the pre-filter's provider-name search), and the last
boot found from the newest chunk backwards (its Kernel-General 12 / EventLog 6009 and the
EventLog events of the next minutes). Every other chunk is only counted (ids, times) from its
header. ``prefilter=False`` parses every chunk (tests compare the two).
"""

from __future__ import annotations

import mmap
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from analyzer.errors import UsageError
from analyzer.gcpause import gc_paused
from analyzer.inputs.files import MAX_INPUT_BYTES, InputFile
from analyzer.knowledge.eventfields import (
    EVENTLOG,
    KERNEL_GENERAL,
    build_event,
    canonical_provider,
    is_wanted,
    utc_iso,
)
from analyzer.model import Coverage, Event, OsInfo, ReadResult, Source
from analyzer.readers import ReadOptions
from analyzer.readers.bootinfo import os_info_of
from analyzer.readers.evtx import rust_engine
from analyzer.readers.evtx.layout import (
    FLAG_NO_CRC,
    Chunk,
    Layout,
    data_crc_ok,
    header_crc_ok,
    read_layout,
    record_time,
)
from analyzer.readers.evtx.prefilter import (
    APPLICATION_CHANNEL,
    BOOT_COMPANION,
    CAPI2_CHANNEL,
    WHOLE_LOG_CHANNELS,
    ChunkHits,
    chunks_with,
    finding_search,
    holds,
    planned,
    sql_server_chunks,
)
from analyzer.readers.evtx.values import RawEvent

# pyevtx_engine.ENGINE: that module loads python-evtx (and through it xml.sax, urllib, email)
# and is imported only when it reads, not for every run that merely looks for .evtx files.
PYTHON_ENGINE = "python-evtx"
ENGINES = (rust_engine.ENGINE, PYTHON_ENGINE)
BOOT_MARKER_EVENTS = frozenset({(EVENTLOG, 6009), (KERNEL_GENERAL, 12)})
BOOT_WINDOW = timedelta(minutes=10)  # 6005 / 6008 follow the boot marker within seconds
MAX_RECORD_WARNINGS = 500

EngineRead = Callable[..., tuple[list[RawEvent], dict[int, int], tuple[str | None, str | None]]]


# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "evtx.record-unreadable": "one record could not be read by the engine: the others are",
    "evtx.engine-failed": "the engine failed on some chunks: their records are not read",
    "evtx.chunk-header-bad-crc": "a chunk header's checksum differs: read anyway",
    "evtx.chunk-bad-crc": "a chunk's records checksum differs: read anyway",
    "evtx.chunk-records-missing": "a chunk holds fewer readable records than its header lists",
    "evtx.no-file-header": "no file header: read as chunks carved out of a log",
    "evtx.file-header-bad-crc": "the file header's checksum differs: chunks read anyway",
    "evtx.dirty": (
        "the log was not closed cleanly (dirty flag): every chunk holding records is read"
    ),
    "evtx.no-crc-flag": "the no-CRC flag is set: checksums are not checked",
    "evtx.chunk-bad-signature": "a chunk without its signature: skipped",
    "evtx.truncated": "the file ends inside a chunk: the whole records before the cut are read",
    "evtx.empty-log": "the log holds no records",
    "evtx.no-chunk": "no chunk with records found: not a readable .evtx file",
    "evtx.more-records-unreadable": "how many more records could not be read (beyond those listed)",
}


def default_engine() -> str:
    return rust_engine.ENGINE if rust_engine.available() else PYTHON_ENGINE


def _engine(name: str | None) -> str:
    if name is None:
        return default_engine()
    if name not in ENGINES:
        raise UsageError(f"unknown evtx engine {name!r}: use one of {', '.join(ENGINES)}")
    if name == rust_engine.ENGINE and not rust_engine.available():
        raise UsageError(
            "the evtx engine (Rust `evtx` package) is not installed here; use python-evtx"
        )
    return name


def read_evtx(file: InputFile, options: ReadOptions, *, prefilter: bool = True) -> ReadResult:
    """Read ``file`` with ``options.engine`` (default: `evtx` where installed)."""
    engine = _engine(options.engine)
    result = ReadResult(file.display, "evtx", engine=engine)
    if file.size > MAX_INPUT_BYTES:
        result.fail(
            f"{file.size} bytes is more than the {MAX_INPUT_BYTES} bytes an input may have",
            code="input.too-large",
        )
        return result
    try:
        with file.local.open("rb") as handle:
            try:
                buf: bytes | mmap.mmap = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):  # empty file, or a file system without mmap
                buf = handle.read(MAX_INPUT_BYTES)
            try:
                read_evtx_bytes(buf, result, engine, prefilter=prefilter)  # type: ignore[arg-type]
            finally:
                if isinstance(buf, mmap.mmap):
                    buf.close()
    except OSError as exc:
        result.fail(f"cannot read: {exc.strerror or exc}", code="input.unreadable")
    return result


class _Run:
    """The chunks parsed so far and what the engine found in them."""

    def __init__(self, buf: bytes, layout: Layout, engine: str, result: ReadResult) -> None:
        self.buf, self.layout, self.engine, self.result = buf, layout, engine, result
        self.read: EngineRead = rust_engine.read_chunks
        if engine != rust_engine.ENGINE:
            from analyzer.readers.evtx import pyevtx_engine

            self.read = pyevtx_engine.read_chunks
        self.parsed: set[int] = set()
        self.events: list[RawEvent] = []
        self.meta: tuple[str | None, str | None] = (None, None)
        self.newest = layout.newest_first()[0]
        self.written = {chunk.index: chunk for chunk in layout.chunks}  # untrimmed
        self.record_warnings = 0

    def failure(self, record_id: int | None, text: str) -> None:
        self.record_warnings += 1
        if self.record_warnings > MAX_RECORD_WARNINGS:
            return
        if record_id is None:
            self.result.warn(
                f"a record could not be read by {self.engine}: {text}",
                code="evtx.record-unreadable",
            )
        else:
            self.result.warn(
                f"record {record_id}: {self.engine} could not read it: {text}",
                record=record_id,
                code="evtx.record-unreadable",
            )

    def parse(self, chunks: Sequence[Chunk], want: Callable[[str, int], bool] = is_wanted) -> None:
        batch = [chunk for chunk in chunks if chunk.index not in self.parsed]
        if not batch:
            return
        self.parsed.update(chunk.index for chunk in batch)
        try:
            events, counts, meta = self.read(
                self.buf, batch, want, self.failure, self.newest.last_id
            )
        except Exception as exc:  # an engine failing on a whole batch must not end the input
            names = ", ".join(str(chunk.index) for chunk in batch)
            self.result.warn(
                f"chunks {names}: {self.engine} failed: {type(exc).__name__}: {exc}",
                code="evtx.engine-failed",
            )
            return
        self.events.extend(events)
        # Channel and computer as the newest record has them (a host may have been renamed).
        if self.meta == (None, None) or any(chunk.index == self.newest.index for chunk in batch):
            self.meta = meta
        for chunk in batch:
            self._check(chunk, counts.get(chunk.index, 0))

    def _check(self, chunk: Chunk, read: int) -> None:
        """Checksums (of the chunk as written, even when trimmed) and the records read."""
        no_crc = bool(self.layout.header.no_crc or chunk.flags & FLAG_NO_CRC)
        where = f"chunk {chunk.index} (offset {chunk.offset})"
        if not no_crc and not header_crc_ok(self.buf, chunk):
            self.result.warn(
                f"{where}: header checksum mismatch; read anyway", code="evtx.chunk-header-bad-crc"
            )
        written = self.written[chunk.index]
        if not no_crc and not chunk.truncated and not data_crc_ok(self.buf, written):
            self.result.warn(
                f"{where}: records checksum mismatch; read anyway", code="evtx.chunk-bad-crc"
            )
        if read < chunk.records:
            self.result.warn(
                f"{where}: the header lists {chunk.records} records, {read} were read",
                code="evtx.chunk-records-missing",
            )

    def boot_markers(self, chunk: Chunk) -> list[RawEvent]:
        return [
            event
            for event in self.events
            if chunk.first_id <= event.record_id <= chunk.last_id
            and (canonical_provider(event.provider), event.event_id) in BOOT_MARKER_EVENTS
        ]

    def last_boot(self, hits: ChunkHits) -> None:
        """Parse the newest chunk with a boot marker (and the EventLog chunks right after it),
        among the chunks the pre-filter's pass says may hold one."""
        newest_first = self.layout.newest_first()
        for position, chunk in enumerate(newest_first):
            if not hits.may_hold_boot(self.buf, chunk):
                continue
            self.parse([chunk])
            markers = self.boot_markers(chunk)
            if not markers:
                continue
            boot = _moment(max(markers, key=lambda e: e.record_id).time)
            for later in reversed(newest_first[:position]):
                start = _moment(record_time(self.buf, later, 512))
                if boot is None or start is None or start > boot + BOOT_WINDOW:
                    break
                if holds(self.buf, later, (BOOT_COMPANION,)):
                    self.parse([later])
            return


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None


def _note_layout(result: ReadResult, layout: Layout) -> None:
    header = layout.header
    if not header.present:
        result.note(
            "no file header: read as chunks carved out of a log", code="evtx.no-file-header"
        )
    elif not header.crc_ok and not header.no_crc:
        result.warn(
            "file header checksum mismatch; chunks read anyway", code="evtx.file-header-bad-crc"
        )
    if header.present and header.dirty:
        result.note(
            f"the log was not closed cleanly (dirty flag): the header lists {header.chunk_count} "
            f"chunks, {len(layout.chunks)} hold records; all were considered",
            code="evtx.dirty",
        )
    if header.no_crc:
        result.note(
            "the no-CRC flag is set: checksums are not kept, so they were not checked",
            code="evtx.no-crc-flag",
        )
    for index in layout.bad:
        result.warn(
            f"chunk {index} (offset {layout.base + index * 0x10000}): no chunk signature; skipped",
            code="evtx.chunk-bad-signature",
        )
    if layout.trailing and any(chunk.truncated for chunk in layout.chunks):
        result.warn(
            f"the file ends {layout.trailing} bytes into a chunk (truncated): "
            "the whole records there were read",
            code="evtx.truncated",
        )
    elif layout.trailing:
        result.warn(
            f"the last {layout.trailing} bytes are not a whole chunk (truncated); ignored",
            code="evtx.truncated",
        )


def read_evtx_bytes(buf: bytes, result: ReadResult, engine: str, *, prefilter: bool = True) -> None:
    """Fill ``result`` (events, coverage, messages) from the bytes of one `.evtx` file."""
    with gc_paused():
        _read_evtx_bytes(buf, result, engine, prefilter=prefilter)


def _read_evtx_bytes(buf: bytes, result: ReadResult, engine: str, *, prefilter: bool) -> None:
    layout = read_layout(buf)
    if not layout.chunks:
        tail = buf[len(buf) - layout.trailing :] if layout.trailing else b""
        intact = layout.header.crc_ok or layout.header.no_crc
        if layout.header.present and intact and not layout.bad and not tail.strip(b"\0"):
            _note_layout(result, layout)
            result.note("the log holds no records", code="evtx.empty-log")
            result.coverage = Coverage(chunks_bad=0)
        else:
            result.fail(
                "not a readable .evtx file: no chunk with records was found", code="evtx.no-chunk"
            )
        return
    _note_layout(result, layout)
    run = _Run(buf, layout, engine, result)
    if prefilter and not holds(buf, run.newest, WHOLE_LOG_CHANNELS):
        capi2_log = holds(buf, run.newest, (CAPI2_CHANNEL,))
        search = finding_search(capi2_log)
        hits = chunks_with(buf, layout, search)
        application_log = holds(buf, run.newest, (APPLICATION_CHANNEL,))
        sql = sql_server_chunks(buf, layout) if application_log else set()
        wanted = hits.findings | sql
        # The last boot first: its chunks are read whole, so trimming the finding chunks (not
        # the newest: it gives channel and computer) loses none of its events.
        run.last_boot(hits)
        run.parse(
            [
                chunk
                if chunk.index in sql  # read whole
                else planned(buf, chunk, search, keep_last=chunk is run.newest)
                for chunk in layout.chunks
                if chunk.index in wanted or chunk is run.newest  # its channel and computer
            ]
        )
    else:
        run.parse(layout.chunks)
    events = sorted(_events(result.path, run.events), key=lambda event: event.record_id or 0)
    result.events.extend(events)
    if run.record_warnings > MAX_RECORD_WARNINGS:
        result.warn(
            f"{run.record_warnings - MAX_RECORD_WARNINGS} more records could not be read",
            code="evtx.more-records-unreadable",
        )
    result.coverage = _coverage(buf, layout, run, events)


def _events(path: str, raws: list[RawEvent]) -> list[Event]:
    """`build_event` of each raw event. Raw events that share their data object (the `evtx`
    engine gives records of one kind the same one) and their other values but the time and the
    record are built once; the others are what `build_event` gives for them (``same_kind``)."""
    built: dict[tuple[Any, ...], Event] = {}
    events = []
    for raw in raws:
        kind = (id(raw.data), raw.provider, raw.event_id, raw.level, raw.channel, raw.computer)
        first = built.get(kind)
        if first is None:
            event = build_event(
                provider=raw.provider,
                event_id=raw.event_id,
                time=raw.time,
                record_id=raw.record_id,
                source=Source(path, record=raw.record_id),
                data=raw.data,
                computer=raw.computer,
                level=raw.level,
                channel=raw.channel,
            )
            built[kind] = event
        else:
            event = same_kind(first, raw.time, raw.record_id, Source(path, record=raw.record_id))
        events.append(event)
    return events


def same_kind(first: Event, time: str | None, record_id: int | None, source: Source) -> Event:
    """What `build_event` gives for ``first``'s provider, id, data, computer, level and channel
    at another ``time`` and record (``first`` built by it from a binary log: a UTC time, no
    message; tests/readers/test_evtx_reader.py compares the two)."""
    return Event(
        provider=first.provider,
        event_id=first.event_id,
        time=None if time is None else utc_iso(time) or time,
        record_id=record_id,
        computer=first.computer,
        level=first.level,
        role=first.role,
        data=dict(first.data),
        channel=first.channel,
        source=source,
    )


def _coverage(buf: bytes, layout: Layout, run: _Run, events: list[Event]) -> Coverage:
    by_id = sorted(layout.chunks, key=lambda chunk: (chunk.first_id, chunk.index))
    gaps = []
    for before, after in pairwise(by_id):
        if after.first_id > before.last_id + 1:
            gaps.append((before.last_id + 1, after.first_id - 1))
    oldest, newest = by_id[0], max(layout.chunks, key=lambda chunk: (chunk.last_id, chunk.index))
    channel, computer = run.meta
    return Coverage(
        channel=channel,
        computer=computer,
        first=record_time(buf, oldest, 512),
        last=record_time(buf, newest, newest.last_record),
        records=sum(chunk.records for chunk in layout.chunks),
        chunks_read=len(run.parsed),
        chunks_prefiltered=len(layout.chunks) - len(run.parsed),
        chunks_bad=len(layout.bad),
        record_gaps=tuple(gaps),
        os=_last_boot_os(events),
    )


def _last_boot_os(events: list[Event]) -> OsInfo | None:
    """The OS of the newest boot event by record id: in one log, record order is the truth,
    while clocks may jump at boot (a time zone set, a clock synchronised)."""
    for event in reversed(events):
        info = os_info_of(event)
        if info is not None:
            return info
    return None
