"""The registry-value reader: reg query (every value type, several keys, /s, pasted, UTF-16,
German) and Get-ItemProperty lists, beside the MachineGuid reader without fighting it."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.inputs.files import InputFile
from analyzer.model import Level, MachineGuid, RegistryValue, Status
from analyzer.readers import ReadOptions, detect, sample_of
from analyzer.readers.evidence.registry import KIND, SPEC
from analyzer.reading import read_file
from tests.readers.evidence_helpers import EVIDENCE, read, warnings

FIXTURES = EVIDENCE / "registry"
RDP_TCP = (
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp"
)
HASH = "9a6c4e0f1b2d3a4c5e6f708192a3b4c5d6e7f801"
GUID = "4be58f30-7127-42f5-9b76-f47187495247"


def values(path: Path) -> list[tuple[str | None, str, str | None, str, str | None, int | None]]:
    result = read(SPEC, path)
    return [
        (v.key, v.name, v.type, v.data, v.binary, v.source.line)
        for v in result.records(RegistryValue)
    ]


def test_reg_query_of_one_binary_value_gives_the_thumbprint_with_its_line() -> None:
    result = read(SPEC, FIXTURES / "rdp-hash.txt")
    assert result.status is Status.OK
    assert values(FIXTURES / "rdp-hash.txt") == [
        (RDP_TCP, "SSLCertificateSHA1Hash", "REG_BINARY", HASH.upper(), HASH, 4)
    ]


def test_every_value_type_of_a_whole_key_and_its_subkey_line() -> None:
    found = {v[1]: v for v in values(FIXTURES / "rdp-tcp-key.txt")}
    assert len(found) == 20 and all(v[0] == RDP_TCP for v in found.values())
    assert found["PortNumber"][2:5] == ("REG_DWORD", "0xd3d", None)
    assert found["Comment"][2:4] == ("REG_SZ", "")  # an empty REG_SZ: reg prints trailing spaces
    assert found["WdName"][3] == "Microsoft RDP 8.0"  # data with spaces
    assert found["InputBufferLength"][2] == "REG_QWORD"
    assert found["SelfSignedCertificate"][4] == "2000000001000000"


def test_utf16_s_output_multi_sz_default_value_and_machine_guid() -> None:
    result = read(SPEC, FIXTURES / "lsa-and-machineguid-utf16.txt")
    assert result.status is Status.OK and result.encoding == "utf-16-le"
    found = values(FIXTURES / "lsa-and-machineguid-utf16.txt")
    lsa = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Lsa"
    assert found[0] == (lsa, "", "REG_SZ", "", None, 3)  # (Default)
    assert found[2][1:4] == ("Notification Packages", "REG_MULTI_SZ", "scecli\\0rassfm")
    assert found[5][0] == lsa + "\\Kerberos"  # /s: the subkey's own block
    # the MachineGuid among other values is also the MachineGuid reader's record
    assert [(g.guid, g.form, g.source.line) for g in result.records(MachineGuid)] == [
        (GUID, "reg-query", 15)
    ]


def test_pasted_in_markdown_with_tabs_a_german_default_name_and_reg_error() -> None:
    path = FIXTURES / "rdp-pasted-de.md"
    result = read(SPEC, path)
    assert values(path) == [
        (RDP_TCP, "", "REG_SZ", "", None, 7),  # (Standard)
        (RDP_TCP, "SSLCertificateSHA1Hash", "REG_BINARY", HASH.upper(), HASH, 12),
    ]
    texts = warnings(result)
    assert texts[0].startswith("1: not registry output") and "Hallo" in texts[0]
    assert any("FEHLER" in t for t in texts)


def test_get_itemproperty_list_bytes_are_the_thumbprint_and_pspath_the_key() -> None:
    found = values(FIXTURES / "rdp-get-itemproperty.txt")
    assert [(v[0], v[1], v[2], v[4], v[5]) for v in found] == [
        (RDP_TCP, "SSLCertificateSHA1Hash", None, HASH, 5),
        (RDP_TCP, "PortNumber", None, None, 6),
    ]


def test_get_itemproperty_cut_array_keeps_the_text_without_bytes_and_says_how() -> None:
    result = read(SPEC, FIXTURES / "rdp-get-itemproperty-cut.txt")
    assert result.status is Status.PARTIAL
    [value] = result.records(RegistryValue)
    assert value.binary is None and value.data == "{154, 108, 78, 15...}"
    assert any("$FormatEnumerationLimit" in t and t.startswith("4:") for t in warnings(result))


def test_machine_guid_only_files_stay_the_machine_guid_readers() -> None:
    for path in sorted((EVIDENCE / "machineguid").iterdir()):
        assert SPEC.sniff(sample_of(InputFile.from_path(path))) == 0
    spec = detect(InputFile.from_path(FIXTURES / "lsa-and-machineguid-utf16.txt"))
    assert spec is not None and spec.kind == KIND


def test_a_cut_hex_value_and_a_name_without_type_are_warnings(tmp_path: Path) -> None:
    paste = tmp_path / "reg.txt"
    paste.write_text(
        f"{RDP_TCP}\n    SSLCertificateSHA1Hash    REG_BINARY    9A6C4E0F1B2D3A4C5E6F70819\n"
        "    PortNumber    0xd3d\n",
        encoding="utf-8",
    )
    result = read(SPEC, paste)
    [value] = result.records(RegistryValue)
    assert value.binary is None and value.data.startswith("9A6C")
    texts = warnings(result)
    assert any(t.startswith("2: SSLCertificateSHA1Hash: REG_BINARY data") for t in texts)
    assert any(t.startswith("3: not registry output") for t in texts)


def test_hostile_input_is_bounded_escaped_and_never_raises(tmp_path: Path) -> None:
    paste = tmp_path / "reg.txt"
    lines = [RDP_TCP, "    \x1b[2JEvil\x07    REG_SZ    <script>alert(1)</script>"]
    lines += [f"    V{i}    REG_DWORD    0x{i:x}" for i in range(6000)]
    lines += ["HKLM\\" + "A\\" * 5000, "\x00\x01\x02" * 100]
    paste.write_bytes("\r\n".join(lines).encode("utf-8"))
    result = read(SPEC, paste)
    found = result.records(RegistryValue)
    assert len(found) == 5000  # MAX_VALUES
    assert found[0].name == "[2JEvil" and "\x1b" not in found[0].name
    assert any("more than 5000 registry values" in m.text for m in result.messages)
    assert all("\x1b" not in str(m) and "\x07" not in str(m) for m in result.messages)


def test_nothing_registry_like_is_an_error_naming_the_file(tmp_path: Path) -> None:
    paste = tmp_path / "reg.txt"
    paste.write_text("ERROR: The system was unable to find the specified registry key or value.\n")
    result = read(SPEC, paste)
    assert result.status is Status.ERROR
    assert any(m.level is Level.ERROR and "no registry value" in m.text for m in result.messages)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()))
def test_every_fixture_is_read_by_the_input_service(name: str) -> None:
    result = read_file(InputFile.from_path(FIXTURES / name), ReadOptions())
    assert result.kind == KIND and result.usable and result.records(RegistryValue)
