"""Every evidence fixture is detected as its kind among ALL registered readers, and hostile
inputs never raise: they give a warning naming the file and line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.inputs.files import InputFile
from analyzer.model import ReadResult
from analyzer.readers import ReadOptions, detect
from analyzer.readers.evidence import (
    getacl,
    icacls,
    iisconfig,
    netsh,
    procmon,
    pslist,
    registry,
    service_config,
    winrm,
)
from tests.readers.evidence_helpers import EVIDENCE

EXPECTED = {
    "icacls/machinekeys-default-en.txt": "icacls",
    "icacls/machinekeys-de-no-system.txt": "icacls",
    "icacls/machinekeys-fr-deny-sid.txt": "icacls",
    "icacls/keys-pasted-quoted.md": "icacls",
    "icacls/getacl-de.txt": "get-acl",
    "icacls/getacl-access-only.md": "get-acl",
    "procmon/lsass-denied.csv": "procmon-csv",
    "procmon/registry-denied.csv": "procmon-csv",
    "procmon/awk-cut.csv": "procmon-csv",
    "procmon/oneline-paste.txt": "procmon-csv",
    "procmon/capture.PML": "procmon-pml",
    "netsh/sslcert-en.txt": "netsh-sslcert",
    "netsh/sslcert-de.txt": "netsh-sslcert",
    "netsh/sslcert-bad-hash.txt": "netsh-sslcert",
    "iis/applicationHost-with-hash.config": "iis-config",
    "iis/applicationHost-truncated.txt": "iis-config",
    "iis/applicationHost-xxe.config": "iis-config",
    "ps/formatlist-en.txt": "ps-certlist",
    "ps/formatlist-de-verbose.txt": "ps-certlist",
    "ps/table-truncated.txt": "ps-certlist",
    "certs/files.contoso.com.cer": "cert-file",
    "certs/files.contoso.com.pem": "cert-file",
    "certs/files.contoso.com.pfx": "pfx",
    "registry/rdp-hash.txt": "registry",
    "registry/rdp-tcp-key.txt": "registry",
    "registry/rdp-pasted-de.md": "registry",
    "registry/rdp-get-itemproperty.txt": "registry",
    "registry/rdp-get-itemproperty-cut.txt": "registry",
    "registry/lsa-and-machineguid-utf16.txt": "registry",
    "services/sc-qc-termservice.txt": "service-config",
    "services/sc-qc-localized-utf16.txt": "service-config",
    "services/win32-service-table.txt": "service-config",
    "services/win32-service-list.md": "service-config",
    "services/wmic-service.txt": "service-config",
    **{
        f"winrm/{name}": "winrm"
        for name in (
            "enumerate-en.txt",
            "e-utf16.txt",
            "get-cut-thumbprint.md",
            "get-wsmaninstance.txt",
            "wsman-drive.txt",
            "quickconfig-https-0x80338115.txt",
            "create-de-0x80338115.txt",
            "set-wsmanquickconfig-usessl.txt",
        )
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_is_detected_as_its_kind(name: str) -> None:
    spec = detect(InputFile.from_path(EVIDENCE / name))
    assert spec is not None and spec.kind == EXPECTED[name]


READERS = [
    *(getacl.SPEC, icacls.SPEC, procmon.SPEC_CSV, netsh.SPEC, iisconfig.SPEC, pslist.SPEC),
    *(registry.SPEC, service_config.SPEC, winrm.SPEC),
]
HOSTILE_LINES = st.lists(
    st.one_of(
        st.text(max_size=200),
        st.sampled_from(
            [
                "> ",
                "VERBOSE: x",
                "AUSFÜHRLICH: Thumbprint : ab",
                "...",
                "C:\\>icacls x",
                "    IP:port : 0.0.0.0:443",
                "    Certificate Hash : zz",
                "Thumbprint : 12",
                '"Time of Day","Process Name","Path","Result"',
                "x Everyone:(F)",
                "  BUILTIN\\x:(DENY)",
                '<binding protocol="https" bindingInformation="*:443:" certificateHash="1" />',
                "A" * 5000,
                "HKEY_LOCAL_MACHINE\\SYSTEM",
                "    SSLCertificateSHA1Hash    REG_BINARY    9A6C",
                "    x    REG_BINARY    ZZ",
                "PSPath : Microsoft.PowerShell.Core\\Registry::HKLM\\x",
                "SSLCertificateSHA1Hash : {1, 2, 999...}",
                "SERVICE_NAME: TermService",
                "        SERVICE_START_NAME : x",
                "Name    StartName",
                "----    ---------",
                "[SC] QueryServiceConfig SUCCESS",
                'Listener [Source="GPO"]',
                "    CertificateThumbprint = 8828D424",
                ":5e21:48ad%5",
                "   WSManConfig: Microsoft.WSMan.Management\\WSMan::localhost\\Listener\\Listener_1",
                "Container       {Transport=HTTPS, Address=*}        Listener_1",
                "Error number:  -2144108267 0x80338115",
                '<f:WSManFault Code="2150859029"><f:Message>x',
            ]
        ),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(HOSTILE_LINES, st.sampled_from(["utf-8", "utf-16-le", "cp850"]))
def test_readers_never_raise_on_hostile_text(
    tmp_path_factory, lines: list[str], encoding: str
) -> None:
    path = tmp_path_factory.mktemp("hostile") / "paste.txt"
    path.write_bytes("\r\n".join(lines).encode(encoding, errors="replace"))
    file = InputFile.from_path(path)
    for spec in READERS:
        result = spec.read(file, ReadOptions())
        assert isinstance(result, ReadResult)
        assert all(m.source.path == file.display for m in result.messages)


def test_binary_junk_and_huge_lines_warn_with_line_numbers(tmp_path) -> None:
    path = tmp_path / "junk.txt"
    junk = bytes([*range(1, 10), *range(14, 32)]) * 20
    path.write_bytes(b"Everyone:(F)\n" + junk + b"\n" + b"x" * 100_000 + b"\n")
    for spec in READERS:
        result = spec.read(InputFile.from_path(path), ReadOptions())
        lines = {m.source.line for m in result.messages}
        assert 2 in lines and 3 in lines, (spec.kind, result.messages)
