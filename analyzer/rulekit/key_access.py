"""Scenario 1 or 2: when a key cannot be used, is it broken (1) or is SYSTEM kept out (2)?

Shared by `non-exportable-broken-keyset` and `machinekeys-permissions`, so that both rules reach
the same decision: evidence that SYSTEM is denied (key SDDL, icacls, procmon) makes scenario 2
the verdict; without it a non-exportable key or a key error makes scenario 1 the verdict with
scenario 2 the runner-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.case import Case
from analyzer.correlate import Correlation
from analyzer.knowledge.acl_defaults import deviations, key_file_name
from analyzer.knowledge.wellknown import EVERYONE
from analyzer.model import Certificate, Confidence, Evidence, Key, Source
from analyzer.rulekit.evidence import has_unknown_credentials, lower_confidence
from analyzer.rulekit.keys import is_ksp

SYSTEM_SIDS = frozenset({"SY", "S-1-5-18"})
_ACE = re.compile(r"\(([A-Z]{1,2});([^;]*);([^;]*);[^;]*;[^;]*;([^;)]*)[^)]*\)")
# Rights that let SYSTEM read the key: generic all/read, file all/read, or a read-data bit.
_READ_RIGHTS = ("GA", "GR", "FA", "FR")
_DENIED_RESULTS = ("ACCESS DENIED", "ACCESS_DENIED")
_KEY_FOLDERS = ("\\crypto\\rsa\\machinekeys", "\\crypto\\keys")
# Said by both rules of the decision, so that the customer learns what would settle it.
TELL_APART = (
    "What tells scenario 1 from 2: an `icacls` listing of the key folder and key file, or a "
    "Process Monitor capture of the failing binding (ACCESS DENIED on the key file means "
    "permissions, scenario 2)."
)


def sddl_system_access(sddl: str | None) -> str | None:
    """``allowed``, ``denied`` (a deny ACE) or ``absent`` (no allow ACE) for SYSTEM in a key's
    SDDL; None when there is no DACL to read."""
    if not sddl or "D:" not in sddl:
        return None
    dacl = sddl.split("D:", 1)[1].split("S:", 1)[0]
    allowed = False
    for ace_type, _flags, rights, sid in _ACE.findall(dacl):
        if sid.strip().upper() not in SYSTEM_SIDS:
            continue
        if ace_type == "D":
            return "denied"
        if ace_type == "A" and _grants_read(rights):
            allowed = True
    return "allowed" if allowed else "absent"


def _grants_read(rights: str) -> bool:
    if any(r in rights for r in _READ_RIGHTS):
        return True
    if rights.lower().startswith("0x"):
        try:
            return bool(int(rights, 16) & 0x1)  # FILE_READ_DATA
        except ValueError:
            return False
    return False


def is_key_path(path: str) -> bool:
    lowered = path.replace("/", "\\").lower()
    return any(folder in lowered for folder in _KEY_FOLDERS)


def system_denied_evidence(case: Case, cert: Certificate) -> list[Evidence]:
    """Evidence that SYSTEM cannot open this certificate's key file (or the key folder)."""
    key = cert.key
    if key is None:
        return []
    evidence: list[Evidence] = []
    access = sddl_system_access(key.acl_sddl)
    if access in ("denied", "absent"):
        what = "denies SYSTEM" if access == "denied" else "grants SYSTEM nothing"
        evidence.append(
            Evidence(f"the key's security descriptor {what}", cert.source, key.acl_sddl)
        )
    key_file = (key.key_file or "").lower()
    evidence.extend(acl_evidence(case, key))
    for row in case.file_access:
        if not any(r in row.result.upper() for r in _DENIED_RESULTS) or not is_key_path(row.path):
            continue
        if key_file and not row.path.lower().endswith(key_file):
            continue
        evidence.append(
            Evidence(
                f"Process Monitor: {row.process or 'a process'} got {row.result} on {row.path}",
                row.source,
                f"{row.time or ''} {row.process or ''} {row.operation or ''} {row.path} {row.result}".strip(),
            )
        )
    return evidence


def acl_evidence(case: Case, key: Key) -> list[Evidence]:
    """icacls deviations from the KB 278381 defaults that keep SYSTEM from this key: on the key
    folder, or on the key file itself (joined by its file name), in any Windows language."""
    key_file = (key.key_file or "").lower()
    out = []
    for deviation in deviations(case.acls):
        if not deviation.breaks_access:
            continue
        if deviation.target == "key-file":
            if not key_file or (key_file_name(deviation.path) or "").lower() != key_file:
                continue
        elif not _folder_holds(deviation.path, key):
            continue
        source = deviation.entries[0].source if deviation.entries else Source(deviation.path)
        quote = "; ".join(
            f"{e.account}:{'(DENY)' if not e.allow else ''}({','.join(e.rights)})"
            for e in deviation.entries
        )
        out.append(Evidence(f"icacls: {deviation.text} ({deviation.path})", source, quote or None))
    return out


def _folder_holds(folder: str, key: Key) -> bool:
    """Whether a key folder is where this key lives (CNG keys in Crypto\\Keys, CSP keys in
    RSA\\MachineKeys); either when the dump does not say which provider it is."""
    lowered = folder.replace("/", "\\").rstrip("\\").lower()
    if key.provider_class is None and key.provider_type is None:
        return True
    return lowered.endswith("\\crypto\\keys") == is_ksp(key)


def folder_denied(case: Case, key: Key) -> bool:
    """An icacls deny ACE for SYSTEM or Everyone on the key folder itself."""
    return any(
        not ace.allow
        and (ace.sid in SYSTEM_SIDS or ace.sid == EVERYONE or _is_everyone_or_system(ace.account))
        and ace.path.replace("/", "\\").rstrip("\\").lower().endswith(_KEY_FOLDERS)
        for ace in case.acls
    )


def _is_system(account: str) -> bool:
    return account.strip().upper().endswith(("\\SYSTEM", "SYSTEM")) or "S-1-5-18" in account


def _is_everyone_or_system(account: str) -> bool:
    return _is_system(account) or account.strip().lower() in ("everyone", "jeder", "tout le monde")


def key_unusable(key: Key) -> bool:
    return key.state in ("missing", "failed") or key.error is not None


def non_elevated_dumps(case: Case) -> set[str]:
    """Dumps in which every machine-store key is `Missing stored keyset`: typical of a dump taken
    without elevation, so those "missing" keys prove nothing. A collector manifest says it
    outright: an elevated run's dumps are never in the set, a non-elevated run's always are
    (when a key is missing)."""
    out = set()
    for result in case.inputs_of("certutil"):
        elevated = case.elevated(result.path)
        if elevated is True:
            continue
        keys = [
            c.key
            for c in result.certificates
            if c.user_store is not True and c.key is not None and c.key.state != "no-key-info"
        ]
        missing = [k.state == "missing" and k.error is None for k in keys]
        if keys and (all(missing) or (elevated is False and any(missing))):
            out.add(result.path)
    return out


@dataclass(frozen=True)
class KeyAccessVerdict:
    """For one certificate whose key cannot be used (or is denied to SYSTEM)."""

    primary: int  # scenario 1 or 2
    confidence: Confidence
    reason: str
    runner_up_confidence: Confidence | None  # scenario 2 as runner-up (only when primary is 1)
    denied: tuple[Evidence, ...]


def classify(case: Case, correlation: Correlation, cert: Certificate) -> KeyAccessVerdict | None:
    key = cert.key
    if key is None or key.state == "no-key-info" or cert.user_store is True:
        return None
    if key.machine_keyset is False:
        return None  # a user key in a machine store: `key-in-user-profile`, not scenario 1 or 2
    denied = tuple(system_denied_evidence(case, cert))
    with_36870 = has_unknown_credentials(correlation)
    if denied:
        strong = any(not e.text.startswith("the key's security descriptor") for e in denied)
        confidence = Confidence.HIGH if with_36870 or strong else Confidence.MEDIUM
        reason = "evidence that SYSTEM cannot open the key" + (
            " alongside 36870 with 0x8009030d"
            if with_36870
            else "; no 36870 in the case confirms it"
        )
        return KeyAccessVerdict(2, confidence, reason, None, denied)
    if not key_unusable(key):
        return None
    if (
        key.state == "missing"
        and key.error is None
        and cert.source.path in non_elevated_dumps(case)
    ):
        return None  # the dump-not-elevated rule asks for an elevated dump instead
    if key.exportable is False and key.state == "failed":
        confidence, reason = Confidence.HIGH, "the key is marked not exportable and its test FAILED"
    elif key.exportable is False or key.error is not None or key.state == "failed":
        confidence, reason = Confidence.MEDIUM, "the key fails with a key error"
    else:
        confidence, reason = (
            Confidence.MEDIUM,
            "`Missing stored keyset` in an elevated dump: the key cannot be opened",
        )
    if not correlation.failures:
        confidence = lower_confidence(confidence)
        reason += "; no 36870 in the case"
    elif not with_36870:
        reason += "; the 36870 events carry another error code than 0x8009030d"
    return KeyAccessVerdict(1, confidence, reason, Confidence.LOW, denied)
