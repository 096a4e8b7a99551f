"""`cert-not-in-machine-store`: the certificate in use is not where HTTP.sys looks.

IIS binds certificates of the machine's `My` or `WebHosting` store. A `--thumbprint` found only in
a `-user` dump was imported into the current user's store; one absent from every dump is in
another store or gone. A case whose only dumps are `-user` dumps says nothing about the machine
store: that is an advisory asking for the right dump.
"""

from __future__ import annotations

from analyzer.model import Confidence, Diagnosis, Evidence, Kind, Source
from analyzer.rulekit import references as pages
from analyzer.rulekit.evidence import cert_evidence, label
from analyzer.rulekit.registry import Need, Rule, RuleContext, register

MACHINE_DUMP = "certutil -v -store my > %TEMP%\\my.txt"
WEBHOSTING_DUMP = "certutil -v -store webhosting > %TEMP%\\webhosting.txt"


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
                        (
                            'Import the PFX into the machine store: certutil -p "<PFX password>" '
                            "-importPFX my <file>.pfx AT_KEYEXCHANGE",
                            f"certutil -user -delstore my {thumbprint}   (once the machine copy works)",
                        ),
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
                    (WEBHOSTING_DUMP, f"certutil -user -v -store my {thumbprint}"),
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
                    remediation=(MACHINE_DUMP, WEBHOSTING_DUMP),
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
        remediation: tuple[str, ...],
    ) -> Diagnosis:
        return self.diagnosis(
            confidence=confidence,
            confidence_reason=reason,
            certificates=certificates,
            evidence=evidence,
            remediation=remediation,
            summary=summary,
        )
