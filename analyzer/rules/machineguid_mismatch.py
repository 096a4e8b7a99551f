"""`machineguid-mismatch`: the certificate's key file was made under another MachineGuid.

A machine key's file name is ``<32 hex>_<MachineGuid>``: for CryptoAPI keys in
``Crypto\\RSA\\MachineKeys`` the hash of the container name, ``_`` and the MachineGuid value of
``HKLM\\SOFTWARE\\Microsoft\\Cryptography`` (JavaScience's UniqueKeyContainer page; Microsoft
documents only that the unique container name is the key's file name). CNG keys in
``Crypto\\Keys`` end the same way: the published `-v` dump of a Microsoft Software KSP key shows
``Unique container name: b59b..._a1b49e9a-...`` (../shared/docs/certutil-format.md §4). With a
MachineGuid paste (``reg query`` / Get-ItemProperty) in the ticket, a key file of a certificate in
scope whose suffix is another GUID was made before the MachineGuid changed, or copied from
another machine; the provider looks for the name built from the current value and may not find
it. Microsoft's "Key Storage and Retrieval" says keys moved to another machine (USMT) cannot be
opened by CNG there; no Microsoft page states the MachineGuid consequence itself, hence medium
confidence.

- The key opens in the dump (a key test passed): an advisory, not a fault; the name shows where the
  key came from, the provider found it anyway.
- No key file in the ticket ends in the pasted MachineGuid: low confidence (the paste may come
  from another machine than the dump).
- Several different MachineGuid values: no diagnosis (whose machine is the dump's is unknown).
- Key files in a listing of the key folders whose suffix is foreign but which belong to no
  certificate in scope: nothing. Key folders hold keys of Windows components and other programs,
  many created before an image was generalized or the MachineGuid changed; they say nothing about
  the certificate whose binding fails and there is nothing to fix for them.
- A MachineGuid pasted with braces or in upper case is the same value (the reader normalises it).
"""

from __future__ import annotations

import re

from analyzer.case import Case
from analyzer.knowledge.acl_defaults import key_file_name
from analyzer.model import (
    CRYPTOGRAPHY_KEY,
    Certificate,
    Confidence,
    Diagnosis,
    Evidence,
    FixPlan,
    Key,
    Kind,
    MachineGuid,
    Source,
)
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import (
    candidate_certificates,
    cert_evidence,
    failure_facts,
    label,
    lower_confidence,
    state_quote,
)
from analyzer.rulekit.keys import key_folder
from analyzer.rulekit.registry import Need, Rule, RuleContext, register

KEY_FILE = re.compile(
    r"^[0-9a-f]{32}_(?P<guid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
KEY_FOLDER = re.compile(r"\\(?:Crypto\\RSA\\MachineKeys|Crypto\\Keys)$", re.I)


def guid_suffix(file_name: str) -> str | None:
    """The MachineGuid a key file's name ends in, lower case; None for other names."""
    match = KEY_FILE.match(file_name.strip().lower())
    return match.group("guid") if match else None


def machine_guid(case: Case) -> MachineGuid | None:
    """The machine's one MachineGuid value from the Cryptography key; None when the ticket has
    none, or several different ones."""
    values = [
        record
        for record in case.records(MachineGuid)
        if record.key is None or record.key.lower() == CRYPTOGRAPHY_KEY.lower()
    ]
    if len({record.guid for record in values}) != 1:
        return None
    return values[0]


def listed_key_files(case: Case) -> dict[str, Source]:
    """Key files the ticket's listings of the key folders show (icacls entries, unfiltered `dir`
    or Get-ChildItem), lower case, with the first line that shows each."""
    out: dict[str, Source] = {}
    for entry in case.acls:
        name = key_file_name(entry.path)
        if name:
            out.setdefault(name.lower(), entry.source)
    for listing in case.listings:
        folder = listing.folder.replace("/", "\\").rstrip("\\")
        if listing.filtered or not KEY_FOLDER.search(folder):
            continue
        for name in listing.files:
            out.setdefault(name.lower(), listing.source)
    return out


def _name_evidence(cert: Certificate, key: Key, suffix: str) -> Evidence:
    unique = (key.unique_container or "").lower() == key.key_file
    spelled = (
        f"Unique container name: {key.unique_container}"
        if unique
        else f"Key Container = {key.container}"
    )
    return cert_evidence(
        cert,
        f"the certificate's key file {key.key_file} ends in MachineGuid {suffix}",
        spelled,
        "unique_container" if unique else "container",
    )


def _guid_quote(record: MachineGuid) -> str:
    if record.form == "reg-query":
        return f"MachineGuid    REG_SZ    {record.guid}"
    if record.form == "get-itemproperty":
        return f"MachineGuid : {record.guid}"
    return record.guid


@register
class MachineGuidMismatch(Rule):
    id = "machineguid-mismatch"
    title = "The certificate's key file was made under another MachineGuid"
    kind = Kind.FAULT
    # A cause of scenario 1 (the keyset cannot be found): named, it goes ahead of the generic
    # broken-keyset diagnosis of the same certificate at equal confidence.
    scenario = 1
    advisory_too = True
    fires_when = (
        "with a MachineGuid paste (reg query, Get-ItemProperty), the key file of a machine-store "
        "certificate (`<32 hex>_<GUID>` in the dump) ends in another GUID; advisory when the dump's "
        "key test passed; nothing for other foreign key files in a folder listing"
    )
    needs = frozenset({Need.ELEVATION, Need.PFX})
    references = (
        pages.KEY_STORAGE,
        pages.UNIQUE_CONTAINER_NAME,
        pages.CERTUTIL,
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        case, correlation = context.case, context.correlation
        machine = machine_guid(case)
        if machine is None:
            return []
        listed = listed_key_files(case)
        events, _ = failure_facts(correlation)
        certificates = candidate_certificates(case.certificates)
        # Does anything in the ticket carry the pasted value? Then the paste and the dump are
        # very likely of one machine.
        names = {c.key.key_file for c in case.certificates if c.key and c.key.key_file} | set(
            listed
        )
        corroborated = any(guid_suffix(name) == machine.guid for name in names)
        out = []
        for cert in certificates:
            key = cert.key
            if key is None or not key.key_file or not cert.thumbprint:
                continue
            if key.machine_keyset is False:
                continue  # a user key: `key-in-user-profile`
            suffix = guid_suffix(key.key_file)
            if suffix is None or suffix == machine.guid:
                continue
            opens = key.state == "ok"
            explains = not opens and correlation.explains((cert.thumbprint,))
            evidence = [
                Evidence(
                    f"the machine's MachineGuid is {machine.guid}",
                    machine.source,
                    _guid_quote(machine),
                ),
                _name_evidence(cert, key, suffix),
            ]
            reasons = [
                f"the key file's name ends in {suffix}, the machine's MachineGuid is "
                f"{machine.guid}; no Microsoft page states what a foreign suffix does"
            ]
            quote = state_quote(key)
            if quote and not opens:
                evidence.append(cert_evidence(cert, "the dump cannot use the key", quote, "state"))
            shown = listed.get(key.key_file)
            if shown is not None:
                evidence.append(
                    Evidence(f"the key folder listing shows {key.key_file}", shown, key.key_file)
                )
                reasons.append("the listing shows the file on disk under its old name")
            if opens:
                reasons.append("the dump's key test passed: the provider opens the key anyway")
            elif key.state == "unknown":
                reasons.append("the dump shows no key test")
            if not corroborated:
                reasons.append(
                    "no other key file in the ticket ends in the pasted MachineGuid: the paste "
                    "may come from another machine than the dump"
                )
            if explains:
                reasons.append("36870 events point at this certificate")
            confidence = Confidence.MEDIUM
            if key.state == "unknown" and not opens:
                confidence = lower_confidence(confidence)
            if not corroborated:
                confidence = Confidence.LOW
            out.append(
                self.diagnosis(
                    label(cert),
                    kind=Kind.ADVISORY if opens else Kind.FAULT,
                    confidence=confidence,
                    confidence_reason="; ".join(reasons),
                    certificates=(cert.thumbprint,),
                    events=events if explains else (),
                    evidence=tuple(evidence),
                    plans=self._plans(cert, key, suffix, machine.guid, opens),
                    explains_events=explains,
                    summary=self._summary(cert, key, suffix, machine.guid, opens),
                )
            )
        return out

    @staticmethod
    def _summary(cert: Certificate, key: Key, suffix: str, current: str, opens: bool) -> str:
        made = (
            f"The key file of {label(cert)}, {key.key_file}, was made on a machine whose "
            f"MachineGuid was {suffix}; this machine's is {current}: the MachineGuid changed "
            "after the key was made, or the key file was copied from another machine."
        )
        if opens:
            return made + " The dump's key test passed, so the key opens today."
        return (
            made
            + " Key providers build key file names with the current MachineGuid, so the provider "
            "may not find this file"
            + (
                " (the dump shows no key test)."
                if key.state == "unknown"
                else " (the dump could not use the key)."
            )
            + " Re-import the original PFX so the key is made again on this machine."
        )

    @staticmethod
    def _plans(
        cert: Certificate, key: Key, suffix: str, current: str, opens: bool
    ) -> tuple[FixPlan, ...]:
        folder = key_folder(key)
        confirm = (
            remedies.check(
                'reg query "HKLM\\SOFTWARE\\Microsoft\\Cryptography" /v MachineGuid   '
                f"(on the server itself: expect {current})",
                pages.REG_QUERY,
            ),
            remedies.check(
                f'dir /a "{folder}\\*_{suffix}"   (the key files made under the other '
                f"MachineGuid; the certificate's is {key.key_file})",
                pages.DIR_COMMAND,
            ),
        )
        keep_guid = remedies.manual(
            f"Do not set MachineGuid back to {suffix}: Microsoft documents no such change, and "
            f"every key made since then ends in {current} and could no longer be found.",
            pages.KEY_STORAGE,
        )
        if opens:
            return remedies.single(
                *confirm,
                remedies.verify_step(
                    cert, "Encryption test passed; nothing to change while the key opens"
                ),
                keep_guid,
            )
        with_pfx = remedies.plan(
            "With the original PFX: import it again, so the key is made under this MachineGuid",
            "the original PFX and its password are at hand",
            *confirm,
            remedies.save_dump(cert),
            remedies.prove_pfx(cert, remedies.PFX_FILE),
            remedies.run(
                remedies.import_keyexchange(cert, remedies.PFX_FILE)
                + "   (the key is created again under this machine's MachineGuid; add -f if "
                "certutil says the certificate already exists)",
                pages.CERTUTIL,
            ),
            remedies.verify_step(
                cert, f"Encryption test passed, and a key file ending in _{current}"
            ),
            remedies.rebind(),
            keep_guid,
        )
        return (with_pfx, remedies.new_certificate_plan(cert, "the PFX is not at hand"))
