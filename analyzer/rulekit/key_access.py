"""Scenario 1 or 2: when a key cannot be used, is it broken (1) or is the account that must read
it kept out (2)?

Shared by `non-exportable-broken-keyset` and `machinekeys-permissions`, so that both rules reach
the same decision. Access is computed, not guessed from the names in an ACL: the account comes
from `analyzer.rulekit.accounts` (HTTP.sys: LocalSystem, whose token also holds Administrators,
"LocalSystem Account", learn.microsoft.com/windows/win32/services/localsystem-account), and the
access check of `analyzer.knowledge.access` walks the key file's DACL as Windows does ("How DACLs
Control Access to an Object", learn.microsoft.com/windows/win32/secauthz/
how-dacls-control-access-to-an-object) on the dump's own security descriptor and on icacls /
Get-Acl entries of the key file. A Process Monitor ACCESS DENIED on the key file for the process
that opens it says the same directly.

- DENIED (by the ACL, or procmon): scenario 2 is the verdict.
- ALLOWED: scenario 2 is contradicted; a key that cannot be used is scenario 1 with no runner-up.
- NOT_KNOWN (no ACL of the key file, an account the evidence does not name, groups not known):
  never a verdict; scenario 2 stays scenario 1's low-confidence runner-up.
Folder ACLs never decide: every account holds the traverse privilege by default, so a key file
opens by name whatever its folder allows (`key-folder-acl-advice` reports the folders).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from analyzer.case import Case
from analyzer.correlate import Correlation
from analyzer.knowledge.access import (
    ALLOWED,
    DENIED,
    NOT_KNOWN,
    AccessAnswer,
    Acl,
    acl_from_entries,
    acl_from_sddl,
    check_access,
)
from analyzer.knowledge.acl_defaults import key_file_name
from analyzer.model import Account, AclEntry, Certificate, Confidence, Evidence, Key, Source
from analyzer.rulekit.accounts import (
    SYSTEM_PID,
    account_for,
    account_known,
    key_opener,
    same_image,
    token_of,
)
from analyzer.rulekit.evidence import has_unknown_credentials, lower_confidence
from analyzer.rulekit.keys import is_ksp

_DENIED_RESULTS = ("ACCESS DENIED", "ACCESS_DENIED")
_KEY_FOLDERS = ("\\crypto\\rsa\\machinekeys", "\\crypto\\keys")
# Schannel opens HTTP.sys's key inside lsass; the System process is HTTP.sys itself.
_HTTP_SYS_PROCESSES = ("lsass.exe", "system")
# Said by both rules of the decision, so that the customer learns what would settle it.
TELL_APART = (
    "What tells scenario 1 from 2: an `icacls` listing of the key folder and key file, or a "
    "Process Monitor capture of the failing binding (ACCESS DENIED on the key file means "
    "permissions, scenario 2)."
)


def is_key_path(path: str) -> bool:
    lowered = path.replace("/", "\\").lower()
    return any(folder in lowered for folder in _KEY_FOLDERS)


@dataclass(frozen=True)
class KeyAccess:
    """Whether ``account`` can read one certificate's key file, as the evidence shows.

    ``evidence``: for DENIED, the deciding ACE lines (the SDDL line, icacls lines) and procmon
    rows; for ALLOWED, the ACEs that grant the access. ``listed``: an icacls / Get-Acl listing or
    procmon decided (not only the dump's security descriptor)."""

    account: Account
    result: str  # ALLOWED, DENIED or NOT_KNOWN
    reason: str
    evidence: tuple[Evidence, ...] = ()
    listed: bool = False
    deny_sids: tuple[str, ...] = ()  # trustees of the explicit deny ACEs that shut it out


def _sddl_source(cert: Certificate, key: Key) -> Source:
    line = key.lines.get("acl_sddl")
    return Source(cert.source.path, line) if line is not None else cert.source


def _folder_holds(folder: str, key: Key) -> bool:
    """Whether a key folder is where this key lives (CNG keys in Crypto\\Keys, CSP keys in
    RSA\\MachineKeys); either when the dump does not say which provider it is."""
    lowered = folder.replace("/", "\\").rstrip("\\").lower()
    if key.provider_class is None and key.provider_type is None:
        return True
    return lowered.endswith("\\crypto\\keys") == is_ksp(key)


def key_file_paths(acls: Sequence[AclEntry], key: Key) -> list[str]:
    """The paths of a listing that are this key's file (joined by file name), in listed order."""
    if not key.key_file:
        return []
    wanted = key.key_file.lower()
    paths: dict[str, None] = {}
    for entry in acls:
        path = entry.path.rstrip("\\")
        name = key_file_name(path)
        if name and name.lower() == wanted and _folder_holds(path.rsplit("\\", 1)[0], key):
            paths.setdefault(path, None)
    return list(paths)


def _answer_evidence(
    what: str, answer: AccessAnswer, source: Source, quote: str | None
) -> Evidence:
    """The deciding ACEs' line (the first one's source; the SDDL's line for the dump)."""
    first = next((a.source for a in answer.deciding if a.source is not None), None)
    return Evidence(f"{what}: {answer.reason}", first or source, quote)


def _deny_sids(acl: Acl, answer: AccessAnswer) -> list[str]:
    """The SIDs of the explicit deny ACEs that decided a DENIED answer (what a fix removes)."""
    out = []
    for ref in answer.deciding:
        ace = acl.aces[ref.index] if ref.index < len(acl.aces) else None
        if ace is not None and not ace.allow and not ace.inherited and ace.sid:
            out.append(ace.sid)
    return out


def _procmon_denials(case: Case, correlation: Correlation, key: Key) -> list[Evidence]:
    """ACCESS DENIED on this key's file for the process that opens it (lsass for HTTP.sys)."""
    key_file = (key.key_file or "").lower()
    opener = key_opener(correlation)
    out = []
    for row in case.file_access:
        if not any(r in row.result.upper() for r in _DENIED_RESULTS) or not is_key_path(row.path):
            continue
        if key_file and not row.path.lower().endswith(key_file):
            continue
        process = (row.process or "").strip()
        if opener is None:
            if process.lower() not in _HTTP_SYS_PROCESSES and row.pid != SYSTEM_PID:
                continue
        elif not (
            (opener[1] is not None and row.pid == opener[1]) or same_image(process, opener[0])
        ):
            continue
        out.append(
            Evidence(
                f"Process Monitor: {process or 'a process'} got {row.result} on {row.path}",
                row.source,
                f"{row.time or ''} {process} {row.operation or ''} {row.path} {row.result}".strip(),
            )
        )
    return out


def key_access(case: Case, correlation: Correlation, cert: Certificate) -> KeyAccess | None:
    """What the evidence says about the account reading ``cert``'s key; None without a key."""
    key = cert.key
    if key is None:
        return None
    account = account_for(case, correlation, cert)
    token = token_of(account)
    answers: list[tuple[Evidence, AccessAnswer, bool]] = []
    deny_sids: list[str] = []
    if token is not None and key.acl_sddl:
        source = _sddl_source(cert, key)
        acl = acl_from_sddl(key.acl_sddl, source)
        answer = check_access(acl, token)
        what = "the key's security descriptor in the dump"
        answers.append((_answer_evidence(what, answer, source, key.acl_sddl), answer, False))
        deny_sids += _deny_sids(acl, answer) if answer.result == DENIED else []
    if token is not None:
        for path in key_file_paths(case.acls, key):
            acl = acl_from_entries(case.acls, path)
            answer = check_access(acl, token)
            deny_sids += _deny_sids(acl, answer) if answer.result == DENIED else []
            file_aces = acl.aces
            # the deciding ACEs; the whole ACL when none decided (nothing grants the access)
            quote = "; ".join(a.text for a in answer.deciding or file_aces) or None
            source = file_aces[0].source or Source(path)
            answers.append(
                (_answer_evidence(f"ACL of {path}", answer, source, quote), answer, True)
            )
    procmon = _procmon_denials(case, correlation, key)
    denied = [(e, listed) for e, a, listed in answers if a.result == DENIED]
    if denied or procmon:
        evidence = (*[e for e, _ in denied], *procmon)
        listed = bool(procmon) or any(from_listing for _, from_listing in denied)
        reason = next((a.reason for _, a, _ in answers if a.result == DENIED), "")
        return KeyAccess(
            account,
            DENIED,
            reason or "Process Monitor shows ACCESS DENIED",
            evidence,
            listed,
            tuple(dict.fromkeys(deny_sids)),
        )
    allowed = [(e, a) for e, a, _ in answers if a.result == ALLOWED]
    if allowed:
        return KeyAccess(account, ALLOWED, allowed[0][1].reason, tuple(e for e, _ in allowed))
    if token is None:
        return KeyAccess(
            account,
            NOT_KNOWN,
            f"access is not known for {account.name}: no process listing names its account "
            "(send `tasklist /v` from an elevated prompt)",
        )
    reasons = [a.reason for _, a, _ in answers]
    return KeyAccess(
        account,
        NOT_KNOWN,
        "; ".join(reasons) if reasons else "no ACL of the key file in the evidence",
    )


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
    """For one certificate whose key cannot be used (or is denied to the account)."""

    primary: int  # scenario 1 or 2
    confidence: Confidence
    reason: str
    runner_up_confidence: Confidence | None  # scenario 2 as runner-up (only when primary is 1)
    denied: tuple[Evidence, ...]
    access: KeyAccess


def classify(case: Case, correlation: Correlation, cert: Certificate) -> KeyAccessVerdict | None:
    key = cert.key
    if key is None or key.state == "no-key-info" or cert.user_store is True:
        return None
    if key.machine_keyset is False:
        return None  # a user key in a machine store: `key-in-user-profile`, not scenario 1 or 2
    access = key_access(case, correlation, cert)
    if access is None:
        return None
    with_36870 = has_unknown_credentials(correlation)
    if access.result == DENIED:
        confidence = Confidence.HIGH if with_36870 or access.listed else Confidence.MEDIUM
        reason = f"{access.account.name} cannot read the key: {access.reason}" + (
            "; alongside 36870 with 0x8009030d"
            if with_36870
            else "; no 36870 in the case confirms it"
        )
        return KeyAccessVerdict(2, confidence, reason, None, access.evidence, access)
    if not key_unusable(key):
        if (
            not account_known(access.account)
            and with_36870
            and correlation.explains((cert.thumbprint or "",))
        ):
            # The key works for whoever dumped it; the process's account may still be kept out.
            reason = f"{access.reason}; the key itself is usable"
            return KeyAccessVerdict(2, Confidence.LOW, reason, None, (), access)
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
    if access.result == ALLOWED:
        reason += f"; {access.account.name} can read the key file, so permissions are ruled out"
        return KeyAccessVerdict(1, confidence, reason, None, (), access)
    return KeyAccessVerdict(1, confidence, reason, Confidence.LOW, (), access)


def account_can_read(case: Case, correlation: Correlation, cert: Certificate) -> bool:
    """The evidence (the dump's security descriptor, a listing) shows the account can read
    ``cert``'s key: nothing about its permissions needs asking."""
    if cert.key is None or cert.key.machine_keyset is False:
        return False  # a user key: LocalSystem looks for it in the machine keyset, not there
    access = key_access(case, correlation, cert)
    return access is not None and account_known(access.account) and access.result == ALLOWED
