"""What `certificate-expired` and `certificate-not-yet-valid` share: validity at the failure.

A fault only for the certificate in use (--thumbprint or a binding) of a service that refuses
such a certificate (`analyzer.rulekit.services`); HTTP.sys binds it and clients fail later, so
there (and for a service not known) it is an advisory, as it is for every certificate not in use:
an expired predecessor never outranks the broken key of the certificate in use. Dates are
compared with a day of slack (certificate dates are local time without a zone, events are UTC).
No step deletes a certificate: an expired one does no harm in the store.
"""

from __future__ import annotations

from analyzer.correlate import Correlation, validity_at
from analyzer.model import Certificate, Confidence, Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import candidate_certificates, cert_evidence, label
from analyzer.rulekit.registry import Rule, RuleContext
from analyzer.rulekit.services import STRICT_PAGES, lenient_service_reason, strict_service

MAX_LISTED = 10


def validity_diagnoses(rule: Rule, context: RuleContext, state: str) -> list[Diagnosis]:
    """One diagnosis per certificate in use (a fault when the service refuses it); one advisory
    listing all the others."""
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
    strict = strict_service(correlation) if in_use else None
    if state == "expired":
        steps = [
            remedies.manual(
                "Nothing to remove: an expired certificate can stay in the store, and deleting "
                "it is not needed.",
                pages.CERTUTIL,
            )
        ]
    else:
        steps = [
            remedies.check(
                "w32tm /query /status   (expect: a time source and a last successful sync; a "
                "certificate is only usable from its NotBefore on, so check the clock and time "
                "zone)",
                pages.W32TM,
            )
        ]
    if in_use:
        steps.insert(
            0,
            remedies.manual(
                "Bind a currently valid certificate (renew or request a new one).",
                pages.IIS_SSL_SETUP,
            ),
        )
    if not in_use:
        why = "not the certificate in use, so this is advisory"
    elif strict is None:
        why = lenient_service_reason(correlation)
    else:
        why = f"{strict[0]} refuses a certificate outside its validity period"
    subject = label(certs[0]) if len(certs) == 1 else f"{len(certs)} certificates"
    return rule.diagnosis(
        subject,
        kind=Kind.FAULT if strict is not None else Kind.ADVISORY,
        confidence=Confidence.HIGH,
        confidence_reason=(
            f"{word} at {when} by more than the one day of slack allowed for zone-less local "
            f"certificate dates; {why}"
        ),
        references=tuple(p for p in rule.references if strict is not None or p not in STRICT_PAGES),
        certificates=tuple(c.thumbprint or "" for c in certs),
        evidence=tuple(
            cert_evidence(
                c, f"validity of {label(c)}", f"NotBefore: {c.not_before}\nNotAfter: {c.not_after}"
            )
            for c in listed
        ),
        plans=remedies.single(*steps),
        explains_events=False,
        summary=(
            f"{label(certs[0]) if len(certs) == 1 else f'{len(certs)} certificates'} "
            f"{'is' if len(certs) == 1 else 'are'} {word} at the time of the failure{more}."
        ),
    )
