"""PowerShell Get-Acl | Format-List: SDDL preferred, Access lines as the fallback."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analyzer.knowledge.access import ALLOWED, DENIED, NOT_KNOWN, can_read_entries, can_read_sddl
from analyzer.knowledge.acl_defaults import expand
from analyzer.knowledge.tokens import LOCAL_SYSTEM_TOKEN, NETWORK_SERVICE_TOKEN
from analyzer.model import AclEntry, Status
from analyzer.readers.evidence.getacl import SPEC, mask_rights
from tests.readers.evidence_helpers import EVIDENCE, KEY_FILE, MACHINEKEYS, read, sniff, warnings

ICACLS = EVIDENCE / "icacls"
USER = "S-1-5-21-1004336348-1177238915-682003330-1001"


def test_sddl_lines_give_sids_owner_and_rights() -> None:
    path = ICACLS / "getacl-de.txt"
    result = read(SPEC, path)
    assert result.status is Status.OK and warnings(result) == [] and result.encoding == "utf-16-le"
    assert len(result.acls) == 4
    assert result.acls[0] == AclEntry(
        path=MACHINEKEYS,
        account="Everyone",
        sid="S-1-1-0",
        rights=("R", "W"),
        owner="NT-AUTORITÄT\\SYSTEM",
    )
    assert result.acls[0].source.line == 9
    assert result.acls[3].sid == USER and result.acls[3].path.endswith(KEY_FILE)
    assert sniff(SPEC, path) >= 80
    # no SYSTEM entry on the key file, but SYSTEM's token holds Administrators
    key = f"{MACHINEKEYS}\\{KEY_FILE}"
    assert can_read_entries(result.acls, LOCAL_SYSTEM_TOKEN, key).result == ALLOWED
    assert can_read_entries(result.acls, NETWORK_SERVICE_TOKEN, key).result == DENIED


def test_access_lines_of_a_quoted_paste_without_sddl() -> None:
    result = read(SPEC, ICACLS / "getacl-access-only.md")
    assert warnings(result) == []
    assert [(a.account, a.sid, a.rights) for a in result.acls] == [
        ("Jeder", "S-1-1-0", ("W", "R", "S")),
        ("VORDEFINIERT\\Administratoren", "S-1-5-32-544", ("F",)),
        ("VORDEFINIERT\\Administratoren", "S-1-5-32-544", ("F",)),
        ("CONTOSO\\webadmin", None, ("F",)),
    ]
    key = f"{MACHINEKEYS}\\{KEY_FILE}"
    assert can_read_entries(result.acls, LOCAL_SYSTEM_TOKEN, key).result == ALLOWED


def test_numeric_rights_and_unknown_names(tmp_path) -> None:
    path = tmp_path / "acl.txt"
    path.write_text(
        f"Path   : {MACHINEKEYS}\nOwner  : SYSTEM\nAccess : NT AUTHORITY\\SYSTEM Allow  268435456\n"
        "         Everyone Deny  Flying\nAudit  :\n",
        encoding="utf-8",
    )
    result = read(SPEC, path)
    assert [(a.sid, a.rights) for a in result.acls] == [("S-1-5-18", ("GA",))]
    assert warnings(result) == ["4: not a Get-Acl access line, skipped: 'Everyone Deny  Flying'"]


@given(st.integers(min_value=0, max_value=0x1FFFFF))
def test_mask_rights_cover_the_mask(mask: int) -> None:
    rights = mask_rights(mask)
    if mask & 0x1F01FF == mask and mask:
        assert expand(rights) <= expand(("F",))


def _sddl_listing(tmp_path, sddl: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "acl.txt"
    path.write_text(
        f"Path   : Microsoft.PowerShell.Core\\FileSystem::{MACHINEKEYS}\\{KEY_FILE}\n"
        "Owner  : BUILTIN\\Administrators\nGroup  : NT AUTHORITY\\SYSTEM\n"
        "Access : BUILTIN\\Administrators Allow  FullControl\nAudit  :\n"
        f"Sddl   : {sddl}\n",
        encoding="utf-8",
    )
    return read(SPEC, path)


def test_sddl_letters_are_not_read_as_icacls_letters(tmp_path) -> None:
    """SDDL `WD` is WRITE_DAC and `CC` is bit 0 (read data on a file); icacls `WD` is write
    data. The entries carry icacls spellings of the SDDL masks, which the access check reads
    exactly as it reads the SDDL itself."""
    sddl = "O:BAG:SYD:PAI(A;;WDRC;;;SY)(A;;CCSWLORC;;;BA)(A;;FR;;;NS)(A;OICI;GA;;;S-1-5-19)"
    result = _sddl_listing(tmp_path, sddl)
    assert [(a.sid, a.rights, a.inheritance) for a in result.acls] == [
        ("S-1-5-18", ("RC", "WDAC"), ()),
        ("S-1-5-32-544", ("RD", "REA", "RA", "RC"), ()),
        ("S-1-5-20", ("R",), ()),
        ("S-1-5-19", ("GA",), ("OI", "CI")),
    ]
    key = f"{MACHINEKEYS}\\{KEY_FILE}"
    # SYSTEM lacks SYNCHRONIZE (part of FILE_GENERIC_READ); NETWORK SERVICE has FR
    for token, expected in ((LOCAL_SYSTEM_TOKEN, DENIED), (NETWORK_SERVICE_TOKEN, ALLOWED)):
        assert (
            can_read_entries(result.acls, token, key).result
            == can_read_sddl(sddl, token).result
            == expected
        )


def test_a_conditional_ace_is_kept_and_makes_access_not_known(tmp_path) -> None:
    sddl = 'D:PAI(XD;;FA;;;WD;(@User.Project == "x"))(A;;FA;;;SY)'
    result = _sddl_listing(tmp_path, sddl)
    assert len(result.acls) == 2 and not result.acls[0].allow
    assert result.acls[0].rights[0].startswith("(XD;")
    key = f"{MACHINEKEYS}\\{KEY_FILE}"
    assert can_read_entries(result.acls, LOCAL_SYSTEM_TOKEN, key).result == NOT_KNOWN
    assert any("not a plain allow or deny ACE" in m.text for m in result.messages)
