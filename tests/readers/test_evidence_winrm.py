"""WinRM listeners and winrm faults in the shapes customers paste (fixtures/evidence/winrm)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.inputs.files import InputFile
from analyzer.model import Level, ReadResult, Status, WinRmCommandError, WinRmListener
from analyzer.readers import ReadOptions
from analyzer.readers.evidence import winrm
from tests.readers.evidence_helpers import EVIDENCE, read, sniff, warnings

WINRM = EVIDENCE / "winrm"


def listeners(result: ReadResult) -> list[WinRmListener]:
    return result.records(WinRmListener)


def read_text(tmp_path: Path, text: str, encoding: str = "utf-8") -> ReadResult:
    path = tmp_path / "paste.txt"
    path.write_bytes(text.encode(encoding))
    return winrm.SPEC.read(InputFile.from_path(path), ReadOptions())


def test_winrm_enumerate_with_gpo_source_and_wrapped_listening_on() -> None:
    result = read(winrm.SPEC, WINRM / "enumerate-en.txt")
    assert result.status is Status.OK and not result.messages
    http, https = listeners(result)
    assert (http.transport, http.port, http.hostname, http.certificate_thumbprint) == (
        "HTTP",
        5985,
        None,
        None,
    )
    assert https.transport == "HTTPS" and https.port == 5986 and https.enabled is True
    assert https.hostname == "web01.contoso.com" and https.origin == "GPO"
    assert https.certificate_thumbprint == "8828d42445ba957038d880c4458950cbacc0cfec"
    # the console cut `fe80::1968:73e5` / `:5e21:48ad%5` at its width: joined again
    assert "fe80::1968:73e5:5e21:48ad%5" in https.listening_on
    assert https.source.line == 20  # the CertificateThumbprint line


def test_winrm_e_in_utf16_with_a_powershell_prompt() -> None:
    result = read(winrm.SPEC, WINRM / "e-utf16.txt")
    (https,) = listeners(result)
    assert result.encoding == "utf-16-le"
    assert (https.hostname, https.certificate_thumbprint) == (
        "SRV-APP02",
        "2e5056a5dfc64329c9f96c277f05ad2b18717f35",
    )


def test_a_cut_thumbprint_is_kept_as_text_and_matched_to_nothing() -> None:
    path = WINRM / "get-cut-thumbprint.md"
    result = read(winrm.SPEC, path)
    (https,) = listeners(result)
    assert https.certificate_thumbprint is None
    assert https.thumbprint_text == "8828D42445BA957038D880C4458950CBACC0CF"
    assert result.status is Status.PARTIAL
    assert warnings(result) == [
        "9: CertificateThumbprint '8828D42445BA957038D880C4458950CBACC0CF' is not 40 hex digits "
        "(cut or retyped?): it is matched to no certificate"
    ]
    assert [m.code for m in result.messages] == ["winrm.bad-thumbprint"]


def test_get_wsmaninstance_list() -> None:
    result = read(winrm.SPEC, WINRM / "get-wsmaninstance.txt")
    http, https = listeners(result)
    assert http.form == https.form == "get-wsmaninstance"
    assert https.certificate_thumbprint == "bfcf07c1164cc5b2194225c29a6651f279285a9e"
    assert https.listening_on == ("127.0.0.1", "192.168.17.20", "::1")
    assert https.hostname is None  # `Hostname :` empty: any name


def test_wsman_drive_detail_table_supersedes_its_container_row() -> None:
    result = read(winrm.SPEC, WINRM / "wsman-drive.txt")
    found = listeners(result)
    # Listener_1084132640 (HTTP) is only a container row; Listener_1305953032 has its table
    assert [(x.transport, x.port, x.form) for x in found] == [
        ("HTTP", None, "wsman-drive"),
        ("HTTPS", 5986, "wsman-drive"),
    ]
    https = found[1]
    assert https.certificate_thumbprint == "bfcf07c1164cc5b2194225c29a6651f279285a9e"
    assert https.listening_on == ("10.0.2.4", "127.0.0.1")


def test_quickconfig_fault_with_its_wrapped_message() -> None:
    result = read(winrm.SPEC, WINRM / "quickconfig-https-0x80338115.txt")
    (error,) = result.records(WinRmCommandError)
    assert error.code == "0x80338115"
    assert error.command == "winrm quickconfig -transport:https"
    assert error.message is not None
    assert error.message.startswith("Cannot create a WinRM listener on HTTPS")
    assert "To be used for SSL, a certificate must have a CN matching the hostname" in error.message
    assert error.source.line == 10 and not listeners(result)


def test_localized_create_fault_and_its_hostname() -> None:
    result = read(winrm.SPEC, WINRM / "create-de-0x80338115.txt")
    (error,) = result.records(WinRmCommandError)
    assert error.code == "0x80338115" and error.hostname == "web01.contoso.com"
    assert error.message is not None and error.message.startswith("Ein WinRM-Listener")


def test_powershell_fault_record_code_in_unsigned_decimal() -> None:
    result = read(winrm.SPEC, WINRM / "set-wsmanquickconfig-usessl.txt")
    (error,) = result.records(WinRmCommandError)
    assert error.code == "0x80338115" and error.command == "Set-WSManQuickConfig -UseSSL"
    assert error.message is not None and error.message.endswith("or self-signed.")


def test_a_number_pair_that_disagrees_is_not_an_error_number(tmp_path: Path) -> None:
    result = read_text(tmp_path, "WSManFault\nError number:  -2144108268 0x80338115\n")
    assert not result.records(WinRmCommandError)
    assert result.status is Status.ERROR
    assert [m.code for m in result.messages] == ["winrm.none"]


def test_nothing_of_winrm_is_a_coded_error_naming_the_file(tmp_path: Path) -> None:
    result = read_text(tmp_path, "hello\nListener\nnothing here\n")
    assert result.status is Status.ERROR
    # the bare `Listener` line is a listener cut before its settings, said; then nothing found
    assert [m.code for m in result.messages] == ["winrm.listener-without-transport", "winrm.none"]
    message = result.messages[-1]
    assert message.level is Level.ERROR and message.source.path.endswith("paste.txt")


def test_a_listener_without_transport_is_skipped_with_a_warning(tmp_path: Path) -> None:
    text = "Listener\n    Address = *\n    Port = 5986\n\nListener\n    Transport = HTTPS\n"
    result = read_text(tmp_path, text)
    assert [x.transport for x in listeners(result)] == ["HTTPS"]
    assert [(m.code, m.source.line) for m in result.messages] == [
        ("winrm.listener-without-transport", 1)
    ]


def test_hostile_values_are_bounded(tmp_path: Path) -> None:
    text = "Listener\n    Transport = HTTPS\n    Hostname = " + "a" * 3000 + "\n"
    result = read_text(tmp_path, text)
    (listener,) = listeners(result)
    assert listener.hostname is not None and len(listener.hostname) == 255


@pytest.mark.parametrize(
    "name",
    [
        "enumerate-en.txt",
        "e-utf16.txt",
        "get-cut-thumbprint.md",
        "get-wsmaninstance.txt",
        "wsman-drive.txt",
        "quickconfig-https-0x80338115.txt",
        "create-de-0x80338115.txt",
        "set-wsmanquickconfig-usessl.txt",
    ],
)
def test_sniffed_as_winrm(name: str) -> None:
    assert sniff(winrm.SPEC, WINRM / name) >= 80


def test_other_evidence_is_not_winrm() -> None:
    for other in ("netsh/sslcert-en.txt", "services/sc-qc-termservice.txt"):
        assert sniff(winrm.SPEC, EVIDENCE / other) == 0


def test_an_error_number_takes_only_its_own_fault_message(tmp_path: Path) -> None:
    text = (
        "WSManFault\n    Message = first fault\n\nError number:  -2144108267 0x80338115\n\n\n"
        "Error number:  -2144108267 0x80338115\nsecond text\n"
    )
    first, second = read_text(tmp_path, text).records(WinRmCommandError)
    assert first.message == "first fault"
    assert second.message == "second text"


def test_wsman_table_after_powershell_column_warning(tmp_path: Path) -> None:
    text = (
        "   WSManConfig: Microsoft.WSMan.Management\\WSMan::localhost\\Listener\\Listener_1\n\n"
        'WARNING: column "Type" does not fit into the display and was removed.\n\n'
        "Name                           SourceOfValue   Value\n"
        "----                           -------------   -----\n"
        "Transport                                      HTTPS\n"
        "Port                                           5986\n"
        "CertificateThumbprint                          " + "AB" * 20 + "\n"
    )
    (listener,) = listeners(read_text(tmp_path, text))
    assert (listener.transport, listener.port) == ("HTTPS", 5986)
    assert listener.certificate_thumbprint == "ab" * 20
