"""Which services a ticket is about: the certificate each one is configured with, the account it
runs as, and the failure events it logged. Pure functions over a `Case`, beside `correlate`.

A service is named only where the evidence names it (ids in `analyzer.knowledge.services`):

- an SSL binding: ``iis`` when applicationHost.config holds it or netsh shows IIS's application
  id on it, else ``http.sys`` (an HTTP.sys binding whose owner is not identified);
- Remote Desktop: ``SSLCertificateSHA1Hash`` under the RDP-Tcp listener key (reg query or
  Get-ItemProperty), or its failure events (TerminalServices-RemoteConnectionManager 1057,
  1058: "Troubleshoot Azure VM RDP connection issues by Event ID",
  https://learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/event-id-troubleshoot-vm-rdp-connecton);
- HTTP.sys from a 36870 whose SSPI client process is SYSTEM (PID: 4), or HttpEvent 15021.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.case import Case
from analyzer.knowledge import services as known
from analyzer.knowledge.eventfields import HTTP_EVENT, RDP_SERVICES
from analyzer.knowledge.tokens import token_for
from analyzer.knowledge.wellknown import fold
from analyzer.model import Account, Binding, Event, Evidence, RegistryValue, ServiceConfig

# The events that say a service failed to use its certificate (beside Schannel 36870, which the
# correlation counts as `failures`): they widen exit code 4.
SERVICE_FAILURE_EVENTS: dict[str, tuple[tuple[str, int], ...]] = {
    known.RDP: ((RDP_SERVICES, 1057), (RDP_SERVICES, 1058)),
}
_SYSTEM_PROCESS = re.compile(r"^\s*SYSTEM\s*\(PID:\s*4\)", re.I)


@dataclass(frozen=True)
class ConfiguredCertificate:
    """A certificate a service's configuration names."""

    service: str  # an id of analyzer.knowledge.services
    thumbprint: str | None  # 40 lower-case hex digits; None when the value is unreadable
    stores: tuple[str, ...]  # the machine stores the service takes it from (lower case)
    evidence: Evidence


def binding_service(binding: Binding) -> str:
    app_id = (binding.app_id or "").strip("{} ").lower()
    if binding.origin == "applicationHost.config" or app_id == known.IIS_APP_ID:
        return known.IIS
    return known.HTTP_SYS


def rdp_hash_values(case: Case) -> list[RegistryValue]:
    """The RDP-Tcp listener's SSLCertificateSHA1Hash values of the case."""
    return [
        value
        for value in case.records(RegistryValue)
        if fold(value.name) == fold(known.RDP_HASH_VALUE)
        and value.key is not None
        and fold(value.key) == fold(known.RDP_TCP_KEY)
    ]


def configured_certificates(case: Case) -> tuple[ConfiguredCertificate, ...]:
    out: list[ConfiguredCertificate] = []
    for value in rdp_hash_values(case):
        thumbprint = value.binary if value.binary and len(value.binary) == 40 else None
        shown = value.data if len(value.data) <= 60 else value.data[:57] + "..."
        out.append(
            ConfiguredCertificate(
                known.RDP,
                thumbprint,
                known.RDP_STORES,
                Evidence(
                    f"Remote Desktop is configured with certificate {thumbprint or shown} "
                    f"({known.RDP_HASH_VALUE} of RDP-Tcp)",
                    value.source,
                    f"{value.name}    {value.type or ''}    {shown}".replace("        ", "    "),
                ),
            )
        )
    for binding in case.bindings:
        if binding.hash_valid and binding.certificate_hash:
            out.append(
                ConfiguredCertificate(
                    binding_service(binding),
                    binding.certificate_hash,
                    ((binding.store or "my").lower(),),
                    Evidence(
                        f"SSL binding {binding.endpoint} uses certificate {binding.certificate_hash}",
                        binding.source,
                    ),
                )
            )
    return tuple(out)


def services_of(case: Case, thumbprint: str) -> tuple[str, ...]:
    """The services whose configuration names this certificate, in id order."""
    return tuple(
        sorted({c.service for c in configured_certificates(case) if c.thumbprint == thumbprint})
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
    if http_sys_failed and not found & {known.IIS, known.HTTP_SYS}:
        found.add(known.HTTP_SYS)
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
    if info is None:
        return None
    return Account(token_for(info.default_account).account, info.default_sid, "default", True)
