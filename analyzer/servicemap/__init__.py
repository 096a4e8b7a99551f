"""Which services a ticket is about: the certificate each one is configured with, the account it
runs as, and the failure events it logged. Pure functions over a `Case`, beside `correlate`.

A service is named only where the evidence names it (ids in `analyzer.knowledge.services`). Each
service family is one module of this package declaring where its configuration names a
certificate and which events say it failed (`base.ServiceSource`), listed in `SOURCES`:

- `httpsys`: SSL bindings (``iis`` or ``http.sys``);
- `rdp`: Remote Desktop's RDP-Tcp listener and its 1057 / 1058 events;
- `winrm`: WinRM's HTTPS listener (its HTTP.sys binding is named ``winrm`` by `httpsys`);
- `adfs`: AD FS's certificates by role and its SSL bindings, its 133 / 387 / 601 events;
- `exchange`: the certificates Exchange has enabled for SMTP, its transport 12014 / 12013;
- `sqlserver`: SQL Server's SuperSocketNetLib ``Certificate`` per instance, its Application log
  events and its ERRORLOG lines (`logged_failures`: records, counted with the failure events).

HTTP.sys is also named by a 36870 whose SSPI client process is SYSTEM (PID: 4), or HttpEvent
15021. Adding a service: its module here, one line in `SOURCES`, its data in
`analyzer.knowledge.services`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from analyzer.case import Case
from analyzer.knowledge import services as known
from analyzer.knowledge.eventfields import HTTP_EVENT, provider_family
from analyzer.knowledge.tokens import token_for
from analyzer.model import Account, Event, ServiceConfig, SqlCertificateEvent
from analyzer.servicemap import adfs, exchange, httpsys, rdp, sqlserver, winrm
from analyzer.servicemap.base import (
    ConfiguredCertificate,
    ServiceSource,
    configured_account,
    service_config_named,
)

__all__ = [
    "SERVICE_FAILURE_EVENTS",
    "SOURCES",
    "ConfiguredCertificate",
    "configured_certificates",
    "failure_events",
    "key_not_checked",
    "logged_failures",
    "opened_by_http_sys",
    "service_account",
    "service_config",
    "services_in_case",
    "services_of",
]

# The service modules, in the order their certificates are listed.
SOURCES: tuple[ServiceSource, ...] = (rdp, httpsys, sqlserver, winrm, adfs, exchange)
# The events that say a service failed to use its certificate (beside Schannel 36870, which the
# correlation counts as `failures`): they widen exit code 4.
SERVICE_FAILURE_EVENTS: dict[str, tuple[tuple[str, int], ...]] = {
    service: events for source in SOURCES for service, events in source.FAILURE_EVENTS.items()
}
_SYSTEM_PROCESS = re.compile(r"^\s*SYSTEM\s*\(PID:\s*4\)", re.I)


def configured_certificates(case: Case) -> tuple[ConfiguredCertificate, ...]:
    """Every certificate a service's configuration names, service module by module."""
    return tuple(c for source in SOURCES for c in source.configured(case))


def key_not_checked(case: Case) -> list[tuple[str, str]]:
    """(what, why) for each configured certificate whose key ACL is not checked for its
    service's account (`ConfiguredCertificate.not_checked`)."""
    return sorted(
        {
            (
                f"{known.display(c.service)} {c.role or 'certificate'} {c.thumbprint}: key permissions",
                c.not_checked,
            )
            for c in configured_certificates(case)
            if c.not_checked
        }
    )


def services_of(case: Case, thumbprint: str) -> tuple[str, ...]:
    """The services whose configuration names this certificate, in id order."""
    return tuple(
        sorted({c.service for c in configured_certificates(case) if c.thumbprint == thumbprint})
    )


def opened_by_http_sys(case: Case, thumbprint: str) -> bool:
    """Some configuration uses this certificate through an HTTP.sys binding (LocalSystem)."""
    return any(
        c.http_sys or c.service in known.HTTP_SYS_SERVICES
        for c in configured_certificates(case)
        if c.thumbprint == thumbprint
    )


def failure_events(case: Case, service: str) -> list[Event]:
    """The service's failure events; a provider matched by family (every ``MSSQL$<instance>``
    is SQL Server's)."""
    specs = set(SERVICE_FAILURE_EVENTS.get(service, ()))
    return [e for e in case.events if (provider_family(e.provider), e.event_id) in specs]


def logged_failures(case: Case) -> tuple[SqlCertificateEvent, ...]:
    """Failures a service wrote to its own log file, not to an event log (SQL Server's ERRORLOG
    26010 / 26014 / 26015 / 33565): records the correlation counts with the failure events."""
    return tuple(
        line for source in SOURCES for line in getattr(source, "logged_failures", _none)(case)
    )


def _none(_case: Case) -> tuple[()]:
    return ()


def services_in_case(case: Case, failures: tuple[Event, ...]) -> tuple[str, ...]:
    """Every service the evidence names: configurations, service failure events, and the
    HTTP.sys failures (36870 from SYSTEM (PID: 4), HttpEvent 15021)."""
    found = {c.service for c in configured_certificates(case)}
    found |= {service for service in SERVICE_FAILURE_EVENTS if failure_events(case, service)}
    http_sys_failed = any(
        e.sspi_process and _SYSTEM_PROCESS.match(e.sspi_process) for e in failures
    ) or bool(case.events_of(HTTP_EVENT, 15021))
    if http_sys_failed and not found & known.HTTP_SYS_SERVICES:
        found.add(known.HTTP_SYS)
    # A module may name its service from other records too (WinRM: a winrm command's fault,
    # which says its HTTPS listener does not exist: no HTTP.sys failure is WinRM's then; SQL
    # Server: its ERRORLOG's failure lines).
    found |= {s for source in SOURCES for s in getattr(source, "named", _none)(case)}
    return tuple(sorted(found))


def service_config(case: Case, service: str) -> ServiceConfig | None:
    """The configuration (sc qc, Win32_Service) of this service's SCM service, when attached."""
    info = known.SERVICES.get(service)
    return service_config_named(case, set(info.service_names)) if info else None


def service_account(case: Case, service: str, instance: str | None = None) -> Account | None:
    """The account ``service`` runs as (``instance``: of a service that has several, SQL
    Server): the service module's own lookup where it has one (`ACCOUNT_OF`); else its sc qc /
    Win32_Service listing (source "service-config"), else the documented default (source
    "default", assumed); None for a service with no documented default."""
    own = _OWN_ACCOUNTS.get(service)
    if own is not None:
        return own(case, instance)
    config = service_config(case, service)
    if config is not None:
        return configured_account(config)
    info = known.SERVICES.get(service)
    if info is None or not info.default_account:
        return None  # no documented default (AD FS: the account chosen at configuration)
    return Account(token_for(info.default_account).account, info.default_sid, "default", True)


_OWN_ACCOUNTS: dict[str, Callable[[Case, str | None], Account | None]] = {
    service: lookup
    for source in SOURCES
    for service, lookup in getattr(source, "ACCOUNT_OF", {}).items()
}
