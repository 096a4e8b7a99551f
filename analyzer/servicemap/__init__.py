"""Which services a ticket is about: the certificate each one is configured with, the account it
runs as, and the failure events it logged. Pure functions over a `Case`, beside `correlate`.

A service is named only where the evidence names it (ids in `analyzer.knowledge.services`). Each
service family is one module of this package declaring where its configuration names a
certificate and which events say it failed (`base.ServiceSource`), listed in `SOURCES`:

- `httpsys`: SSL bindings (``iis`` or ``http.sys``);
- `rdp`: Remote Desktop's RDP-Tcp listener and its 1057 / 1058 events;
- `winrm`: WinRM's HTTPS listener (its HTTP.sys binding is named ``winrm`` by `httpsys`);
- `adfs`: AD FS's certificates by role and its SSL bindings, its 133 / 387 / 601 events;
- `exchange`: the certificates Exchange has enabled for SMTP, its transport 12014 / 12013.

HTTP.sys is also named by a 36870 whose SSPI client process is SYSTEM (PID: 4), or HttpEvent
15021. Adding a service: its module here, one line in `SOURCES`, its data in
`analyzer.knowledge.services`.
"""

from __future__ import annotations

import re

from analyzer.case import Case
from analyzer.knowledge import services as known
from analyzer.knowledge.eventfields import HTTP_EVENT
from analyzer.knowledge.tokens import token_for
from analyzer.knowledge.wellknown import fold
from analyzer.model import Account, Event, ServiceConfig
from analyzer.servicemap import adfs, exchange, httpsys, rdp, winrm
from analyzer.servicemap.base import ConfiguredCertificate, ServiceSource

__all__ = [
    "SERVICE_FAILURE_EVENTS",
    "SOURCES",
    "ConfiguredCertificate",
    "configured_certificates",
    "failure_events",
    "key_not_checked",
    "opened_by_http_sys",
    "service_account",
    "service_config",
    "services_in_case",
    "services_of",
]

# The service modules, in the order their certificates are listed.
SOURCES: tuple[ServiceSource, ...] = (rdp, httpsys, winrm, adfs, exchange)
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
    return [e for spec in SERVICE_FAILURE_EVENTS.get(service, ()) for e in case.events_of(*spec)]


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
    # which says its HTTPS listener does not exist: no HTTP.sys failure is WinRM's then).
    found |= {s for source in SOURCES for s in getattr(source, "named", lambda _: ())(case)}
    return tuple(sorted(found))


def service_config(case: Case, service: str) -> ServiceConfig | None:
    """The configuration (sc qc, Win32_Service) of this service's SCM service, when attached."""
    info = known.SERVICES.get(service)
    if info is None:
        return None
    for config in case.records(ServiceConfig):
        if config.start_name and fold(config.name) in info.service_names:
            return config
    return None


def service_account(case: Case, service: str) -> Account | None:
    """The account ``service`` runs as: from its sc qc / Win32_Service listing (source
    "service-config"), else the documented default (source "default", assumed); None for a
    service with no documented default."""
    config = service_config(case, service)
    if config is not None and config.start_name:
        return Account(
            config.start_name, token_for(config.start_name).user_sid, "service-config", False
        )
    info = known.SERVICES.get(service)
    if info is None or not info.default_account:
        return None  # no documented default (AD FS: the account chosen at configuration)
    return Account(token_for(info.default_account).account, info.default_sid, "default", True)
