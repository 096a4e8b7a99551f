"""Access tokens: which SIDs an account holds when it opens a key file, as `whoami /groups` shows
them for that account.

The documented tokens (each checked against Microsoft's page and real `whoami /all` output):
- LocalSystem: "Its token includes the NT AUTHORITY\\SYSTEM and BUILTIN\\Administrators SIDs"
  (learn.microsoft.com/windows/win32/services/localsystem-account); `whoami /groups` in lsass's
  context adds Everyone and Authenticated Users. That is the token Schannel and HTTP.sys open a
  key with. A *service process* running as LocalSystem also holds SERVICE, Users and its service
  SID: give its `whoami /groups` paste for that.
- NETWORK SERVICE / LOCAL SERVICE (learn.microsoft.com/windows/win32/services/networkservice-account,
  .../localservice-account): user SID S-1-5-20 / S-1-5-19, "any privileges assigned to users and
  authenticated users": Everyone, BUILTIN\\Users, SERVICE, CONSOLE LOGON, Authenticated Users,
  This Organization, LOCAL. Not Administrators.
- `NT SERVICE\\<name>` (virtual account, learn.microsoft.com/windows-server/identity/ad-ds/manage/
  understand-service-accounts): user SID = the service SID, S-1-5-80- and the SHA-1 of the
  upper-case service name in UTF-16LE as five little-endian 32-bit words; the groups of a service.
- `IIS APPPOOL\\<name>` (learn.microsoft.com/iis/manage/configuring-security/
  application-pool-identities): S-1-5-82- and the same construction over the *lower-case* pool
  name (checked against IIS APPPOOL\\DefaultAppPool =
  S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415), plus IIS_IUSRS and S-1-5-82-0.
- A named account: its groups from a `whoami /groups` paste, else only Everyone and
  Authenticated Users are known and every other group is "not known".

A token is ``complete`` when its groups are known in full (a documented token or a paste); then a
SID it does not hold is not held. ``possible`` SIDs are held on some machines only (BUILTIN\\
Pre-Windows 2000 Compatible Access holds Authenticated Users on domain controllers).
"""

from __future__ import annotations

import csv
import hashlib
import re
import struct
from dataclasses import dataclass, field

from analyzer.knowledge.wellknown import (
    ADMINISTRATORS,
    AUTHENTICATED_USERS,
    EVERYONE,
    LOCAL_SERVICE,
    NETWORK_SERVICE,
    SYSTEM,
    USERS,
    fold,
    sid_of,
)

SERVICE = "S-1-5-6"
THIS_ORGANIZATION = "S-1-5-15"
LOCAL = "S-1-2-0"
CONSOLE_LOGON = "S-1-2-1"
IIS_IUSRS = "S-1-5-32-568"
ALL_APP_POOLS = "S-1-5-82-0"
ALL_SERVICES = "S-1-5-80-0"
PRE_WINDOWS_2000 = "S-1-5-32-554"
PERFORMANCE_LOG_USERS = "S-1-5-32-559"
OWNER_RIGHTS = "S-1-3-4"

# Placeholders replaced at inheritance ("Well-known SIDs": CREATOR OWNER, CREATOR GROUP, ...) and
# integrity levels: no token ever holds them as a group.
NEVER_HELD = frozenset({"S-1-3-0", "S-1-3-1", "S-1-3-2", "S-1-3-3"})
# The user SIDs of the built-in service accounts: only that account's own token holds one.
SERVICE_ACCOUNT_USERS = frozenset({SYSTEM, LOCAL_SERVICE, NETWORK_SERVICE})

LOCAL_SYSTEM_PAGE = "https://learn.microsoft.com/windows/win32/services/localsystem-account"
NETWORK_SERVICE_PAGE = "https://learn.microsoft.com/windows/win32/services/networkservice-account"
LOCAL_SERVICE_PAGE = "https://learn.microsoft.com/windows/win32/services/localservice-account"
SERVICE_ACCOUNTS_PAGE = (
    "https://learn.microsoft.com/windows-server/identity/ad-ds/manage/understand-service-accounts"
)
APP_POOL_PAGE = (
    "https://learn.microsoft.com/iis/manage/configuring-security/application-pool-identities"
)

_SERVICE_GROUPS = frozenset(
    {EVERYONE, USERS, SERVICE, CONSOLE_LOGON, AUTHENTICATED_USERS, THIS_ORGANIZATION, LOCAL}
)


@dataclass(frozen=True)
class Token:
    """The SIDs an account's access token holds. ``user_sid`` None: the account's SID is not
    known. ``deny_only`` groups match deny ACEs only ("Group used for deny only")."""

    account: str
    user_sid: str | None
    groups: frozenset[str] = frozenset()
    deny_only: frozenset[str] = frozenset()
    possible: frozenset[str] = frozenset()
    complete: bool = True
    basis: str = ""  # where the groups come from: a Microsoft page, "whoami /groups", ...

    def holds(self, sid: str | None, for_deny: bool) -> bool | None:
        """Whether an ACE naming ``sid`` applies to this token: True, False, or None (not known).
        ``sid`` None is a trustee whose SID is not known (a domain-relative alias)."""
        if sid is None:
            return False if self.complete else None
        if sid == self.user_sid or sid in self.groups:
            return True
        if sid in self.deny_only:
            return for_deny
        if sid in self.possible:
            return None
        if sid in NEVER_HELD or sid.startswith("S-1-16-"):
            return False
        if sid in SERVICE_ACCOUNT_USERS:
            return False  # another built-in account's own SID, never a group
        return False if self.complete else None


LOCAL_SYSTEM_TOKEN = Token(
    "NT AUTHORITY\\SYSTEM",
    SYSTEM,
    frozenset({ADMINISTRATORS, EVERYONE, AUTHENTICATED_USERS}),
    basis=LOCAL_SYSTEM_PAGE,
)
NETWORK_SERVICE_TOKEN = Token(
    "NT AUTHORITY\\NETWORK SERVICE",
    NETWORK_SERVICE,
    _SERVICE_GROUPS,
    possible=frozenset({ALL_SERVICES, PRE_WINDOWS_2000, PERFORMANCE_LOG_USERS}),
    basis=NETWORK_SERVICE_PAGE,
)
LOCAL_SERVICE_TOKEN = Token(
    "NT AUTHORITY\\LOCAL SERVICE",
    LOCAL_SERVICE,
    _SERVICE_GROUPS,
    possible=frozenset({ALL_SERVICES, PRE_WINDOWS_2000, PERFORMANCE_LOG_USERS}),
    basis=LOCAL_SERVICE_PAGE,
)


def _upcase(name: str) -> str:
    """Upper-case letter by letter, never changing the length (as Windows' RtlUpcaseUnicodeString
    does; Python would turn 'ß' into 'SS')."""
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in name)


def _downcase(name: str) -> str:
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in name)


def _hashed_sid(prefix: str, name: str) -> str:
    digest = hashlib.sha1(name.encode("utf-16-le")).digest()
    return prefix + "-".join(str(word) for word in struct.unpack("<5I", digest))


def service_sid(service: str) -> str:
    """``NT SERVICE\\<service>``: S-1-5-80- + SHA-1 of the upper-case name (UTF-16LE)."""
    return _hashed_sid("S-1-5-80-", _upcase(service.strip()))


def app_pool_sid(pool: str) -> str:
    """``IIS APPPOOL\\<pool>``: S-1-5-82- + SHA-1 of the lower-case pool name (UTF-16LE)."""
    return _hashed_sid("S-1-5-82-", _downcase(pool.strip()))


def virtual_account_token(service: str) -> Token:
    return Token(
        f"NT SERVICE\\{service.strip()}",
        service_sid(service),
        _SERVICE_GROUPS,
        possible=frozenset({ALL_SERVICES, PRE_WINDOWS_2000}),
        basis=SERVICE_ACCOUNTS_PAGE,
    )


def app_pool_token(pool: str) -> Token:
    return Token(
        f"IIS APPPOOL\\{pool.strip()}",
        app_pool_sid(pool),
        _SERVICE_GROUPS | {IIS_IUSRS, ALL_APP_POOLS},
        possible=frozenset({PRE_WINDOWS_2000}),
        basis=APP_POOL_PAGE,
    )


def named_account_token(account: str, sid: str | None = None) -> Token:
    """An account whose groups the evidence does not show: every logged-on account holds
    Everyone and Authenticated Users; any other group is not known."""
    return Token(
        account,
        sid,
        frozenset({EVERYONE, AUTHENTICATED_USERS}),
        complete=False,
        basis="groups not known",
    )


_SCM_NAMES = {
    "localsystem": SYSTEM,
    ".\\localsystem": SYSTEM,
    "nt authority\\networkservice": NETWORK_SERVICE,
    "nt authority\\localservice": LOCAL_SERVICE,
}
_BY_SID = {
    SYSTEM: LOCAL_SYSTEM_TOKEN,
    NETWORK_SERVICE: NETWORK_SERVICE_TOKEN,
    LOCAL_SERVICE: LOCAL_SERVICE_TOKEN,
}


def token_for(account: str, sid: str | None = None, whoami: Token | None = None) -> Token:
    """The token of an account named as an event, a service configuration or a listing names it
    (``LocalSystem``, ``NT AUTHORITY\\NetworkService``, ``NT SERVICE\\MSSQLSERVER``,
    ``IIS APPPOOL\\DefaultAppPool``, ``CONTOSO\\svc-web``, in any language for the built-in
    ones). A `whoami /groups` paste of that account wins over anything documented."""
    if whoami is not None:
        return whoami
    name = account.strip()
    known = sid or _SCM_NAMES.get(fold(name)) or sid_of(name)
    if known in _BY_SID:
        return _BY_SID[known]
    domain, sep, short = name.partition("\\")
    if sep and short and fold(domain) == "nt service":
        return virtual_account_token(short)
    if sep and short and fold(domain) == "iis apppool":
        return app_pool_token(short)
    return named_account_token(name, known)


# --------------------------------------------------------------------------- whoami /groups

_SID_IN_TEXT = re.compile(r"(?<![\w-])S-1-\d+(?:-\d+)+(?![\w-])", re.IGNORECASE)
# Attribute phrases of `whoami /groups` in the languages seen; others leave a group "possible".
_DENY_ONLY = ("group used for deny only", "nur zum verweigern", "pour le refus uniquement")
_ENABLED = ("enabled group", "aktivierte gruppe", "groupe active")


@dataclass(frozen=True)
class WhoamiGroup:
    name: str
    sid: str
    attributes: str


@dataclass(frozen=True)
class Whoami:
    """What a `whoami /groups` (or `/all`) paste says: the user when shown, and the groups."""

    user: str | None
    user_sid: str | None
    groups: tuple[WhoamiGroup, ...] = field(default=())

    def token(self, account: str | None = None) -> Token:
        enabled: set[str] = set()
        deny_only: set[str] = set()
        possible: set[str] = set()
        for group in self.groups:
            if group.sid.startswith("S-1-16-"):
                continue  # the integrity label, not a group
            attributes = fold(group.attributes)
            if any(phrase in attributes for phrase in _DENY_ONLY):
                deny_only.add(group.sid)
            elif any(phrase in attributes for phrase in _ENABLED):
                enabled.add(group.sid)
            else:
                possible.add(group.sid)  # disabled, or attributes in an unknown language
        return Token(
            self.user or account or "the account of this whoami paste",
            self.user_sid,
            frozenset(enabled),
            frozenset(deny_only),
            frozenset(possible),
            basis="whoami /groups",
        )


def _columns(rule: str) -> list[tuple[int, int]]:
    """Column spans from a ``==== ===== ===`` rule line."""
    return [(m.start(), m.end()) for m in re.finditer(r"=+", rule)]


def parse_whoami(text: str, max_lines: int = 5000) -> Whoami | None:
    """The user and groups of a `whoami /groups` or `whoami /all` paste, table (the default) or
    CSV (``/fo csv``); None when the text holds no group table. Never raises."""
    lines = text.splitlines()[:max_lines]
    user: str | None = None
    user_sid: str | None = None
    groups: list[WhoamiGroup] = []
    spans: list[tuple[int, int]] | None = None
    for raw in lines:
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            spans = None
            continue
        if set(stripped) <= {"=", " "}:
            spans = _columns(line)
            continue
        if stripped.startswith('"'):
            fields = next(csv.reader([stripped]), [])
            sids = [f for f in fields if _SID_IN_TEXT.fullmatch(f.strip())]
            if not sids:
                continue
            if len(fields) == 2:
                user, user_sid = fields[0].strip(), sids[0].strip().upper()
            elif len(fields) >= 4:
                groups.append(WhoamiGroup(fields[0].strip(), fields[2].strip().upper(), fields[3]))
            continue
        match = _SID_IN_TEXT.search(line)
        if spans is None or match is None:
            continue
        sid = match.group(0).upper()
        if len(spans) == 2:
            user, user_sid = line[: match.start()].strip() or None, sid
        else:
            name = line[: spans[1][0]].strip() if len(spans) > 1 else ""
            groups.append(WhoamiGroup(name, sid, line[match.end() :].strip()))
    if not groups:
        return None
    return Whoami(user, user_sid, tuple(groups))
