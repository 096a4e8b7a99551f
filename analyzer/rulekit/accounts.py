"""Which account must read a certificate's private key, and the token it opens the key with.

HTTP.sys (IIS, WinRM HTTPS, any `netsh http` binding) has Schannel open the key in lsass as
LocalSystem ("LocalSystem Account", learn.microsoft.com/windows/win32/services/localsystem-account);
that is the default. A newer 36870 text names the process that called Schannel: "The SSPI client
process is NAME (PID: N)". SYSTEM (PID: 4) is the kernel's System process, i.e. HTTP.sys; any
other process opens the key with its own account, which only a listing that maps processes to
users shows (`tasklist /v`, `Get-Process -IncludeUserName`: analyzer/readers/evidence/
processes.py). Without one, that account is not known and no access verdict is given for it.

`account_for` is the one place that decides; services other than HTTP.sys (Remote Desktop, SQL
Server) add their own sources here ("service-config").
"""

from __future__ import annotations

import re
from dataclasses import replace

from analyzer.case import Case
from analyzer.correlate import Correlation
from analyzer.knowledge.tokens import LOCAL_SYSTEM_TOKEN, Token, token_for
from analyzer.knowledge.wellknown import SYSTEM, fold
from analyzer.model import Account, Certificate, Event, ProcessOwner
from analyzer.servicemap import (
    configured_certificates,
    opened_by_http_sys,
    service_account,
    services_of,
)

LOCAL_SYSTEM = LOCAL_SYSTEM_TOKEN.account
SYSTEM_PID = 4  # the kernel's System process: HTTP.sys
_PROCESS = re.compile(r"^(?P<name>.*?)\s*\(\s*PID\s*:?\s*(?P<pid>\d{1,10})\s*\)\s*$", re.I)


def sspi_client(event: Event) -> tuple[str, int | None] | None:
    """(process name, PID) of a 36870's "The SSPI client process is NAME (PID: N)" line."""
    if not event.sspi_process:
        return None
    match = _PROCESS.match(event.sspi_process)
    if match is None:
        return event.sspi_process.strip(), None
    return match["name"], int(match["pid"])


def _is_http_sys(name: str, pid: int | None) -> bool:
    return pid == SYSTEM_PID or (pid is None and fold(name) == "system")


def same_image(listed: str, named: str) -> bool:
    """tasklist lists `sqlservr.exe`, Get-Process `sqlservr`, the event either."""

    def stem(name: str) -> str:
        name = fold(name.strip())
        return name[:-4] if name.endswith(".exe") else name

    return stem(listed) == stem(named)


def process_owner(case: Case, name: str, pid: int | None) -> ProcessOwner | None:
    """The listed process with this PID (and image name, when the listing names one)."""
    for owner in case.records(ProcessOwner):
        if pid is not None and owner.pid != pid:
            continue
        if same_image(owner.process, name) or (pid is not None and not owner.process):
            return owner
    return None


def key_opener(correlation: Correlation) -> tuple[str, int | None] | None:
    """The process other than HTTP.sys that a 36870 of the attempt names as its SSPI client
    (the first in time), or None: HTTP.sys, whose key Schannel opens in lsass."""
    clients = [c for e in correlation.failures if (c := sspi_client(e)) is not None]
    return next((c for c in clients if not _is_http_sys(*c)), None)


def account_for(case: Case, correlation: Correlation, cert: Certificate) -> Account:
    """The account that must open ``cert``'s key for the failures of this case.

    - a 36870 naming an SSPI client process other than SYSTEM (PID: 4): that process's account,
      from a process listing (source "evidence"), else an account that is not known: named after
      the process, SID None, source "event" (`account_known` is False);
    - a 36870 naming SYSTEM (PID: 4): LocalSystem, source "event";
    - otherwise HTTP.sys's LocalSystem, source "default", assumed.
    - a certificate that only services other than HTTP.sys are configured with (Remote Desktop's
      SSLCertificateSHA1Hash): that service's account, from its sc qc / Win32_Service listing
      (source "service-config"), else its documented default (source "default", assumed;
      `analyzer.servicemap.service_account`).
    """
    own = service_opener(case, cert)
    if own is not None:
        return own
    opener = key_opener(correlation)
    if opener is not None:
        name, pid = opener
        owner = process_owner(case, name, pid)
        if owner is not None:
            return Account(owner.user, token_for(owner.user).user_sid, "evidence", False)
        shown = f"{name} (PID: {pid})" if pid is not None else name
        return Account(f"the account of {shown}", None, "event", False)
    if any(e.sspi_process for e in correlation.failures):
        return Account(LOCAL_SYSTEM, SYSTEM, "event", False)
    return Account(LOCAL_SYSTEM, SYSTEM, "default", True)


def service_opener(case: Case, cert: Certificate) -> Account | None:
    """The account of the one non-HTTP.sys service ``cert`` is configured for, if that is all
    (SQL Server: of the one instance configured with it)."""
    services = set(services_of(case, cert.thumbprint)) if cert.thumbprint else set()
    if not services or len(services) > 1 or opened_by_http_sys(case, cert.thumbprint or ""):
        return None
    service = services.pop()
    instances = {
        c.instance
        for c in configured_certificates(case)
        if c.thumbprint == cert.thumbprint and c.service == service
    }
    if len(instances) > 1:
        return None
    return service_account(case, service, instances.pop() if instances else None)


def account_known(account: Account) -> bool:
    """False for a process named by an event whose account no evidence gives."""
    return not (account.source == "event" and account.sid is None)


def token_of(account: Account) -> Token | None:
    """The token the access check uses for ``account``; None when the account is not known."""
    if not account_known(account):
        return None
    token = token_for(account.name, account.sid)
    if account.source in ("evidence", "service-log") and token == LOCAL_SYSTEM_TOKEN:
        # A service process running as LocalSystem also holds SERVICE, Users and its service
        # SID, which no listing shows: only what lsass's token holds is certain.
        return replace(token, complete=False, basis=f"{token.basis}; other groups not known")
    return token
