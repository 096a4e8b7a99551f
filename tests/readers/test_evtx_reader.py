"""The binary `.evtx` reader on the real samples (the judge: ../shared/real-samples/evtx and its
SOURCES.md) and on the generated fixtures, with either engine."""

from __future__ import annotations

import re
import struct
import zlib
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from analyzer.errors import UsageError
from analyzer.inputs.files import InputFile
from analyzer.model import Event, Level, OsInfo, Status
from analyzer.readers import ReadOptions, detect
from analyzer.readers.evtx import pyevtx_engine, read_evtx
from analyzer.readers.evtx.layout import read_layout
from analyzer.readers.evtx.rust_engine import available as rust_available
from fixtures.writers.evtx_events import schannel_36870
from fixtures.writers.evtx_writer import write_evtx
from fixtures.writers.make_evtx_fixtures import FIXTURE_DIR, FIXTURES
from tests.conftest import FIXTURES as FIXTURE_ROOT
from tests.conftest import SHARED_SAMPLES, shared_samples

ENGINES = [
    pytest.param(
        "evtx", marks=pytest.mark.skipif(not rust_available(), reason="evtx not installed")
    ),
    "python-evtx",
]
BIG = "schannel_win2012r2_dc_stolenszechuan_System.evtx"
# Files whose chunk headers claim other record counts than the evtx package reads (SOURCES.md
# "records rust"): the truncated tail's whole records are read (evtx drops the cut chunk), and
# coverage counts what damaged chunks' headers list (a warning says how many were read).
RECORDS_NOT_AS_SOURCES = {
    "plaso_System2_truncated_200000B_actually_Security.evtx": 283,
    "rustevtx_System_zero_data_size_event.evtx": 450,
    "rustevtx_sample_with_a_bad_chunk_magic.evtx": 467,
}


def _sources_rows() -> dict[str, tuple[int, Counter[int]]]:
    """file -> (records read by evtx, Schannel events by id), from the judge's SOURCES.md."""
    text = (SHARED_SAMPLES / "evtx" / "SOURCES.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 10 and cells[1].startswith("`") and cells[1].endswith(".evtx`"):
            records = int(cells[6].split("/")[0])
            schannel = Counter({int(i): int(n) for i, n in re.findall(r"(\d{5})×(\d+)", cells[8])})
            rows[cells[1].strip("`")] = (records, schannel)
    return rows


def _read(path: Path, engine: str | None = None, **kw: bool):
    return read_evtx(InputFile.from_path(path), ReadOptions(engine=engine), **kw)


def _real_files() -> list:
    if not (SHARED_SAMPLES / "evtx" / "SOURCES.md").is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason="no ../shared samples"))]
    return [
        pytest.param(name, marks=[pytest.mark.slow] if name == BIG else [])
        for name in sorted(_sources_rows())
    ]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", _real_files())
def test_real_sample_schannel_counts_and_records_match_sources(name: str, engine: str) -> None:
    records, schannel = _sources_rows()[name]
    result = _read(shared_samples("evtx") / name, engine)
    found = Counter(e.event_id for e in result.events if e.provider == "Schannel")
    assert found == schannel
    assert result.coverage is not None
    assert result.coverage.records == RECORDS_NOT_AS_SOURCES.get(name, records)
    assert result.status in (Status.OK, Status.PARTIAL)
    assert result.engine == engine


def test_big_2012r2_log_coverage_with_the_default_engine() -> None:
    result = _read(shared_samples("evtx") / BIG)
    cov = result.coverage
    assert cov is not None
    assert (cov.channel, cov.computer) == ("System", "CITADEL-DC01.C137.local")
    assert (cov.records, cov.chunks_bad, cov.record_gaps) == (60189, 0, ())
    assert cov.chunks_read + cov.chunks_prefiltered == 247
    assert cov.first is not None and cov.first.startswith("2014-03-21")
    assert cov.last is not None and cov.last.startswith("2020-09-19")
    assert cov.os == OsInfo("6.3", 9600, cov.os.record if cov.os else None)
    assert [m.text for m in result.messages] == [
        "the log was not closed cleanly (dirty flag): the header lists 10 chunks, "
        "247 hold records; all were considered"
    ]
    first = next(e for e in result.events if e.provider == "Schannel")
    assert first.event_id == 36874 and first.data == {"Protocol": "TLS 1.2"}
    assert first.time is not None and first.time.startswith("2020-09-19T03:19:2")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_generated_fixture(fixture, engine: str) -> None:
    path = FIXTURE_DIR / fixture.name
    assert path.read_bytes() == fixture.build(), "run fixtures/writers/make_evtx_fixtures.py"
    result = _read(path, engine)
    findings = Counter(
        (e.provider, e.event_id) for e in result.events if e.provider not in BOOT_PROVIDERS
    )
    assert findings == Counter(fixture.findings)
    assert result.coverage is not None and result.coverage.os is not None
    assert (result.coverage.os.version, result.coverage.os.build) == fixture.os
    warnings = [m.text for m in result.messages if m.level is Level.WARNING]
    if fixture.name not in RECORD_DAMAGE:  # (their messages: test_evtx_damaged_records.py)
        assert warnings == EXPECTED_WARNINGS.get(fixture.name, [])
    assert result.status is (Status.PARTIAL if warnings else Status.OK)


BOOT_PROVIDERS = {"EventLog", "Microsoft-Windows-Kernel-General"}
RECORD_DAMAGE = {"system_record_time_30828.evtx", "system_record_sizes_damaged.evtx"}
EXPECTED_WARNINGS = {
    "system_truncated.evtx": [
        "the file ends 35536 bytes into a chunk (truncated): the whole records there were read"
    ],
    "system_bad_chunk_magic.evtx": ["chunk 1 (offset 69632): no chunk signature; skipped"],
}


@pytest.mark.parametrize("engine", ENGINES)
def test_one_36870_spelled_out(engine: str) -> None:
    result = _read(FIXTURE_DIR / "system_2016_schannel_dirty.evtx", engine)
    event = next(e for e in result.events if e.event_id == 36870)
    assert event == Event(
        provider="Schannel",
        event_id=36870,
        time=event.time,
        record_id=273,
        computer="WEB01.contoso.local",
        level=2,
        role="server",
        data={"Type": "server", "ErrorCode": "0x8009030d", "ErrorStatus": 10001},
        channel="System",
    )
    assert re.fullmatch(r"2024-02-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", event.time or "")
    assert (
        str(event.source) == f"{FIXTURE_DIR.as_posix()}/system_2016_schannel_dirty.evtx#record 273"
    )
    assert [m.level for m in result.messages] == [Level.INFO]  # the dirty-header note


@pytest.mark.parametrize("engine", ENGINES)
def test_binary_36870_equals_the_real_exported_event(tmp_path: Path, engine: str) -> None:
    """The same event read from a binary log and from Event Viewer's text copy is one Event."""
    export = shared_samples("evtx") / "exports/36870_servicefabric_tsg_eventviewer_copy.txt"
    file = InputFile.from_path(export)
    exported = detect(file).read(file, ReadOptions()).events[0]  # type: ignore[union-attr]
    written = write_evtx(
        tmp_path / "one.evtx",
        [schannel_36870("2022-10-16T20:27:36.2228549Z")],
        computer="nt0000000",
        first_record_id=2213,
    )
    binary = _read(written, engine).events[0]
    assert binary == replace(exported, message=None, sspi_process=None, local_time=None)


def test_detect_picks_evtx_for_log_and_carved_chunk() -> None:
    for name in ("system_no_crc.evtx", "carved_chunk.evtx"):
        spec = detect(InputFile.from_path(FIXTURE_DIR / name))
        assert spec is not None and spec.kind == "evtx"


def _empty_log() -> bytes:
    """A new log as Windows creates it: a valid header and one zeroed chunk slot."""
    header = bytearray(4096)
    header[:8] = b"ElfFile\0"
    struct.pack_into("<QQQIHHHH", header, 8, 0, 0, 1, 128, 1, 3, 4096, 1)
    struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120])))
    return bytes(header) + bytes(65536)


@pytest.mark.parametrize(
    ("content", "status", "text"),
    [
        (b"ElfFile\0" + b"\x07" * 5000, Status.ERROR, "no chunk with records"),
        (_empty_log(), Status.OK, "the log holds no records"),
        (b"ElfChnk\0garbage", Status.ERROR, "no chunk with records"),
        (b"", Status.ERROR, "no chunk with records"),
    ],
    ids=["header-garbage", "empty-log", "cut-chunk-header", "empty-file"],
)
def test_unreadable_or_empty_inputs(tmp_path: Path, content: bytes, status, text: str) -> None:
    path = tmp_path / "x.evtx"
    path.write_bytes(content)
    for engine in ("python-evtx", None):
        result = _read(path, engine)
        assert result.status is status
        assert any(text in m.text for m in result.messages)
        assert result.events == []


def test_engine_choice_is_checked() -> None:
    with pytest.raises(UsageError, match="unknown evtx engine"):
        _read(FIXTURE_DIR / "carved_chunk.evtx", "libevtx")
    assert _read(FIXTURE_DIR / "carved_chunk.evtx", "python-evtx").engine == "python-evtx"


def test_copied_real_samples_are_the_judges(tmp_path: Path) -> None:
    """fixtures/real/evtx holds unchanged copies, each with its provenance row."""
    copies = sorted((FIXTURE_ROOT / "real" / "evtx").glob("*.evtx"))
    sources = (FIXTURE_ROOT / "real" / "evtx" / "SOURCES.md").read_text(encoding="utf-8")
    assert copies
    for copy in copies:
        assert f"| `{copy.name}` |" in sources
        original = SHARED_SAMPLES / "evtx" / copy.name
        if original.is_file():
            assert original.read_bytes() == copy.read_bytes()
        result = _read(copy, "python-evtx")
        assert result.status in (Status.OK, Status.PARTIAL)


def test_python_engine_reads_capi2_userdata_element_trees() -> None:
    """CAPI2 keeps UserData as a template-less element tree (python-evtx's own record.xml()
    fails on every record of this log); the python-evtx engine reads it, entities included."""
    buf = (FIXTURE_ROOT / "real" / "evtx" / "rustevtx_CAPI2_Operational.evtx").read_bytes()
    failures: list[tuple[int | None, str]] = []
    events, counts, meta = pyevtx_engine.read_chunks(
        buf, read_layout(buf).chunks, lambda p, i: True, lambda r, t: failures.append((r, t))
    )
    assert (len(events), sum(counts.values()), failures) == (340, 340, [])
    assert meta == ("Microsoft-Windows-CAPI2/Operational", "WIN-M5327EF98B9")
    first = events[0]
    assert (first.provider, first.event_id, first.time) == (
        "Microsoft-Windows-CAPI2",
        80,
        "2017-05-19T02:02:36.000000Z",
    )
    assert first.data == {
        "Operation": "WinVerifyTrustStart",
        "EventAuxInfo.ProcessName": "Setup.exe",
        "CorrelationAuxInfo.SeqNumber": "1",
        "CorrelationAuxInfo.TaskId": "{1CB1FE4B-D685-48FC-A3FA-42893E4C1717}",
    }
    url = next(e for e in events if e.record_id == 25).data["URL"]
    assert url == "http://crl.microsoft.com/pki/crl/products/microsoftrootcert.crl"


@pytest.mark.parametrize("engine", ENGINES)
def test_positional_schannel_data_gets_manifest_names(engine: str) -> None:
    result = _read(FIXTURE_DIR / "system_2008_6009.evtx", engine)
    found = [(e.role, e.data) for e in result.events if e.event_id == 36870]
    assert found == [
        ("server", {"Type": "server", "ErrorCode": "0x8009030d", "ErrorStatus": 10001}),
        ("client", {"Type": "client", "ErrorCode": "0x8009030d", "ErrorStatus": 10001}),
    ]
    boot = next(e for e in result.events if e.event_id == 6009)
    assert boot.data == {
        "Version": "6.00.",
        "Build": 6002,
        "ServicePack": "",
        "KernelType": "Multiprocessor Free",
        "Revision": 0,
    }


@pytest.mark.skipif(not rust_available(), reason="evtx not installed")
@pytest.mark.parametrize(
    "path",
    [
        *sorted((SHARED_SAMPLES / "evtx").glob("*.evtx")),
        *sorted((FIXTURE_ROOT / "evtx").glob("*.evtx")),
        *sorted((FIXTURE_ROOT / "real" / "evtx").glob("*.evtx")),
    ],
    ids=lambda path: path.name,
)
def test_events_built_once_per_kind_equal_build_event(path: Path) -> None:
    """The `evtx` engine gives records of one kind one data object, and the reader builds each
    kind once (`same_kind`): the events are those `build_event` gives record by record."""
    from analyzer.knowledge.eventfields import build_event, is_wanted
    from analyzer.model import Source
    from analyzer.readers.evtx import rust_engine
    from analyzer.readers.evtx.reader import _events
    from analyzer.render.json import plain

    buf = path.read_bytes()
    layout = read_layout(buf)
    raws, _, _ = rust_engine.read_chunks(buf, layout.chunks, is_wanted, lambda *_: None)
    expected = [
        build_event(
            provider=raw.provider,
            event_id=raw.event_id,
            time=raw.time,
            record_id=raw.record_id,
            source=Source(path.name, record=raw.record_id),
            data=raw.data,
            computer=raw.computer,
            level=raw.level,
            channel=raw.channel,
        )
        for raw in raws
    ]
    events = _events(path.name, raws)
    assert [plain(e) for e in events] == [plain(e) for e in expected]
    assert events == expected
    assert [e.source for e in events] == [e.source for e in expected]
    assert [vars(e) for e in events] == [vars(e) for e in expected]
