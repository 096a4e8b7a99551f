"""icacls reader: one test per fixture (record count, warnings, one record spelled out)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analyzer.model import AclEntry, Source, Status
from analyzer.readers.evidence.icacls import SPEC, _parse_perm
from tests.readers.evidence_helpers import (
    EVIDENCE,
    KEY_FILE,
    MACHINEKEYS,
    OTHER_KEY,
    read,
    sniff,
    warnings,
)

ICACLS = EVIDENCE / "icacls"


def test_default_english_listing_with_files() -> None:
    path = ICACLS / "machinekeys-default-en.txt"
    result = read(SPEC, path)
    assert result.status is Status.OK and warnings(result) == []
    assert len(result.acls) == 6
    assert result.acls[2] == AclEntry(
        path=f"{MACHINEKEYS}\\{KEY_FILE}",
        account="NT AUTHORITY\\SYSTEM",
        sid="S-1-5-18",
        rights=("F",),
    )
    assert result.acls[2].source == Source(str(path), 4)
    assert sniff(SPEC, path) >= 80


def test_german_cp850_accounts_map_to_sids() -> None:
    result = read(SPEC, ICACLS / "machinekeys-de-no-system.txt")
    assert result.encoding == "cp850" and warnings(result) == []
    assert len(result.acls) == 6
    by_account = {(a.path.rsplit("\\", 1)[-1], a.account): a.sid for a in result.acls}
    assert by_account[("MachineKeys", "Jeder")] == "S-1-1-0"
    assert by_account[("MachineKeys", "VORDEFINIERT\\Administratoren")] == "S-1-5-32-544"
    assert by_account[(OTHER_KEY, "NT-AUTORITÄT\\SYSTEM")] == "S-1-5-18"
    assert by_account[(KEY_FILE, "CONTOSO\\webadmin")] is None


def test_french_utf16_deny_and_unresolved_sid() -> None:
    result = read(SPEC, ICACLS / "machinekeys-fr-deny-sid.txt")
    assert result.encoding == "utf-16-le" and warnings(result) == []
    assert len(result.acls) == 5
    assert result.acls[0] == AclEntry(
        path=MACHINEKEYS, account="Tout le monde", sid="S-1-1-0", rights=("R",), allow=False
    )
    assert result.acls[3].account == "AUTORITE NT\\Système" and result.acls[3].sid == "S-1-5-18"
    assert result.acls[4].sid == "S-1-5-21-1004336348-1177238915-682003330-1001"


def test_quoted_paste_without_indentation() -> None:
    result = read(SPEC, ICACLS / "keys-pasted-quoted.md")
    assert warnings(result) == ["4: elision ('...') in the pasted output: lines are missing here"]
    assert len(result.acls) == 2
    assert result.acls[0] == AclEntry(
        path="C:\\ProgramData\\Microsoft\\Crypto\\Keys",
        account="Everyone",
        sid="S-1-1-0",
        rights=("F",),
        inheritance=("OI", "CI"),
    )
    assert result.acls[1].path == result.acls[0].path


def test_hostile_paste_warns_with_lines_and_keeps_good_entries() -> None:
    result = read(SPEC, ICACLS / "hostile.txt")
    assert result.status is Status.PARTIAL
    assert len(result.acls) == 2
    found = warnings(result)
    assert any(w.startswith("12: line is 20026 characters long") for w in found)
    assert any(w.startswith("3: binary junk") for w in found)


def test_path_with_spaces_split_by_alignment(tmp_path) -> None:
    folder = "D:\\Key Store\\MachineKeys"
    text = f"{folder} Tout le monde:(R)\r\n{' ' * (len(folder) + 1)}CONTOSO\\web admins:(F)\r\n"
    path = tmp_path / "acl.txt"
    path.write_bytes(text.encode("cp850"))
    result = read(SPEC, path)
    assert [(a.path, a.account) for a in result.acls] == [
        (folder, "Tout le monde"),
        (folder, "CONTOSO\\web admins"),
    ]


def test_single_ace_path_with_spaces_uses_known_account(tmp_path) -> None:
    path = tmp_path / "acl.txt"
    path.write_text(
        "C:\\Program Data\\x NT AUTHORITY\\Authenticated Users:(RX)\n", encoding="utf-8"
    )
    result = read(SPEC, path)
    assert result.acls[0].path == "C:\\Program Data\\x"
    assert result.acls[0].sid == "S-1-5-11"


def test_not_icacls_is_an_error(tmp_path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\nworld\n", encoding="utf-8")
    result = read(SPEC, path)
    assert result.status is Status.ERROR and result.acls == []
    assert sniff(SPEC, path) == 0


RIGHTS = st.sampled_from(["F", "M", "RX", "R", "W", "D", "N", "RD,WA", "GR,GE"])
FLAGS = st.lists(st.sampled_from(["OI", "CI", "IO", "NP", "I"]), unique=True, max_size=4)


@given(FLAGS, st.booleans(), RIGHTS)
def test_perm_round_trip(flags: list[str], deny: bool, rights: str) -> None:
    perm = "".join(f"({f})" for f in flags) + ("(DENY)" if deny else "") + f"({rights})"
    parsed_rights, parsed_flags, allow = _parse_perm(perm)
    assert parsed_rights == tuple(rights.split(","))
    assert parsed_flags == tuple(flags)
    assert allow is not deny


def test_unknown_account_after_a_path_with_spaces_uses_the_alignment(tmp_path) -> None:
    folder = "D:\\Key Store\\MachineKeys\\a b"
    text = f"{folder} CONTOSO\\svc web:(F)\r\n{' ' * (len(folder) + 1)}CONTOSO\\other one:(R)\r\n"
    path = tmp_path / "acl.txt"
    path.write_text(text, encoding="utf-8")
    assert [(a.path, a.account) for a in read(SPEC, path).acls] == [
        (folder, "CONTOSO\\svc web"),
        (folder, "CONTOSO\\other one"),
    ]
