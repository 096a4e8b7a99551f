"""Hostile input for the issue 17 readers (AD FS, Exchange, WinRM, and the PowerShell listing
parser they share): control characters, bidi overrides, invalid UTF-16, empty and binary files,
a huge line, 100,000-row tables and a value wrapped over 100,000 lines. Each gives coded
messages naming the file (and line), no traceback, no control character in a message, and a
bounded number of messages."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from analyzer.inputs.files import InputFile
from analyzer.model import AdfsCertificate, ExchangeCertificate, ReadResult
from analyzer.readers import ReadOptions
from analyzer.readers.evidence import adfs, exchange, winrm
from analyzer.readers.evidence.pslisting import MAX_OBJECTS, MAX_WARNINGS
from analyzer.visible import visible

READERS = (adfs.SPEC, exchange.SPEC, winrm.SPEC)
CODES = {**adfs.MESSAGE_CODES, **exchange.MESSAGE_CODES, **winrm.MESSAGE_CODES}
THUMB = "A" * 40

HOSTILE: dict[str, bytes] = {
    "nul": b"CertificateType : Token-Signing\x00\r\nThumbprint : \x00ab\r\n",
    "ansi": b"CertificateType : \x1b]0;owned\x07Token-Signing\x1b[31m\r\nIsPrimary : True\r\n",
    "bidi": f"CertificateType : \u202eTok\r\nThumbprint : \u202e{THUMB}\r\n".encode(),
    "type-with-controls": (
        "CertificateType : \x1b[2J\u202eevil\u2066\r\nIsPrimary : True\r\n".encode()
    ),
    "invalid-utf16": b"\xff\xfe"
    + "CertificateType : Token-Signing\r\n".encode("utf-16-le")
    + b"\x00\xd8\x41\x00"
    + "Thumbprint : ab\r\n".encode("utf-16-le"),
    "empty": b"",
    "binary": bytes(range(256)) * 50,
    "huge-line": b"Thumbprint : " + b"A" * 2_000_000 + b"\r\nServices : SMTP\r\n",
    "html": (
        b"Thumbprint : <script>alert(1)</script>\r\nServices : SMTP\r\n"
        b"CertificateDomains : {<img src=x onerror=alert(1)>, [x](javascript:alert(1))}\r\n"
        b"Subject : CN=`rm`|*bold*\r\n"
    ),
}


def _read(spec, path: Path) -> ReadResult:  # type: ignore[no-untyped-def]
    result = spec.read(InputFile.from_path(path), ReadOptions())
    assert isinstance(result, ReadResult)
    return result


def _check_messages(result: ReadResult, path: Path) -> None:
    for message in result.messages:
        assert message.source.path == InputFile.from_path(path).display
        assert visible(message.text) == message.text, message.text  # no control character
        assert message.code in CODES or "." in message.code


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_bytes_give_coded_messages_without_control_characters(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / f"{name}.txt"
    path.write_bytes(HOSTILE[name])
    for spec in READERS:
        result = _read(spec, path)
        _check_messages(result, path)
        # something is said, or a record read (a thumbprint behind a bidi mark, as the
        # certificate dialog's copy carries one, is read)
        records = [*result.records(AdfsCertificate), *result.records(ExchangeCertificate)]
        assert result.messages or records, (spec.kind, name)


def test_a_type_with_escapes_and_bidi_is_escaped_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "kind.txt"
    path.write_bytes(HOSTILE["type-with-controls"])
    result = _read(adfs.SPEC, path)
    skipped = [m for m in result.messages if m.code == "adfs.no-thumbprint"]
    assert skipped and "\\u202e" in skipped[0].text and "\u202e" not in skipped[0].text


def _table(rows: int) -> bytes:
    head = "HostName        PortNumber CertificateHash\r\n-------------- ---------- ---------------\r\n"
    body = "".join(f"fs{i:08d}.com  443        {i:040X}\r\n" for i in range(rows))
    return (head + body).encode()


def test_a_100k_row_table_is_read_up_to_the_limit_and_says_where_it_stopped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ssl.txt"
    path.write_bytes(_table(100_000))
    started = time.monotonic()
    result = _read(adfs.SPEC, path)
    assert time.monotonic() - started < 60
    too_many = [m for m in result.messages if m.code == "adfs.too-many"]
    assert len(too_many) == 1 and too_many[0].source.line == MAX_OBJECTS + 3
    _check_messages(result, path)


def test_100k_bad_thumbprints_give_a_bounded_list_and_a_count(tmp_path: Path) -> None:
    head = "Thumbprint       Services Subject\r\n---------------- -------- -------\r\n"
    body = "".join(f"{i:016X} ....S.. CN=h{i}\r\n" for i in range(100_000))
    path = tmp_path / "exchange.txt"
    path.write_bytes((head + body).encode())
    result = _read(exchange.SPEC, path)
    codes = [m.code for m in result.messages]
    assert codes.count("exchange.bad-thumbprint") == MAX_WARNINGS
    more = [m for m in result.messages if m.code == "exchange.more-warnings"]
    assert len(more) == 1 and f"{MAX_OBJECTS - MAX_WARNINGS:,} more" in more[0].text
    assert codes.count("exchange.too-many") == 1
    assert len(result.records(ExchangeCertificate)) == MAX_OBJECTS


def test_a_list_of_100k_certificates_says_it_was_not_read_to_the_end(tmp_path: Path) -> None:
    text = "".join(
        f"CertificateType : Token-Signing\r\nThumbprint : {i:040X}\r\n\r\n" for i in range(100_000)
    )
    path = tmp_path / "adfs.txt"
    path.write_bytes(text.encode())
    result = _read(adfs.SPEC, path)
    assert len(result.records(AdfsCertificate)) == MAX_OBJECTS
    [too_many] = [m for m in result.messages if m.code == "adfs.too-many"]
    assert too_many.source.line == 3 * MAX_OBJECTS + 1


def test_a_value_wrapped_over_100k_lines_is_cut_and_said(tmp_path: Path) -> None:
    domains = ",\r\n    ".join(f"d{i}.contoso.com" for i in range(100_000))
    text = f"CertificateDomains : {{{domains}}}\r\nServices : SMTP\r\nThumbprint : {THUMB}\r\n"
    path = tmp_path / "exchange.txt"
    path.write_bytes(text.encode())
    result = _read(exchange.SPEC, path)
    [cut] = [m for m in result.messages if m.code == "exchange.too-long"]
    assert cut.source.line == 1 and "certificatedomains" in cut.text
    [cert] = result.records(ExchangeCertificate)
    assert cert.thumbprint == THUMB.lower() and len(cert.domains) <= 201
