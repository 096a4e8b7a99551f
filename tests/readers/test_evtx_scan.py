"""The pre-filter's two scanners (StringZilla where installed, the regex pass everywhere) say
the same about every log: which chunks can hold a finding, and which may hold the last boot."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.readers.evtx.layout import Layout, read_layout
from analyzer.readers.evtx.prefilter import (
    ChunkHits,
    finding_search,
    holds,
    native_chunks_with,
    native_find,
    regex_chunks_with,
)
from fixtures.writers.evtx_events import http_event, iis_system_events, schannel_36870
from fixtures.writers.evtx_writer import build_evtx

ROOT = Path(__file__).resolve().parents[2]
LOGS = sorted(
    # The real samples beside the clone, when they are there (tests/conftest.py).
    [*ROOT.glob("fixtures/**/*.evtx"), *(ROOT.parent / "shared/real-samples/evtx").glob("*.evtx")],
    key=lambda path: path.name,
)
needs_native = pytest.mark.skipif(native_find() is None, reason="stringzilla not installed")


def _boot_view(buf: bytes, layout: Layout, hits: ChunkHits) -> set[int]:
    return {chunk.index for chunk in layout.chunks if hits.may_hold_boot(buf, chunk)}


def _same(buf: bytes) -> None:
    layout = read_layout(buf)
    capi2 = bool(layout.chunks) and holds(buf, layout.newest_first()[0], (b"C\0A\0P\0I\0",))
    search = finding_search(capi2)
    regex = regex_chunks_with(buf, layout, search)
    native = native_chunks_with(buf, layout, search)
    assert native is not None
    assert native.findings == regex.findings
    assert _boot_view(buf, layout, native) == _boot_view(buf, layout, regex)


@needs_native
@pytest.mark.parametrize("path", LOGS, ids=lambda path: path.name)
def test_both_scanners_agree_on_every_log(path: Path) -> None:
    _same(path.read_bytes())


@needs_native
def test_both_scanners_agree_on_names_at_chunk_edges_and_in_slack() -> None:
    noise = iis_system_events(900, 0, boots=3)
    events = list(noise)
    for at in range(5, len(events), 97):
        events[at] = schannel_36870(events[at].time)
    for at in range(40, len(events), 211):
        events[at] = http_event(15021, events[at].time, "0.0.0.0:443")
    data = bytearray(build_evtx(events, records_per_chunk=70))
    _same(bytes(data))
    # A name written into the slack after the records of each chunk counts for neither.
    layout = read_layout(bytes(data))
    for chunk in layout.chunks:
        name = "Schannel".encode("utf-16-le")
        at = chunk.offset + chunk.end + 8
        if at + len(name) < chunk.offset + 0x10000:
            data[at : at + len(name)] = name
    _same(bytes(data))


@needs_native
def test_a_log_dense_with_findings_agrees_too() -> None:
    events = [schannel_36870(f"2024-03-01T10:{i // 60:02d}:{i % 60:02d}Z") for i in range(3000)]
    _same(build_evtx(events))


@needs_native
@pytest.mark.parametrize("path", LOGS, ids=lambda path: path.name)
def test_the_reader_gives_the_same_result_without_the_native_scan(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunk plans (which chunks, which records) from StringZilla and from the regex pass and
    ``bytes.find`` give the same events, coverage and messages."""
    from analyzer.model import ReadResult
    from analyzer.readers.evtx import prefilter
    from analyzer.readers.evtx.reader import default_engine, read_evtx_bytes
    from analyzer.render.json import plain

    buf = path.read_bytes()
    native = ReadResult(path.name, "evtx")
    read_evtx_bytes(buf, native, default_engine())
    monkeypatch.setattr(prefilter, "native_find", lambda: None)
    fallback = ReadResult(path.name, "evtx")
    read_evtx_bytes(buf, fallback, default_engine())
    assert [plain(e) for e in native.events] == [plain(e) for e in fallback.events]
    assert native.coverage == fallback.coverage
    assert [str(m) for m in native.messages] == [str(m) for m in fallback.messages]
