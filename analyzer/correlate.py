"""Which certificate the 36870 failures point at, when, which service hit them, on which OS.

Pure functions over a `Case`. Every decision carries its reason in words so that the report can
say why a certificate is (or is not) the one in use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from analyzer.case import Case
from analyzer.knowledge import services as known_services
from analyzer.knowledge.eventfields import EVENTLOG, HTTP_EVENT, RDP_SERVICES, SCHANNEL
from analyzer.model import Certificate, Event, Evidence, InScope, OsInfo, Source
from analyzer.servicemap import (
    SERVICE_FAILURE_EVENTS,
    configured_certificates,
    failure_events,
    logged_failures,
    services_in_case,
)

SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
ANY_PURPOSE = "2.5.29.37.0"
SERVER_STORES = frozenset({"my", "webhosting"})
# Certificate dates are local time without a zone, events are UTC: a day covers every offset.
VALIDITY_SLACK = timedelta(days=1)
# The services HTTP.sys serves, as the 36870 of "SYSTEM (PID: 4)" names them.
HTTP_SYS_HOSTED = {"iis": "IIS", "winrm": "WinRM"}
# With --at, the 36870 events of the binding attempt are those this close to it.
AT_WINDOW = timedelta(minutes=30)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


TLS_KEY_USAGES = frozenset({"digitalSignature", "keyEncipherment", "keyAgreement"})


def is_server_capable(cert: Certificate) -> bool:
    """Server Authentication EKU, Any Purpose, or no EKU extension at all (= every purpose).
    A non-verbose dump shows no EKU (``eku`` is None): that cannot rule a certificate out.
    A CA certificate (Certificate Signing key usage) without an explicit Server Authentication
    EKU is not a web server's certificate: CA keys are AT_SIGNATURE by design."""
    if cert.eku and SERVER_AUTH in cert.eku:
        return True
    usages = set(cert.key_usage or ())
    if usages and ("keyCertSign" in usages or not usages & TLS_KEY_USAGES):
        return False
    return not cert.eku or ANY_PURPOSE in cert.eku


@dataclass(frozen=True)
class Validity:
    state: str  # valid | expired | not-yet-valid | unknown
    note: str = ""  # said when the day of slack decided


def validity_at(cert: Certificate, when: datetime | None) -> Validity:
    """Validity at ``when`` (UTC) with a day of slack for the zone-less certificate dates."""
    if when is None:
        return Validity("unknown", "no event time to compare with")
    moment = _naive_utc(when)
    start, end = cert.valid_from_moment, cert.valid_to_moment
    if start is None and end is None:
        return Validity("unknown", "the dump's dates could not be read unambiguously")
    if end is not None:
        end = _naive_utc(end)
        if moment > end + VALIDITY_SLACK:
            return Validity("expired")
        if moment > end:
            return Validity(
                "valid",
                f"NotAfter {cert.not_after} is before {when:%Y-%m-%d %H:%M} UTC by less than a day; "
                "certificate dates are local time without a zone, so it was taken as still valid",
            )
    if start is not None:
        start = _naive_utc(start)
        if moment < start - VALIDITY_SLACK:
            return Validity("not-yet-valid")
        if moment < start:
            return Validity(
                "valid",
                f"NotBefore {cert.not_before} is after {when:%Y-%m-%d %H:%M} UTC by less than a "
                "day; certificate dates are local time without a zone, so it was taken as valid",
            )
    return Validity("valid")


@dataclass(frozen=True)
class Correlation:
    failures: tuple[Event, ...]  # server-side 36870 of the attempt (the --at window when given)
    all_failures: tuple[Event, ...]  # every 36870 in the case
    reference_time: str | None  # --at, else the last failure's time
    reference_from: str  # "--at" | "last 36870" | "none"
    in_use: tuple[str, ...]  # thumbprints named by --thumbprint or a binding
    in_use_from: str | None  # "--thumbprint" | "binding" | "36868" | None
    in_scope: tuple[InScope, ...]
    notes: tuple[str, ...]
    service: str  # "not known" unless the evidence names it
    service_evidence: tuple[Evidence, ...]
    os: OsInfo | None
    os_source: str | None
    local_offset: str | None = None  # the customer's UTC offset, when an export reveals it
    services: tuple[str, ...] = ()  # ids of the services the evidence names (servicemap)
    # Failure events of a known service other than 36870 (Remote Desktop 1057/1058, SQL Server
    # 26010 / 26014 / 26015 / 33565 in the Application log).
    service_failures: tuple[Event, ...] = ()
    # Failures a service wrote to its own log file (SQL Server's ERRORLOG lines of those
    # numbers): counted with service_failures for exit code 4.
    service_log_failures: tuple[Source, ...] = ()
    # reference_time as a moment (aware), taken from the --at option or the event it names.
    reference_moment: datetime | None = field(default=None, compare=False)

    def points_at(self, thumbprint: str | None) -> bool:
        return thumbprint is not None and any(s.thumbprint == thumbprint for s in self.in_scope)

    def explains(self, thumbprints: tuple[str, ...]) -> bool:
        """A fault on these certificates explains the failures: failures exist and point here."""
        return bool(self.failures) and any(self.points_at(t) for t in thumbprints)


def correlate(case: Case) -> Correlation:
    notes: list[str] = []
    all_failures = tuple(sorted(case.events_of(SCHANNEL, 36870), key=_event_order))
    server_failures = tuple(e for e in all_failures if e.role != "client")
    if len(server_failures) < len(all_failures):
        notes.append(
            f"{len(all_failures) - len(server_failures)} 36870 event(s) are for a client "
            "credential (Type=client) and are not binding failures"
        )
    failures = server_failures
    reference_time, reference_from = None, "none"
    reference_moment: datetime | None = None
    if case.options.at:
        reference_time, reference_from = case.options.at, "--at"
        at = reference_moment = case.options.at_moment
        near = tuple(e for e in server_failures if _within(e, at, AT_WINDOW))
        if server_failures and not near:
            notes.append(
                f"no 36870 within {int(AT_WINDOW.total_seconds() // 60)} minutes of --at "
                f"{case.options.at}; all {len(server_failures)} 36870 event(s) are considered"
            )
        else:
            failures = near
    elif failures:
        last = next((e for e in reversed(failures) if e.time and not e.time_is_local), None)
        if last is not None:
            reference_time, reference_from = last.time, "last 36870"
            reference_moment = last.moment
    in_use, in_use_from = _in_use(case, notes)
    in_scope = _in_scope(case, in_use, reference_moment, notes)
    service, service_evidence = _service(case, failures)
    os_info, os_source = os_version(case)
    return Correlation(
        failures=failures,
        all_failures=all_failures,
        reference_time=reference_time,
        reference_moment=reference_moment,
        reference_from=reference_from,
        in_use=in_use,
        in_use_from=in_use_from,
        in_scope=in_scope,
        notes=tuple(notes),
        service=service,
        service_evidence=service_evidence,
        os=os_info,
        os_source=os_source,
        local_offset=local_offset(case),
        services=services_in_case(case, failures),
        service_failures=tuple(
            sorted(
                (e for service in SERVICE_FAILURE_EVENTS for e in failure_events(case, service)),
                key=_event_order,
            )
        ),
        service_log_failures=tuple(line.source for line in logged_failures(case)),
    )


def _event_order(event: Event) -> tuple[str, str, int]:
    return (event.time or "", event.source.path, event.record_id or 0)


def _within(event: Event, at: datetime | None, window: timedelta) -> bool:
    moment = event.moment
    if moment is None or at is None or event.time_is_local:
        return False
    return abs(_naive_utc(moment) - _naive_utc(at)) <= window


def _in_use(case: Case, notes: list[str]) -> tuple[tuple[str, ...], str | None]:
    if case.options.thumbprint:
        if not case.certificates_with(case.options.thumbprint) and case.has_dump:
            notes.append(f"--thumbprint {case.options.thumbprint} is not in any dump of the case")
        return (case.options.thumbprint,), "--thumbprint"
    bound = sorted(
        {b.certificate_hash for b in case.bindings if b.hash_valid and b.certificate_hash}
    )
    if bound:
        return tuple(bound), "binding"
    named = _named_by_36868(case)
    if named:
        notes.append(
            "Schannel 36868 names the key container of the server credential: " + ", ".join(named)
        )
        return named, "36868"
    return (), None


def _named_by_36868(case: Case) -> tuple[str, ...]:
    """Schannel 36868 (logged with raised EventLogging) gives the credential's key container;
    the certificate whose key has that container is the one Schannel was given."""
    names = {
        str(e.data.get("KeyName", "")).strip().lower()
        for e in case.events_of(SCHANNEL, 36868)
        if e.role != "client"
    } - {""}
    if not names:
        return ()
    found = set()
    for cert in case.machine_certificates:
        key = cert.key
        if key is None or not cert.thumbprint:
            continue
        containers = {key.container, key.unique_container, key.simple_container, key.key_file}
        if names & {c.lower() for c in containers if c}:
            found.add(cert.thumbprint)
    return tuple(sorted(found))


def _in_scope(
    case: Case, in_use: tuple[str, ...], when: datetime | None, notes: list[str]
) -> tuple[InScope, ...]:
    if in_use:
        return tuple(
            InScope(t, ("named by --thumbprint, an SSL binding or Schannel 36868",))
            for t in in_use
            if case.certificates_with(t)
        )
    scoped: dict[str, InScope] = {}
    for cert in case.machine_certificates:
        if not cert.thumbprint or cert.thumbprint in scoped:
            continue
        if cert.store is not None and cert.store not in SERVER_STORES:
            continue
        if cert.key is None or cert.key.state == "no-key-info":
            continue
        if not is_server_capable(cert):
            continue
        validity = validity_at(cert, when)
        if validity.state in ("expired", "not-yet-valid"):
            continue
        if validity.note:
            notes.append(f"{cert.thumbprint}: {validity.note}")
        reasons = [
            f"in the machine store {cert.store or '(store not shown)'}",
            "has a private key reference",
            "Server Authentication EKU" if cert.eku else "no EKU restriction shown",
        ]
        if validity.state == "valid":
            reasons.append("valid at the time of the failure (±1 day for zone-less dates)")
        scoped[cert.thumbprint] = InScope(cert.thumbprint, tuple(reasons))
    return tuple(scoped[t] for t in sorted(scoped))


def _service(case: Case, failures: tuple[Event, ...]) -> tuple[str, tuple[Evidence, ...]]:
    """Name the service only where an event says so."""
    names: set[str] = set()
    evidence: list[Evidence] = []
    # HTTP.sys serves IIS unless the configuration names other HTTP.sys services (WinRM HTTPS).
    hosted = sorted({c.service for c in configured_certificates(case)} & HTTP_SYS_HOSTED.keys())
    http_sys = f"HTTP.sys ({', '.join(HTTP_SYS_HOSTED[s] for s in hosted) or 'IIS'})"
    for event in failures:
        if event.sspi_process:
            process = event.sspi_process
            name = http_sys if re.match(r"SYSTEM \(PID: 4\)", process) else process
            names.add(name)
            evidence.append(
                Evidence(
                    f"36870 names the SSPI client process {process}",
                    event.source,
                    f"The SSPI client process is {process}.",
                )
            )
    for event in case.events_of(RDP_SERVICES, 1057, 1058):
        names.add("Remote Desktop Services")
        evidence.append(
            Evidence(f"Remote Desktop event {event.event_id} at {event.time}", event.source)
        )
    for event in failure_events(case, known_services.SQL_SERVER):
        names.add(f"SQL Server ({event.provider})")
        evidence.append(
            Evidence(f"SQL Server event {event.event_id} at {event.time}", event.source)
        )
    for line in logged_failures(case):
        service_name = known_services.sql_service_name(line.instance) if line.instance else None
        names.add(f"SQL Server ({service_name})" if service_name else "SQL Server")
        evidence.append(
            Evidence(
                f"SQL Server ERRORLOG error {line.number} at {line.time} (server local time)",
                line.source,
                line.text.splitlines()[0][:300] if line.text else None,
            )
        )
    for event in case.events_of(HTTP_EVENT, 15021):
        endpoint = event.data.get("Endpoint")
        names.add(f"HTTP.sys (endpoint {endpoint})" if endpoint else "HTTP.sys")
        evidence.append(
            Evidence(
                f"HttpEvent 15021: SSL configuration for endpoint {endpoint} could not be used",
                event.source,
                f"Endpoint={endpoint}",
            )
        )
    return (", ".join(sorted(names)) if names else "not known"), tuple(evidence[:10])


def local_offset(case: Case) -> str | None:
    """``+02:00`` from the last event whose export gave its local wall-clock time, else from a
    collector manifest (the machine's offset when it ran)."""
    for event in sorted(case.events, key=_event_order, reverse=True):
        moment = event.local_moment
        offset = moment.utcoffset() if moment is not None else None
        if offset is not None:
            minutes = int(offset.total_seconds() // 60)
            sign = "-" if minutes < 0 else "+"
            return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return next((c.utc_offset for c in case.collections if c.utc_offset), None)


def os_version(case: Case) -> tuple[OsInfo | None, str | None]:
    """The OS at the last boot: the log coverage's, else an EventLog 6009 record, else what a
    collector manifest says."""
    best: tuple[str, OsInfo, str] | None = None
    for path, cov in case.coverages():
        if cov.os is not None and (best is None or (cov.last or "") > best[0]):
            best = (cov.last or "", cov.os, path)
    if best is not None:
        return best[1], best[2]
    for event in sorted(case.events_of(EVENTLOG, 6009), key=_event_order, reverse=True):
        match = re.match(r"\s*(\d+)\.0*(\d+)", str(event.data.get("MajorVersion", "")))
        if match:
            build = str(event.data.get("BuildNumber", ""))
            return (
                OsInfo(
                    f"{match.group(1)}.{match.group(2)}",
                    int(build) if build.isdigit() else None,
                    event.record_id,
                ),
                str(event.source),
            )
    for collection in case.collections:
        if collection.os is not None:
            return collection.os, str(collection.source)
    return None, None
