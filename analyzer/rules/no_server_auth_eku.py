"""`no-server-auth-eku`: the certificate in use cannot be a TLS server certificate.

HTTP.sys binds a certificate without the Server Authentication EKU (the binding is a hash and a
store) and clients reject it later: for HTTP.sys and a service not known this is an advisory. A
service that refuses such a certificate (SQL Server, see `analyzer.rulekit.services`) makes it a
fault.
"""

from __future__ import annotations

from analyzer.correlate import is_server_capable
from analyzer.model import Confidence, Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import cert_evidence, label
from analyzer.rulekit.registry import Rule, RuleContext, register
from analyzer.rulekit.services import STRICT_PAGES, lenient_service_reason, strict_service


@register
class NoServerAuthEku(Rule):
    id = "no-server-auth-eku"
    title = "Certificate in use has no Server Authentication EKU"
    kind = Kind.FAULT
    advisory_too = True
    fires_when = (
        "the certificate named by --thumbprint or a binding has an EKU list without Server "
        "Authentication (1.3.6.1.5.5.7.3.1) or Any Purpose (fault for a service that refuses "
        "it, such as SQL Server; advisory for HTTP.sys and a service not known)"
    )
    references = (pages.NETSH_HTTP, pages.SQL_CERTIFICATE_REQUIREMENTS, pages.CERTREQ)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        correlation = context.correlation
        strict = strict_service(correlation)
        out = []
        for thumbprint in correlation.in_use:
            for cert in context.case.certificates_with(thumbprint)[:1]:
                if is_server_capable(cert):
                    continue
                why = (
                    f"{strict[0]} refuses a certificate without Server Authentication"
                    if strict is not None
                    else lenient_service_reason(correlation)
                )
                out.append(
                    self.diagnosis(
                        label(cert),
                        kind=Kind.FAULT if strict is not None else Kind.ADVISORY,
                        confidence=Confidence.HIGH,
                        confidence_reason=(
                            f"the certificate named by {correlation.in_use_from} lists EKUs "
                            f"without Server Authentication; {why}"
                        ),
                        references=tuple(
                            p
                            for p in self.references
                            if strict is not None or p not in STRICT_PAGES
                        ),
                        certificates=(thumbprint,),
                        evidence=(
                            cert_evidence(cert, "Enhanced Key Usage", "\n".join(cert.eku or ())),
                        ),
                        plans=remedies.single(
                            remedies.manual(
                                "Request a certificate with Server Authentication "
                                "(1.3.6.1.5.5.7.3.1) in its EKU (a Web Server template).",
                                pages.CERTREQ,
                            ),
                            remedies.rebind(new=True),
                        ),
                        explains_events=False,
                        summary=f"{label(cert)} is not valid for TLS server authentication.",
                    )
                )
        return out
