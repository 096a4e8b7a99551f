"""`service-cert-not-found`: a service is configured with a thumbprint that none of the stores it
takes its certificate from holds, in dumps that cover those stores.

The line with `binding-cert-missing`: that rule is the same fact for HTTP.sys bindings (netsh,
applicationHost.config: IIS, WinRM HTTPS, AD FS), whose store the binding names; this one is for
services that name their certificate elsewhere (Remote Desktop's ``SSLCertificateSHA1Hash``
under the RDP-Tcp listener key, taken from the machine's ``My`` store, the self-signed one from
``Remote Desktop``). A binding never reaches this rule and a registry value never reaches that one.

Remote Desktop does not stop when its configured certificate is missing: it logs 1051 ("no
usable certificate was found on the server. The default certificate will be used") and serves
its self-signed certificate, which clients that check the server's identity refuse ("Remote
Desktop Services Authentication and Encryption", Microsoft's event pages). Reported only when
every store is covered by a machine-store dump: a store nobody dumped proves nothing.

SQL Server (per instance) names its certificate in SuperSocketNetLib's ``Certificate`` (or, when
that value is not attached, the hash of its ERRORLOG 26014): one it cannot find it does not load,
and "the server will not accept a connection" ("MSSQLSERVER_26014": the certificate moved or
deleted is the first cause it lists). SQL Server also takes a certificate from its service
account's own store ("Certificate requirements for SQL Server"): a `-user` dump holding the
thumbprint may be that store, so the diagnosis is then of medium confidence and says so. No dump
covers that store (a virtual account's own store is not what `certutil -user` shows), so: when
the instance's last word about the hash is 26013 ("was successfully loaded for encryption") the
certificate was found, and nothing is said; when SQL Server logged no failure, the diagnosis is
of medium confidence.
"""

from __future__ import annotations

from analyzer.case import Case
from analyzer.knowledge import services as known
from analyzer.knowledge.eventfields import SQL_SERVER as SQL_SOURCE
from analyzer.knowledge.eventfields import provider_family
from analyzer.knowledge.services import RDP
from analyzer.model import Confidence, Diagnosis, Evidence, FixPlan, Kind, SqlCertificateEvent
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.registry import Need, Rule, RuleContext, register
from analyzer.rulekit.service_keys import (
    restart_step,
    service_certificates,
    service_failure_sources,
    service_label,
    sql_select_certificate,
)
from analyzer.servicemap import failure_events, service_account
from analyzer.servicemap.sqlserver import event_thumbprint

# The services whose stores, consequences and plans this rule describes: Remote Desktop (it falls
# back to its self-signed certificate) and SQL Server (it cannot load one: 26014).
FALLBACK_SERVICES = frozenset({RDP, known.SQL_SERVER})
SQL = known.SQL_SERVER
LOADED = 26013  # "The certificate [Cert Hash(sha1) ...] was successfully loaded for encryption."


def sql_loaded(case: Case, thumbprint: str) -> bool:
    """SQL Server's last word about this hash, in its ERRORLOG or in the Application log, is
    26013: it found and loaded the certificate (from a store the dumps may not cover)."""
    lines = sorted(
        (line for line in case.records(SqlCertificateEvent) if line.thumbprint == thumbprint),
        key=lambda line: line.time or "",
    )
    if lines and lines[-1].number == LOADED:
        return True
    loaded = [
        e for e in case.events if e.event_id == LOADED and provider_family(e.provider) == SQL_SOURCE
    ]
    events = sorted(
        (
            e
            for e in (*loaded, *failure_events(case, SQL))
            if e.moment is not None and event_thumbprint(e) == thumbprint
        ),
        key=lambda e: e.moment,  # type: ignore[arg-type,return-value]
    )
    return bool(events) and events[-1].event_id == LOADED


@register
class ServiceCertNotFound(Rule):
    id = "service-cert-not-found"
    title = "The service is configured with a certificate that is not in its stores"
    kind = Kind.FAULT
    fires_when = (
        "a service other than an HTTP.sys binding names a thumbprint (Remote Desktop: "
        "SSLCertificateSHA1Hash of RDP-Tcp) that the dumps of all its stores (My, Remote "
        "Desktop) lack; SQL Server: an instance's SuperSocketNetLib Certificate (or its "
        "ERRORLOG 26014 hash) that the My dump lacks, unless its last line or event about "
        "that hash is 26013 (loaded); medium without a logged failure; HTTP.sys bindings are "
        "`binding-cert-missing`"
    )
    needs = frozenset({Need.ELEVATION})
    references = (
        pages.SCHANNEL_EVENT_CAUSES,
        pages.RDS_AUTHENTICATION_EVENTS,
        pages.TS_GENERAL_SETTING,
        pages.CERTUTIL,
        pages.SQL_26014,
        pages.SQL_CERTIFICATE_REQUIREMENTS,
        pages.SQL_CONFIGURE_ENCRYPTION,
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        out = []
        for item in service_certificates(context.case):
            configured = item.configured
            if configured.service not in FALLBACK_SERVICES:
                continue  # its texts and plans are Remote Desktop's and SQL Server's
            thumbprint = configured.thumbprint
            if item.found or thumbprint is None or len(item.covered) < len(configured.stores):
                continue
            service = configured.service
            if service == SQL and sql_loaded(context.case, thumbprint):
                continue
            name = service_label(service, configured.instance)
            stores = " and ".join(s.title() for s in configured.stores)
            failures = service_failure_sources(context.case, context.correlation, service)
            evidence = [
                configured.evidence,
                Evidence(
                    f"the dumps of {stores} hold no certificate {thumbprint}",
                    configured.evidence.source,
                ),
            ]
            in_user = [c for c in context.case.certificates_with(thumbprint) if c.user_store]
            confidence = Confidence.HIGH
            reason = f"machine-store dumps of {stores} do not hold {thumbprint}"
            if in_user:
                evidence.append(
                    Evidence(f"{thumbprint} is in a `-user` dump only", in_user[0].source)
                )
                if service == known.SQL_SERVER:
                    confidence = Confidence.MEDIUM
                    reason += (
                        "; a -user dump holds it, and SQL Server also takes its certificate from "
                        "its service account's own store: if that dump is the service account's, "
                        "this is not the cause"
                    )
            sql = service == known.SQL_SERVER
            if sql and not failures and confidence == Confidence.HIGH:
                confidence = Confidence.MEDIUM
                reason += (
                    "; SQL Server logged no failure to load it here, and it also takes its "
                    "certificate from its service account's own store, which no dump covers"
                )
            consequence = (
                'it cannot load it, and then "will not accept a connection" (26014)'
                if sql
                else "it falls back to its self-signed certificate"
            )
            out.append(
                self.diagnosis(
                    thumbprint,
                    title=f"{name} is configured with a certificate that is not in its stores: "
                    f"{thumbprint}",
                    confidence=confidence,
                    confidence_reason=reason,
                    certificates=(thumbprint,),
                    events=tuple(failures[:10]),
                    evidence=tuple(evidence),
                    plans=(
                        _sql_plans(context.case, thumbprint, configured.instance)
                        if sql
                        else _plans(thumbprint, service)
                    ),
                    references=(
                        (pages.SQL_26014, pages.SQL_CERTIFICATE_REQUIREMENTS, pages.CERTUTIL)
                        if sql
                        else (
                            pages.SCHANNEL_EVENT_CAUSES,
                            pages.RDS_AUTHENTICATION_EVENTS,
                            pages.TS_GENERAL_SETTING,
                            pages.CERTUTIL,
                        )
                    ),
                    explains_events=bool(failures),
                    summary=(
                        f"{name} is configured with certificate {thumbprint}, which none of "
                        f"{stores} holds: {consequence}."
                    ),
                    service=service,
                )
            )
        return out


def _plans(thumbprint: str, service: str) -> tuple[FixPlan, ...]:
    """Confirm the certificate is nowhere the service looks, then either put it there (the PFX)
    or point the service at one that is; both leave every certificate and key in place."""
    confirm = (
        remedies.check(
            f'certutil -v -store my {thumbprint} & certutil -v -store "Remote Desktop" '
            f"{thumbprint}   (confirm: not found in either)",
            pages.CERTUTIL,
        ),
        remedies.check(
            f"certutil -user -v -store my {thumbprint}   (imported into a user's store instead?)",
            pages.CERTUTIL,
        ),
    )
    value = (
        '"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp" '
        "/v SSLCertificateSHA1Hash"
    )
    return (
        remedies.plan(
            "Put the configured certificate into the machine's My store",
            "the PFX of that certificate is at hand",
            *confirm,
            remedies.run(
                f'certutil -p "{remedies.PFX_PASSWORD}" -importPFX my "{remedies.PFX_FILE}"',
                pages.CERTUTIL,
            ),
            restart_step(service),
        ),
        remedies.plan(
            "Configure a certificate that is in the machine's My store",
            "the configured certificate is gone for good",
            *confirm,
            remedies.check(f"reg query {value}   (keep the current value)", pages.REG_QUERY),
            remedies.run(
                f"reg add {value} /t REG_BINARY /d {remedies.NEW_THUMBPRINT} /f",
                pages.SCHANNEL_EVENT_CAUSES,
            ),
            restart_step(service),
        ),
    )


def _sql_plans(case: Case, thumbprint: str, instance: str | None) -> tuple[FixPlan, ...]:
    """SQL Server: confirm it is not in My, then either import the PFX into My and let the
    service account read its key, or select a certificate that is in My; then restart the
    instance. Nothing is deleted."""
    account = service_account(case, known.SQL_SERVER, instance)
    who = account.name if account is not None else "the SQL Server service account"
    confirm = (
        remedies.check(
            f"certutil -v -store my {thumbprint}   (confirm: not found)",
            pages.CERTUTIL,
        ),
    )
    return (
        remedies.plan(
            "Put the configured certificate into the machine's My store",
            "the PFX of that certificate is at hand",
            *confirm,
            remedies.run(
                f'certutil -p "{remedies.PFX_PASSWORD}" -importPFX my "{remedies.PFX_FILE}"',
                pages.CERTUTIL,
            ),
            remedies.manual(
                "In the Certificates snap-in (Computer account > Personal > Certificates): "
                f"right-click the certificate > All Tasks > Manage Private Keys > add {who} "
                "with Read.",
                pages.SQL_33565,
            ),
            restart_step(known.SQL_SERVER, instance),
        ),
        remedies.plan(
            "Configure a certificate that is in the machine's My store",
            "the configured certificate is gone for good",
            *confirm,
            sql_select_certificate(instance, "a certificate that is in the list"),
            restart_step(known.SQL_SERVER, instance),
        ),
    )
