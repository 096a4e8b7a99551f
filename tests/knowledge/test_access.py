"""Effective access: "can account A open this key file for read?" from SDDL, icacls and Get-Acl,
as Windows decides it, for the tokens of the accounts that open TLS keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.inputs.files import InputFile
from analyzer.knowledge.access import (
    ALLOWED,
    DENIED,
    FILE_ALL_ACCESS,
    FILE_GENERIC_READ,
    NOT_KNOWN,
    AccessAnswer,
    acl_from_entries,
    can_read_entries,
    can_read_sddl,
    check_access,
    icacls_mask,
    map_generic,
)
from analyzer.knowledge.tokens import (
    LOCAL_SERVICE_TOKEN,
    LOCAL_SYSTEM_TOKEN,
    NETWORK_SERVICE_TOKEN,
    Token,
    app_pool_sid,
    app_pool_token,
    parse_whoami,
    service_sid,
    token_for,
    virtual_account_token,
)
from analyzer.model import AclEntry, Source
from analyzer.readers import ReadOptions
from analyzer.readers.certutil import read_certutil
from analyzer.readers.evidence.getacl import SPEC as GETACL
from analyzer.readers.evidence.icacls import SPEC as ICACLS
from tests.conftest import FIXTURES

SYSTEM = LOCAL_SYSTEM_TOKEN
NETSVC = NETWORK_SERVICE_TOKEN
DEPLOY_GROUP = "S-1-5-21-1004336348-1177238915-682003330-1105"
UNKNOWN_USER = token_for("CONTOSO\\svc-web")
MSSQL = token_for("NT SERVICE\\MSSQLSERVER")
POOL = token_for("IIS APPPOOL\\DefaultAppPool")

# (case, SDDL, token, result, deciding ACE indexes)
SDDL_CASES = [
    # real SDDLs from fixtures/real/certutil
    ("real CSP key: SYSTEM", "D:PAI(A;;GAGR;;;BA)(A;;GAGR;;;SY)", SYSTEM, ALLOWED, [0]),
    ("real CSP key: NETWORK SERVICE", "D:PAI(A;;GAGR;;;BA)(A;;GAGR;;;SY)", NETSVC, DENIED, []),
    (
        "real KSP key: NETWORK SERVICE via Users",
        "D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)",
        NETSVC,
        ALLOWED,
        [2],
    ),
    (
        "real KSP key: NT SERVICE via Users",
        "D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)",
        MSSQL,
        ALLOWED,
        [2],
    ),
    # Administrators only: SYSTEM's token holds BUILTIN\Administrators, NETWORK SERVICE's does not
    ("Administrators only: SYSTEM", "D:PAI(A;;GAGR;;;BA)", SYSTEM, ALLOWED, [0]),
    ("Administrators only: NETWORK SERVICE", "D:PAI(A;;GAGR;;;BA)", NETSVC, DENIED, []),
    ("Administrators only: LOCAL SERVICE", "D:PAI(A;;FA;;;BA)", LOCAL_SERVICE_TOKEN, DENIED, []),
    ("Administrators only: unknown account", "D:PAI(A;;GAGR;;;BA)", UNKNOWN_USER, NOT_KNOWN, [0]),
    ("SYSTEM only: SYSTEM", "D:P(A;;FA;;;SY)", SYSTEM, ALLOWED, [0]),
    ("SYSTEM only: NETWORK SERVICE", "D:P(A;;FA;;;SY)", NETSVC, DENIED, []),
    (
        "SYSTEM only: a named account never holds SYSTEM",
        "D:P(A;;FA;;;SY)",
        UNKNOWN_USER,
        DENIED,
        [],
    ),
    # deny ACEs, in stored order
    ("deny Everyone ahead of allow SYSTEM", "D:P(D;;GA;;;WD)(A;;FA;;;SY)", SYSTEM, DENIED, [0]),
    (
        "deny Administrators ahead of allow SYSTEM",
        "D:P(D;;FR;;;BA)(A;;FA;;;SY)",
        SYSTEM,
        DENIED,
        [0],
    ),
    ("explicit allow then inherited deny", "D:AI(A;;FA;;;SY)(D;ID;FA;;;WD)", SYSTEM, ALLOWED, [0]),
    (
        "allow then deny, non-canonical, as stored",
        "D:P(A;;FA;;;SY)(D;;FA;;;WD)",
        SYSTEM,
        ALLOWED,
        [0],
    ),
    ("deny of a right not asked for", "D:P(D;;WDWO;;;WD)(A;;FA;;;SY)", SYSTEM, ALLOWED, [1]),
    (
        "partial grant, then deny of the rest",
        "D:P(A;;RC;;;SY)(D;;FA;;;WD)(A;;FA;;;SY)",
        SYSTEM,
        DENIED,
        [1],
    ),
    ("deny of rights already granted", "D:P(A;;FR;;;SY)(D;;FR;;;BA)", SYSTEM, ALLOWED, [0]),
    ("rights accumulate over ACEs", "D:P(A;;0x1;;;SY)(A;;0x120088;;;BA)", SYSTEM, ALLOWED, [0, 1]),
    (
        "deny named group, account groups unknown",
        f"D:P(D;;FA;;;{DEPLOY_GROUP})(A;;FA;;;WD)",
        UNKNOWN_USER,
        NOT_KNOWN,
        [0],
    ),
    (
        "deny Authenticated Users: every named account holds it",
        "D:P(D;;FA;;;AU)(A;;FA;;;WD)",
        UNKNOWN_USER,
        DENIED,
        [0],
    ),
    # only a domain group
    ("only a domain group: SYSTEM", f"D:P(A;;FA;;;{DEPLOY_GROUP})", SYSTEM, DENIED, []),
    ("only a domain group: NETWORK SERVICE", f"D:P(A;;FA;;;{DEPLOY_GROUP})", NETSVC, DENIED, []),
    (
        "only a domain group: unknown account",
        f"D:P(A;;FA;;;{DEPLOY_GROUP})",
        UNKNOWN_USER,
        NOT_KNOWN,
        [0],
    ),
    ("only a domain-relative alias: SYSTEM", "D:P(A;;FA;;;DA)", SYSTEM, DENIED, []),
    # empty and NULL DACLs
    ("empty DACL", "D:", SYSTEM, DENIED, []),
    ("empty protected DACL", "D:PAI", SYSTEM, DENIED, []),
    ("empty DACL, owner", "O:SYG:SYD:P", SYSTEM, DENIED, []),
    ("NULL DACL: NO_ACCESS_CONTROL", "D:NO_ACCESS_CONTROL", NETSVC, ALLOWED, []),
    ("NULL DACL: no D: part", "O:BAG:SY", UNKNOWN_USER, ALLOWED, []),
    ("nothing readable", "certutil: no SDDL here", SYSTEM, NOT_KNOWN, []),
    # generic, file and hex rights
    ("GR", "D:P(A;;GR;;;SY)", SYSTEM, ALLOWED, [0]),
    ("FR", "D:P(A;;FR;;;SY)", SYSTEM, ALLOWED, [0]),
    ("0x120089", "D:P(A;;0x120089;;;SY)", SYSTEM, ALLOWED, [0]),
    ("0x80000000 (GENERIC_READ)", "D:P(A;;0x80000000;;;SY)", SYSTEM, ALLOWED, [0]),
    ("GA", "D:P(A;;GA;;;SY)", SYSTEM, ALLOWED, [0]),
    ("FX (execute) is not read", "D:P(A;;FX;;;SY)", SYSTEM, DENIED, [0]),
    ("FW (write) is not read", "D:P(A;;FW;;;SY)", SYSTEM, DENIED, [0]),
    (
        "read data only, no READ_CONTROL, SYSTEM owns",
        "O:SYD:P(A;;0x100089;;;SY)",
        SYSTEM,
        ALLOWED,
        [0],
    ),
    (
        "read data only, SYSTEM owns through Administrators",
        "O:BAD:P(A;;0x100089;;;SY)",
        SYSTEM,
        ALLOWED,
        [0],
    ),
    (
        "read data only, another owner",
        f"O:{DEPLOY_GROUP}D:P(A;;0x100089;;;SY)",
        SYSTEM,
        DENIED,
        [0],
    ),
    ("read data only, owner not in the SDDL", "D:P(A;;0x100089;;;SY)", SYSTEM, NOT_KNOWN, []),
    # OWNER RIGHTS: its ACEs replace the owner's implicit READ_CONTROL and WRITE_DAC
    (
        "OW ACE replaces the owner's READ_CONTROL",
        "O:SYD:P(A;;0x100089;;;SY)(A;;0x1;;;OW)",
        SYSTEM,
        DENIED,
        [0],
    ),
    ("OW ACE grants the owner", "O:SYD:P(A;;FR;;;OW)", SYSTEM, ALLOWED, [0]),
    ("OW ACE, not the owner", "O:BAD:P(A;;FR;;;OW)", NETSVC, DENIED, []),
    ("owner's implicit rights never read data", "O:SYD:P(A;;WD;;;WD)", SYSTEM, DENIED, []),
    # inheritance flags
    ("inherit-only allow does not apply", "D:P(A;OICIIO;FA;;;SY)", SYSTEM, DENIED, []),
    ("inherit-only deny does not apply", "D:P(D;OICIIO;FA;;;WD)(A;;FA;;;SY)", SYSTEM, ALLOWED, [1]),
    ("OI CI allow applies", "D:P(A;OICI;FA;;;SY)", SYSTEM, ALLOWED, [0]),
    ("CREATOR OWNER on the object matches nobody", "D:P(A;;FA;;;CO)", SYSTEM, DENIED, []),
    # service SIDs and app pools
    (
        "NT SERVICE grant by SID",
        "D:P(A;;FR;;;S-1-5-80-3880718306-3832830129-1677859214-2598158968-1052248003)",
        MSSQL,
        ALLOWED,
        [0],
    ),
    (
        "NT SERVICE grant, another service",
        "D:P(A;;FR;;;S-1-5-80-3880718306-3832830129-1677859214-2598158968-1052248003)",
        token_for("NT SERVICE\\SQLSERVERAGENT"),
        DENIED,
        [],
    ),
    ("IIS_IUSRS grant: app pool", "D:P(A;;FR;;;IS)", POOL, ALLOWED, [0]),
    ("IIS_IUSRS grant: NETWORK SERVICE", "D:P(A;;FR;;;IS)", NETSVC, DENIED, []),
    ("Users grant: app pool", "D:P(A;;FR;;;BU)", POOL, ALLOWED, [0]),
    # what cannot be evaluated
    ("conditional ACE", 'D:P(XA;;FR;;;SY;(@User.Title == "x"))', SYSTEM, NOT_KNOWN, [0]),
    ("object ACE", "D:P(OA;;FR;bf967aba-0de6-11d0-a285-00aa003049e2;;SY)", SYSTEM, NOT_KNOWN, [0]),
    ("object ACE for a trustee not held", "D:P(OA;;FR;;;AN)(A;;FA;;;SY)", SYSTEM, ALLOWED, [1]),
    (
        "unreadable rights before the decision",
        "D:P(A;;ZZ;;;SY)(A;;FA;;;BA)",
        SYSTEM,
        NOT_KNOWN,
        [0],
    ),
    ("unreadable rights after the decision", "D:P(A;;FA;;;SY)(A;;ZZ;;;SY)", SYSTEM, ALLOWED, [0]),
    (
        "unreadable ACE of a trustee not held",
        f"D:P(A;;ZZ;;;{DEPLOY_GROUP})(A;;FA;;;SY)",
        SYSTEM,
        ALLOWED,
        [1],
    ),
    ("garbled trustee may be SYSTEM", "D:P(A;;FA;;;S-1-5-18x)", SYSTEM, NOT_KNOWN, [0]),
    ("ACL cut in the middle", "D:P(D;;FA;;;WD)(A;;FA;;;S", SYSTEM, DENIED, [0]),
    ("ACL cut before the grant", "D:P(A;;RC;;;SY)(A;;FA;;;S", SYSTEM, NOT_KNOWN, [1]),
]


@pytest.mark.parametrize(
    ("case", "sddl", "token", "result", "deciding"), SDDL_CASES, ids=[c[0] for c in SDDL_CASES]
)
def test_sddl_access(case: str, sddl: str, token: Token, result: str, deciding: list[int]) -> None:
    answer = can_read_sddl(sddl, token)
    assert answer.result == result, answer.reason
    assert [ref.index for ref in answer.deciding] == deciding, answer.reason
    assert answer.account == token.account and answer.requested == FILE_GENERIC_READ
    assert answer.reason


def test_deny_answer_names_the_deny_and_the_rights() -> None:
    answer = can_read_sddl("D:P(D;;GA;;;WD)(A;;FA;;;SY)", SYSTEM)
    assert answer.deciding[0].text == "(D;;GA;;;WD)"
    assert "denies NT AUTHORITY\\SYSTEM" in answer.reason and "FILE_READ_DATA" in answer.reason


def test_implicit_deny_says_what_is_missing() -> None:
    answer = can_read_sddl("D:P(A;;FX;;;SY)", SYSTEM)
    assert answer.missing == 0x9  # FILE_READ_DATA | FILE_READ_EA
    assert "FILE_READ_DATA" in answer.reason


def test_not_known_says_what_it_depends_on() -> None:
    answer = can_read_sddl(f"D:P(A;;FA;;;{DEPLOY_GROUP})", UNKNOWN_USER)
    assert answer.depends_on == (f"whether CONTOSO\\svc-web is a member of {DEPLOY_GROUP}",)
    owner = can_read_sddl("D:P(A;;0x100089;;;SY)", SYSTEM)
    assert owner.depends_on == ("whether NT AUTHORITY\\SYSTEM owns the file",)


def test_same_group_in_allow_and_deny_is_one_fact() -> None:
    # Member: denied by ACE 0; not a member: nothing grants. Denied either way.
    answer = can_read_sddl(f"D:P(D;;FA;;;{DEPLOY_GROUP})(A;;FA;;;{DEPLOY_GROUP})", UNKNOWN_USER)
    assert answer.result == DENIED


def test_too_many_unknown_groups_is_not_known() -> None:
    aces = "".join(f"(A;;0x1;;;S-1-5-21-1-2-3-{1100 + i})" for i in range(12))
    answer = can_read_sddl("D:P" + aces, UNKNOWN_USER)
    assert answer.result == NOT_KNOWN and "too many" in answer.reason


@pytest.mark.parametrize(
    ("sddl", "codes"),
    [
        ("D:P(A;;FA;;;SY)(D;;FA;;;WD)", ["non-canonical-order"]),
        ("D:AI(A;ID;FA;;;BA)(A;;FA;;;SY)", ["non-canonical-order"]),
        ("D:AI(D;;FA;;;WD)(A;;FA;;;SY)(A;ID;FA;;;BA)(D;ID;FA;;;AN)", []),  # levels unknown
        ("D:P(OA;;FR;;;AN)", ["object-ace"]),
        ("D:P(XA;;FR;;;SY;(@User.x == 1))", ["conditional-ace"]),
        ("D:P(AU;SA;FA;;;WD)", ["not-access-ace"]),
        ("D:P(A;;QQ;;;SY)", ["unreadable-ace"]),
        ("D:P(A;;FA;;;SY)x", ["sddl-problem", "unreadable-ace"]),
    ],
)
def test_findings(sddl: str, codes: list[str]) -> None:
    answer = can_read_sddl(sddl, SYSTEM)
    assert sorted({f.code for f in answer.findings}) == codes


# --------------------------------------------------------------------------- masks


@pytest.mark.parametrize(
    ("rights", "mask"),
    [
        (("F",), FILE_ALL_ACCESS),
        (("M",), 0x1301BF),
        (("RX",), 0x1200A9),
        (("R",), FILE_GENERIC_READ),
        (("W",), 0x100116),
        (("R", "W"), 0x12019F),
        (("N",), 0),
        (("RD", "REA", "RA", "RC", "S"), FILE_GENERIC_READ),
        (("RD", "X", "RA"), 0xA1),
        (("DE", "WDAC", "WO"), 0xD0000),
        (("GR",), FILE_GENERIC_READ),
        (("GA",), FILE_ALL_ACCESS),
        (("GE",), 0x1200A0),
        (("GW",), 0x120116),
        (("0x120089",), FILE_GENERIC_READ),
        (("Rc", "s"), 0x120000),  # icacls prints some codes mixed-case
        (("CC",), None),  # SDDL letters are not icacls rights
        (("READ",), None),
    ],
)
def test_icacls_masks(rights: tuple[str, ...], mask: int | None) -> None:
    assert icacls_mask(rights) == mask


def test_generic_mapping() -> None:
    assert map_generic(0x80000000) == 0x120089
    assert map_generic(0x90000000) == FILE_ALL_ACCESS
    assert map_generic(0x20000000) == 0x1200A0
    assert map_generic(0x40000000 | 0x10000) == 0x130116


# --------------------------------------------------------------------------- icacls and Get-Acl


def _entry(account: str, rights: tuple[str, ...], **kw: object) -> AclEntry:
    return AclEntry(path="C:\\k", account=account, sid=kw.pop("sid", None), rights=rights, **kw)  # type: ignore[arg-type]


ENTRY_CASES = [
    (
        "icacls simple F for SYSTEM",
        [_entry("NT AUTHORITY\\SYSTEM", ("F",), sid="S-1-5-18")],
        SYSTEM,
        ALLOWED,
    ),
    (
        "icacls special read list",
        [_entry("NT AUTHORITY\\SYSTEM", ("RD", "REA", "RA", "RC", "S"), sid="S-1-5-18")],
        SYSTEM,
        ALLOWED,
    ),
    (
        "icacls special list without RC, owner unknown",
        [_entry("NT AUTHORITY\\SYSTEM", ("RD", "REA", "RA", "S"), sid="S-1-5-18")],
        SYSTEM,
        NOT_KNOWN,
    ),
    ("icacls (N)", [_entry("NT AUTHORITY\\SYSTEM", ("N",), sid="S-1-5-18")], SYSTEM, DENIED),
    (
        "icacls deny first",
        [
            _entry("Everyone", ("R",), sid="S-1-1-0", allow=False),
            _entry("NT AUTHORITY\\SYSTEM", ("F",), sid="S-1-5-18"),
        ],
        SYSTEM,
        DENIED,
    ),
    (
        "icacls (IO) ignored",
        [_entry("NT AUTHORITY\\SYSTEM", ("F",), sid="S-1-5-18", inheritance=("OI", "CI", "IO"))],
        SYSTEM,
        DENIED,
    ),
    (
        "icacls (I) allow before (I) deny",
        [
            _entry("NT AUTHORITY\\SYSTEM", ("F",), sid="S-1-5-18", inherited=True),
            _entry("Everyone", ("F",), sid="S-1-1-0", allow=False, inherited=True),
        ],
        SYSTEM,
        ALLOWED,
    ),
    (
        "German name not yet resolved by the reader",
        [_entry("VORDEFINIERT\\Administratoren", ("F",))],
        SYSTEM,
        ALLOWED,
    ),
    ("NT SERVICE name without a SID", [_entry("NT SERVICE\\MSSQLSERVER", ("R",))], MSSQL, ALLOWED),
    (
        "IIS APPPOOL name without a SID",
        [_entry("IIS APPPOOL\\DefaultAppPool", ("RX",))],
        POOL,
        ALLOWED,
    ),
    ("domain account name: not SYSTEM", [_entry("CONTOSO\\webadmin", ("F",))], SYSTEM, DENIED),
    (
        "unknown localized authority name may be SYSTEM",
        [_entry("NT-INSTANSEN\\SYSTEM", ("F",))],
        SYSTEM,
        NOT_KNOWN,
    ),
    (
        "bare unknown name may be a well-known group",
        [_entry("Toutlemonde", ("F",))],
        SYSTEM,
        NOT_KNOWN,
    ),
    (
        "rights icacls does not print",
        [_entry("NT AUTHORITY\\SYSTEM", ("CC", "LC"), sid="S-1-5-18")],
        SYSTEM,
        NOT_KNOWN,
    ),
]


@pytest.mark.parametrize(
    ("case", "entries", "token", "result"), ENTRY_CASES, ids=[c[0] for c in ENTRY_CASES]
)
def test_entry_access(case: str, entries: list[AclEntry], token: Token, result: str) -> None:
    answer = can_read_entries(entries, token)
    assert answer.result == result, answer.reason


def _read(spec, path: Path):  # type: ignore[no-untyped-def]
    return spec.read(InputFile.from_path(path), ReadOptions())


KEY_FILE = "60fd2daa4bba0a605d75b8fe322db8f2_4be58f30-7127-42f5-9b76-f47187495247"
OTHER_KEY = "8219989eabc1caae72c76ed0b51deea0_4be58f30-7127-42f5-9b76-f47187495247"
MACHINEKEYS = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys"


def test_german_icacls_listing_end_to_end() -> None:
    path = FIXTURES / "evidence" / "icacls" / "machinekeys-de-no-system.txt"
    entries = _read(ICACLS, path).acls
    key = f"{MACHINEKEYS}\\{KEY_FILE}"
    # CONTOSO\webadmin and VORDEFINIERT\Administratoren: SYSTEM gets in through Administrators.
    system = can_read_entries(entries, SYSTEM, key)
    assert system.result == ALLOWED
    assert [(r.index, r.text) for r in system.deciding] == [
        (1, "VORDEFINIERT\\Administratoren:(F)")
    ]
    assert system.deciding[0].source == Source(str(path), 5)
    assert can_read_entries(entries, NETSVC, key).result == DENIED
    assert can_read_entries(entries, token_for("CONTOSO\\webadmin"), key).result == ALLOWED


def test_french_icacls_listing_end_to_end() -> None:
    path = FIXTURES / "evidence" / "icacls" / "machinekeys-fr-deny-sid.txt"
    entries = _read(ICACLS, path).acls
    folder = can_read_entries(entries, SYSTEM, MACHINEKEYS)
    assert folder.result == DENIED and folder.deciding[0].text == "Tout le monde:(DENY)(R)"
    key = can_read_entries(entries, SYSTEM, f"{MACHINEKEYS}\\{OTHER_KEY}")
    assert key.result == ALLOWED and key.deciding[0].text == "AUTORITE NT\\Système:(F)"


def test_get_acl_listing_end_to_end() -> None:
    path = FIXTURES / "evidence" / "icacls" / "getacl-de.txt"
    entries = _read(GETACL, path).acls
    key = f"{MACHINEKEYS}\\{KEY_FILE}"
    acl = acl_from_entries(entries, key)
    assert acl.owner_sid == "S-1-5-32-544" and len(acl.aces) == 2
    assert check_access(acl, SYSTEM).result == ALLOWED
    assert check_access(acl, NETSVC).result == DENIED


def test_certutil_dump_sddl_end_to_end() -> None:
    path = (
        FIXTURES
        / "real"
        / "certutil"
        / "acrn-docs-v-store-strongcsp-keyspec2-signature-notexportable.txt"
    )
    cert = read_certutil(InputFile.from_path(path), ReadOptions()).certificates[0]
    assert cert.key is not None and cert.key.acl_sddl is not None
    source = Source(cert.source.path, cert.key.lines["acl_sddl"])
    answer = can_read_sddl(cert.key.acl_sddl, SYSTEM, source)
    assert answer.result == ALLOWED and answer.deciding[0].source == source
    assert "D:PAI" in path.read_text(encoding="utf-8").splitlines()[source.line - 1]  # type: ignore[operator]
    assert can_read_sddl(cert.key.acl_sddl, NETSVC, source).result == DENIED


# --------------------------------------------------------------------------- tokens


@pytest.mark.parametrize(
    ("service", "sid"),
    [
        # published: NT SERVICE\MSSQLSERVER, and the binary SIDs of sys.server_principals
        ("MSSQLSERVER", "S-1-5-80-3880718306-3832830129-1677859214-2598158968-1052248003"),
        ("mssqlserver", "S-1-5-80-3880718306-3832830129-1677859214-2598158968-1052248003"),
        ("SQLSERVERAGENT", "S-1-5-80-344959196-2060754871-2302487193-2804545603-1466107430"),
        ("ReportServer", "S-1-5-80-2885764129-887777008-271615777-1616004480-2722851051"),
        ("TrustedInstaller", "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"),
    ],
)
def test_service_sid(service: str, sid: str) -> None:
    assert service_sid(service) == sid
    assert virtual_account_token(service).user_sid == sid


def test_app_pool_sid() -> None:
    published = "S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415"
    assert app_pool_sid("DefaultAppPool") == published
    assert app_pool_token("DEFAULTAPPPOOL").user_sid == published


@pytest.mark.parametrize(
    ("name", "sid", "complete"),
    [
        ("LocalSystem", "S-1-5-18", True),
        (".\\LocalSystem", "S-1-5-18", True),
        ("NT AUTHORITY\\SYSTEM", "S-1-5-18", True),
        ("NT-AUTORITÄT\\SYSTEM", "S-1-5-18", True),
        ("NT AUTHORITY\\NetworkService", "S-1-5-20", True),
        ("NT-AUTORITÄT\\NETZWERKDIENST", "S-1-5-20", True),
        ("AUTORITE NT\\SERVICE LOCAL", "S-1-5-19", True),
        ("NT AUTHORITY\\LocalService", "S-1-5-19", True),
        ("nt service\\MSSQL$SQLEXPRESS", service_sid("MSSQL$SQLEXPRESS"), True),
        ("CONTOSO\\gmsa-adfs$", None, False),
    ],
)
def test_token_for(name: str, sid: str | None, complete: bool) -> None:
    token = token_for(name)
    assert token.user_sid == sid and token.complete is complete


def test_documented_tokens() -> None:
    assert SYSTEM.groups == {"S-1-5-32-544", "S-1-1-0", "S-1-5-11"}
    assert "S-1-5-32-544" not in NETSVC.groups
    assert {"S-1-1-0", "S-1-5-11", "S-1-5-32-545", "S-1-5-6"} <= NETSVC.groups
    assert {"S-1-5-32-568", "S-1-5-82-0"} <= POOL.groups


WHOAMI_TABLE = """
USER INFORMATION
----------------

User Name        SID
================ ==============================================
contoso\\svc-web S-1-5-21-1004336348-1177238915-682003330-1207


GROUP INFORMATION
-----------------

Group Name                             Type             SID                                           Attributes
====================================== ================ ============================================= ==================================================
Everyone                               Well-known group S-1-1-0                                       Mandatory group, Enabled by default, Enabled group
BUILTIN\\Administrators                 Alias            S-1-5-32-544                                  Group used for deny only
BUILTIN\\Users                          Alias            S-1-5-32-545                                  Mandatory group, Enabled by default, Enabled group
NT AUTHORITY\\Authenticated Users       Well-known group S-1-5-11                                      Mandatory group, Enabled by default, Enabled group
CONTOSO\\PKI-Deployers                  Group            S-1-5-21-1004336348-1177238915-682003330-1105 Mandatory group, Enabled by default, Enabled group
Mandatory Label\\Medium Mandatory Level Label            S-1-16-8192
"""

WHOAMI_CSV = (
    '"Group Name","Type","SID","Attributes"\n'
    '"Jeder","Bekannte Gruppe","S-1-1-0","Verbindliche Gruppe, Standardmäßig aktiviert, Aktivierte Gruppe"\n'
    '"VORDEFINIERT\\Administratoren","Alias","S-1-5-32-544","Gruppe wird nur zum Verweigern verwendet"\n'
)


def test_whoami_table_token() -> None:
    whoami = parse_whoami(WHOAMI_TABLE)
    assert whoami is not None
    assert whoami.user_sid == "S-1-5-21-1004336348-1177238915-682003330-1207"
    token = whoami.token()
    assert token.complete and token.account == "contoso\\svc-web"
    assert DEPLOY_GROUP in token.groups and "S-1-5-32-544" in token.deny_only
    assert not any(sid.startswith("S-1-16-") for sid in token.groups | token.possible)
    named = token_for("CONTOSO\\svc-web", whoami=token)
    assert can_read_sddl(f"D:P(A;;FA;;;{DEPLOY_GROUP})", named).result == ALLOWED
    # A deny-only group matches deny ACEs, never allow ACEs (a UAC-filtered admin token).
    assert can_read_sddl("D:PAI(A;;GAGR;;;BA)", named).result == DENIED
    assert can_read_sddl("D:P(D;;FA;;;BA)(A;;FA;;;WD)", named).result == DENIED
    # With the paste, a group the account does not hold is not held.
    assert can_read_sddl("D:P(A;;FA;;;S-1-5-21-1-2-3-4)", named).result == DENIED


def test_whoami_csv_german() -> None:
    whoami = parse_whoami(WHOAMI_CSV)
    assert whoami is not None and whoami.user_sid is None
    token = whoami.token("CONTOSO\\svc-web")
    assert token.groups == {"S-1-1-0"} and token.deny_only == {"S-1-5-32-544"}


def test_whoami_without_groups() -> None:
    assert parse_whoami("User Name SID\n=== ===\nx S-1-5-18\n") is None
    assert parse_whoami("") is None


# --------------------------------------------------------------------------- hostile input

_ALPHABET = "DOGSPAI:();0x1FRWGXCSYBUTNOWE-12589"
_TOKENS = [SYSTEM, NETSVC, UNKNOWN_USER, MSSQL]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=160), st.sampled_from(_TOKENS))
def test_hostile_sddl_never_raises(sddl: str, token: Token) -> None:
    answer: AccessAnswer = can_read_sddl(sddl, token)
    assert answer.result in (ALLOWED, DENIED, NOT_KNOWN)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_hostile_whoami_never_raises(text: str) -> None:
    whoami = parse_whoami(text)
    if whoami is not None:
        whoami.token("x")
