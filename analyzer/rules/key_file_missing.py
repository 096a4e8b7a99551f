"""`key-file-missing`: the certificate's key file is gone from its key folder, or unreachable.

A listing of the key folder's files (icacls `/t` or `<folder>\\*`, `dir`, Get-ChildItem) does not
show the certificate's key file (the dump names its unique container), or Process Monitor saw NAME
NOT FOUND on it: the key is gone, whatever the permissions (those are `machinekeys-permissions`).
Process Monitor's SHARING VIOLATION on that file means it is there but held open exclusively by
another process (antivirus, backup or cleanup tools): unreachable when Schannel needs it. A `dir`
or Get-ChildItem listing that named a pattern or filter proves no absence and is not used.
"""

from __future__ import annotations

from analyzer.case import Case
from analyzer.knowledge.acl_defaults import key_file_name
from analyzer.model import (
    AclEntry,
    Certificate,
    Confidence,
    Diagnosis,
    Evidence,
    FileAccess,
    FixPlan,
    FolderListing,
    Key,
    Kind,
)
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import candidate_certificates, cert_evidence, label
from analyzer.rulekit.keys import is_ksp, key_folder
from analyzer.rulekit.registry import Need, Rule, RuleContext, register


def _in_folder(entry: AclEntry, cng: bool) -> bool:
    lowered = entry.path.lower()
    return ("\\crypto\\keys\\" in lowered) if cng else ("\\rsa\\machinekeys\\" in lowered)


def _is_key_folder(folder: str, cng: bool) -> bool:
    lowered = folder.replace("/", "\\").rstrip("\\").lower()
    return lowered.endswith("\\crypto\\keys" if cng else "\\rsa\\machinekeys")


def folder_listings(case: Case, key: Key) -> list[FolderListing]:
    """Unfiltered `dir` / Get-ChildItem listings of this key's folder."""
    cng = is_ksp(key)
    return [
        listing
        for listing in case.listings
        if not listing.filtered and _is_key_folder(listing.folder, cng)
    ]


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
SHARING_VIOLATION = "SHARING VIOLATION"


def rows_with(case: Case, key_file: str, results: tuple[str, ...]) -> list[FileAccess]:
    """Process Monitor rows on this key file with one of these results."""
    wanted = key_file.lower()
    return [
        row
        for row in case.file_access
        if row.result.upper() in results and (key_file_name(row.path) or "").lower() == wanted
    ]


def not_found_rows(case: Case, key_file: str) -> list[FileAccess]:
    """Process Monitor rows where a process looked for this key file and it was not there."""
    return rows_with(case, key_file, NOT_FOUND)


def _row_evidence(row: FileAccess) -> Evidence:
    return Evidence(
        f"Process Monitor: {row.process or 'a process'} got {row.result} on {row.path}",
        row.source,
        f"{row.time or ''} {row.process or ''} {row.operation or ''} {row.path} {row.result}".strip(),
    )


@register
class KeyFileMissing(Rule):
    id = "key-file-missing"
    title = "The certificate's key file is missing from the key folder or unreachable"
    kind = Kind.FAULT
    fires_when = (
        "a listing of the key folder's files (icacls, dir, Get-ChildItem) does not contain the "
        "key file of a certificate in the machine store, or procmon shows NAME NOT FOUND or "
        "SHARING VIOLATION on that file"
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
            if key.machine_keyset is False:
                continue  # a user key is not in the machine key folders: `key-in-user-profile`
            wanted = key.key_file.lower()
            names, entries = listed_files(case, key)
            listings = folder_listings(case, key)
            listed = names | {f.lower() for listing in listings for f in listing.files}
            locked = rows_with(case, key.key_file, (SHARING_VIOLATION,))
            if wanted in listed and not locked:
                continue  # the listing shows it: a NAME NOT FOUND looked elsewhere
            rows = [] if wanted in listed else not_found_rows(case, key.key_file)
            absent = bool(listed) and wanted not in listed
            if not absent and not rows and not locked:
                continue
            evidence = [
                cert_evidence(
                    cert, f"the certificate's key file is {key.key_file}", key.key_file, "key_file"
                )
            ]
            reasons = []
            damaged = False
            if names and absent:
                damaged = _listing_damaged(case, {e.source.path for e in entries})
                evidence.append(
                    Evidence(
                        f"icacls lists {len(names)} other key file(s) in {key_folder(key)}",
                        entries[0].source,
                    )
                )
            for listing in listings if absent else ():
                evidence.append(
                    Evidence(
                        f"the folder listing shows {len(listing.files)} file(s) in "
                        f"{listing.folder}, not {key.key_file}",
                        listing.source,
                    )
                )
            if absent:
                reasons.append(
                    f"{len(listed)} key file(s) listed in {key_folder(key)}, not {key.key_file}"
                    + (
                        "; the icacls listing is damaged (elisions or unreadable files)"
                        if damaged
                        else ""
                    )
                )
            evidence.extend(_row_evidence(row) for row in (rows + locked)[:3])
            if rows:
                reasons.append(f"Process Monitor: {rows[0].result} on the key file")
            if locked:
                reasons.append(
                    "Process Monitor: SHARING VIOLATION on the key file, which another process "
                    "holds open"
                )
            gone = absent or bool(rows)
            out.append(
                self.diagnosis(
                    label(cert),
                    confidence=Confidence.MEDIUM
                    if damaged and not rows and not listings
                    else Confidence.HIGH,
                    confidence_reason="; ".join(reasons),
                    certificates=(cert.thumbprint,),
                    evidence=tuple(evidence),
                    plans=self._plans(cert, key, gone),
                    explains_events=correlation.explains((cert.thumbprint,)),
                    summary=(
                        f"The key of {label(cert)} should be the file {key.key_file} in "
                        f"{key_folder(key)}; it is not there, so the key is gone."
                        if gone
                        else f"The key file {key.key_file} of {label(cert)} is held open by "
                        "another process (SHARING VIOLATION), so Schannel cannot open it."
                    ),
                )
            )
        return out

    @staticmethod
    def _plans(cert: Certificate, key: Key, gone: bool) -> tuple[FixPlan, ...]:
        path = f"{key_folder(key)}\\{key.key_file}"
        if not gone:
            return remedies.single(
                remedies.manual(
                    "In the Process Monitor capture, find the process that holds the key file "
                    "open (the rows before the SHARING VIOLATION), e.g. an antivirus scanner or a "
                    "backup agent.",
                    pages.PROCMON,
                ),
                remedies.manual(
                    f'Exclude "{key_folder(key)}" from that product\'s scanning or locking, then '
                    "add the binding again.",
                    pages.MACHINEKEYS_DEFAULTS,
                ),
                remedies.rebind(),
            )
        confirm = remedies.check(
            f'dir /a "{path}"   (expect: File Not Found: the key is gone)', pages.DIR_COMMAND
        )
        return (
            remedies.plan(
                "With the original PFX: import it again",
                "the PFX and its password are at hand (importing adds the key; nothing is deleted)",
                confirm,
                remedies.prove_pfx(cert, remedies.PFX_FILE),
                remedies.run(
                    remedies.import_keyexchange(cert, remedies.PFX_FILE)
                    + "   (the certificate is still in the store: add -f after -importPFX if "
                    "certutil says it already exists)",
                    pages.CERTUTIL,
                ),
                remedies.verify_step(cert, remedies.new_key_expect(cert.key)),
                *remedies.regrant_steps(cert.key),
                remedies.rebind(),
            ),
            remedies.new_certificate_plan(cert, "no PFX: the key cannot come back"),
        )
