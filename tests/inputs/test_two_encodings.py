"""A file whose second half is in another encoding (cmd's `>>` appending UTF-8 or OEM bytes to
PowerShell 5.1's UTF-16LE output, or PowerShell 5.1 appending UTF-16LE to a UTF-8 file) is read
as two parts, and the switch is named with its byte offset."""

from __future__ import annotations

from pathlib import Path

from analyzer.inputs.decode import decode_bytes
from analyzer.inputs.files import InputFile
from analyzer.readers import ReadOptions
from analyzer.readers.certutil import read_certutil
from analyzer.readers.exports import xmlexport
from fixtures.writers.certutil_dump import CertSpec, DumpSpec, render
from fixtures.writers.export_events import event_xml, sample_events

MY = DumpSpec(certs=[CertSpec(subject="CN=www.contoso.com", index=0)], newline="\r\n")
ROOT = DumpSpec(
    certs=[CertSpec(subject="CN=Contoso Root CA", self_signed=True, index=0)],
    store="root",
    newline="\r\n",
)


def test_decode_names_where_utf8_follows_utf16() -> None:
    first = "\ufeffline one\r\nzweite Zeile\r\n" * 40
    data = first.encode("utf-16-le") + "third line: clé\r\n".encode() * 30
    decoded = decode_bytes(data)
    assert decoded.text == first.lstrip("\ufeff") + "third line: clé\r\n" * 30
    assert decoded.second_part == (len(first.encode("utf-16-le")), "utf-8", 81)


def test_decode_names_where_utf16_follows_utf8() -> None:
    first = "Zertifikat: ünd\n" * 10
    data = first.encode() + b"\xff\xfe" + ("appended by PowerShell\r\n" * 5).encode("utf-16-le")
    decoded = decode_bytes(data)
    assert decoded.text == first + "appended by PowerShell\r\n" * 5
    assert decoded.second_part == (len(first.encode()), "utf-16-le", 11)


def test_one_encoding_has_no_second_part() -> None:
    for data in ("a\r\nb\r\n" * 300).encode("utf-16"), "中文 text\n".encode() * 100:
        assert decode_bytes(data).second_part is None


def test_certutil_dump_with_an_appended_store_gives_both_certificates(tmp_path: Path) -> None:
    utf16 = b"\xff\xfe" + render(MY).encode("utf-16-le")
    path = tmp_path / "stores.txt"
    path.write_bytes(utf16 + render(ROOT).encode("cp850"))
    result = read_certutil(InputFile.from_path(path), ReadOptions())
    assert [c.subject for c in result.certificates] == ["CN=www.contoso.com", "CN=Contoso Root CA"]
    assert [c.store for c in result.certificates] == ["my", "root"]
    notes = [m.text for m in result.messages if "changes encoding" in m.text]
    assert notes == [
        f"the file changes encoding at byte {len(utf16):,}: utf-16-le up to there, utf-8 after "
        "(output appended by another shell?); both parts were read"
    ]


def test_event_export_with_utf16_appended_keeps_both_halves(tmp_path: Path) -> None:
    events = sample_events()
    path = tmp_path / "events.xml"
    path.write_bytes(
        event_xml(events[3]).encode() + b"\n" + event_xml(events[4]).encode("utf-16-le")
    )
    result = xmlexport.read(InputFile.from_path(path), ReadOptions())
    assert [e.event_id for e in result.events] == [36870, 36871]
    assert any("changes encoding at byte" in m.text for m in result.messages)
