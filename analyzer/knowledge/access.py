"""Can account A open this key file for read? Computed from the file's DACL as Windows does.

The algorithm ("How DACLs Control Access to an Object",
learn.microsoft.com/windows/win32/secauthz/how-dacls-control-access-to-an-object): the ACEs are
read in their *stored* order; an ACE whose trustee the token holds either grants rights (they
accumulate) or denies them; access is allowed once every requested right is granted, denied as
soon as a deny ACE names a requested right not granted yet, and denied when the list ends with a
right still missing. A non-canonical order ("Order of ACEs in a DACL",
learn.microsoft.com/windows/win32/secauthz/order-of-aces-in-a-dacl) is evaluated as stored and
reported. Inherit-only (IO) ACEs do not apply to the file itself. A NULL DACL gives everyone full
access, an empty DACL nobody any ("Null DACLs and Empty DACLs",
learn.microsoft.com/windows/win32/secauthz/null-dacls-and-empty-dacls). The owner holds
READ_CONTROL and WRITE_DAC implicitly unless an OWNER RIGHTS (S-1-3-4, ``OW``) ACE applies, in
which case the OW ACEs give the owner its rights instead ("Well-known SIDs",
learn.microsoft.com/windows-server/identity/ad-ds/manage/understand-security-identifiers); the
implicit rights never include reading the file's data.

"Read" is what CryptoAPI and CNG ask when they open a key file, GENERIC_READ, which the file
object maps to FILE_GENERIC_READ = 0x120089 (READ_CONTROL | SYNCHRONIZE | FILE_READ_DATA |
FILE_READ_EA | FILE_READ_ATTRIBUTES).

Facts the evidence does not give (a group membership, the owner, a conditional ACE) are not
guessed: every combination of them is tried, and the answer is a verdict only when all agree;
otherwise it is "not known" and says what it depends on.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analyzer.knowledge.sddl import (
    ACE_FLAGS,
    ACE_TYPES,
    ALLOW_TYPES,
    CALLBACK_TYPES,
    DENY_TYPES,
    OBJECT_TYPES,
    RELATIVE_ALIASES,
    parse_sddl,
)
from analyzer.knowledge.tokens import OWNER_RIGHTS, Token, app_pool_sid, service_sid
from analyzer.knowledge.wellknown import WELL_KNOWN, display_name, fold, sid_of
from analyzer.model import AclEntry, Source

# --------------------------------------------------------------------------- access masks
# "Access Mask Format" (learn.microsoft.com/windows/win32/secauthz/access-mask-format),
# "Standard Access Rights" (.../secauthz/standard-access-rights) and "File Access Rights
# Constants" (learn.microsoft.com/windows/win32/fileio/file-access-rights-constants).
FILE_READ_DATA = 0x0001
FILE_WRITE_DATA = 0x0002
FILE_APPEND_DATA = 0x0004
FILE_READ_EA = 0x0008
FILE_WRITE_EA = 0x0010
FILE_EXECUTE = 0x0020
FILE_DELETE_CHILD = 0x0040
FILE_READ_ATTRIBUTES = 0x0080
FILE_WRITE_ATTRIBUTES = 0x0100
DELETE = 0x00010000
READ_CONTROL = 0x00020000
WRITE_DAC = 0x00040000
WRITE_OWNER = 0x00080000
SYNCHRONIZE = 0x00100000
ACCESS_SYSTEM_SECURITY = 0x01000000
MAXIMUM_ALLOWED = 0x02000000
GENERIC_ALL = 0x10000000
GENERIC_EXECUTE = 0x20000000
GENERIC_WRITE = 0x40000000
GENERIC_READ = 0x80000000

# "File Security and Access Rights" (learn.microsoft.com/windows/win32/fileio/
# file-security-and-access-rights): what each generic right means for a file.
FILE_GENERIC_READ = (
    READ_CONTROL | FILE_READ_DATA | FILE_READ_ATTRIBUTES | FILE_READ_EA | SYNCHRONIZE
)
FILE_GENERIC_WRITE = (
    READ_CONTROL
    | FILE_WRITE_DATA
    | FILE_WRITE_ATTRIBUTES
    | FILE_WRITE_EA
    | FILE_APPEND_DATA
    | SYNCHRONIZE
)
FILE_GENERIC_EXECUTE = READ_CONTROL | FILE_READ_ATTRIBUTES | FILE_EXECUTE | SYNCHRONIZE
FILE_ALL_ACCESS = 0x000F0000 | SYNCHRONIZE | 0x1FF
OWNER_IMPLICIT = READ_CONTROL | WRITE_DAC

# "Generic Access Rights" (learn.microsoft.com/windows/win32/secauthz/generic-access-rights):
# each object type maps generic bits onto its own rights; for files, onto FILE_GENERIC_*.
_GENERIC_TO_FILE = (
    (GENERIC_READ, FILE_GENERIC_READ),
    (GENERIC_WRITE, FILE_GENERIC_WRITE),
    (GENERIC_EXECUTE, FILE_GENERIC_EXECUTE),
    (GENERIC_ALL, FILE_ALL_ACCESS),
)


def map_generic(mask: int) -> int:
    """An ACE mask with its generic bits replaced by the file rights they stand for."""
    mask &= 0xFFFFFFFF
    for generic, specific in _GENERIC_TO_FILE:
        if mask & generic:
            mask = (mask & ~generic) | specific
    return mask


# icacls' rights as it prints and accepts them ("icacls", learn.microsoft.com/windows-server/
# administration/windows-commands/icacls). The simple rights are the masks icacls prints as one
# letter (a mask it cannot name prints as a list of specific rights); ``W`` is FILE_GENERIC_WRITE
# without READ_CONTROL, which is why ``(R,W)`` prints for 0x12019F. ``WDAC`` and ``D`` are how
# the Get-Acl reader spells WRITE_DAC and DELETE.
ICACLS_SIMPLE: dict[str, int] = {
    "F": FILE_ALL_ACCESS,
    "M": 0x001301BF,
    "RX": 0x001200A9,
    "R": FILE_GENERIC_READ,
    "W": 0x00100116,
    "D": DELETE,
    "N": 0,
}
ICACLS_SPECIFIC: dict[str, int] = {
    "DE": DELETE,
    "RC": READ_CONTROL,
    "WDAC": WRITE_DAC,
    "WO": WRITE_OWNER,
    "S": SYNCHRONIZE,
    "AS": ACCESS_SYSTEM_SECURITY,
    "MA": MAXIMUM_ALLOWED,
    "GR": GENERIC_READ,
    "GW": GENERIC_WRITE,
    "GE": GENERIC_EXECUTE,
    "GA": GENERIC_ALL,
    "RD": FILE_READ_DATA,
    "WD": FILE_WRITE_DATA,
    "AD": FILE_APPEND_DATA,
    "REA": FILE_READ_EA,
    "WEA": FILE_WRITE_EA,
    "X": FILE_EXECUTE,
    "DC": FILE_DELETE_CHILD,
    "RA": FILE_READ_ATTRIBUTES,
    "WA": FILE_WRITE_ATTRIBUTES,
}


def icacls_mask(rights: Iterable[str]) -> int | None:
    """The mask of icacls rights (``("F",)``, ``("RD", "REA", "RA", "RC", "S")``, ``("0x120089",)``)
    with generic rights mapped; None when one of them is not an icacls right."""
    mask = 0
    for right in rights:
        name = right.strip().upper()
        if name in ICACLS_SIMPLE:
            mask |= ICACLS_SIMPLE[name]
        elif name in ICACLS_SPECIFIC:
            mask |= ICACLS_SPECIFIC[name]
        elif name.startswith("0X") and 2 < len(name) <= 10:
            try:
                mask |= int(name, 16)
            except ValueError:
                return None
        else:
            return None
    return map_generic(mask)


_RIGHT_NAMES = (
    (FILE_READ_DATA, "FILE_READ_DATA"),
    (FILE_READ_EA, "FILE_READ_EA"),
    (FILE_READ_ATTRIBUTES, "FILE_READ_ATTRIBUTES"),
    (READ_CONTROL, "READ_CONTROL"),
    (SYNCHRONIZE, "SYNCHRONIZE"),
    (FILE_WRITE_DATA, "FILE_WRITE_DATA"),
    (FILE_APPEND_DATA, "FILE_APPEND_DATA"),
    (FILE_WRITE_EA, "FILE_WRITE_EA"),
    (FILE_EXECUTE, "FILE_EXECUTE"),
    (FILE_DELETE_CHILD, "FILE_DELETE_CHILD"),
    (FILE_WRITE_ATTRIBUTES, "FILE_WRITE_ATTRIBUTES"),
    (DELETE, "DELETE"),
    (WRITE_DAC, "WRITE_DAC"),
    (WRITE_OWNER, "WRITE_OWNER"),
)


def right_names(mask: int) -> str:
    """``FILE_READ_DATA, READ_CONTROL`` for a mask of file rights (for messages)."""
    names = [name for bit, name in _RIGHT_NAMES if mask & bit]
    return ", ".join(names) if names else f"0x{mask:x}"


# --------------------------------------------------------------------------- the ACL as checked

ALLOWED = "allowed"
DENIED = "denied"
NOT_KNOWN = "not known"

MAX_UNKNOWNS = 10  # facts not known, tried in every combination (2**10 walks at most)
MAX_STEPS = 1 << 18  # walks x ACEs: bounds the time a hostile ACL can cost

# Domains and names of well-known accounts as icacls prints them in any language: an unresolved
# name with one of them may be a well-known account under a spelling the table lacks.
_WELL_KNOWN_SHORT_NAMES = frozenset(
    fold(name.rsplit("\\", 1)[-1]) for _, names in WELL_KNOWN.values() for name in names
)
_WELL_KNOWN_DOMAINS = frozenset(
    fold(name.split("\\", 1)[0])
    for _, names in WELL_KNOWN.values()
    for name in names
    if "\\" in name
) | {fold("NT AUTHORITY"), fold("BUILTIN")}


@dataclass(frozen=True)
class CheckedAce:
    """An ACE as the access check sees it, whatever listing it came from. ``kind``: "access"
    (allow or deny), "object" (object-type ACE), "callback" (conditional ACE), "other" (not an
    access ACE: audit, label), "unreadable". ``mask``: file rights, generic bits mapped; None when
    not readable. ``sid`` None: a trustee whose SID is not known."""

    index: int
    text: str
    kind: str
    allow: bool
    mask: int | None
    trustee: str
    sid: str | None
    inherit_only: bool = False
    inherited: bool = False
    maybe_well_known: bool = False  # an unresolved name that may be a well-known account
    source: Source | None = None


@dataclass(frozen=True)
class Acl:
    """A file's DACL for the access check. ``dacl``: "present", "null" or "unknown"."""

    aces: tuple[CheckedAce, ...]
    dacl: str = "present"
    owner_sid: str | None = None
    owner_known: bool = False
    truncated: bool = False
    problems: tuple[str, ...] = ()
    source: Source | None = None


def acl_from_sddl(sddl: str, source: Source | None = None) -> Acl:
    """The DACL of a security descriptor string (a certutil dump's key SDDL, Get-Acl's Sddl)."""
    descriptor = parse_sddl(sddl)
    aces = []
    for ace in descriptor.aces:
        if ace.type not in ACE_TYPES or ace.mask is None or not set(ace.flags) <= ACE_FLAGS:
            kind = "unreadable"
        elif ace.type in ALLOW_TYPES | DENY_TYPES:
            kind = "access"
        elif ace.type in OBJECT_TYPES:
            kind = "object"
        elif ace.type in CALLBACK_TYPES:
            kind = "callback"
        else:
            kind = "other"
        aces.append(
            CheckedAce(
                index=ace.index,
                text=ace.text,
                kind=kind,
                allow=ace.type in ("A", "OA", "XA", "ZA"),
                mask=map_generic(ace.mask) if ace.mask is not None else None,
                trustee=ace.trustee,
                sid=ace.sid,
                inherit_only=ace.inherit_only,
                inherited=ace.inherited,
                # a trustee that could not be read may be a well-known one, mangled
                maybe_well_known=ace.sid is None and ace.trustee.upper() not in RELATIVE_ALIASES,
                source=source,
            )
        )
    if descriptor.dacl_present is None:
        dacl = "unknown"
    else:
        dacl = "present" if descriptor.dacl_present else "null"
    return Acl(
        aces=tuple(aces),
        dacl=dacl,
        owner_sid=descriptor.owner_sid,
        owner_known=descriptor.owner_sid is not None,
        truncated=descriptor.truncated,
        problems=descriptor.problems,
        source=source,
    )


def _entry_sid(entry: AclEntry) -> tuple[str | None, bool]:
    """(SID, may be well-known) of an icacls or Get-Acl account."""
    if entry.sid:
        return entry.sid, False
    name = entry.account.strip()
    known = sid_of(name)
    if known:
        return known, False
    domain, sep, short = name.partition("\\")
    if sep and short and fold(domain) == "nt service":
        return service_sid(short), False
    if sep and short and fold(domain) == "iis apppool":
        return app_pool_sid(short), False
    maybe = not sep or fold(domain) in _WELL_KNOWN_DOMAINS or fold(short) in _WELL_KNOWN_SHORT_NAMES
    return None, maybe


def _entry_text(entry: AclEntry) -> str:
    flags = "".join(f"({flag})" for flag in entry.inheritance)
    inherited = "(I)" if entry.inherited else ""
    deny = "" if entry.allow else "(DENY)"
    return f"{entry.account}:{deny}{inherited}{flags}({','.join(entry.rights)})"


def acl_from_entries(entries: Sequence[AclEntry], path: str | None = None) -> Acl:
    """The DACL of one file from icacls or Get-Acl entries, in listed order (the stored order).
    ``path`` picks one file's entries from a listing of several."""
    chosen = [e for e in entries if path is None or e.path.rstrip("\\") == path.rstrip("\\")]
    aces = []
    for index, entry in enumerate(chosen):
        mask = icacls_mask(entry.rights)
        sid, maybe_well_known = _entry_sid(entry)
        aces.append(
            CheckedAce(
                index=index,
                text=_entry_text(entry),
                kind="access" if mask is not None else "unreadable",
                allow=entry.allow,
                mask=mask,
                trustee=entry.account,
                sid=sid,
                inherit_only="IO" in entry.inheritance,
                inherited=entry.inherited,
                maybe_well_known=maybe_well_known,
                source=entry.source,
            )
        )
    owner_name = next((e.owner for e in chosen if e.owner), None)
    owner_sid = sid_of(owner_name) if owner_name else None
    return Acl(
        aces=tuple(aces),
        dacl="present" if aces else "unknown",  # a listing without entries says nothing
        owner_sid=owner_sid,
        owner_known=owner_sid is not None,
        source=chosen[0].source if chosen else None,
    )


# --------------------------------------------------------------------------- the answer


@dataclass(frozen=True)
class AceRef:
    """An ACE that decided an answer: its index in the DACL, its text, and where it was read."""

    index: int
    text: str
    source: Source | None = None


@dataclass(frozen=True)
class Finding:
    """Something about the ACL worth saying whatever the account: non-canonical order, an object
    or conditional ACE, an unreadable ACE, ..."""

    code: str
    text: str
    aces: tuple[int, ...] = ()


@dataclass(frozen=True)
class AccessAnswer:
    """``result`` is ALLOWED, DENIED or NOT_KNOWN; ``deciding`` the ACEs that decided it (for an
    implicit deny, the ACEs that granted part of the rights); ``depends_on`` what a NOT_KNOWN
    answer depends on; ``missing`` the requested rights not granted (for a deny)."""

    result: str
    account: str
    account_sid: str | None
    reason: str
    requested: int = FILE_GENERIC_READ
    deciding: tuple[AceRef, ...] = ()
    findings: tuple[Finding, ...] = ()
    depends_on: tuple[str, ...] = ()
    missing: int = 0
    basis: str = ""  # where the account's groups come from


_KIND_FINDINGS = {
    "object": ("object-ace", "is an object ACE, not used on files: its effect is not known"),
    "callback": ("conditional-ace", "is a conditional ACE: its condition is not evaluated"),
    "other": ("not-access-ace", "is not an access ACE and takes no part in the check"),
    "unreadable": ("unreadable-ace", "could not be read"),
}


def findings_of(acl: Acl) -> tuple[Finding, ...]:
    """What is worth saying about an ACL whatever the account."""
    out: list[Finding] = [Finding("sddl-problem", problem) for problem in acl.problems]
    first_inherited: CheckedAce | None = None
    first_explicit_allow: CheckedAce | None = None
    for ace in acl.aces:
        if ace.kind in _KIND_FINDINGS:
            code, what = _KIND_FINDINGS[ace.kind]
            out.append(Finding(code, f"ACE {ace.index} {ace.text[:120]} {what}", (ace.index,)))
        if ace.kind != "access":
            continue
        if ace.inherited:
            first_inherited = first_inherited or ace
        elif first_inherited is not None:
            out.append(
                Finding(
                    "non-canonical-order",
                    f"explicit ACE {ace.index} comes after inherited ACE {first_inherited.index}: "
                    "not the canonical order; Windows evaluates the ACEs as stored",
                    (first_inherited.index, ace.index),
                )
            )
        elif ace.allow:
            first_explicit_allow = first_explicit_allow or ace
        elif first_explicit_allow is not None:
            out.append(
                Finding(
                    "non-canonical-order",
                    f"deny ACE {ace.index} comes after allow ACE {first_explicit_allow.index}: "
                    "not the canonical order; Windows evaluates the ACEs as stored",
                    (first_explicit_allow.index, ace.index),
                )
            )
    if acl.truncated:
        out.append(Finding("truncated", "the ACL was longer than the limits: its end was not read"))
    return tuple(out)


@dataclass(frozen=True)
class _Walk:
    result: str
    deciding: tuple[CheckedAce, ...]
    granted: int
    owner_implicit: bool
    stop: CheckedAce | None = None  # the deny or unreadable ACE the walk stopped at


def _variable(
    ace: CheckedAce, token: Token, is_owner: bool | None
) -> tuple[str | None, bool | None]:
    """(key of the unknown fact, known value) for whether ``ace`` applies to ``token``."""
    if ace.kind in ("object", "callback"):
        held = token.holds(ace.sid, for_deny=not ace.allow) if ace.sid != OWNER_RIGHTS else None
        return (None, False) if held is False else (f"ace:{ace.index}", None)
    if ace.kind == "unreadable" and not ace.sid and not ace.trustee:
        return None, True  # nothing readable: it may be anything, for anyone
    if ace.sid == OWNER_RIGHTS:
        return ("owner", None) if is_owner is None else (None, is_owner)
    if ace.sid is None and fold(ace.trustee) == fold(token.account):
        return None, True  # the account itself, named as the listing prints it
    if ace.sid is None and ace.maybe_well_known:
        return f"name:{fold(ace.trustee)}", None
    held = token.holds(ace.sid, for_deny=not ace.allow)
    if held is None:
        return (f"sid:{ace.sid}" if ace.sid else f"name:{fold(ace.trustee)}"), None
    return None, held


def _walk(
    acl: Acl, token: Token, requested: int, applies: dict[int, bool], is_owner: bool
) -> _Walk:
    granted = 0
    owner_implicit = False
    owner_rights_ace = any(
        a.sid == OWNER_RIGHTS and a.kind == "access" and not a.inherit_only for a in acl.aces
    )
    if is_owner and not owner_rights_ace:
        granted |= OWNER_IMPLICIT & requested
        owner_implicit = bool(granted)
    deciding: list[CheckedAce] = []
    for ace in acl.aces:
        if ace.inherit_only or ace.kind == "other" or not applies[ace.index]:
            continue
        if ace.kind == "unreadable" or ace.mask is None:
            return _Walk(NOT_KNOWN, tuple(deciding), granted, owner_implicit, ace)
        wanted = ace.mask & requested & ~granted
        if not ace.allow:
            if wanted:
                return _Walk(DENIED, (ace,), granted, owner_implicit, ace)
            continue
        if wanted:
            granted |= wanted
            deciding.append(ace)
            if granted & requested == requested:
                return _Walk(ALLOWED, tuple(deciding), granted, owner_implicit)
    if requested == 0:
        return _Walk(ALLOWED, (), granted, owner_implicit)
    if acl.truncated:
        return _Walk(NOT_KNOWN, tuple(deciding), granted, owner_implicit)
    return _Walk(DENIED, tuple(deciding), granted, owner_implicit)


def _describe(key: str, acl: Acl, token: Token) -> str:
    kind, _, value = key.partition(":")
    if kind == "owner":
        return f"whether {token.account} owns the file"
    if kind == "ace":
        ace = acl.aces[int(value)]
        return f"whether ACE {ace.index} {ace.text} applies (object or conditional ACE)"
    if kind == "sid":
        return f"whether {token.account} is a member of {display_name(value)}"
    ace = next(a for a in acl.aces if fold(a.trustee) == value)
    return f"whether {token.account} is (a member of) {ace.trustee}"


def check_access(acl: Acl, token: Token, requested: int = FILE_GENERIC_READ) -> AccessAnswer:
    """Whether ``token`` gets ``requested`` (file rights; generic bits are mapped) from ``acl``."""
    requested = map_generic(requested)
    findings = findings_of(acl)

    def answer(
        result: str,
        reason: str,
        deciding: Iterable[CheckedAce] = (),
        depends_on: Iterable[str] = (),
        missing: int = 0,
    ) -> AccessAnswer:
        return AccessAnswer(
            result,
            token.account,
            token.user_sid,
            reason,
            requested,
            tuple(AceRef(a.index, a.text, a.source) for a in deciding),
            findings,
            tuple(depends_on),
            missing,
            token.basis,
        )

    if acl.dacl == "null":
        return answer(ALLOWED, "the file has no DACL (a NULL DACL): everyone has full access")
    if acl.dacl == "unknown":
        return answer(NOT_KNOWN, "the ACL could not be read")

    owner_value = token.holds(acl.owner_sid, for_deny=False) if acl.owner_known else None
    known: dict[int, bool] = {}
    keys_of: dict[int, str] = {}
    for ace in acl.aces:
        key, value = _variable(ace, token, owner_value)
        if key is None:
            known[ace.index] = bool(value)
        else:
            keys_of[ace.index] = key
    keys = sorted(set(keys_of.values()) | ({"owner"} if owner_value is None else set()))
    if len(keys) > MAX_UNKNOWNS or (1 << len(keys)) * max(len(acl.aces), 1) > MAX_STEPS:
        return answer(
            NOT_KNOWN,
            f"{len(keys)} facts about {token.account} are not known (group memberships, "
            "owner, conditions): too many to try",
            depends_on=[_describe(k, acl, token) for k in keys],
        )

    walks: dict[tuple[bool, ...], _Walk] = {}
    for values in itertools.product((False, True), repeat=len(keys)):
        assignment = dict(zip(keys, values, strict=True))
        applies = {
            ace.index: known[ace.index] if ace.index in known else assignment[keys_of[ace.index]]
            for ace in acl.aces
        }
        is_owner = owner_value if owner_value is not None else assignment["owner"]
        walks[values] = _walk(acl, token, requested, applies, is_owner)

    results = {walk.result for walk in walks.values()}
    baseline = walks[tuple(False for _ in keys)]
    if results == {ALLOWED}:
        return answer(ALLOWED, _allowed_reason(baseline, token), baseline.deciding)
    if results == {DENIED}:
        return answer(
            DENIED,
            _denied_reason(baseline, acl, token, requested),
            baseline.deciding,
            missing=requested & ~baseline.granted,
        )
    # A fact decides when flipping it alone changes the answer somewhere.
    deciding_keys = [
        key
        for position, key in enumerate(keys)
        if any(
            walks[values].result != walks[_with_true(values, position)].result
            for values in walks
            if not values[position]
        )
    ]
    stops = [w.stop for w in walks.values() if w.result == NOT_KNOWN and w.stop is not None]
    depends = [_describe(k, acl, token) for k in deciding_keys]
    if stops:
        depends.append(f"ACE {stops[0].index} {stops[0].text[:120]}, which could not be read")
    if any(w.result == NOT_KNOWN and w.stop is None for w in walks.values()):
        depends.append("the end of the ACL, which was not read")
    reason = f"not known for {token.account}: it depends on " + "; ".join(
        depends or ["facts not in the evidence"]
    )
    related = sorted(
        {a.index for a in acl.aces if a.index in keys_of and keys_of[a.index] in deciding_keys}
        | {s.index for s in stops}
    )
    return answer(NOT_KNOWN, reason, [acl.aces[i] for i in related], depends)


def _with_true(values: tuple[bool, ...], position: int) -> tuple[bool, ...]:
    return (*values[:position], True, *values[position + 1 :])


def _allowed_reason(walk: _Walk, token: Token) -> str:
    aces = ", ".join(f"{a.index} {a.text}" for a in walk.deciding)
    owner = "the owner's implicit READ_CONTROL and " if walk.owner_implicit else ""
    verb = "grants" if len(walk.deciding) == 1 and not owner else "grant"
    what = f"ACE {aces}" if len(walk.deciding) == 1 else f"ACEs {aces}"
    return f"{owner}{what} {verb} {token.account} every requested right before any deny"


def _denied_reason(walk: _Walk, acl: Acl, token: Token, requested: int) -> str:
    if walk.stop is not None:
        hit = walk.stop.mask & requested & ~walk.granted if walk.stop.mask else 0
        return (
            f"ACE {walk.stop.index} {walk.stop.text} denies {token.account} "
            f"{right_names(hit)} before any ACE granted it"
        )
    if not acl.aces:
        return "the DACL is empty: nobody has any access"
    missing = requested & ~walk.granted
    return f"no ACE grants {token.account} {right_names(missing)}"


def can_read_sddl(sddl: str, token: Token, source: Source | None = None) -> AccessAnswer:
    """Whether ``token`` can open for read the key file whose security descriptor is ``sddl``."""
    return check_access(acl_from_sddl(sddl, source), token)


def can_read_entries(
    entries: Sequence[AclEntry], token: Token, path: str | None = None
) -> AccessAnswer:
    """Whether ``token`` can open for read the file that icacls or Get-Acl entries describe."""
    return check_access(acl_from_entries(entries, path), token)
