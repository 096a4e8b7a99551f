"""Compare key-folder and key-file ACLs with the documented defaults and name each deviation.

KB 278381 ("Default permissions for the MachineKeys folders"): on the folder, Administrators
have Full Control and Everyone has special rights (read and write data, attributes and
permissions) on *this folder only*; each key file carries SYSTEM with full control (and its
creator). The CNG folder `Crypto\\Keys` has the same defaults. What breaks a binding is SYSTEM
(lsass, HTTP.sys) being unable to open the key file; what weakens security is Everyone with
more than the defaults. Pure: takes `AclEntry` records, returns `AclDeviation` records.
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
    """One difference from the default, with the ACEs it rests on.

    ``breaks_access``: SYSTEM (or every caller) cannot open the key: a cause of 36870.
    Otherwise the deviation only weakens security and is reported as advice."""

    path: str
    target: str  # "folder" | "key-file"
    code: str  # stable: "system-denied", "system-missing", "admins-missing", ...
    text: str
    breaks_access: bool
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
                "folder",
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
                "folder",
                "everyone-missing",
                "Everyone lacks the default special rights (R,W) on this folder: "
                "new keys cannot be created or listed",
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
                    "folder",
                    "deny-" + display_name(sid).rsplit("\\", 1)[-1].lower(),
                    f"a DENY entry for {display_name(sid)} on the folder",
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
                "folder",
                "everyone-too-broad",
                "Everyone has " + " and ".join(what) + ": every local account can read keys",
                False,
                _of(entries, EVERYONE),
            )
        )
    return out


def key_file_deviations(path: str, entries: list[AclEntry]) -> list[AclDeviation]:
    out: list[AclDeviation] = []
    allowed, denied = _rights_for(entries, SYSTEM)
    if denied & {"RD", "RC"}:
        out.append(
            AclDeviation(
                path,
                "key-file",
                "system-denied",
                "a DENY entry for SYSTEM on the key file",
                True,
                tuple(e for e in _of(entries, SYSTEM) if not e.allow),
            )
        )
    elif "RD" not in allowed:
        out.append(
            AclDeviation(
                path,
                "key-file",
                "system-missing",
                "SYSTEM has no read access to the key file (default: Full Control)",
                True,
                tuple(entries),
            )
        )
    everyone_denied = _rights_for(entries, EVERYONE)[1]
    if everyone_denied & {"RD", "RC"}:
        out.append(
            AclDeviation(
                path,
                "key-file",
                "everyone-denied",
                "a DENY entry for Everyone on the key file (denies SYSTEM too)",
                True,
                tuple(e for e in _of(entries, EVERYONE) if not e.allow),
            )
        )
    return out


def deviations(entries: list[AclEntry]) -> list[AclDeviation]:
    """Every deviation found in an ACL listing, key folders first, in input order."""
    by_path: dict[str, list[AclEntry]] = defaultdict(list)
    for entry in entries:
        by_path[entry.path.rstrip("\\")].append(entry)
    out: list[AclDeviation] = []
    for path, acl in by_path.items():
        if is_key_folder(path):
            out.extend(folder_deviations(path, acl))
    for path, acl in by_path.items():
        if key_file_name(path):
            out.extend(key_file_deviations(path, acl))
    return out
