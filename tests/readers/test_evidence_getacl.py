"""PowerShell Get-Acl | Format-List: SDDL preferred, Access lines as the fallback."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analyzer.knowledge.acl_defaults import deviations, expand
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
    assert [d.code for d in deviations(result.acls)] == ["system-missing"]


def test_access_lines_of_a_quoted_paste_without_sddl() -> None:
    result = read(SPEC, ICACLS / "getacl-access-only.md")
    assert warnings(result) == []
    assert [(a.account, a.sid, a.rights) for a in result.acls] == [
        ("Jeder", "S-1-1-0", ("W", "R", "S")),
        ("VORDEFINIERT\\Administratoren", "S-1-5-32-544", ("F",)),
        ("VORDEFINIERT\\Administratoren", "S-1-5-32-544", ("F",)),
        ("CONTOSO\\webadmin", None, ("F",)),
    ]
    assert [d.code for d in deviations(result.acls)] == ["system-missing"]


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
