"""Process Monitor readers: CSV exports in the shapes customers send, and the native PML."""

from __future__ import annotations

from analyzer.model import FileAccess, Level, Status
from analyzer.readers.evidence.procmon import EXPORT_HINT, SPEC_CSV, SPEC_PML
from tests.readers.evidence_helpers import EVIDENCE, KEY_FILE, MACHINEKEYS, read, sniff, warnings

PROCMON = EVIDENCE / "procmon"
KEY_PATH = f"{MACHINEKEYS}\\{KEY_FILE}"


def test_lsass_access_denied_on_the_key_file() -> None:
    path = PROCMON / "lsass-denied.csv"
    result = read(SPEC_CSV, path)
    assert result.status is Status.OK and warnings(result) == []
    assert len(result.file_access) == 2  # the key rows; registry and desktop rows are dropped
    assert result.file_access[0] == FileAccess(
        time="10:41:07.1234567 AM",
        process="lsass.exe",
        pid=672,
        operation="CreateFile",
        path=KEY_PATH,
        result="ACCESS DENIED",
        detail="Desired Access: Generic Read, Disposition: Open, Options: , Attributes: n/a, ShareMode: Read",
    )
    assert result.file_access[0].source.line == 2
    assert sniff(SPEC_CSV, path) >= 80


def test_registry_denied_is_kept_but_is_not_a_key_path() -> None:
    result = read(SPEC_CSV, PROCMON / "registry-denied.csv")
    assert warnings(result) == []
    assert [(r.path.split("\\")[0], r.result) for r in result.file_access] == [
        ("HKLM", "ACCESS DENIED"),
        ("C:", "SUCCESS"),
    ]


def test_columns_cut_by_awk_follow_the_header() -> None:
    result = read(SPEC_CSV, PROCMON / "awk-cut.csv")
    assert warnings(result) == []
    assert len(result.file_access) == 1
    assert result.file_access[0] == FileAccess(
        time="10:41:07.1234567 AM",
        process="lsass.exe",
        pid=None,
        operation=None,
        path=KEY_PATH,
        result="ACCESS DENIED",
    )


def test_rows_pasted_onto_one_line() -> None:
    path = PROCMON / "oneline-paste.txt"
    result = read(SPEC_CSV, path)
    assert warnings(result) == [
        "1: not a Process Monitor row, skipped: 'here is what procmon shows when I click OK in IIS:'"
    ]
    assert len(result.file_access) == 2
    assert result.file_access[1] == FileAccess(
        time="10:41:08.0000000 AM",
        process="lsass.exe",
        pid=672,
        operation="CreateFile",
        path=KEY_PATH,
        result="ACCESS DENIED",
        detail="Desired Access: Generic Read",
    )
    assert sniff(SPEC_CSV, path) > 0


def test_headerless_rows_are_named_by_their_values(tmp_path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(f'"lsass.exe","{KEY_PATH}","ACCESS DENIED","10:41:07 AM"\n', encoding="utf-8")
    result = read(SPEC_CSV, path)
    assert result.file_access[0].process == "lsass.exe"
    assert result.file_access[0].time == "10:41:07 AM"
    assert result.file_access[0].result == "ACCESS DENIED"


def test_native_capture_is_recognised_and_skipped_with_the_menu_path() -> None:
    path = PROCMON / "capture.PML"
    assert sniff(SPEC_PML, path) == 100 and sniff(SPEC_CSV, path) == 0
    result = read(SPEC_PML, path)
    assert result.status is Status.SKIPPED
    assert [m.level for m in result.messages] == [Level.INFO]
    assert EXPORT_HINT in result.messages[0].text
    assert "File > Save..." in EXPORT_HINT and "Comma-Separated Values (CSV)" in EXPORT_HINT


def test_not_procmon_is_an_error(tmp_path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    assert read(SPEC_CSV, path).status is Status.ERROR


def test_streaming_across_tiny_chunks_gives_the_same_rows(tmp_path, monkeypatch) -> None:
    """Chunk borders inside CRLF pairs and multi-byte characters change nothing."""
    import analyzer.readers.evidence.paste as paste

    expected = read(SPEC_CSV, PROCMON / "lsass-denied.csv").file_access
    text = (
        (PROCMON / "lsass-denied.csv")
        .read_bytes()
        .decode("utf-8-sig")
        .replace("Generic", "Générique")
    )
    monkeypatch.setattr(paste, "STREAM_CHUNK_BYTES", 5)
    for encoding, bom in (("utf-16-le", b"\xff\xfe"), ("utf-8", b"\xef\xbb\xbf")):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(bom + text.encode(encoding))
        result = read(SPEC_CSV, path)
        assert warnings(result) == [] and result.encoding == encoding
        assert [(r.path, r.result, r.source.line) for r in result.file_access] == [
            (r.path, r.result, r.source.line) for r in expected
        ]
        assert result.file_access[0].detail.startswith("Desired Access: Générique Read")


def test_a_line_that_never_ends_is_cut_with_a_warning(tmp_path) -> None:
    path = tmp_path / "endless.csv"
    path.write_bytes(
        b'"Time of Day","Process Name","PID","Operation","Path","Result","Detail"\r\n'
        + b"x" * 3_000_000
    )
    result = read(SPEC_CSV, path)
    assert any("characters long" in w for w in warnings(result))
