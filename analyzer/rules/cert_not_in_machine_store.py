"""`cert-not-in-machine-store`: the certificate in use is not where HTTP.sys looks.

IIS binds certificates of the machine's `My` or `WebHosting` store. A `--thumbprint` found only in
a `-user` dump was imported into the current user's store; one absent from every dump is in
another store or gone. A case whose only dumps are `-user` dumps says nothing about the machine
store: that is an advisory asking for the right dump.
"""

from __future__ import annotations

from analyzer.knowledge.quoting import cmd_word
from analyzer.model import (
    Certificate,
    Confidence,
    Diagnosis,
    Evidence,
    FixPlan,
    FixStep,
    Kind,
    Source,
)
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import cert_evidence, label
from analyzer.rulekit.registry import Need, Rule, RuleContext, register

MACHINE_DUMP = 'certutil -v -store my > "%TEMP%\\my.txt"'
WEBHOSTING_DUMP = 'certutil -v -store webhosting > "%TEMP%\\webhosting.txt"'


@register
class CertNotInMachineStore(Rule):
    id = "cert-not-in-machine-store"
    title = "The certificate in use is not in the machine store"
    kind = Kind.FAULT
    advisory_too = True
    fires_when = (
        "--thumbprint is only in a `-user` dump or in no dump (fault); the case's only dumps are "
        "`-user` dumps (advisory)"
    )
    needs = frozenset({Need.ELEVATION})  # importing into the machine store
    references = (pages.CERTUTIL, pages.NETSH_HTTP)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        case = context.case
        dumps = case.inputs_of("certutil")
        if not dumps:
            return []
        thumbprint = case.options.thumbprint
        if thumbprint:
            found = case.certificates_with(thumbprint)
            if any(c.user_store is not True for c in found):
                return []
            if found:
                cert = found[0]
                return [
                    self._diagnosis(
                        Confidence.HIGH,
                        f"--thumbprint {thumbprint} is in a `-user` dump only",
                        (cert_evidence(cert, f"{label(cert)} is in the current user's store"),),
                        (thumbprint,),
                        f"{label(cert)} was imported into the current user's store; HTTP.sys "
                        "only uses the machine's store.",
                        self._move_plans(cert),
                    )
                ]
            stores = sorted({c.store or "?" for c in case.certificates if c.user_store is not True})
            return [
                self._diagnosis(
                    Confidence.MEDIUM,
                    f"--thumbprint {thumbprint} is in none of the {len(dumps)} dump(s) "
                    f"(machine stores seen: {', '.join(stores) or 'none'})",
                    tuple(Evidence(f"dump without {thumbprint}", Source(d.path)) for d in dumps),
                    (thumbprint,),
                    "The certificate selected in IIS is not in the dumped stores: it may be in "
                    "another store (WebHosting), in the user store, or deleted.",
                    remedies.single(
                        remedies.run(WEBHOSTING_DUMP, pages.CERTUTIL),
                        remedies.check(
                            f"certutil -user -v -store my {cmd_word(thumbprint)}   "
                            "(is it in the current user's store?)",
                            pages.CERTUTIL,
                        ),
                        title="Find the certificate",
                    ),
                )
            ]
        if all(c.user_store is True for c in case.certificates) and case.certificates:
            return [
                self.diagnosis(
                    kind=Kind.ADVISORY,
                    title="Only current-user stores were dumped (certutil -user)",
                    confidence=Confidence.HIGH,
                    confidence_reason="every dump in the case is a `-user` dump",
                    evidence=tuple(Evidence("a -user dump", Source(d.path)) for d in dumps),
                    plans=remedies.single(
                        remedies.manual(
                            "Open a command prompt with Run as administrator.", pages.CERTUTIL
                        ),
                        remedies.run(MACHINE_DUMP, pages.CERTUTIL),
                        remedies.run(WEBHOSTING_DUMP, pages.CERTUTIL),
                        title="Dump the machine stores",
                    ),
                    references=(pages.CERTUTIL,),
                    summary=(
                        "IIS uses the machine store; the case only shows the current user's. Ask "
                        "for an elevated machine-store dump."
                    ),
                )
            ]
        return []

    def _diagnosis(
        self,
        confidence: Confidence,
        reason: str,
        evidence: tuple[Evidence, ...],
        certificates: tuple[str, ...],
        summary: str,
        plans: tuple[FixPlan, ...],
    ) -> Diagnosis:
        return self.diagnosis(
            confidence=confidence,
            confidence_reason=reason,
            certificates=certificates,
            evidence=evidence,
            plans=plans,
            summary=summary,
        )

    @staticmethod
    def _move_plans(cert: Certificate) -> tuple[FixPlan, ...]:
        """Into the machine store and keyset from the PFX, or exported from the user's store;
        the user's copy is removed only once the machine copy works."""
        cid = remedies.cert_id(cert)

        def move(pfx: str) -> tuple[FixStep, ...]:
            return (
                remedies.prove_pfx(cert, pfx),
                remedies.run(
                    remedies.import_keyexchange(cert, pfx)
                    + "   (without -user: the machine store and keyset)",
                    pages.CERTUTIL,
                ),
                remedies.verify_step(cert, "CRYPT_MACHINE_KEYSET and `Encryption test passed`"),
                remedies.manual(
                    "Bind the certificate again and check that the site answers over https "
                    "before the next step.",
                    pages.IIS_SSL_SETUP,
                ),
                remedies.run(
                    f"certutil -user -delstore my {cid}   (the user's copy, no longer needed)",
                    pages.CERTUTIL,
                ),
            )

        exported = remedies.pfx_name(cert)
        return (
            remedies.plan(
                "With the original PFX: import it into the machine store",
                "the PFX and its password are at hand",
                *move(remedies.PFX_FILE),
            ),
            remedies.plan(
                "Without it: export the certificate and key from the user's store",
                "signed in as the user whose store holds it, with an exportable key",
                remedies.run(
                    f'certutil -user -exportPFX -p "{remedies.PFX_PASSWORD}" my {cid} '
                    f'"{exported}"   (choose the password here: the next steps use it)',
                    pages.CERTUTIL,
                ),
                *move(exported),
                remedies.delete_export(exported),
            ),
        )
