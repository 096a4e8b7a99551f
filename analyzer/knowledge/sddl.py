"""The project's one SDDL parser: a security descriptor string as certutil, Get-Acl and
`icacls /save` users paste it, read into owner, group, DACL flags and the ACEs in stored order.

The format: "Security Descriptor String Format", "ACE Strings" and "SID Strings"
(learn.microsoft.com/windows/win32/secauthz/security-descriptor-string-format, .../ace-strings,
.../sid-strings). A DACL absent from the string (no ``D:``) or ``D:NO_ACCESS_CONTROL`` is a NULL
DACL (everyone has full access); ``D:`` or ``D:PAI`` with no ACE is an empty DACL (nobody has
any access): "Null DACLs and Empty DACLs" (learn.microsoft.com/windows/win32/secauthz/
null-dacls-and-empty-dacls).

Customer text is untrusted: the string is bounded (`MAX_SDDL_CHARS`, `MAX_ACES`), parsing never
raises, and whatever could not be read is kept as a problem (and an ACE that could not be read
is kept as unreadable, so that an access check never skips it silently).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

MAX_SDDL_CHARS = 64 * 1024
MAX_ACES = 1024
_MAX_ACE_CHARS = 4096

# SDDL right letters -> access-mask bits, as "ACE Strings" lists them. Generic rights stay
# generic here; mapping them onto file rights is the access check's business.
RIGHT_LETTERS: dict[str, int] = {
    "GA": 0x10000000,
    "GR": 0x80000000,
    "GW": 0x40000000,
    "GX": 0x20000000,
    "RC": 0x00020000,
    "SD": 0x00010000,
    "WD": 0x00040000,
    "WO": 0x00080000,
    "RP": 0x00000010,
    "WP": 0x00000020,
    "CC": 0x00000001,
    "DC": 0x00000002,
    "LC": 0x00000004,
    "SW": 0x00000008,
    "LO": 0x00000080,
    "DT": 0x00000040,
    "CR": 0x00000100,
    "FA": 0x001F01FF,
    "FR": 0x00120089,
    "FW": 0x00120116,
    "FX": 0x001200A0,
    "KA": 0x000F003F,
    "KR": 0x00020019,
    "KW": 0x00020006,
    "KX": 0x00020019,
    "NR": 0x00000002,  # mandatory-label no-read-up (only in an ML ACE)
    "NW": 0x00000001,
    "NX": 0x00000004,
}

# ACE type strings ("ACE Strings"): what each is for an access check on a file.
ALLOW_TYPES = frozenset({"A"})
DENY_TYPES = frozenset({"D"})
OBJECT_TYPES = frozenset({"OA", "OD"})
CALLBACK_TYPES = frozenset({"XA", "XD", "ZA"})  # conditional (callback) ACEs
NON_ACCESS_TYPES = frozenset({"AU", "AL", "OU", "OL", "ML", "XU", "RA", "SP"})
ACE_TYPES = ALLOW_TYPES | DENY_TYPES | OBJECT_TYPES | CALLBACK_TYPES | NON_ACCESS_TYPES
ACE_FLAGS = frozenset({"CI", "OI", "NP", "IO", "ID", "SA", "FA", "TP", "CR"})
DACL_FLAGS = ("NO_ACCESS_CONTROL", "AR", "AI", "P")  # longest first

# SID string aliases ("SID Strings") with a fixed SID.
SID_ALIASES: dict[str, str] = {
    "AN": "S-1-5-7",
    "AO": "S-1-5-32-548",
    "AU": "S-1-5-11",
    "BA": "S-1-5-32-544",
    "BG": "S-1-5-32-546",
    "BO": "S-1-5-32-551",
    "BU": "S-1-5-32-545",
    "CG": "S-1-3-1",
    "CO": "S-1-3-0",
    "CY": "S-1-5-32-569",
    "ED": "S-1-5-9",
    "ER": "S-1-5-32-573",
    "HA": "S-1-5-32-578",
    "HI": "S-1-16-12288",
    "IS": "S-1-5-32-568",
    "IU": "S-1-5-4",
    "LS": "S-1-5-19",
    "LU": "S-1-5-32-559",
    "LW": "S-1-16-4096",
    "ME": "S-1-16-8192",
    "MU": "S-1-5-32-558",
    "NO": "S-1-5-32-556",
    "NS": "S-1-5-20",
    "NU": "S-1-5-2",
    "OW": "S-1-3-4",
    "PO": "S-1-5-32-550",
    "PS": "S-1-5-10",
    "PU": "S-1-5-32-547",
    "RA": "S-1-5-32-575",
    "RC": "S-1-5-12",
    "RD": "S-1-5-32-555",
    "RE": "S-1-5-32-552",
    "RM": "S-1-5-32-580",
    "RU": "S-1-5-32-554",
    "SI": "S-1-16-16384",
    "SO": "S-1-5-32-549",
    "SU": "S-1-5-6",
    "SY": "S-1-5-18",
    "UD": "S-1-5-84-0-0-0-0-0",
    "WD": "S-1-1-0",
    "WR": "S-1-5-33",
    "AC": "S-1-15-2-1",
    "AA": "S-1-5-32-579",
    "CD": "S-1-5-32-574",
}
# Aliases relative to a domain or to the machine ("SID Strings"): a real principal whose SID the
# string does not give.
RELATIVE_ALIASES = frozenset(
    {
        "CA",
        "DA",
        "DC",
        "DD",
        "DG",
        "DU",
        "EA",
        "PA",
        "RS",
        "SA",
        "LA",
        "LG",
        "AP",
        "KA",
        "EK",
        "CN",
        "RO",
    }
)

_SID = re.compile(r"S-1-\d{1,15}(?:-\d{1,10}){0,15}", re.IGNORECASE)
_COMPONENT = re.compile(r"([OGDS]):")


@dataclass(frozen=True)
class Ace:
    """One ACE as stored. ``index`` is its 0-based position in the DACL; ``mask`` the rights
    (generic bits as written), None when the rights could not be read; ``sid`` the trustee's SID,
    None for a domain-relative alias or a trustee that could not be read."""

    index: int
    text: str
    type: str
    flags: tuple[str, ...]
    rights: tuple[str, ...]  # letters as written ("GA", "GR"), or the number as written
    mask: int | None
    trustee: str
    sid: str | None
    object_type: str = ""
    inherited_object_type: str = ""
    problems: tuple[str, ...] = ()

    @property
    def readable(self) -> bool:
        """Type, flags, rights and trustee all read: an access check can rely on this ACE."""
        return (
            self.type in ACE_TYPES
            and self.mask is not None
            and all(flag in ACE_FLAGS for flag in self.flags)
            and (self.sid is not None or self.trustee in RELATIVE_ALIASES)
        )

    @property
    def inherit_only(self) -> bool:
        return "IO" in self.flags

    @property
    def inherited(self) -> bool:
        return "ID" in self.flags


@dataclass(frozen=True)
class SecurityDescriptor:
    text: str
    owner: str | None = None  # as written: "BA" or a SID
    owner_sid: str | None = None
    group: str | None = None
    group_sid: str | None = None
    # True: a DACL (maybe empty); False: a NULL DACL; None: not known (no D: in a string that
    # could not be read whole, or in an empty one).
    dacl_present: bool | None = None
    dacl_flags: tuple[str, ...] = ()
    aces: tuple[Ace, ...] = ()
    truncated: bool = False  # ACEs beyond MAX_ACES or MAX_SDDL_CHARS were not read
    problems: tuple[str, ...] = ()

    @property
    def null_dacl(self) -> bool:
        return self.dacl_present is False

    @property
    def protected(self) -> bool:
        return "P" in self.dacl_flags


def trustee_sid(trustee: str) -> str | None:
    """The SID of an SDDL trustee: an alias with a fixed SID, or a SID string (normalised)."""
    text = trustee.strip()
    if text.upper() in SID_ALIASES:
        return SID_ALIASES[text.upper()]
    if _SID.fullmatch(text) and all(int(part) <= 0xFFFFFFFF for part in text.split("-")[3:]):
        return "S-" + text[2:].upper() if text[:2].upper() == "S-" else None
    return None


def rights_mask(rights: str) -> tuple[tuple[str, ...], int | None, str | None]:
    """(letters, mask, problem) of an ACE's rights field: ``GAGR``, ``0x1200a9`` or ``1179817``."""
    text = rights.strip()
    if not text:
        return (), None, "empty rights field"
    if text[:2].lower() == "0x":
        digits = text[2:]
        if 0 < len(digits) <= 8 and all(c in "0123456789abcdefABCDEF" for c in digits):
            return (text,), int(digits, 16), None
        return (text,), None, f"rights {text[:20]!r} are not a 32-bit hex mask"
    if text.isdigit():
        value = int(text[:11])
        if len(text) <= 10 and value <= 0xFFFFFFFF:
            return (text,), value, None
        return (text,), None, f"rights {text[:20]!r} are not a 32-bit mask"
    if len(text) % 2:
        return (text,), None, f"rights {text[:20]!r} are not two-letter codes"
    letters = tuple(text[i : i + 2].upper() for i in range(0, len(text), 2))
    unknown = [letter for letter in letters if letter not in RIGHT_LETTERS]
    if unknown:
        return letters, None, "unknown right code(s) " + ",".join(sorted(set(unknown)))[:60]
    mask = 0
    for letter in letters:
        mask |= RIGHT_LETTERS[letter]
    return letters, mask, None


def parse_ace(index: int, body: str) -> Ace:
    """One ACE from the text between its parentheses."""
    text = f"({body})"
    fields = body.split(";", 6)
    problems: list[str] = []
    if len(fields) < 6:
        return Ace(
            index, text, "", (), (), None, "", None, problems=("not six ';'-separated fields",)
        )
    ace_type = fields[0].strip().upper()
    if ace_type not in ACE_TYPES:
        problems.append(f"unknown ACE type {fields[0][:8]!r}")
    flag_text = fields[1].strip().upper()
    flags = tuple(flag_text[i : i + 2] for i in range(0, len(flag_text), 2))
    bad_flags = [f for f in flags if f not in ACE_FLAGS]
    if bad_flags or len(flag_text) % 2:
        problems.append("unknown ACE flag(s) " + flag_text[:30])
    letters, mask, problem = rights_mask(fields[2])
    if problem:
        problems.append(problem)
    trustee = fields[5].strip()
    sid = trustee_sid(trustee)
    if sid is None and trustee.upper() not in RELATIVE_ALIASES:
        problems.append(f"unknown trustee {trustee[:60]!r}")
    return Ace(
        index,
        text,
        ace_type,
        flags,
        letters,
        mask,
        trustee.upper() if len(trustee) == 2 else trustee,
        sid,
        fields[3].strip(),
        fields[4].strip(),
        tuple(problems),
    )


def _read_aces(text: str, start: int, problems: list[str]) -> tuple[list[Ace], int, bool]:
    """ACEs from ``text[start:]`` up to the next component; (aces, end, truncated)."""
    aces: list[Ace] = []
    pos = start
    while pos < len(text):
        char = text[pos]
        if char == "(":
            depth, end = 0, pos
            while end < len(text) and end - pos <= _MAX_ACE_CHARS:
                if text[end] == "(":
                    depth += 1
                elif text[end] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                end += 1
            if end >= len(text) or depth != 0:
                problems.append(f"ACE {len(aces)} is not closed: {text[pos : pos + 60]!r}")
                cut = parse_ace(len(aces), text[pos + 1 : pos + 1 + _MAX_ACE_CHARS])
                # its trustee may have lost its end: not known
                aces.append(
                    replace(cut, trustee="", sid=None, problems=(*cut.problems, "not closed"))
                )
                return aces, len(text), False
            if len(aces) >= MAX_ACES:
                problems.append(f"more than {MAX_ACES} ACEs: the rest was not read")
                return aces, len(text), True
            aces.append(parse_ace(len(aces), text[pos + 1 : end]))
            pos = end + 1
        elif _COMPONENT.match(text, pos):
            return aces, pos, False  # the next component (ACEs are always in parentheses)
        elif char.isspace():
            pos += 1
        else:
            nxt = min(
                (i for i in (text.find("(", pos), _next_component(text, pos)) if i >= 0), default=-1
            )
            stop = nxt if nxt > pos else len(text)
            problems.append(f"unreadable text in the ACL: {text[pos:stop][:60]!r}")
            aces.append(
                Ace(
                    len(aces),
                    text[pos:stop][:200],
                    "",
                    (),
                    (),
                    None,
                    "",
                    None,
                    problems=("not an ACE",),
                )
            )
            pos = stop
    return aces, pos, False


def _next_component(text: str, pos: int) -> int:
    match = _COMPONENT.search(text, pos)
    return match.start() if match else -1


def parse_sddl(sddl: str) -> SecurityDescriptor:
    """Parse a security descriptor string; never raises. Problems are listed, not thrown."""
    problems: list[str] = []
    truncated = False
    text = "".join(ch for ch in sddl if ch.isprintable()).strip()
    if len(text) > MAX_SDDL_CHARS:
        problems.append(f"SDDL longer than {MAX_SDDL_CHARS} characters: the rest was not read")
        text = text[:MAX_SDDL_CHARS]
        truncated = True
    owner = owner_sid = group = group_sid = None
    dacl_present: bool | None = None
    dacl_flags: tuple[str, ...] = ()
    aces: list[Ace] = []
    seen: set[str] = set()
    pos = 0
    while pos < len(text):
        match = _COMPONENT.match(text, pos)
        if not match:
            nxt = _next_component(text, pos + 1)
            stop = nxt if nxt > pos else len(text)
            problems.append(f"unreadable text: {text[pos:stop][:60]!r}")
            pos = stop
            continue
        kind = match.group(1)
        pos = match.end()
        if kind in seen:
            problems.append(f"a second {kind}: component")
        seen.add(kind)
        if kind in "OG":
            sid_match = _SID.match(text, pos)
            value = sid_match.group(0) if sid_match else text[pos : pos + 2]
            pos += len(value)
            resolved = trustee_sid(value)
            if resolved is None and value.upper() not in RELATIVE_ALIASES:
                problems.append(f"unknown {'owner' if kind == 'O' else 'group'} {value!r}")
            if kind == "O":
                owner, owner_sid = value, resolved
            else:
                group, group_sid = value, resolved
            continue
        flags: list[str] = []
        while True:
            flag = next((f for f in DACL_FLAGS if text.startswith(f, pos)), None)
            if flag is None:
                break
            flags.append(flag)
            pos += len(flag)
        component_problems: list[str] = []
        component_aces, pos, cut = _read_aces(text, pos, component_problems)
        if kind == "D":
            problems.extend(component_problems)
            truncated = truncated or cut
            dacl_flags = tuple(flags)
            if "NO_ACCESS_CONTROL" in flags and component_aces:
                problems.append("NO_ACCESS_CONTROL with ACEs: the DACL is not known")
            elif "NO_ACCESS_CONTROL" in flags:
                dacl_present = False
            else:
                dacl_present = True
                aces = component_aces
        # S: (the SACL) carries audit ACEs only; access checks ignore it.
    if "D" not in seen and text and not problems:
        dacl_present = False  # a whole descriptor without a DACL part: a NULL DACL
    return SecurityDescriptor(
        text=text,
        owner=owner,
        owner_sid=owner_sid,
        group=group,
        group_sid=group_sid,
        dacl_present=dacl_present,
        dacl_flags=dacl_flags,
        aces=tuple(aces),
        truncated=truncated,
        problems=tuple(problems),
    )
