"""`no-server-auth-eku`: the certificate in use cannot be a TLS server certificate."""

from __future__ import annotations

from analyzer.correlate import is_server_capable
from analyzer.model import Confidence, Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit.evidence import cert_evidence, label
from analyzer.rulekit.registry import Rule, RuleContext, register


@register
class NoServerAuthEku(Rule):
    id = "no-server-auth-eku"
    title = "Certificate in use has no Server Authentication EKU"
    kind = Kind.FAULT
    fires_when = (
        "the certificate named by --thumbprint or a binding has an EKU list without Server "
        "Authentication (1.3.6.1.5.5.7.3.1) or Any Purpose"
    )
    references = (pages.CERTREQ,)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        out = []
        for thumbprint in context.correlation.in_use:
            for cert in context.case.certificates_with(thumbprint)[:1]:
                if is_server_capable(cert):
                    continue
                out.append(
                    self.diagnosis(
                        label(cert),
                        confidence=Confidence.HIGH,
                        confidence_reason=(
                            f"the certificate named by {context.correlation.in_use_from} lists "
                            "EKUs without Server Authentication"
                        ),
                        certificates=(thumbprint,),
                        evidence=(
                            cert_evidence(cert, "Enhanced Key Usage", "\n".join(cert.eku or ())),
                        ),
                        remediation=(
                            "Request a certificate with Server Authentication "
                            "(1.3.6.1.5.5.7.3.1) in its EKU (a Web Server template) and bind it.",
                        ),
                        explains_events=False,
                        summary=f"{label(cert)} is not valid for TLS server authentication.",
                    )
                )
        return out
