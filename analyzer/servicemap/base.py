"""What a service module of `analyzer.servicemap` declares: the certificates a service's
configuration names (`ConfiguredCertificate`) and the shape of the module itself (`ServiceSource`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from analyzer.case import Case
from analyzer.knowledge.tokens import token_for
from analyzer.knowledge.wellknown import fold
from analyzer.model import Account, Evidence, ServiceConfig


@dataclass(frozen=True)
class ConfiguredCertificate:
    """A certificate a service's configuration names."""

    service: str  # an id of analyzer.knowledge.services
    thumbprint: str | None  # 40 lower-case hex digits; None when the value is unreadable
    stores: tuple[str, ...]  # the machine stores the service takes it from (lower case)
    evidence: Evidence
    # The service uses it through an HTTP.sys binding: Schannel opens its key in lsass as
    # LocalSystem, whatever account the service runs as (IIS, AD FS's SSL bindings).
    http_sys: bool = False
    role: str | None = None  # what the service uses it for (AD FS: "Token-Signing", ...)
    # Why its key's ACL is not checked for the service's account (the key is not in the machine
    # store: AD FS's auto-rollover certificates); None: it is checked.
    not_checked: str | None = None
    # the instance of a service that has several (SQL Server: MSSQLSERVER, SALES); None: one
    instance: str | None = None


class ServiceSource(Protocol):
    """One module per service family (httpsys.py, rdp.py, ...), listed in `SOURCES` of the
    package: where the evidence names the service's certificates, and the events that say the
    service failed to use one."""

    # (provider, event id) per service id: the events that say the service could not use its
    # certificate (beside Schannel 36870, which the correlation counts as failures)
    FAILURE_EVENTS: dict[str, tuple[tuple[str, int], ...]]

    def configured(self, case: Case) -> Sequence[ConfiguredCertificate]: ...


# Optional in a service module (read with getattr by the package):
# - ``named(case) -> tuple[str, ...]``: service ids the evidence names beyond configurations and
#   failure events (WinRM: a winrm command's fault; SQL Server: ERRORLOG failure lines);
# - ``logged_failures(case)``: failures the service wrote to its own log file, not an event log;
# - ``ACCOUNT_OF: dict[str, Callable[[Case, str | None], Account | None]]``: the account a
#   service runs as when the generic lookup (sc qc, else the documented default) does not say
#   it (SQL Server: per instance).


def service_config_named(case: Case, names: set[str]) -> ServiceConfig | None:
    """The first sc qc / Win32_Service listing of one of these SCM names (folded) that shows its
    account."""
    for config in case.records(ServiceConfig):
        if config.start_name and fold(config.name) in names:
            return config
    return None


def configured_account(config: ServiceConfig) -> Account:
    """The account an sc qc / Win32_Service listing names (source "service-config")."""
    name = config.start_name or ""
    return Account(name, token_for(name).user_sid, "service-config", False)
