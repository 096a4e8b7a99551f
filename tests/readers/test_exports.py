"""Event exports: the real text copy, every fixture format alike, hostile and damaged input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analyzer.errors import InputError
from analyzer.inputs.files import InputFile
from analyzer.model import Event, OsInfo, ReadResult, Source, Status
from analyzer.readers import ReadOptions, detect
from analyzer.readers.exports import EVENT_EXPORT_KINDS
from fixtures.writers import export_writer
from tests.conftest import FIXTURES, shared_samples

EXPORTS = FIXTURES / "exports"


def read(path: Path) -> ReadResult:
    file = InputFile.from_path(path)
    spec = detect(file, only=EVENT_EXPORT_KINDS)
    assert spec is not None, f"no export reader claims {path}"
    return spec.read(file, ReadOptions())


def test_real_eventviewer_text_copy_gives_the_36870() -> None:
    path = shared_samples("evtx") / "exports" / "36870_servicefabric_tsg_eventviewer_copy.txt"
    result = read(path)
    assert (result.kind, result.status, result.messages) == ("evtx-text", Status.OK, [])
    assert result.events == [
        Event(
            provider="Schannel",
            event_id=36870,
            time="2022-10-16T20:27:36.222854Z",
            record_id=2213,
            computer="nt0000000",
            level=2,
            role="server",
            data={"Type": "server", "ErrorCode": "0x8009030d", "ErrorStatus": 10001},
            channel="System",
            time_is_local=False,
            message=(
                "A fatal error occurred when attempting to access the TLS server credential"
                " private key. The error code returned from the cryptographic module is"
                " 0x8009030D. The internal error state is 10001."
            ),
            sspi_process=None,
            local_time="2022-10-16T20:27:36+00:00",
        )
    ]
    assert result.events[0].source == Source(path.as_posix(), line=13, record=2213)
    coverage = result.coverage
    assert coverage is not None
    assert (coverage.channel, coverage.computer, coverage.records) == ("System", "nt0000000", 1)
    assert coverage.first == coverage.last == "2022-10-16T20:27:36.222854Z"


def test_fixtures_on_disk_match_the_writer() -> None:
    expected = export_writer.fixture_files()
    on_disk = {p.name: p.read_bytes() for p in EXPORTS.iterdir() if p.is_file()}
    assert on_disk == expected, "regenerate with: python -m fixtures.writers.export_writer"


UTC_FORMATS = {
    "single_36870.xml": "evtx-xml",
    "wevtutil_many_no_root.xml": "evtx-xml",
    "eventviewer_saved_events_root.xml": "evtx-xml",
    "no_namespace_events.xml": "evtx-xml",
    "rendered_events_utf16.xml": "evtx-xml",
    "eventviewer_copy_as_text.txt": "evtx-text",
    "eventviewer_copy_as_text_utf16.txt": "evtx-text",
}
LOCAL_FORMATS = {
    "wevtutil_text.txt": "evtx-text",
    "eventviewer_saved_tab.txt": "evtx-text",
    "eventviewer_saved.csv": "evtx-csv",
    "eventviewer_saved_de.csv": "evtx-csv",
    "get_winevent_export.csv": "evtx-csv",
    "get_winevent_format_list.txt": "evtx-text",
    "get_winevent_export_utf16.csv": "evtx-csv",
}


def _baseline() -> dict[tuple[str, int], Event]:
    return {(e.provider, e.event_id): e for e in read(EXPORTS / "wevtutil_many_no_root.xml").events}


def test_baseline_keeps_wanted_events_only() -> None:
    result = read(EXPORTS / "wevtutil_many_no_root.xml")
    assert result.status is Status.OK and result.messages == []
    assert [(e.provider, e.event_id) for e in result.events] == [
        ("EventLog", 6009),
        ("Microsoft-Windows-Kernel-General", 12),
        ("Schannel", 36870),
        ("Schannel", 36871),
        ("Schannel", 36888),
        ("Microsoft-Windows-HttpEvent", 15021),
    ]  # Service Control Manager 7036 is counted in coverage, not kept
    assert result.coverage is not None and result.coverage.records == 7
    assert result.coverage.os == OsInfo("6.3", 9600, 2101)


@pytest.mark.parametrize(("name", "kind"), sorted(UTC_FORMATS.items()))
def test_utc_formats_give_the_same_events(name: str, kind: str) -> None:
    result = read(EXPORTS / name)
    assert (result.kind, result.status, result.messages) == (kind, Status.OK, [])
    baseline = _baseline()
    for event in result.events:
        expected = baseline[(event.provider, event.event_id)]
        assert (event.time, event.record_id, event.computer, event.level, event.role) == (
            expected.time,
            expected.record_id,
            expected.computer,
            expected.level,
            expected.role,
        )
        assert event.data == expected.data
        if name == "rendered_events_utf16.xml":
            assert event.message and event.message.startswith(("A ", "An ", "Microsoft", "The "))
        if kind == "evtx-text":  # the copy's local date is UTC+2 in the fixtures
            assert event.local_time is not None and event.local_time.endswith("+02:00")


@pytest.mark.parametrize(("name", "kind"), sorted(LOCAL_FORMATS.items()))
def test_local_time_formats_give_the_same_events(name: str, kind: str) -> None:
    result = read(EXPORTS / name)
    assert (result.kind, result.status, result.messages) == (kind, Status.OK, [])
    baseline = _baseline()
    assert sorted((e.provider, e.event_id) for e in result.events) == sorted(baseline)
    for event in result.events:
        expected = baseline[(event.provider, event.event_id)]
        assert event.time_is_local
        # UTC 20:27:36.222854 exported at UTC+2 shows 22:27:36 (whole seconds).
        utc_clock = expected.time[11:19] if expected.time else ""
        local_hour = (int(utc_clock[:2]) + 2) % 24
        assert event.time is not None
        assert event.time[:19] == f"{expected.time[:11]}{local_hour:02d}{utc_clock[2:]}"
        assert event.role == expected.role
        # Format-List shows only TimeCreated, ProviderName, Id and Message by default.
        assert event.level == (None if name == "get_winevent_format_list.txt" else expected.level)
        # Message text keeps what the manifests name; every value it states equals the XML's.
        assert event.data.items() <= expected.data.items()
        if event.provider == "Schannel":
            assert event.data == expected.data
    schannel = next(e for e in result.events if e.event_id == 36870)
    assert schannel.sspi_process == "SYSTEM (PID: 4)"


def test_get_winevent_csv_event_spelled_out() -> None:
    result = read(EXPORTS / "get_winevent_export.csv")
    event = next(e for e in result.events if e.event_id == 36870)
    assert event == Event(
        provider="Schannel",
        event_id=36870,
        time="2022-10-16T22:27:36",
        record_id=2213,
        computer="WEB01.contoso.local",
        level=2,
        role="server",
        data={"Type": "server", "ErrorCode": "0x8009030d", "ErrorStatus": 10001},
        channel="System",
        time_is_local=True,
        message=(
            "A fatal error occurred when attempting to access the TLS server credential private"
            " key. The error code returned from the cryptographic module is 0x8009030D. The"
            " internal error state is 10001.\nThe SSPI client process is SYSTEM (PID: 4)."
        ),
        sspi_process="SYSTEM (PID: 4)",
        local_time=None,
    )
    # Rows are newest first; the 36870 row starts on line 6 (its message spans two lines).
    assert event.source == Source(result.path, line=6, record=2213)


@pytest.mark.parametrize(
    ("name", "why"),
    [("hostile_entity_bomb.xml", "declares entities (lol0)"), ("hostile_xxe.xml", "(xxe)")],
)
def test_hostile_xml_is_refused_with_a_message(name: str, why: str) -> None:
    path = EXPORTS / name
    with pytest.raises(InputError) as caught:
        read(path)
    assert str(path.as_posix()) in str(caught.value) and why in str(caught.value)
    assert "never expanded" in str(caught.value)


def test_truncated_xml_keeps_the_whole_events() -> None:
    result = read(EXPORTS / "truncated_events.xml")
    assert result.status is Status.PARTIAL
    assert [str(m) for m in result.messages] == [
        f"{result.path}:100: event skipped: the event is cut off (no </Event>)"
    ]
    assert [e.event_id for e in result.events] == [6009, 12, 36870]


def test_format_is_detected_from_content_not_name(tmp_path: Path) -> None:
    for name, kind in {**UTC_FORMATS, **LOCAL_FORMATS}.items():
        renamed = tmp_path / (name.replace(".", "_") + ".dat")
        shutil.copyfile(EXPORTS / name, renamed)
        spec = detect(InputFile.from_path(renamed), only=EVENT_EXPORT_KINDS)
        assert spec is not None and spec.kind == kind, name


def test_locale_metadata_is_noted_and_skipped(tmp_path: Path) -> None:
    meta = tmp_path / "LocaleMetaData" / "System_1033.MTA"
    meta.parent.mkdir()
    meta.write_bytes(b"\x00\x01binary message table\x00")
    result = read(meta)
    assert (result.kind, result.status) == ("evtx-locale-meta", Status.SKIPPED)
    assert "locale metadata" in result.messages[0].text


def test_text_copy_without_xml_uses_the_header(tmp_path: Path) -> None:
    copy = tmp_path / "pasted.txt"
    copy.write_text(
        "Log Name:      System\nSource:        Schannel\nDate:          16.10.2022 22:27:36\n"
        "Event ID:      36870\nTask Category: None\nLevel:         Error\n"
        "Computer:      WEB01\nDescription:\nA fatal error occurred when attempting to access"
        " the SSL server credential private key. The error code returned from the"
        " cryptographic module is 0x8009030d. The internal error state is 10001.\n",
        encoding="utf-8",
    )
    result = read(copy)
    assert result.kind == "evtx-text" and result.status is Status.OK
    (event,) = result.events
    assert (event.time, event.time_is_local, event.level, event.computer) == (
        "2022-10-16T22:27:36",
        True,
        2,
        "WEB01",
    )
    assert event.data == {"Type": "server", "ErrorCode": "0x8009030d", "ErrorStatus": 10001}
    assert event.source.line == 1


def test_csv_without_provider_column_keeps_nothing_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "select.csv"
    path.write_text(
        '"TimeCreated","Id","LevelDisplayName","Message","RecordId"\n'
        '"10/16/2022 10:27:36 PM","36870","Error","A fatal error ...","2213"\n',
        encoding="utf-8",
    )
    result = read(path)
    assert result.kind == "evtx-csv" and result.status is Status.PARTIAL
    assert result.events == []
    assert "no ProviderName column" in result.messages[0].text


def test_bad_rows_are_warnings_with_line_numbers(tmp_path: Path) -> None:
    text = (EXPORTS / "eventviewer_saved.csv").read_bytes().decode("utf-8-sig")
    lines = text.split("\r\n")
    lines.insert(1, "Error,not a date,Schannel,notanumber,None,text")
    path = tmp_path / "damaged.csv"
    path.write_bytes("\r\n".join(lines).encode("utf-8"))
    result = read(path)
    assert result.status is Status.PARTIAL
    assert [str(m) for m in result.messages] == [
        f"{result.path}:2: row without a source or a numeric event id; skipped"
    ]
    assert len(result.events) == 6


def test_an_empty_events_export_is_read_and_flagged(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_text('<?xml version="1.0"?>\n<Events>\n</Events>\n', encoding="utf-8")
    result = read(empty)
    assert (result.kind, result.status, result.events) == ("evtx-xml", Status.PARTIAL, [])
    assert [m.text for m in result.messages] == ["no event records found in this export"]
