"""SQL Server's ERRORLOG reader in its real shapes (UTF-16LE as written, pasted as UTF-8 with tabs
and a code fence, cut at both ends, a previous start's ERRORLOG.1 of a named instance, a Spanish
log), hostile input, and SQL Server's Application log events read from an .evtx (the chunk
pre-filter must find MSSQLSERVER / MSSQL$<instance> in older chunks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.inputs.files import InputFile
from analyzer.knowledge.eventfields import is_wanted, provider_family, sql_instance_of_provider
from analyzer.model import SqlCertificateEvent, SqlServerStart, Status
from analyzer.readers import ReadOptions, detect
from analyzer.readers.evidence.sql_errorlog import KIND, MAX_EVENTS, SPEC
from analyzer.readers.evtx import read_evtx, rust_engine
from analyzer.readers.evtx.layout import read_layout
from analyzer.readers.evtx.prefilter import chunks_with, finding_search, sql_server_chunks
from fixtures.writers.evtx_events import iis_system_events
from fixtures.writers.evtx_writer import EventSpec, build_evtx
from fixtures.writers.tickets_sqlserver import SALES_CERT, SQL_CERT
from tests.readers.evidence_helpers import EVIDENCE, read

FIXTURES = EVIDENCE / "sqlserver"
CERT = SQL_CERT.thumbprint
FAILURE_TAIL = [17182, 17182, 17826, 17120]


def lines(path: Path) -> list[tuple[int | None, str | None, str | None, int | None]]:
    return [
        (e.number, e.thumbprint, e.error_code, e.source.line)
        for e in read(SPEC, path).records(SqlCertificateEvent)
    ]


def test_errorlog_as_sql_server_writes_it_utf16_with_bom() -> None:
    path = FIXTURES / "ERRORLOG"
    assert path.read_bytes()[:2] == b"\xff\xfe"
    result = read(SPEC, path)
    assert result.status is Status.OK and result.encoding == "utf-16-le"
    [start] = result.records(SqlServerStart)
    assert start.version is not None and start.version.startswith("Microsoft SQL Server 2019")
    assert (start.instance, start.server_name, start.process_id) == ("MSSQLSERVER", "SQL01", 4412)
    assert start.service_account == "NT Service\\MSSQLSERVER"
    assert start.source.line == 1
    events = result.records(SqlCertificateEvent)
    assert [e.number for e in events] == [26010, 33565, *FAILURE_TAIL]
    access = events[1]
    assert access.thumbprint == CERT and access.time == "2025-06-03 16:07:04.31"
    assert events[0].error_code == "0x8009030d" and events[0].thumbprint is None
    assert events[2].severity == 16 and events[4].severity == 18
    assert {e.instance for e in events} == {"MSSQLSERVER"}


def test_previous_log_of_a_named_instance_with_a_loaded_certificate() -> None:
    result = read(SPEC, FIXTURES / "ERRORLOG.1")
    [start] = result.records(SqlServerStart)
    assert (start.instance, start.server_name) == ("SALES", "SQL02\\SALES")
    assert start.service_account == "NT Service\\MSSQL$SALES"
    [loaded] = result.records(SqlCertificateEvent)
    assert (loaded.number, loaded.thumbprint, loaded.instance) == (
        26013,
        SALES_CERT.thumbprint,
        "SALES",
    )


def test_pasted_with_tabs_and_a_code_fence() -> None:
    path = FIXTURES / "errorlog-pasted.md"
    result = read(SPEC, path)
    assert result.encoding.startswith("utf-8")
    assert [(n, t) for n, t, _, _ in lines(path)][:1] == [(26014, CERT)]
    assert [n for n, _, _, _ in lines(path)] == [26014, *FAILURE_TAIL]
    events = result.records(SqlCertificateEvent)
    assert events[0].severity == 16 and events[0].state == 1
    assert all("```" not in e.text for e in events)
    [start] = result.records(SqlServerStart)
    assert start.instance == "MSSQLSERVER" and start.source.line == 4


def test_cut_at_both_ends() -> None:
    result = read(SPEC, FIXTURES / "errorlog-cut.txt")
    assert result.status is Status.OK
    assert any(m.code == "sqlerrorlog.cut-start" for m in result.messages)
    [start] = result.records(SqlServerStart)
    # The banner is gone; what the start says after it is still read.
    assert start.version is None and start.service_account == "NT Service\\MSSQLSERVER"
    events = result.records(SqlCertificateEvent)
    assert [e.number for e in events] == [26014, *FAILURE_TAIL]
    assert events[-1].text.endswith("spaw")  # the last line, cut mid-word, is kept as cut


def test_spanish_log_known_by_the_header_number_and_the_published_text() -> None:
    [event] = read(SPEC, FIXTURES / "ERRORLOG-es").records(SqlCertificateEvent)
    assert (event.number, event.thumbprint, event.severity) == (26014, CERT, 16)


def test_every_fixture_is_detected_as_an_errorlog() -> None:
    for path in sorted(FIXTURES.iterdir()):
        spec = detect(InputFile.from_path(path))
        assert spec is not None and spec.kind == KIND, path


def test_a_hash_in_an_unknown_message_is_kept_without_a_number(tmp_path: Path) -> None:
    path = tmp_path / "ERRORLOG"
    path.write_text(
        '2025-06-03 16:07:04.31 Server      Zertifikat [Cert Hash(sha1) "' + CERT.upper() + '"]\n'
        '2025-06-03 16:07:04.32 Server      Found the certificate [Cert Hash(sha1) "12AB"] in '
        "the local computer store but the SQL Server service account does not have access to it.\n",
        encoding="utf-8",
    )
    result = read(SPEC, path)
    assert [(e.number, e.thumbprint) for e in result.records(SqlCertificateEvent)] == [
        (None, CERT),
        (33565, None),  # a hash that is not 40 hex digits is no thumbprint
    ]
    assert any(m.code == "sqlerrorlog.unknown-text" and m.source.line == 1 for m in result.messages)
    assert any("no start banner" in m.text for m in result.messages)


def test_hostile_input_is_bounded_and_never_raises(tmp_path: Path) -> None:
    path = tmp_path / "ERRORLOG"
    noise = "2025-06-03 16:07:04.31 Server      Error: 26014, Severity: 16, State: 1.\n"
    line = (
        "2025-06-03 16:07:04.31 Server      Unable to load user-specified certificate [Cert "
        f'Hash(sha1) "{CERT}\x1b[31m"]. \x07' + "A" * 10000 + "\n"
    )
    body = (noise + line) * (MAX_EVENTS + 50)
    body += "\t continuation\n" * 500 + "\x00\xff junk \x00" * 100
    path.write_bytes(body.encode("utf-8", "surrogateescape"))
    result = read(SPEC, path)
    events = result.records(SqlCertificateEvent)
    assert len(events) == MAX_EVENTS
    assert all(len(e.text) <= 1000 and "\x1b" not in e.text for e in events)
    assert any(m.code == "sqlerrorlog.too-many" for m in result.messages)
    # The escape inside the quotes makes it no 40-digit hash: no thumbprint is guessed.
    assert {e.thumbprint for e in events} == {None}


def test_no_entry_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ERRORLOG"
    path.write_text("this is not a log\n", encoding="utf-8")
    result = read(SPEC, path)
    assert result.status is Status.ERROR
    assert any(m.code == "sqlerrorlog.none" for m in result.messages)


def test_sql_server_sources_are_wanted_under_one_family() -> None:
    assert provider_family("MSSQL$SALES") == provider_family("mssqlserver") == "MSSQLSERVER"
    assert is_wanted("MSSQL$SALES", 33565) and is_wanted("MSSQLSERVER", 26014)
    assert not is_wanted("MSSQL$SALES", 17137) and not is_wanted("MSSQLFDLauncher", 26014)
    assert sql_instance_of_provider("MSSQL$sales") == "SALES"
    assert sql_instance_of_provider("Schannel") is None


ENGINES = [
    pytest.param(
        "evtx",
        marks=pytest.mark.skipif(not rust_engine.available(), reason="evtx not installed"),
    ),
    "python-evtx",
]


def _application_log() -> bytes:
    """SQL Server's events in the first of several chunks: the pre-filter must find them (the
    newest chunk is read anyway, so they must not be there)."""
    noise = [
        EventSpec(e.provider, e.event_id, e.time, e.data, channel="Application")
        for e in iis_system_events(300, 0, boots=0)
        if e.provider not in ("Microsoft-Windows-HttpEvent", "Microsoft-Windows-Kernel-General")
    ]
    sql = [
        EventSpec(name, number, "2024-03-01T10:00:00Z", [value], level=2, channel="Application")
        for name, number, value in (
            ("MSSQLSERVER", 26014, CERT.upper()),
            ("MSSQL$SALES", 33565, SALES_CERT.thumbprint.upper()),
            ("MSSQL$SALES", 26010, "0x8009030D"),
        )
    ]
    return build_evtx([*noise[:20], *sql, *noise[20:]], records_per_chunk=40)


def test_the_pre_filter_finds_sql_server_chunks_of_the_application_log() -> None:
    data = _application_log()
    layout = read_layout(data)
    hits = chunks_with(data, layout, finding_search(capi2_log=False))
    assert len(layout.chunks) > 3
    assert sql_server_chunks(data, layout) == {0}
    assert hits.findings == set()  # no other finding: only the SQL Server search finds chunk 0


@pytest.mark.parametrize("engine", ENGINES)
def test_application_log_events_of_both_instances_are_read(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "Application.evtx"
    path.write_bytes(_application_log())
    result = read_evtx(InputFile.from_path(path), ReadOptions(engine=engine))
    found = [
        (e.provider, e.event_id, e.data)
        for e in result.events
        if provider_family(e.provider) == "MSSQLSERVER"
    ]
    assert found == [
        ("MSSQLSERVER", 26014, {"CertHash": CERT.upper()}),
        ("MSSQL$SALES", 33565, {"CertHash": SALES_CERT.thumbprint.upper()}),
        ("MSSQL$SALES", 26010, {"ErrorCode": "0x8009030d"}),
    ]


def test_messages_copied_without_their_time_column(tmp_path: Path) -> None:
    """A row copied out of the log viewer: the message without the ERRORLOG's time column."""
    path = tmp_path / "copied.txt"
    path.write_text(
        "Date\t\t6/3/2025 4:07:04 PM\nLog\t\tSQL Server (Current - 6/3/2025 4:08:00 PM)\n\n"
        "Source\t\tServer\n\nMessage\n"
        f'Found the certificate [Cert Hash(sha1) "{CERT.upper()}"] in the local computer store '
        "but the SQL Server service account does not have access to it.\n",
        encoding="utf-8",
    )
    assert detect(InputFile.from_path(path)).kind == KIND  # type: ignore[union-attr]
    result = read(SPEC, path)
    [event] = result.records(SqlCertificateEvent)
    assert (event.number, event.thumbprint, event.time, event.source.line) == (33565, CERT, None, 7)
    assert any(m.code == "sqlerrorlog.no-time" for m in result.messages)


def test_a_hash_under_an_error_header_keeps_the_header_number(tmp_path: Path) -> None:
    path = tmp_path / "ERRORLOG"
    path.write_text(
        "2025-06-03 16:07:04.31 Server      Error: 26099, Severity: 16, State: 1.\n"
        f'2025-06-03 16:07:04.31 Server      Zertifikat [Cert Hash(sha1) "{CERT.upper()}"]\n',
        encoding="utf-8",
    )
    result = read(SPEC, path)
    assert [(e.number, e.thumbprint) for e in result.records(SqlCertificateEvent)] == [
        (26099, CERT)
    ]
    assert not any(m.code == "sqlerrorlog.unknown-text" for m in result.messages)
