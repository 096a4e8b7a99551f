"""What the service that loads the certificate demands of it, beyond a usable key.

HTTP.sys (IIS, WinRM HTTPS, any `netsh http` binding) binds a certificate by hash and store
(Microsoft's `netsh http` page lists no validity or EKU check among the binding's parameters): an
expired, not yet valid or non-server-authentication certificate is bound, and clients reject it
later at the handshake. It does not cause 0x80070520. Other services check for themselves: SQL
Server asks for a certificate within Valid from / Valid to and with the Server Authentication EKU
(Microsoft's "Certificate requirements for SQL Server"; that page also says the dates are checked
when the certificate is configured and SQL Server runs on after it expires, so a validity fault
of SQL Server is of medium confidence, `analyzer.rulekit.validity`).

This is the hook the validity and EKU rules ask: a service is strict when the correlation names
it by id (``correlation.services``, from `analyzer.servicemap`: SQL Server's configuration, its
Application log events or its ERRORLOG lines) and names no HTTP.sys service beside it, or when
the failures' process or service name says so; a service it does not know is taken as HTTP.sys.
"""

from __future__ import annotations

import re
from dataclasses import replace

from analyzer.case import Case
from analyzer.correlate import Correlation
from analyzer.knowledge import services as known
from analyzer.model import Diagnosis
from analyzer.rulekit import references as pages
from analyzer.rulekit.references import Page
from analyzer.rulekit.winrm import for_winrm
from analyzer.servicemap import services_of

# Services (as the correlation names them: an SSPI client process or a service name) that refuse
# a certificate outside its validity or without Server Authentication, with the page saying so.
STRICT_SERVICES: tuple[tuple[re.Pattern[str], str, Page], ...] = (
    (
        re.compile(r"\bsqlservr\b|\bSQL Server\b|\bMSSQL", re.IGNORECASE),
        "SQL Server",
        pages.SQL_CERTIFICATE_REQUIREMENTS,
    ),
)
STRICT_PAGES: tuple[Page, ...] = tuple(page for _, _, page in STRICT_SERVICES)
# The same services by servicemap id.
STRICT_IDS: dict[str, tuple[str, Page]] = {
    known.SQL_SERVER: ("SQL Server", pages.SQL_CERTIFICATE_REQUIREMENTS),
}


def strict_service(correlation: Correlation) -> tuple[str, Page] | None:
    """The service of the failures when it requires a valid, server-authentication certificate
    (its name and the page that says so); None for HTTP.sys and for a service not known."""
    named = set(correlation.services)
    if not named & {known.IIS, known.HTTP_SYS}:
        for service in sorted(named):
            if service in STRICT_IDS:
                return STRICT_IDS[service]
    for pattern, name, page in STRICT_SERVICES:
        if pattern.search(correlation.service):
            return name, page
    return None


def lenient_service_reason(correlation: Correlation) -> str:
    """Why a certificate problem HTTP.sys tolerates is only an advisory for this case."""
    service = correlation.service
    who = (
        "the service is not known and is taken as HTTP.sys"
        if service == "not known"
        else f"the service ({service}) is not one known to refuse such a certificate"
    )
    return (
        f"{who}: HTTP.sys binds such a certificate and clients reject it later at the handshake, "
        "so it does not explain 0x80070520 and this is advisory"
    )


def with_services(
    case: Case, correlation: Correlation, diagnoses: list[Diagnosis]
) -> list[Diagnosis]:
    """Each diagnosis with the service it is about (``Diagnosis.service``), when its rule did not
    say: the services whose configuration names its certificates, one diagnosis per service;
    else, for a diagnosis that explains the failures, the one service the evidence names."""
    out: list[Diagnosis] = []
    for diagnosis in diagnoses:
        if diagnosis.service is not None:
            out.append(diagnosis)
            continue
        named = sorted({s for t in diagnosis.certificates for s in services_of(case, t)})
        if not named and diagnosis.explains_events and len(correlation.services) == 1:
            named = list(correlation.services)
        out.extend([_for_service(replace(diagnosis, service=s)) for s in named] or [diagnosis])
    return out


def _for_service(diagnosis: Diagnosis) -> Diagnosis:
    """The fix steps of the service the diagnosis is about (WinRM: its listener, not IIS)."""
    return for_winrm(diagnosis) if diagnosis.service == known.WINRM else diagnosis
