"""What the renderers call the ticket's failure: the services it is about and the failure the
evidence shows, said from the analysis alone (its diagnoses, ``context.services`` and the failure
events and log lines it holds).

An IIS / HTTP.sys ticket (or one whose service is not known) keeps the wording certtriage was
built for: "SSL binding failure (0x80070520 / Schannel 36870)". A ticket about another service
names that service and what was logged: "SQL Server certificate failure (ERRORLOG 26014)",
"AD FS certificate failure (AD FS 133)", "WinRM HTTPS listener certificate failure (winrm
0x80338115)".
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from analyzer.knowledge import services as known
from analyzer.knowledge.eventfields import SCHANNEL, provider_family
from analyzer.model import Analysis, SqlCertificateEvent, WinRmCommandError
from analyzer.servicemap import SERVICE_FAILURE_EVENTS

IIS_FAILURE = "SSL binding failure (0x80070520 / Schannel 36870)"
# Services whose failure is the HTTP.sys binding IIS wording was written for.
BINDING_SERVICES = frozenset({known.IIS, known.HTTP_SYS})
# How a title names each service's part ("<names> certificate failure").
PART = {
    known.IIS: "SSL binding",
    known.HTTP_SYS: "SSL binding",
    known.WINRM: "WinRM HTTPS listener",
    known.RDP: "Remote Desktop",
    known.SQL_SERVER: "SQL Server",
    known.ADFS: "AD FS",
    known.EXCHANGE: "Exchange Transport",
}
# How a failure event's source is said: by the service whose failure it is.
EVENT_LABEL = {
    known.RDP: "TermService",
    known.SQL_SERVER: "SQL Server",
    known.ADFS: "AD FS",
    known.EXCHANGE: "Exchange",
}
SQL_FAILURE_NUMBERS = frozenset({26010, 26014, 26015, 33565})
MAX_LABELS = 6  # distinct failures named in a title; the facts count the rest


@dataclass(frozen=True)
class FailureWording:
    """The ticket's services and failures as the renderers say them."""

    services: tuple[str, ...]  # ids, the verdict's service first
    about_binding: bool  # an IIS / HTTP.sys ticket, or no service known: the binding wording
    counts: tuple[tuple[str, int], ...]  # ("ERRORLOG 26014", 2): the failures logged, in order
    title: str  # "SQL Server certificate failure (ERRORLOG 26014)"
    service_label: str = ""  # the correlation's service ("SQL Server (MSSQL$SALES)"), else names

    @property
    def service_names(self) -> str:
        """ "SQL Server", "IIS (HTTP.sys) and WinRM (HTTP.sys)"; "" when none is known."""
        return join([known.display(s) for s in self.services])

    @property
    def attempt(self) -> str:
        """What the --at time is the time of."""
        return "Binding failed at" if self.about_binding else "Failure at"

    @property
    def selected(self) -> str:
        """What --thumbprint names."""
        return "Certificate selected in IIS" if self.about_binding else "Certificate named"


def join(items: list[str]) -> str:
    items = list(dict.fromkeys(items))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def ticket_services(analysis: Analysis) -> tuple[str, ...]:
    """The diagnoses' services in verdict order, then the others the correlation names."""
    named = [d.service for d in analysis.diagnoses if d.service]
    named += sorted(analysis.context.services)
    return tuple(dict.fromkeys(named))


def failure_counts(analysis: Analysis) -> list[tuple[str, int]]:
    """Each failure the analysis holds, labelled and counted: Schannel 36870 (server side),
    the services' failure events, SQL Server's ERRORLOG failure lines, winrm command faults."""
    counts: Counter[str] = Counter()
    order: list[str] = []

    def add(label: str) -> None:
        if label not in counts:
            order.append(label)
        counts[label] += 1

    for _ in range(analysis.context.failures_total):
        add("Schannel 36870")
    wanted = {spec: service for service, specs in SERVICE_FAILURE_EVENTS.items() for spec in specs}
    for event in analysis.events:
        service = wanted.get((provider_family(event.provider), event.event_id))
        if service is not None and event.provider != SCHANNEL:
            add(f"{EVENT_LABEL.get(service, event.provider)} {event.event_id}")
    for line in analysis.records(SqlCertificateEvent):
        if line.number in SQL_FAILURE_NUMBERS:
            add(f"ERRORLOG {line.number}")
    for fault in analysis.records(WinRmCommandError):
        add(f"winrm {fault.code}")
    return [(label, counts[label]) for label in order]


def failure_wording(analysis: Analysis) -> FailureWording:
    services = ticket_services(analysis)
    counts = tuple(failure_counts(analysis))
    about_binding = set(services) <= BINDING_SERVICES
    service = analysis.context.service
    label = (
        service
        if service and service != "not known"
        else join([known.display(s) for s in services])
    )
    if about_binding:
        return FailureWording(services, True, counts, IIS_FAILURE, label)
    parts = join([PART.get(s, known.display(s)) for s in services])
    labels = [label for label, _ in counts[:MAX_LABELS]]
    shown = f" ({' / '.join(labels)})" if labels else ""
    return FailureWording(services, False, counts, f"{parts} certificate failure{shown}", label)


_CMDLET = re.compile(r"[A-Z][a-z]+-[A-Za-z]+(?:\s|$)")


def is_powershell(command: str) -> bool:
    """A request whose command is a PowerShell cmdlet line (``Get-AdfsCertificate``)."""
    return _CMDLET.match(command) is not None
