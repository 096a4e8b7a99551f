"""Compare the key folders' ACLs with the documented defaults and name each deviation.

KB 278381 ("Default permissions for the MachineKeys folders"): on the folder, Administrators
have Full Control and Everyone has special rights (read and write data, attributes and
permissions) on *this folder only*. The CNG folder `Crypto\\Keys` has the same defaults.

A folder's ACL decides who can list and create key files in it (imports, new requests), not who
can open an existing key file by name: every account holds the traverse privilege by default
("Checking for Traverse Privilege on IRP_MJ_CREATE", learn.microsoft.com/windows-hardware/
drivers/ifs/checking-for-traverse-privilege-on-irp-mj-create), so opening a file needs rights on
the file only. Whether an account can read a key file is the access check's answer
(analyzer/knowledge/access.py) on the file's own ACL. Pure: takes `AclEntry` records, returns
`AclDeviation` records.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from analyzer.knowledge.wellknown import ADMINISTRATORS, EVERYONE, SYSTEM, display_name
from analyzer.model import AclEntry

KEY_FOLDER = re.compile(r"\\(?:Crypto\\RSA\\MachineKeys|Crypto\\Keys)\\?$", re.I)
KEY_FILE = re.compile(r"\\(?:Crypto\\RSA\\MachineKeys|Crypto\\Keys)\\(?P<name>[^\\]+)$", re.I)

# What each simple right includes, as icacls specific rights.
_SIMPLE: dict[str, frozenset[str]] = {
    "F": frozenset(
        {"RD", "WD", "AD", "REA", "WEA", "X", "DC", "RA", "WA", "D", "RC", "WDAC", "WO", "S"}
    ),
    "M": frozenset({"RD", "WD", "AD", "REA", "WEA", "X", "RA", "WA", "D", "RC", "S"}),
    "RX": frozenset({"RD", "REA", "X", "RA", "RC", "S"}),
    "R": frozenset({"RD", "REA", "RA", "RC", "S"}),
    "W": frozenset({"WD", "AD", "WEA", "WA", "RC", "S"}),
    "D": frozenset({"D"}),
    "N": frozenset(),
    "GA": frozenset(
        {"RD", "WD", "AD", "REA", "WEA", "X", "DC", "RA", "WA", "D", "RC", "WDAC", "WO", "S"}
    ),
    "GR": frozenset({"RD", "REA", "RA", "RC", "S"}),
    "GW": frozenset({"WD", "AD", "WEA", "WA", "RC", "S"}),
    "GE": frozenset({"X", "RA", "RC", "S"}),
}
# Everyone's documented rights on the folder: R and W (list/read, create files/append, attributes,
# extended attributes, read permissions).
# Traverse (X) on a folder reveals nothing and some builds show `(RX,W)`: tolerated.
EVERYONE_FOLDER_DEFAULT = _SIMPLE["R"] | _SIMPLE["W"] | frozenset({"X"})


@dataclass(frozen=True)
class AclDeviation:
    """One difference of a key folder's ACL from the default, with the ACEs it rests on.

    ``blocks_new_keys``: key files cannot be created (or listed) there: imports and new requests
    fail. Otherwise the deviation weakens security or administration. Neither stops an account
    from opening an existing key file."""

    path: str
    code: str  # stable: "everyone-missing", "deny-everyone", "everyone-too-broad", ...
    text: str
    blocks_new_keys: bool
    entries: tuple[AclEntry, ...] = ()


def expand(rights: tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for right in rights:
        out |= _SIMPLE.get(right.upper(), frozenset({right.upper()}))
    return frozenset(out)


def key_file_name(path: str) -> str | None:
    match = KEY_FILE.search(path.rstrip())
    return match.group("name") if match else None


def is_key_folder(path: str) -> bool:
    return bool(KEY_FOLDER.search(path.rstrip()))


def _applies_to_object(entry: AclEntry) -> bool:
    return "IO" not in entry.inheritance


def _rights_for(entries: list[AclEntry], sid: str) -> tuple[frozenset[str], frozenset[str]]:
    allowed: set[str] = set()
    denied: set[str] = set()
    for entry in entries:
        if entry.sid != sid or not _applies_to_object(entry):
            continue
        (allowed if entry.allow else denied).update(expand(entry.rights))
    return frozenset(allowed), frozenset(denied)


def _of(entries: list[AclEntry], sid: str) -> tuple[AclEntry, ...]:
    return tuple(e for e in entries if e.sid == sid)


def folder_deviations(path: str, entries: list[AclEntry]) -> list[AclDeviation]:
    out: list[AclDeviation] = []
    admins_allowed, admins_denied = _rights_for(entries, ADMINISTRATORS)
    everyone_allowed, everyone_denied = _rights_for(entries, EVERYONE)
    system_denied = _rights_for(entries, SYSTEM)[1]
    if not _SIMPLE["F"] <= admins_allowed:
        out.append(
            AclDeviation(
                path,
                "admins-not-full",
                "Administrators do not have Full Control (default: (F))",
                False,
                _of(entries, ADMINISTRATORS),
            )
        )
    if not ({"RD", "WD"} <= everyone_allowed):
        out.append(
            AclDeviation(
                path,
                "everyone-missing",
                "Everyone lacks the default special rights (R,W) on this folder: "
                "new keys cannot be created or listed (existing key files still open)",
                True,
                _of(entries, EVERYONE),
            )
        )
    for sid, denied in (
        (EVERYONE, everyone_denied),
        (SYSTEM, system_denied),
        (ADMINISTRATORS, admins_denied),
    ):
        if denied & {"RD", "X", "RA", "RC"}:
            out.append(
                AclDeviation(
                    path,
                    "deny-" + display_name(sid).rsplit("\\", 1)[-1].lower(),
                    f"a DENY entry for {display_name(sid)} on the folder: it cannot list or "
                    "create keys there (existing key files still open by name)",
                    True,
                    tuple(e for e in _of(entries, sid) if not e.allow),
                )
            )
    broader = everyone_allowed - EVERYONE_FOLDER_DEFAULT
    inheriting = [
        e for e in _of(entries, EVERYONE) if e.allow and {"OI", "CI"} & set(e.inheritance)
    ]
    if broader or inheriting:
        what = []
        if broader:
            what.append("rights beyond the default (" + ",".join(sorted(broader)) + ")")
        if inheriting:
            what.append("inherited by the key files (OI/CI) instead of 'this folder only'")
        out.append(
            AclDeviation(
                path,
                "everyone-too-broad",
                "Everyone has " + " and ".join(what) + ": every local account can read keys",
                False,
                _of(entries, EVERYONE),
            )
        )
    return out


def deviations(entries: list[AclEntry]) -> list[AclDeviation]:
    """Every deviation of a key folder's ACL in a listing, in input order."""
    by_path: dict[str, list[AclEntry]] = defaultdict(list)
    for entry in entries:
        by_path[entry.path.rstrip("\\")].append(entry)
    out: list[AclDeviation] = []
    for path, acl in by_path.items():
        if is_key_folder(path):
            out.extend(folder_deviations(path, acl))
    return out
