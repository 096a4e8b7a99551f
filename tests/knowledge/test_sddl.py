"""The SDDL parser: real key SDDLs from certutil dumps, every part of the format, and hostile
strings (bounded, never raises)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.knowledge.sddl import MAX_ACES, MAX_SDDL_CHARS, parse_sddl, rights_mask, trustee_sid

# From fixtures/real/certutil (a CSP key, Windows 10; a CNG key on an nCipher KSP).
REAL_CSP = "D:PAI(A;;GAGR;;;BA)(A;;GAGR;;;SY)"
REAL_KSP = "D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)"


def test_real_csp_key_sddl() -> None:
    sd = parse_sddl(REAL_CSP)
    assert sd.problems == () and sd.dacl_present is True and sd.protected
    assert sd.dacl_flags == ("P", "AI")
    assert [(a.index, a.type, a.rights, a.mask, a.trustee, a.sid) for a in sd.aces] == [
        (0, "A", ("GA", "GR"), 0x90000000, "BA", "S-1-5-32-544"),
        (1, "A", ("GA", "GR"), 0x90000000, "SY", "S-1-5-18"),
    ]
    assert sd.aces[0].text == "(A;;GAGR;;;BA)"


def test_real_ksp_key_sddl_inherited_and_hex() -> None:
    sd = parse_sddl(REAL_KSP)
    assert sd.dacl_flags == ("AI",) and not sd.protected
    assert all(a.inherited for a in sd.aces)
    assert sd.aces[2].mask == 0x1200A9 and sd.aces[2].sid == "S-1-5-32-545"
    assert sd.aces[0].mask == 0x1F01FF


def test_owner_group_dacl_and_sacl() -> None:
    sd = parse_sddl("O:BAG:SYD:PAI(A;OICI;FA;;;SY)S:AI(AU;SAFA;FA;;;WD)")
    assert (sd.owner, sd.owner_sid, sd.group, sd.group_sid) == (
        "BA",
        "S-1-5-32-544",
        "SY",
        "S-1-5-18",
    )
    assert len(sd.aces) == 1 and sd.aces[0].flags == ("OI", "CI")  # the SACL is not the DACL
    sd = parse_sddl("O:S-1-5-21-1-2-3-500G:DUD:(A;;FA;;;OW)")
    assert sd.owner_sid == "S-1-5-21-1-2-3-500"
    assert sd.group == "DU" and sd.group_sid is None and sd.problems == ()
    assert sd.aces[0].sid == "S-1-3-4"


@pytest.mark.parametrize(
    ("sddl", "present", "aces"),
    [
        ("D:", True, 0),  # empty DACL: nobody
        ("D:P", True, 0),
        ("D:PAI", True, 0),
        ("O:BAG:SYD:PAI", True, 0),
        ("D:NO_ACCESS_CONTROL", False, 0),  # NULL DACL: everyone
        ("O:BAG:SY", False, 0),  # a whole descriptor without D:
        ("", None, 0),  # nothing: not known
        ("junk", None, 0),
        ("D:NO_ACCESS_CONTROL(A;;FA;;;SY)", None, 1),
    ],
)
def test_null_empty_and_unknown_dacls(sddl: str, present: bool | None, aces: int) -> None:
    sd = parse_sddl(sddl)
    assert sd.dacl_present is present
    assert sd.null_dacl is (present is False)


@pytest.mark.parametrize(
    ("text", "mask", "problem"),
    [
        ("GA", 0x10000000, False),
        ("GR", 0x80000000, False),
        ("GW", 0x40000000, False),
        ("GX", 0x20000000, False),
        ("FA", 0x1F01FF, False),
        ("FR", 0x120089, False),
        ("FW", 0x120116, False),
        ("FX", 0x1200A0, False),
        ("KA", 0xF003F, False),
        ("KR", 0x20019, False),
        ("RCSDWDWO", 0xF0000, False),
        ("CCDCLCSWRPWPDTLOCR", 0x1FF, False),
        ("0x120089", 0x120089, False),
        ("0X1F01FF", 0x1F01FF, False),
        ("1179785", 0x120089, False),
        ("0x1ffffffff", None, True),
        ("99999999999", None, True),
        ("ZZ", None, True),
        ("GAG", None, True),
        ("", None, True),
    ],
)
def test_rights(text: str, mask: int | None, problem: bool) -> None:
    _, got, issue = rights_mask(text)
    assert got == mask and (issue is not None) is problem


@pytest.mark.parametrize(
    ("trustee", "sid"),
    [
        ("SY", "S-1-5-18"),
        ("ba", "S-1-5-32-544"),
        ("WD", "S-1-1-0"),
        ("AU", "S-1-5-11"),
        ("NS", "S-1-5-20"),
        ("LS", "S-1-5-19"),
        ("OW", "S-1-3-4"),
        ("CO", "S-1-3-0"),
        ("BU", "S-1-5-32-545"),
        ("IU", "S-1-5-4"),
        ("SU", "S-1-5-6"),
        ("AN", "S-1-5-7"),
        ("IS", "S-1-5-32-568"),
        ("s-1-5-18", "S-1-5-18"),
        ("S-1-5-21-4294967295-1-2-1001", "S-1-5-21-4294967295-1-2-1001"),
        ("S-1-5-21-4294967296-1-2-1001", None),  # a sub-authority beyond 32 bits
        ("DA", None),  # domain-relative
        ("XX", None),
        ("S-1-", None),
    ],
)
def test_trustees(trustee: str, sid: str | None) -> None:
    assert trustee_sid(trustee) == sid


def test_object_callback_and_audit_types_are_recognised_and_kept() -> None:
    sd = parse_sddl(
        "D:(OA;;RP;bf967aba-0de6-11d0-a285-00aa003049e2;;AU)"
        '(XA;;FR;;;WD;(@User.Department == "PKI"))(D;;FA;;;AN)'
    )
    assert [a.type for a in sd.aces] == ["OA", "XA", "D"]
    assert sd.aces[0].object_type == "bf967aba-0de6-11d0-a285-00aa003049e2"
    assert sd.aces[1].text.endswith('"PKI"))') and sd.aces[1].readable
    assert sd.aces[2].index == 2


def test_garbage_inside_the_dacl_is_kept_as_an_unreadable_ace() -> None:
    sd = parse_sddl("D:P(A;;FA;;;SY)junk(A;;GA;;;BA)(A;XX;QQ;;;S-1-5-18x)")
    assert [a.readable for a in sd.aces] == [True, False, True, False]
    assert [a.index for a in sd.aces] == [0, 1, 2, 3]
    assert any("junk" in p for p in sd.problems)
    assert sd.aces[3].problems and sd.aces[3].sid is None


def test_unclosed_ace_is_reported() -> None:
    sd = parse_sddl("D:P(A;;FA;;;SY)(A;;FA;;;B")
    assert len(sd.aces) == 2 and not sd.aces[1].readable
    assert any("not closed" in p for p in sd.problems)


def test_ace_count_is_bounded() -> None:
    sd = parse_sddl("D:P" + "(A;;FA;;;SY)" * (MAX_ACES + 5))
    assert len(sd.aces) == MAX_ACES and sd.truncated
    assert any(str(MAX_ACES) in p for p in sd.problems)


def test_length_is_bounded() -> None:
    sd = parse_sddl("D:P" + "(A;;FA;;;SY)" * (MAX_SDDL_CHARS // 12 + 10))
    assert sd.truncated and len(sd.text) == MAX_SDDL_CHARS


def test_control_characters_are_dropped() -> None:
    sd = parse_sddl("\x1b[31mD:P(A;;FA;;;SY)\x00\r\n")
    assert sd.aces[0].sid == "S-1-5-18"


_SDDL_ALPHABET = 'OGDS:()PAI;0x1FRWGXCSYBAUTDNOWE-12345789 "@=_'


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_SDDL_ALPHABET, max_size=200))
def test_sddl_like_garbage_never_raises(text: str) -> None:
    sd = parse_sddl(text)
    assert len(sd.aces) <= MAX_ACES
    assert [a.index for a in sd.aces] == list(range(len(sd.aces)))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_never_raises(text: str) -> None:
    parse_sddl(text)
