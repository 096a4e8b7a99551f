"""The MachineGuid reader: reg query and Get-ItemProperty pastes, found by the registry, carried
to the analysis JSON under its own key."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.inputs.files import InputFile
from analyzer.model import Level, Status
from analyzer.pipeline import run_analysis
from analyzer.readers import ReadOptions, detect, registry
from analyzer.readers.machineguid import KIND, MachineGuid
from analyzer.reading import read_file
from analyzer.render.json import analysis_document, dumps
from tests.readers.evidence_helpers import EVIDENCE, KEY_FILE

FIXTURES = EVIDENCE / "machineguid"
TICKETS = EVIDENCE.parent / "tickets"
GUID = KEY_FILE.split("_", 1)[1]  # the machine whose key files the evidence fixtures name
CRYPTOGRAPHY = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Cryptography"


def read(path: Path):
    result = read_file(InputFile.from_path(path), ReadOptions())
    return result, [(r.guid, r.key, r.form, r.source.line) for r in result.records(MachineGuid)]


@pytest.mark.parametrize(
    ("name", "records"),
    [
        ("reg-query.txt", [(GUID, CRYPTOGRAPHY, "reg-query", 3)]),
        ("reg-query-utf16.txt", [(GUID, CRYPTOGRAPHY, "reg-query", 3)]),
        # quoted, with its prompt and tabs; then under Registry Editor's German column header
        (
            "reg-query-pasted.md",
            [(GUID, CRYPTOGRAPHY, "reg-query", 6), (GUID, None, "reg-query", 12)],
        ),
        ("get-itemproperty-list.txt", [(GUID, CRYPTOGRAPHY, "get-itemproperty", 4)]),
        # only the GUID after the MachineGuid command; not the SMBIOS UUID after the next one
        ("get-itemproperty-bare.txt", [(GUID, None, "bare", 4)]),
    ],
)
def test_every_shape_gives_the_guid_with_its_line(name: str, records: list) -> None:
    result, found = read(FIXTURES / name)
    assert result.kind == KIND and result.status is Status.OK, result.messages
    assert found == records


def test_a_cut_value_is_a_warning_naming_its_line_and_no_record() -> None:
    result, found = read(FIXTURES / "reg-query-cut.txt")
    assert result.kind == KIND and result.status is Status.ERROR and found == []
    warning = next(m for m in result.messages if m.level is Level.WARNING)
    assert warning.source.line == 3 and "not a GUID" in warning.text


def test_reg_errors_are_said_and_the_input_is_unusable() -> None:
    result, found = read(FIXTURES / "reg-query-not-found.txt")
    assert (result.kind, result.status, found) == (KIND, Status.ERROR, [])
    assert any("unable to find the specified registry key" in m.text for m in result.messages)


def test_another_key_and_two_machines_are_warned_about(tmp_path: Path) -> None:
    paste = tmp_path / "guid.txt"
    paste.write_text(
        "\nHKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Cryptography\n"
        f"    MachineGuid    REG_SZ    {GUID}\n\n"
        f"{CRYPTOGRAPHY}\n    MachineGuid    REG_SZ    {{{GUID.upper().replace('4BE5', '0000')}}}\n",
        encoding="utf-8",
    )
    result, found = read(paste)
    assert [f[0] for f in found] == [GUID, GUID.replace("4be5", "0000")]  # braces, case undone
    texts = [m.text for m in result.messages]
    assert any("WOW6432Node" in t and "not HKEY_LOCAL_MACHINE" in t for t in texts)
    assert any("2 different MachineGuid values" in t for t in texts)


def test_control_characters_and_junk_do_not_reach_the_records(tmp_path: Path) -> None:
    paste = tmp_path / "guid.txt"
    paste.write_bytes(
        b"\x1b[2J\x1b]0;title\x07\r\n"
        + CRYPTOGRAPHY.encode()
        + b"\r\n    MachineGuid    REG_SZ    "
        + GUID.encode()
        + b"\x07\r\n"
        + b"    MachineGuid    REG_SZ    <script>\x07alert(1)\r\n"
    )
    result, found = read(paste)
    assert found == [(GUID, CRYPTOGRAPHY, "reg-query", 3)]
    assert any("not a GUID" in m.text and m.source.line == 4 for m in result.messages)
    assert all("\x1b" not in str(m) and "\x07" not in str(m) for m in result.messages)


def test_it_claims_no_other_evidence_and_nothing_else_claims_it() -> None:
    for path in sorted(p for p in EVIDENCE.rglob("*") if p.is_file()):
        spec = detect(InputFile.from_path(path))
        assert (spec is not None and spec.kind == KIND) == (path.parent == FIXTURES), path
    # the procmon fixtures name the MachineGuid value's registry path: still procmon
    procmon = detect(InputFile.from_path(EVIDENCE / "procmon" / "lsass-denied.csv"))
    assert procmon is not None and procmon.kind == "procmon-csv"


def test_found_by_the_registry_and_carried_to_the_analysis_json(tmp_path: Path) -> None:
    assert registry()[KIND].records[0].json_key == "machine_guids"
    ticket = tmp_path / "ticket"
    ticket.mkdir()
    for name in ("my.txt", "System.evtx"):
        (ticket / name).write_bytes((TICKETS / "demo-keyspec2" / name).read_bytes())
    assert "machine_guids" not in analysis_document(run_analysis([ticket]))  # none: no key
    (ticket / "guid.txt").write_bytes((FIXTURES / "get-itemproperty-list.txt").read_bytes())
    document = analysis_document(run_analysis([ticket]))
    assert document["machine_guids"] == [
        {
            "guid": GUID,
            "key": CRYPTOGRAPHY,
            "form": "get-itemproperty",
            "source": {"path": f"{ticket.as_posix()}/guid.txt", "line": 4},
        }
    ]
    assert document["verdict"] == "keyspec-signature"
    assert '"machine_guids":[\n' in dumps(document)
