"""`key-in-user-profile`: a certificate in a machine store whose private key is a *user* key.

`CERT_KEY_PROV_INFO_PROP_ID` carries the key's `Flags`; bit 0x20 (`CRYPT_MACHINE_KEYSET`,
Microsoft's CRYPT_KEY_PROV_INFO page) set means the machine keyset, clear means the key lives in
the profile of the user who imported it. The classic causes: a PFX imported into the user store
and the certificate then dragged to Local Machine in the Certificates snap-in, or a script that
imported without MachineKeySet. HTTP.sys (LocalSystem) then finds no key: Microsoft's Web Topics
post "SSL stops working in IIS7" shows 36870 with 0x80090016 after exactly such a move.

A fault only where the dump is of a machine store (its command line without `-user`); when the
dump does not show its command, an advisory asking for that. Never for a `-user` dump: a user
key there is normal (a service that keeps its certificate in its own account's store included).
The key test passing in the dump is no counter-evidence: the importing user can open the key.
"""

from __future__ import annotations

from analyzer.model import Certificate, Confidence, Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.accounts import account_for
from analyzer.rulekit.evidence import candidate_certificates, cert_evidence, failure_facts, label
from analyzer.rulekit.keys import store_of
from analyzer.rulekit.registry import Need, Rule, RuleContext, register

MACHINE_KEYSET = 0x20  # CRYPT_MACHINE_KEYSET in CRYPT_KEY_PROV_INFO.dwFlags


def user_keyset(cert: Certificate) -> bool:
    """The dump shows this machine-store certificate's key outside the machine keyset."""
    key = cert.key
    return (
        key is not None
        and key.machine_keyset is False
        and key.state != "no-key-info"
        and cert.user_store is not True
    )


def flags_quote(cert: Certificate) -> str:
    flags = cert.key.flags if cert.key is not None else None
    return f"Flags = {flags:x} ({flags})" if flags is not None else "Flags = <not shown>"


@register
class KeyInUserProfile(Rule):
    id = "key-in-user-profile"
    title = "The certificate is in the machine store but its private key is in a user profile"
    kind = Kind.FAULT
    advisory_too = True
    fires_when = (
        "a machine-store server certificate whose CERT_KEY_PROV_INFO Flags lack "
        "CRYPT_MACHINE_KEYSET (0x20) in a dump taken without -user; advisory when the dump does "
        "not show its command line; never for a -user dump"
    )
    needs = frozenset({Need.ELEVATION})
    references = (pages.KEY_PROV_INFO, pages.SSL_STOPS_WORKING_IIS7, pages.CERTUTIL)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        correlation = context.correlation
        events, event_evidence = failure_facts(correlation)
        out = []
        for cert in candidate_certificates(context.case.certificates):
            if not user_keyset(cert) or not cert.thumbprint or cert.key is None:
                continue
            machine_dump = cert.user_store is False
            explains = machine_dump and correlation.explains((cert.thumbprint,))
            evidence = [
                cert_evidence(
                    cert,
                    "CERT_KEY_PROV_INFO Flags without CRYPT_MACHINE_KEYSET (0x20): a user key",
                    flags_quote(cert),
                    "flags",
                )
            ]
            reasons = ["the key's Flags lack CRYPT_MACHINE_KEYSET (0x20)"]
            if machine_dump:
                reasons.append("the dump's command shows a machine store (no -user)")
            else:
                reasons.append(
                    "the dump does not show its command line, so it may be a -user dump, where a "
                    "user key is normal"
                )
            if cert.key.state == "ok":
                reasons.append(
                    "the key test passed in this dump, which only shows that the account that "
                    "took it can open the key, not LocalSystem"
                )
            if explains:
                reasons.append("36870 events point at this certificate")
                evidence.extend(event_evidence)
            if not machine_dump:
                kind, confidence = Kind.ADVISORY, Confidence.LOW
            elif explains or cert.thumbprint in correlation.in_use:
                kind, confidence = Kind.FAULT, Confidence.HIGH
            else:
                kind, confidence = Kind.FAULT, Confidence.MEDIUM
            out.append(
                self.diagnosis(
                    label(cert),
                    kind=kind,
                    confidence=confidence,
                    confidence_reason="; ".join(reasons),
                    certificates=(cert.thumbprint,),
                    events=events if explains else (),
                    evidence=tuple(evidence),
                    remediation=self._steps(cert, machine_dump),
                    explains_events=explains,
                    account=account_for(context.case, correlation, cert),
                    summary=(
                        f"{label(cert)} is in the machine store, but its private key was created "
                        "in a user's profile (imported into the user store and moved, or imported "
                        "without MachineKeySet): LocalSystem cannot find it. Import the "
                        "certificate with its key into the machine store."
                    ),
                )
            )
        return out

    @staticmethod
    def _steps(cert: Certificate, machine_dump: bool) -> tuple[str, ...]:
        store, cid, pfx = store_of(cert), remedies.cert_id(cert), remedies.pfx_name(cert)
        confirm = (
            ()
            if machine_dump
            else (
                f"certutil -v -store {store} {cid}   (from an elevated prompt, without -user: "
                "expect Flags = 0 and no CRYPT_MACHINE_KEYSET line to confirm)",
            )
        )
        return (
            *confirm,
            "With the original PFX at hand, skip to the import step. Otherwise, signed in as the "
            f"user who imported it: certutil -user -store my {cid}   (expect: Encryption test "
            "passed; if the certificate is no longer in that user's store, use the PFX)",
            f'certutil -user -exportPFX -p "<new PFX password>" my {cid} {pfx}',
            f'certutil -p "<PFX password>" -dump {pfx}   (check that the PFX opens and holds the '
            "key before removing anything)",
            f"certutil -delstore {store} {cid}   (only after the check above: the machine store's "
            "copy has no usable key)",
            remedies.import_keyexchange(cert, pfx)
            + "   (certutil -importPFX without -user imports into the machine store and keyset)",
            f"{remedies.verify(cert)}   (expect: CRYPT_MACHINE_KEYSET -- 20 (32))",
            f"del {pfx}   (do not leave the exported key on disk)",
            remedies.REBIND,
        )
