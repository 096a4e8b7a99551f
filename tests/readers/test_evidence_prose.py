"""Evidence pasted into prose: Process Monitor rows, icacls entries and netsh lines inside
sentences, in Markdown emphasis or code marks, several joined by " - " on one line; and netsh
listings in any language or line prefix whose certificate hash is not 40 hex digits."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.inputs.files import InputFile
from analyzer.model import Level
from analyzer.readers import detect
from tests.readers.evidence_helpers import (
    EVIDENCE,
    INTRANET_THUMBPRINT,
    KEY_FILE,
    MACHINEKEYS,
    WEB_THUMBPRINT,
    read,
)


def spec_of(path: Path):  # type: ignore[no-untyped-def]
    spec = detect(InputFile.from_path(path))
    assert spec is not None
    return spec


def test_procmon_rows_in_sentences_emphasis_code_and_joins() -> None:
    path = EVIDENCE / "procmon" / "prose-rows.md"
    assert spec_of(path).kind == "procmon-csv"
    result = read(spec_of(path), path)
    kept = [(a.time, a.process, a.result, a.detail, a.source.line) for a in result.file_access]
    assert kept == [
        ("10:41:07.1234567 AM", "lsass.exe", "ACCESS DENIED", "Desired Access: Generic Read", 1),
        ("10:41:08.0000000 AM", "lsass.exe", "ACCESS DENIED", None, 2),  # (tab cells: no detail)
        ("10:41:09.0000000 AM", "lsass.exe", "ACCESS DENIED", None, 3),
        ("10:41:10.0000000 AM", "lsass.exe", "ACCESS DENIED", "Desired Access: Read Attributes", 3),
    ]
    assert all(a.path == f"{MACHINEKEYS}\\{KEY_FILE}" for a in result.file_access)
    assert "5 rows read, 4 kept" in result.messages[-1].text


def test_icacls_entries_in_sentences() -> None:
    path = EVIDENCE / "icacls" / "prose-aces.md"
    assert spec_of(path).kind == "icacls"
    result = read(spec_of(path), path)
    entries = [(a.path.rsplit("\\", 1)[-1], a.account, a.rights, a.allow) for a in result.acls]
    assert entries == [
        ("MachineKeys", "BUILTIN\\Administrators", ("F",), True),
        ("MachineKeys", "Everyone", ("R",), True),
        (KEY_FILE, "NT AUTHORITY\\SYSTEM", ("F",), False),
        (KEY_FILE, "BUILTIN\\Administrators", ("F",), True),
    ]
    assert [m for m in result.messages if m.level is Level.WARNING] == []


def test_netsh_lines_in_a_sentence() -> None:
    path = EVIDENCE / "netsh" / "sslcert-prose.md"
    assert spec_of(path).kind == "netsh-sslcert"
    (binding,) = read(spec_of(path), path).bindings
    assert (binding.endpoint, binding.certificate_hash, binding.hash_valid) == (
        "0.0.0.0:443",
        WEB_THUMBPRINT,
        True,
    )
    assert binding.app_id == "{4dc3e181-e14b-4a21-b022-59fc669b0914}"


@pytest.mark.parametrize(
    ("name", "line", "shown"),
    [
        ("sslcert-de-verbose-elided.txt", 5, "26c8c253be45...e9c8"),
        ("sslcert-ja-typo.txt", 6, WEB_THUMBPRINT[:20] + "O" + WEB_THUMBPRINT[21:]),
        ("sslcert-ru-stray-letter.txt", 6, WEB_THUMBPRINT + " z"),
    ],
)
def test_a_hash_that_is_not_40_hex_digits_is_never_a_hash(name: str, line: int, shown: str) -> None:
    path = EVIDENCE / "netsh" / name
    assert spec_of(path).kind == "netsh-sslcert"
    result = read(spec_of(path), path)
    first = result.bindings[0]
    assert (first.endpoint, first.hash_valid) == ("0.0.0.0:443", False)
    warnings = [m for m in result.messages if m.level is Level.WARNING]
    assert [(m.source.line, m.text) for m in warnings] == [
        (
            line,
            f"certificate hash {shown!r} is not 40 hex digits (cut or retyped?); it is not "
            "matched to any certificate",
        )
    ]
    valid = {b.certificate_hash for b in result.bindings if b.hash_valid}
    assert valid <= {INTRANET_THUMBPRINT}
