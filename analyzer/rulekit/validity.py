"""What `certificate-expired` and `certificate-not-yet-valid` share: validity at the failure.

A fault for the certificate in use (--thumbprint or a binding); an advisory for others, so that an
expired predecessor never outranks the broken key of the certificate in use. Dates are compared
with a day of slack (certificate dates are local time without a zone, events are UTC).
"""

from __future__ import annotations

from analyzer.correlate import Correlation, validity_at
from analyzer.model import Certificate, Confidence, Diagnosis, Kind
from analyzer.rulekit.evidence import candidate_certificates, cert_evidence, label
from analyzer.rulekit.registry import Rule, RuleContext

MAX_LISTED = 10


def validity_diagnoses(rule: Rule, context: RuleContext, state: str) -> list[Diagnosis]:
    """One fault per certificate in use; one advisory listing all the others."""
    correlation = context.correlation
    when = correlation.reference_moment
    if when is None:
        return []
    in_use: list[Certificate] = []
    others: list[Certificate] = []
    for cert in candidate_certificates(context.case.certificates):
        keyless = cert.key is None or cert.key.state == "no-key-info"
        if keyless and cert.thumbprint not in correlation.in_use:
            continue
        if validity_at(cert, when).state != state:
            continue
        (in_use if cert.thumbprint in correlation.in_use else others).append(cert)
    out = [_diagnosis(rule, [cert], correlation, state, True) for cert in in_use]
    if others:
        out.append(_diagnosis(rule, others, correlation, state, False))
    return out


def _diagnosis(
    rule: Rule, certs: list[Certificate], correlation: Correlation, state: str, in_use: bool
) -> Diagnosis:
    when = f"{correlation.reference_time} ({correlation.reference_from})"
    word = "expired" if state == "expired" else "not yet valid"
    listed = certs[:MAX_LISTED]
    more = f" (and {len(certs) - MAX_LISTED} more)" if len(certs) > MAX_LISTED else ""
    if state == "expired":
        steps = [
            f"certutil -delstore {c.store or 'my'} {c.thumbprint}   (once nothing uses it)"
            for c in listed
        ]
    else:
        steps = [
            "Check the server clock and time zone (w32tm /query /status); a certificate is "
            "only usable from its NotBefore on."
        ]
    if in_use:
        steps.insert(0, "Bind a currently valid certificate (renew or request a new one).")
    subject = label(certs[0]) if len(certs) == 1 else f"{len(certs)} certificates"
    return rule.diagnosis(
        subject,
        kind=Kind.FAULT if in_use else Kind.ADVISORY,
        confidence=Confidence.HIGH,
        confidence_reason=(
            f"{word} at {when} by more than the one day of slack allowed for zone-less local "
            "certificate dates"
            + ("" if in_use else "; not the certificate in use, so this is advisory")
        ),
        certificates=tuple(c.thumbprint or "" for c in certs),
        evidence=tuple(
            cert_evidence(
                c, f"validity of {label(c)}", f"NotBefore: {c.not_before}\nNotAfter: {c.not_after}"
            )
            for c in listed
        ),
        remediation=tuple(steps),
        explains_events=False,
        summary=(
            f"{label(certs[0]) if len(certs) == 1 else f'{len(certs)} certificates'} "
            f"{'is' if len(certs) == 1 else 'are'} {word} at the time of the failure{more}."
        ),
    )
