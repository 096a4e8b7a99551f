"""`certificate-expired` and `certificate-not-yet-valid` at the time of the failure.

A fault for the certificate in use (--thumbprint or a binding); an advisory for others, so that an
expired predecessor never outranks the broken key of the certificate in use. Dates are compared
with a day of slack (certificate dates are local time without a zone, events are UTC).
"""

from __future__ import annotations

from analyzer.correlate import Correlation, validity_at
from analyzer.model import Certificate, Diagnosis
from analyzer.rules.common import REFERENCES, candidate_certificates, cert_evidence, label
from analyzer.rules.registry import Rule, RuleContext, register


def _diagnoses(rule: type[Rule], context: RuleContext, state: str) -> list[Diagnosis]:
    correlation = context.correlation
    when = correlation.reference_moment
    if when is None:
        return []
    out = []
    for cert in candidate_certificates(context.case.certificates):
        keyless = cert.key is None or cert.key.state == "no-key-info"
        if keyless and cert.thumbprint not in correlation.in_use:
            continue
        if validity_at(cert, when).state != state:
            continue
        in_use = cert.thumbprint in correlation.in_use
        out.append(_diagnosis(rule, cert, correlation, in_use))
    return out


def _diagnosis(
    rule: type[Rule], cert: Certificate, correlation: Correlation, in_use: bool
) -> Diagnosis:
    dates = f"NotBefore: {cert.not_before}\nNotAfter: {cert.not_after}"
    when = f"{correlation.reference_time} ({correlation.reference_from})"
    word = "expired" if rule.id == "certificate-expired" else "not yet valid"
    return Diagnosis(
        id=rule.id,
        kind="fault" if in_use else "advisory",
        scenario=None,
        title=f"{rule.title}: {label(cert)}",
        confidence="high",
        confidence_reason=(
            f"the certificate is {word} at {when} by more than the one day of slack allowed for "
            "its zone-less local dates"
            + ("" if in_use else "; it is not the certificate in use, so this is advisory")
        ),
        certificates=(cert.thumbprint or "",),
        evidence=(cert_evidence(cert, f"validity of {label(cert)}", dates),),
        remediation=(
            "Bind a currently valid certificate (renew or request a new one), then remove the "
            f"old one once nothing uses it: certutil -delstore {cert.store or 'my'} "
            f"{cert.thumbprint}",
        )
        if in_use
        else (
            f"Remove the old certificate when nothing uses it: certutil -delstore "
            f"{cert.store or 'my'} {cert.thumbprint}",
        ),
        references=(REFERENCES["certutil"],),
        explains_events=False,
        summary=f"{label(cert)} is {word} at the time of the failure.",
    )


@register
class CertificateExpired(Rule):
    id = "certificate-expired"
    title = "Certificate expired at the time of the failure"
    kind = "fault"
    scenario = None
    fires_when = (
        "a server certificate with a key whose NotAfter is more than a day before --at or the "
        "last 36870 (fault for the certificate in use, advisory otherwise)"
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        return _diagnoses(type(self), context, "expired")


@register
class CertificateNotYetValid(Rule):
    id = "certificate-not-yet-valid"
    title = "Certificate not yet valid at the time of the failure"
    kind = "fault"
    scenario = None
    fires_when = (
        "a server certificate with a key whose NotBefore is more than a day after --at or the "
        "last 36870 (fault for the certificate in use, advisory otherwise)"
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        return _diagnoses(type(self), context, "not-yet-valid")
