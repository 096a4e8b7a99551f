"""The pre-filter's plan: a chunk with few finding names is read only up to the record holding
the last of them, and only the records that can hold a finding (those holding a name, and those
using a template whose text holds one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.inputs.files import InputFile
from analyzer.knowledge.eventfields import KERNEL_GENERAL
from analyzer.model import ReadResult
from analyzer.readers import ReadOptions
from analyzer.readers.evtx import read_evtx, rust_engine
from analyzer.readers.evtx.layout import read_layout
from analyzer.readers.evtx.prefilter import chunks_with, finding_search, planned
from analyzer.readers.evtx.reader import read_evtx_bytes
from fixtures.writers.evtx_events import iis_system_events, schannel_36870
from fixtures.writers.evtx_writer import build_evtx
from tests.conftest import shared_samples

ENGINES = [
    pytest.param(
        "evtx",
        marks=pytest.mark.skipif(not rust_engine.available(), reason="evtx not installed"),
    ),
    "python-evtx",
]


def _log_with_one_36870() -> bytes:
    noise = iis_system_events(120, 0, boots=0)
    events = [*noise[:50], schannel_36870("2024-03-01T10:00:00Z"), *noise[50:]]
    return build_evtx(events, records_per_chunk=60)


def test_trim_ends_the_chunk_after_the_finding_record() -> None:
    data = _log_with_one_36870()
    layout = read_layout(data)
    search = finding_search(capi2_log=False)
    [index] = chunks_with(data, layout, search).findings
    chunk = next(chunk for chunk in layout.chunks if chunk.index == index)
    short = planned(data, chunk, search)
    assert short.trimmed
    # The 36870 is the 51st record of the log: the first chunk's records 1-60 are cut after it.
    assert (chunk.first_id, chunk.last_id) == (1, 60)
    assert (short.first_id, short.last_id) == (1, 51)
    assert short.end < chunk.end and short.last_record < short.end
    record = data[short.offset + short.last_record : short.offset + short.end]
    assert record[:4] == b"**\x00\x00" and "Schannel".encode("utf-16-le") in record


@pytest.mark.parametrize("engine", ENGINES)
def test_trimmed_chunk_reads_cleanly(tmp_path: Path, engine: str) -> None:
    """The finding is read; no checksum or record-count warning for the trimmed chunk (checksums
    are of the chunk as written; the records after the trim are left out on purpose)."""
    path = tmp_path / "one_36870.evtx"
    path.write_bytes(_log_with_one_36870())
    result = read_evtx(InputFile.from_path(path), ReadOptions(engine=engine))
    findings = [(e.event_id, e.record_id) for e in result.events if e.provider == "Schannel"]
    assert findings == [(36870, 51)]
    assert result.messages == []
    assert result.status == "ok"
    full = read_evtx(InputFile.from_path(path), ReadOptions(engine=engine), prefilter=False)
    assert result.coverage is not None and full.coverage is not None
    assert result.coverage.records == full.coverage.records == 244


@pytest.mark.parametrize("engine", ENGINES)
def test_names_in_template_text_pick_every_record_of_that_template(engine: str) -> None:
    """Real logs hold manifest provider names as template text, which serves the later records
    using that template: those records are picked too, so the plan loses no finding."""
    path = shared_samples("evtx") / "rustevtx_System_zero_data_size_event.evtx"
    data = path.read_bytes()
    layout = read_layout(data)
    search = finding_search(capi2_log=False)
    wanted = chunks_with(data, layout, search).findings
    assert wanted
    for chunk in layout.chunks:
        if chunk.index in wanted:
            plan = planned(data, chunk, search)
            assert plan.picks is None or len(plan.picks) < chunk.records
    planned_read = ReadResult(path.name, "evtx")
    read_evtx_bytes(data, planned_read, engine)
    whole = ReadResult(path.name, "evtx")
    read_evtx_bytes(data, whole, engine, prefilter=False)
    # This log's HttpEvent records (template text) are not wanted ids: none either way.
    findings = [e for e in whole.events if e.provider not in ("EventLog", KERNEL_GENERAL)]
    assert [e for e in planned_read.events if e.provider not in ("EventLog", KERNEL_GENERAL)] == (
        findings
    )
    assert planned_read.coverage is not None and whole.coverage is not None
    assert planned_read.coverage.computer == whole.coverage.computer


def test_every_chunk_with_a_boot_marker_may_hold_the_last_boot() -> None:
    """The chunks where Kernel-General 12 / EventLog 6009 sit are known from the regex pass that
    finds the findings, or asked chunk by chunk (the native scan): few chunks either way."""
    data = build_evtx(iis_system_events(3000, 2, boots=3), records_per_chunk=80)
    layout = read_layout(data)
    hits = chunks_with(data, layout, finding_search(capi2_log=False))
    full = ReadResult("boots.evtx", "evtx")
    read_evtx_bytes(data, full, "python-evtx", prefilter=False)
    markers = {
        e.record_id
        for e in full.events
        if (e.provider, e.event_id)
        in {("EventLog", 6009), ("Microsoft-Windows-Kernel-General", 12)}
    }
    assert len(markers) == 2 * 4  # the first boot and three more, each 12 + 6009
    for record_id in markers:
        chunk = next(c for c in layout.chunks if c.first_id <= record_id <= c.last_id)
        assert hits.may_hold_boot(data, chunk), record_id
    boots = {chunk.index for chunk in layout.chunks if hits.may_hold_boot(data, chunk)}
    assert len(boots | hits.findings) < len(layout.chunks) / 2
