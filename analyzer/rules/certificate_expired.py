"""`certificate-expired`: a server certificate past its NotAfter at the time of the failure.

A fault only for the certificate in use (--thumbprint or a binding) of a service that refuses it
(SQL Server); HTTP.sys binds it, so there, for a service not known and for every other
certificate it is an advisory (see `analyzer.rulekit.validity`).
"""

from __future__ import annotations

from analyzer.model import Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit.registry import Rule, RuleContext, register
from analyzer.rulekit.validity import validity_diagnoses


@register
class CertificateExpired(Rule):
    id = "certificate-expired"
    title = "Certificate expired at the time of the failure"
    kind = Kind.FAULT
    advisory_too = True
    fires_when = (
        "a server certificate with a key whose NotAfter is more than a day before --at or the "
        "last 36870 (fault for the certificate in use of a service that refuses it, such as SQL "
        "Server; advisory for HTTP.sys, a service not known, and other certificates); a fault "
        "for the certificate SQL Server is configured with when it logged a failure to load it "
        "(26014 / 26010 / 26015; a 33565 names no access instead; medium: expiry is one cause "
        "Microsoft lists for 26014) at a time NotAfter before the certificate's date"
    )
    references = (
        pages.NETSH_HTTP,
        pages.SQL_CERTIFICATE_REQUIREMENTS,
        pages.SQL_26014,
        pages.CERTUTIL,
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        return validity_diagnoses(self, context, "expired")
