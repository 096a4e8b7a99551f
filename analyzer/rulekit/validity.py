"""What `certificate-expired` and `certificate-not-yet-valid` share: validity at the failure.

A fault only for the certificate in use (--thumbprint or a binding) of a service that refuses
such a certificate (`analyzer.rulekit.services`); HTTP.sys binds it and clients fail later, so
there (and for a service not known) it is an advisory, as it is for every certificate not in use:
an expired predecessor never outranks the broken key of the certificate in use. Dates are
compared with a day of slack (certificate dates are local time without a zone, events are UTC).
No step deletes a certificate: an expired one does no harm in the store.

SQL Server: "Certificate requirements for SQL Server" asks that the current time be within Valid
from / Valid to, and says SQL Server checks this when the certificate is configured, running on
if it expires later. So a certificate SQL Server is configured with is judged only where SQL
Server logged a failure to load it (26014 naming its hash in the ERRORLOG or the Application log,
or 26010 / 26015 of that instance): at that failure's time (an ERRORLOG time is the server's
local time, within the day of slack) it was outside its dates: a fault of service `sqlserver`
that explains those failures, of medium confidence only: "MSSQLSERVER_26014" lists expiry as one
possible cause among others (moved or deleted, no permission for the service account), and the
requirements page says SQL Server checks the dates when the certificate is configured, not that a
start refuses an expired one. A 33565 is not counted: its own text names the cause (the service
account has no access to the key; "Event ID 33565 and SQL Server doesn't start").
"""

from __future__ import annotations

from datetime import datetime

from analyzer.case import Case
from analyzer.correlate import Correlation, validity_at
from analyzer.knowledge import services as known
from analyzer.knowledge.eventfields import sql_instance_of_provider
from analyzer.model import Certificate, Confidence, Diagnosis, Kind, Source, parse_time
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import candidate_certificates, cert_evidence, label
from analyzer.rulekit.registry import Rule, RuleContext
from analyzer.rulekit.service_keys import restart_step, service_label, sql_select_certificate
from analyzer.rulekit.services import STRICT_PAGES, lenient_service_reason, strict_service
from analyzer.servicemap import configured_certificates, failure_events, logged_failures

MAX_LISTED = 10
# SQL Server failures whose own text names another cause than the dates (33565: no access).
NAMED_CAUSE = frozenset({33565})


def validity_diagnoses(rule: Rule, context: RuleContext, state: str) -> list[Diagnosis]:
    """One diagnosis per certificate in use (a fault when the service refuses it); one advisory
    listing all the others; and a fault per SQL Server certificate whose logged load failure
    fell outside its dates."""
    sql = sql_validity_diagnoses(rule, context, state)
    done = {t for d in sql for t in d.certificates}
    correlation = context.correlation
    when = correlation.reference_moment
    if when is None:
        return sql
    out = [
        d
        for d in _validity_diagnoses(rule, context, state, when)
        if not set(d.certificates) <= done
    ]
    return [*sql, *out]


def _validity_diagnoses(
    rule: Rule, context: RuleContext, state: str, when: datetime
) -> list[Diagnosis]:
    correlation = context.correlation
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
    elif strict[1] == pages.SQL_CERTIFICATE_REQUIREMENTS:
        why = (
            "SQL Server checks a certificate's dates when it is configured and runs on after it "
            "expires (Certificate requirements for SQL Server); MSSQLSERVER_26014 lists expiry "
            "as one possible cause of a failed load: medium"
        )
    else:
        why = f"{strict[0]} refuses a certificate outside its validity period"
    sql_strict = strict is not None and strict[1] == pages.SQL_CERTIFICATE_REQUIREMENTS
    subject = label(certs[0]) if len(certs) == 1 else f"{len(certs)} certificates"
    return rule.diagnosis(
        subject,
        kind=Kind.FAULT if strict is not None else Kind.ADVISORY,
        confidence=Confidence.MEDIUM if sql_strict else Confidence.HIGH,
        confidence_reason=(
            f"{word} at {when} by more than the one day of slack allowed for zone-less local "
            f"certificate dates; {why}"
        ),
        references=tuple(
            p
            for p in rule.references
            if strict is not None or p not in (*STRICT_PAGES, pages.SQL_26014)
        ),
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


def sql_failures_of(
    case: Case, thumbprint: str, instance: str | None
) -> list[tuple[datetime, Source]]:
    """(time, where) of each SQL Server load failure about this certificate: an ERRORLOG line or
    Application log event naming its hash, or one of that instance naming none (26010, 26015)."""
    out: list[tuple[datetime, Source]] = []
    wanted = (instance or known.SQL_DEFAULT_INSTANCE).upper()
    for line in logged_failures(case):
        if line.number in NAMED_CAUSE:
            continue
        moment = parse_time(line.time.replace(" ", "T") if line.time else None)
        same = line.thumbprint == thumbprint or (
            line.thumbprint is None and (line.instance or wanted) == wanted
        )
        if moment is not None and same:
            out.append((moment, line.source))
    for event in failure_events(case, known.SQL_SERVER):
        if event.event_id in NAMED_CAUSE:
            continue
        named = str(event.data.get("CertHash", "")).strip().lower()
        mine = sql_instance_of_provider(event.provider) == wanted
        if event.moment is not None and (named == thumbprint or (not named and mine)):
            out.append((event.moment, event.source))
    return out


def sql_validity_diagnoses(rule: Rule, context: RuleContext, state: str) -> list[Diagnosis]:
    case = context.case
    out = []
    for configured in configured_certificates(case):
        if configured.service != known.SQL_SERVER or configured.thumbprint is None:
            continue
        failures = sql_failures_of(case, configured.thumbprint, configured.instance)
        for cert in case.certificates_with(configured.thumbprint)[:1]:
            outside = [(m, s) for m, s in failures if validity_at(cert, m).state == state]
            if not outside:
                continue
            moment, _ = outside[-1]
            word = "expired" if state == "expired" else "not yet valid"
            name = service_label(known.SQL_SERVER, configured.instance)
            out.append(
                rule.diagnosis(
                    label(cert),
                    kind=Kind.FAULT,
                    confidence=Confidence.MEDIUM,
                    confidence_reason=(
                        f"{name} is configured with it and logged a failure to load it at "
                        f"{moment:%Y-%m-%d %H:%M}, when it was {word} (by more than the day of "
                        "slack for zone-less dates); Microsoft lists an expired certificate as "
                        "one possible cause of 26014, and says SQL Server checks the dates when "
                        "the certificate is configured: medium, as the failure may have "
                        "another cause"
                    ),
                    references=(pages.SQL_CERTIFICATE_REQUIREMENTS, pages.SQL_26014),
                    certificates=(configured.thumbprint,),
                    events=tuple(s for _, s in outside[:10]),
                    evidence=(
                        configured.evidence,
                        cert_evidence(
                            cert,
                            f"validity of {label(cert)}",
                            f"NotBefore: {cert.not_before}\nNotAfter: {cert.not_after}",
                        ),
                    ),
                    plans=remedies.single(
                        sql_select_certificate(
                            configured.instance, "a currently valid certificate (renew first)"
                        ),
                        restart_step(known.SQL_SERVER, configured.instance),
                    ),
                    explains_events=True,
                    summary=f"{name} could not load {label(cert)}: it was {word} then.",
                    service=known.SQL_SERVER,
                )
            )
    return out
