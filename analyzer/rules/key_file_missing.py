"""`key-file-missing`: the certificate's key file is not in its key folder.

The icacls listing shows the key folder's files (icacls `/t` or `<folder>\\*`) and the
certificate's key file is not among them, or Process Monitor saw NAME NOT FOUND on it: the key is
gone, whatever the permissions (those are `machinekeys-permissions`).
"""

from __future__ import annotations

from analyzer.case import Case
from analyzer.knowledge.acl_defaults import key_file_name
from analyzer.model import AclEntry, Confidence, Diagnosis, Evidence, FileAccess, Key, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import candidate_certificates, cert_evidence, label
from analyzer.rulekit.keys import is_ksp, key_folder
from analyzer.rulekit.registry import Need, Rule, RuleContext, register


def _in_folder(entry: AclEntry, cng: bool) -> bool:
    lowered = entry.path.lower()
    return ("\\crypto\\keys\\" in lowered) if cng else ("\\rsa\\machinekeys\\" in lowered)


def listed_files(case: Case, key: Key) -> tuple[set[str], list[AclEntry]]:
    """Key files the icacls listing shows in this key's folder, and their entries."""
    cng = is_ksp(key)
    entries = [e for e in case.acls if key_file_name(e.path) and _in_folder(e, cng)]
    return {(key_file_name(e.path) or "").lower() for e in entries}, entries


def _listing_damaged(case: Case, paths: set[str]) -> bool:
    """The listing has elisions, cut lines or files icacls could not read: absence proves less."""
    listings = case.inputs_of("icacls", "get-acl")
    return any(r.path in paths and r.status.value == "partial" for r in listings)


NOT_FOUND = ("NAME NOT FOUND", "PATH NOT FOUND")


def not_found_rows(case: Case, key_file: str) -> list[FileAccess]:
    """Process Monitor rows where a process looked for this key file and it was not there."""
    wanted = key_file.lower()
    return [
        row
        for row in case.file_access
        if row.result.upper() in NOT_FOUND and (key_file_name(row.path) or "").lower() == wanted
    ]


@register
class KeyFileMissing(Rule):
    id = "key-file-missing"
    title = "The certificate's key file is not in the key folder"
    kind = Kind.FAULT
    fires_when = (
        "an icacls listing of the key folder's files does not contain the key file of a "
        "certificate in the machine store, or procmon shows NAME NOT FOUND on that file"
    )
    needs = frozenset({Need.ELEVATION})
    references = (pages.MACHINEKEYS_DEFAULTS, pages.KEY_STORAGE)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        case, correlation = context.case, context.correlation
        out = []
        for cert in candidate_certificates(case.certificates):
            key = cert.key
            if key is None or not key.key_file or not cert.thumbprint:
                continue
            names, entries = listed_files(case, key)
            if key.key_file.lower() in names:
                continue  # the listing shows it: a NAME NOT FOUND looked elsewhere
            rows = not_found_rows(case, key.key_file)
            if not names and not rows:
                continue
            evidence = [
                cert_evidence(
                    cert, f"the certificate's key file is {key.key_file}", key.key_file, "key_file"
                )
            ]
            reasons = []
            damaged = False
            if names:
                damaged = _listing_damaged(case, {e.source.path for e in entries})
                evidence.append(
                    Evidence(
                        f"icacls lists {len(names)} other key file(s) in {key_folder(key)}",
                        entries[0].source,
                    )
                )
                reasons.append(
                    f"{len(names)} key file(s) listed in {key_folder(key)}, not {key.key_file}"
                    + ("; the listing is damaged (elisions or unreadable files)" if damaged else "")
                )
            for row in rows[:3]:
                evidence.append(
                    Evidence(
                        f"Process Monitor: {row.process or 'a process'} got {row.result} on {row.path}",
                        row.source,
                        f"{row.time or ''} {row.process or ''} {row.operation or ''} {row.path} {row.result}".strip(),
                    )
                )
            if rows:
                reasons.append(f"Process Monitor: {rows[0].result} on the key file")
            out.append(
                self.diagnosis(
                    label(cert),
                    confidence=Confidence.MEDIUM if damaged and not rows else Confidence.HIGH,
                    confidence_reason="; ".join(reasons),
                    certificates=(cert.thumbprint,),
                    evidence=tuple(evidence),
                    remediation=(
                        f'dir /a "{key_folder(key)}\\{key.key_file}"   (confirm it is gone)',
                        remedies.import_keyexchange(cert, "<original>.pfx")
                        + "   (re-import the PFX, if it is still at hand)",
                        *remedies.new_request(cert),
                    ),
                    explains_events=correlation.explains((cert.thumbprint,)),
                    summary=(
                        f"The key of {label(cert)} should be the file {key.key_file} in "
                        f"{key_folder(key)}; it is not there, so the key is gone."
                    ),
                )
            )
        return out
