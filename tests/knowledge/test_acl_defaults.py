"""Key-folder ACLs compared with the KB 278381 defaults (key files: the access check)."""

from __future__ import annotations

from analyzer.inputs.files import InputFile
from analyzer.knowledge.acl_defaults import (
    deviations,
    key_file_name,
)
from analyzer.readers import ReadOptions
from analyzer.readers.evidence.icacls import SPEC
from tests.readers.evidence_helpers import EVIDENCE, KEY_FILE, MACHINEKEYS, OTHER_KEY


def acls(name: str):
    return SPEC.read(InputFile.from_path(EVIDENCE / "icacls" / name), ReadOptions()).acls


def test_default_listing_has_no_deviation() -> None:
    assert deviations(acls("machinekeys-default-en.txt")) == []


def test_key_files_are_not_compared_here() -> None:
    """The German key file without SYSTEM: whether SYSTEM can read it is the access check's
    answer (it can, through Administrators), not a deviation."""
    assert deviations(acls("machinekeys-de-no-system.txt")) == []


def test_french_deny_for_everyone_on_the_folder_blocks_new_keys() -> None:
    found = deviations(acls("machinekeys-fr-deny-sid.txt"))
    assert [(d.code, d.path, d.blocks_new_keys) for d in found] == [
        ("deny-everyone", MACHINEKEYS, True)
    ]
    assert found[0].entries[0].account == "Tout le monde"
    assert "existing key files still open by name" in found[0].text


def test_everyone_full_control_inherited_is_advice_only() -> None:
    found = deviations(acls("keys-pasted-quoted.md"))
    assert [(d.code, d.blocks_new_keys) for d in found] == [("everyone-too-broad", False)]
    assert "OI/CI" in found[0].text


def test_key_file_names() -> None:
    listed = {key_file_name(entry.path) for entry in acls("machinekeys-default-en.txt")}
    assert listed - {None} == {KEY_FILE, OTHER_KEY}
    assert key_file_name(MACHINEKEYS) is None
    assert key_file_name("C:\\ProgramData\\Microsoft\\Crypto\\Keys\\abc_def") == "abc_def"


def test_traverse_for_everyone_is_tolerated_but_delete_is_not() -> None:
    from analyzer.model import AclEntry

    admins = AclEntry(MACHINEKEYS, "BUILTIN\\Administrators", "S-1-5-32-544", ("F",))
    rx_w = AclEntry(MACHINEKEYS, "Everyone", "S-1-1-0", ("RX", "W"))
    modify = AclEntry(MACHINEKEYS, "Everyone", "S-1-1-0", ("M",))
    assert deviations([rx_w, admins]) == []
    assert [d.code for d in deviations([modify, admins])] == ["everyone-too-broad"]
