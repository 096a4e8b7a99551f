"""Rules on icacls listings of the key folders, beyond "SYSTEM is denied" (that is
`machinekeys-permissions`).

`key-file-missing`: the listing shows the key folder's files (icacls `/t` or `<folder>\\*`) and
the certificate's key file is not among them, or Process Monitor saw NAME NOT FOUND on it: the
key is gone, whatever the permissions.
`key-folder-acl-advice`: the key folders' ACLs differ from the KB 278381 defaults in a way that
does not stop SYSTEM but weakens security (Everyone with more than the defaults, inherited by
every key file; Administrators without Full Control).
"""

from __future__ import annotations

from analyzer.case import Case
from analyzer.knowledge.acl_defaults import deviations, is_key_folder, key_file_name
from analyzer.model import AclEntry, Diagnosis, Evidence, FileAccess, Key, Source
from analyzer.rules import remedies
from analyzer.rules.common import (
    REFERENCES,
    candidate_certificates,
    cert_evidence,
    is_ksp,
    key_folder,
    label,
)
from analyzer.rules.registry import Rule, RuleContext, register

EVERYONE_SID = "*S-1-1-0"


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
    kind = "fault"
    scenario = None
    fires_when = (
        "an icacls listing of the key folder's files does not contain the key file of a "
        "certificate in the machine store, or procmon shows NAME NOT FOUND on that file"
    )

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
                    confidence="medium" if damaged and not rows else "high",
                    confidence_reason="; ".join(reasons),
                    certificates=(cert.thumbprint,),
                    evidence=tuple(evidence),
                    remediation=(
                        f'dir /a "{key_folder(key)}\\{key.key_file}"   (confirm it is gone)',
                        remedies.import_keyexchange(cert, "<original>.pfx")
                        + "   (re-import the PFX, if it is still at hand)",
                        *remedies.new_request(cert),
                    ),
                    references=(REFERENCES["machinekeys"], REFERENCES["key-storage"]),
                    explains_events=correlation.explains((cert.thumbprint,)),
                    summary=(
                        f"The key of {label(cert)} should be the file {key.key_file} in "
                        f"{key_folder(key)}; it is not there, so the key is gone."
                    ),
                )
            )
        return out


@register
class KeyFolderAclAdvice(Rule):
    id = "key-folder-acl-advice"
    title = "Key folder permissions differ from the Windows defaults"
    kind = "advisory"
    scenario = None
    fires_when = (
        "icacls shows Everyone with more than the default rights (or inherited by key files), "
        "or Administrators without Full Control, on RSA\\MachineKeys or Crypto\\Keys"
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        found = [
            d
            for d in deviations(context.case.acls)
            if not d.breaks_access and is_key_folder(d.path)
        ]
        out = []
        for path in sorted({d.path for d in found}):
            mine = [d for d in found if d.path == path]
            steps = [f'icacls "{path}" /save "%TEMP%\\keyfolder-acl.txt"']
            if any(d.code == "everyone-too-broad" for d in mine):
                steps.append(f'icacls "{path}" /grant:r {EVERYONE_SID}:(R,W)   (this folder only)')
            if any(d.code == "admins-not-full" for d in mine):
                steps.append(f'icacls "{path}" /grant {remedies.ADMINISTRATORS_SID}:(F)')
            out.append(
                self.diagnosis(
                    path,
                    confidence="high",
                    confidence_reason="compared with KB 278381 (default permissions of the MachineKeys folders)",
                    evidence=tuple(
                        Evidence(
                            f"icacls: {d.text}",
                            d.entries[0].source if d.entries else Source(d.path),
                            "; ".join(f"{e.account}:({','.join(e.rights)})" for e in d.entries)
                            or None,
                        )
                        for d in mine
                    ),
                    remediation=tuple(steps),
                    references=(REFERENCES["machinekeys"], REFERENCES["icacls"]),
                    summary="; ".join(d.text for d in mine)
                    + ". This does not stop SYSTEM; it is not the binding failure.",
                )
            )
        return out
