"""`no-server-auth-eku`: the certificate in use cannot be a TLS server certificate."""

from __future__ import annotations

from analyzer.correlate import is_server_capable
from analyzer.model import Diagnosis
from analyzer.rules.common import REFERENCES, cert_evidence, label
from analyzer.rules.registry import Rule, RuleContext, register


@register
class NoServerAuthEku(Rule):
    id = "no-server-auth-eku"
    title = "Certificate in use has no Server Authentication EKU"
    kind = "fault"
    scenario = None
    fires_when = (
        "the certificate named by --thumbprint or a binding has an EKU list without Server "
        "Authentication (1.3.6.1.5.5.7.3.1) or Any Purpose"
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        out = []
        for thumbprint in context.correlation.in_use:
            for cert in context.case.certificates_with(thumbprint)[:1]:
                if is_server_capable(cert):
                    continue
                out.append(
                    self.diagnosis(
                        label(cert),
                        confidence="high",
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
                        references=(REFERENCES["certreq"],),
                        explains_events=False,
                        summary=f"{label(cert)} is not valid for TLS server authentication.",
                    )
                )
        return out
