"""Both engines give the same events from every real sample and fixture, and the chunk
pre-filter loses nothing against a full parse."""

from __future__ import annotations

import re
import struct
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from analyzer.inputs.files import InputFile
from analyzer.knowledge.eventfields import BOOT_EVENTS
from analyzer.model import Event, ReadResult
from analyzer.readers import ReadOptions
from analyzer.readers.evtx import pyevtx_engine, read_evtx, rust_engine
from analyzer.readers.evtx.layout import read_layout
from fixtures.writers.evtx_events import schannel_36870
from fixtures.writers.evtx_writer import build_evtx
from fixtures.writers.make_evtx_fixtures import FIXTURE_DIR
from tests.conftest import SHARED_SAMPLES

pytestmark = pytest.mark.skipif(not rust_engine.available(), reason="evtx not installed")

BOOT_MARKERS = {("EventLog", 6009), ("Microsoft-Windows-Kernel-General", 12)}
BIG = "schannel_win2012r2_dc_stolenszechuan_System.evtx"
REAL = sorted((SHARED_SAMPLES / "evtx").glob("*.evtx"))
FILES = [
    pytest.param(path, id=path.name, marks=[pytest.mark.slow] if path.name == BIG else [])
    for path in [*REAL, *sorted(FIXTURE_DIR.glob("*.evtx"))]
]
# The only allowed differences: records an engine cannot decode, each reported as a warning
# with its record number (full parses). python-evtx stops at the broken record chains of the
# bad-magic sample, where evtx stops silently; both reject the zero-size record.
CANNOT_DECODE: dict[str, dict[str, set[int]]] = {
    "rustevtx_sample_with_a_bad_chunk_magic.evtx": {"python-evtx": {46742, 47641, 45934}},
    "rustevtx_System_zero_data_size_event.evtx": {"evtx": {3}, "python-evtx": {3}},
    # The crate cannot read a time in the year 30828 (python-evtx reads the rest of the chunk);
    # neither engine reads a record whose size is 0 or past its chunk (both go on after it).
    "system_record_time_30828.evtx": {"evtx": {162, 325, 488}},
    "system_record_sizes_damaged.evtx": {"evtx": {162, 325, 488}, "python-evtx": {162, 325, 488}},
}
# Every record (not only wanted ones), where the engines differ beyond an undecodable record:
# a broken UTF-16 string (U+FFFF kept by python, dropped by evtx) and a garbage record.
ALL_RECORDS_DIFFER: dict[str, set[int]] = {
    "plaso_System2_truncated_200000B_actually_Security.evtx": {216},
    "rustevtx_sample_with_a_bad_chunk_magic.evtx": {46741},
}


def _read(path: Path, engine: str, prefilter: bool = True) -> ReadResult:
    return read_evtx(InputFile.from_path(path), ReadOptions(engine=engine), prefilter=prefilter)


def _failed_records(result: ReadResult) -> set[int]:
    return {
        int(m.group(1))
        for m in (re.match(r"record (\d+): .* could not read it", x.text) for x in result.messages)
        if m
    }


@pytest.mark.parametrize("path", FILES)
def test_engines_extract_the_same_events(path: Path) -> None:
    rust, python = _read(path, "evtx", False), _read(path, "python-evtx", False)
    assert python.events == rust.events
    assert python.coverage == rust.coverage
    expected = CANNOT_DECODE.get(path.name, {})
    assert _failed_records(rust) == expected.get("evtx", set())
    assert _failed_records(python) == expected.get("python-evtx", set())


@pytest.mark.parametrize("path", [p for p in FILES if p.values[0].name != BIG])
def test_engines_agree_on_every_record(path: Path) -> None:
    """Stronger than the wanted events: every record of the file, through both engines."""
    buf = path.read_bytes()
    chunks = read_layout(buf).chunks
    failed: dict[str, set[int]] = {"evtx": set(), "python-evtx": set()}

    def everything(provider: str, event_id: int) -> bool:
        return True

    rust, _, rust_meta = rust_engine.read_chunks(
        buf, chunks, everything, lambda r, _t: failed["evtx"].add(r or -1)
    )
    python, _, python_meta = pyevtx_engine.read_chunks(
        buf, chunks, everything, lambda r, _t: failed["python-evtx"].add(r or -1)
    )
    by_id = {e.record_id: e for e in python}
    cannot = CANNOT_DECODE.get(path.name, {}).get("python-evtx", set())
    assert failed["python-evtx"] - {-1} == cannot
    differ = {
        e.record_id for e in rust if by_id.get(e.record_id) != e and e.record_id not in cannot
    }
    assert differ == ALL_RECORDS_DIFFER.get(path.name, set())
    assert len(rust) > 0
    assert rust_meta == python_meta or cannot


def _last_boot(events: list[Event]) -> list[Event]:
    """The boot events of the last boot: from its Kernel-General 12 / EventLog 6009 (whichever
    comes first) on, up to ten minutes after the newest of them (6005, 6008 follow in seconds).
    Record ids, not times, say what is "after": clocks jump at boot."""
    markers = sorted(
        (e for e in events if (e.provider, e.event_id) in BOOT_MARKERS and e.time),
        key=lambda e: e.record_id or 0,
    )
    if not markers:
        return []
    newest = markers[-1]
    same_boot = [m for m in markers if (newest.record_id or 0) - (m.record_id or 0) <= 50]
    start = min(m.record_id or 0 for m in same_boot)
    until = _moment(newest.time) + timedelta(minutes=10)
    return [
        e
        for e in events
        if (e.provider, e.event_id) in BOOT_EVENTS
        and (e.record_id or 0) >= start
        and _moment(e.time) <= until
    ]


def _moment(text: str | None) -> datetime:
    return datetime.fromisoformat((text or "1601-01-01T00:00:00Z").replace("Z", "+00:00"))


@pytest.mark.parametrize("engine", ["evtx", pytest.param("python-evtx", marks=pytest.mark.slow)])
@pytest.mark.parametrize("path", FILES)
def test_prefilter_loses_nothing(path: Path, engine: str) -> None:
    fast, full = _read(path, engine), _read(path, engine, prefilter=False)

    def findings(result: ReadResult) -> list[Event]:
        return [e for e in result.events if (e.provider, e.event_id) not in BOOT_EVENTS]

    assert findings(fast) == findings(full)
    boot = _last_boot(full.events)
    assert [e for e in fast.events if e in boot] == boot
    assert fast.coverage is not None and full.coverage is not None
    assert fast.coverage.os == full.coverage.os
    assert (fast.coverage.records, fast.coverage.first, fast.coverage.last) == (
        full.coverage.records,
        full.coverage.first,
        full.coverage.last,
    )
    assert (fast.coverage.channel, fast.coverage.computer) == (
        full.coverage.channel,
        full.coverage.computer,
    )
    assert fast.coverage.chunks_read + fast.coverage.chunks_prefiltered == full.coverage.chunks_read


def test_prefilter_skips_noise_chunks_and_slack_hits(tmp_path: Path) -> None:
    """A provider name in a chunk's slack (stale bytes past its free-space offset) is no reason
    to parse the chunk; a chunk of noise is skipped; the finding's chunk is read."""
    from fixtures.writers.evtx_events import iis_system_events

    noise = iis_system_events(400, 0, boots=1)
    events = [*noise[:200], schannel_36870("2024-03-01T10:00:00Z"), *noise[200:]]
    clean = build_evtx(events, records_per_chunk=40)
    data = bytearray(clean)
    layout = read_layout(clean)
    for chunk in layout.chunks[1:-1]:
        if (
            b"S\x00c\x00h\x00a\x00n\x00n\x00e\x00l"
            not in clean[chunk.offset : chunk.offset + 65536]
        ):
            stale = "Schannel".encode("utf-16-le")
            struct.pack_into(f"<{len(stale)}s", data, chunk.offset + chunk.end + 64, stale)
    for name, content in (("clean.evtx", clean), ("slack.evtx", bytes(data))):
        (tmp_path / name).write_bytes(content)
    with_slack, without = (
        _read(tmp_path / "slack.evtx", "evtx"),
        _read(tmp_path / "clean.evtx", "evtx"),
    )
    for result in (with_slack, without):
        assert [e.event_id for e in result.events if e.provider == "Schannel"] == [36870]
    assert with_slack.coverage == without.coverage
    cov = without.coverage
    assert cov is not None and cov.chunks_read + cov.chunks_prefiltered == len(layout.chunks)
    assert cov.chunks_read <= 4 < len(layout.chunks)  # the finding, the boots, the newest chunk
