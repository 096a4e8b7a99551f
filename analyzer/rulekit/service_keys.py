r"""Services other than HTTP.sys that name their certificate: is it there, and can their account
read its key? Shared by `machinekeys-permissions` (the access half) and `service-cert-not-found`.

HTTP.sys bindings keep their own rules (`binding-cert-missing`, and the LocalSystem access of
`analyzer.rulekit.key_access`); this module covers the services whose configuration is not an
HTTP.sys binding: Remote Desktop and SQL Server (per instance: MSSQLSERVER, MSSQL$<instance>).

Access is computed, never guessed (`analyzer.knowledge.access`): the key's DACL from the dump's
SDDL and from an icacls / Get-Acl listing of the key file, walked for the token of the service's
account (NETWORK SERVICE for TermService: not an administrator, so a key granting only SYSTEM and
Administrators is closed to it; "NetworkService Account",
https://learn.microsoft.com/windows/win32/services/networkservice-account; SQL Server's virtual
account NT SERVICE\MSSQLSERVER holds its own service SID and the groups of a service, not
Administrators: the 33565 page grants it access to the key).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from analyzer.case import Case
from analyzer.correlate import Correlation
from analyzer.knowledge import services as known
from analyzer.knowledge.access import (
    DENIED,
    NOT_KNOWN,
    AccessAnswer,
    can_read_entries,
    can_read_sddl,
)
from analyzer.knowledge.acl_defaults import key_file_name
from analyzer.knowledge.quoting import cmd_arg, ps_literal
from analyzer.knowledge.tokens import Token, service_sid, token_for
from analyzer.model import (
    Account,
    AclEntry,
    Certificate,
    Event,
    Evidence,
    FixPlan,
    FixStep,
    Source,
)
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.bindings import covered_stores
from analyzer.rulekit.keys import is_csp, key_file_path
from analyzer.servicemap import (
    ConfiguredCertificate,
    configured_certificates,
    failure_events,
    logged_failures,
    opened_by_http_sys,
    service_account,
    services_of,
)
from analyzer.servicemap.adfs import event_thumbprints
from analyzer.servicemap.exchange import event_fqdn, transport_events

HTTP_SYS_SERVICES = known.HTTP_SYS_SERVICES  # IIS, any netsh binding, WinRM HTTPS


def only_other_services(case: Case, thumbprint: str | None) -> bool:
    """The certificate is configured for services, none of them through HTTP.sys: LocalSystem's
    access to its key is not the question (a Remote Desktop key without SYSTEM is no HTTP.sys
    fault; nor is an AD FS token-signing key that only AD FS's account opens)."""
    if not thumbprint or not services_of(case, thumbprint):
        return False
    return not opened_by_http_sys(case, thumbprint)


@dataclass(frozen=True)
class ServiceCertificate:
    """A certificate a non-HTTP.sys service is configured with, and what the dumps hold of it."""

    configured: ConfiguredCertificate
    found: tuple[Certificate, ...]  # the machine-store certificates with that thumbprint
    covered: tuple[str, ...]  # the service's stores that a machine-store dump covers


def service_certificates(case: Case) -> list[ServiceCertificate]:
    dumped = covered_stores(case)
    out = []
    for configured in configured_certificates(case):
        if (
            configured.service in HTTP_SYS_SERVICES
            or configured.http_sys
            or configured.thumbprint is None
            or configured.not_checked
        ):
            continue
        found = tuple(
            c
            for c in case.certificates_with(configured.thumbprint)
            if c.user_store is not True and (c.store or "my") in configured.stores
        )
        covered = tuple(s for s in configured.stores if s in dumped)
        out.append(ServiceCertificate(configured, found, covered))
    return out


@dataclass(frozen=True)
class KeyDenial:
    """The account of a service cannot read the key of the certificate the service uses.

    ``events``: the service's failure events that name this certificate (`matched_events`).
    ``answer`` NOT_KNOWN: the ACL alone does not settle it (the account could read the key only
    through a group membership no evidence shows), and those events say the service could not
    access this key, the dump showing the key there (`_key_access_events`)."""

    service: str
    cert: Certificate
    account: Account
    answer: AccessAnswer
    evidence: tuple[Evidence, ...]
    events: tuple[Event, ...] = ()
    role: str | None = None  # what the service uses the certificate for, when it says
    instance: str | None = None  # SQL Server's instance (MSSQLSERVER, SALES)


def _key_file_entries(case: Case, key_file: str) -> dict[str, list[AclEntry]]:
    """icacls / Get-Acl entries of this key file, by the path the listing prints."""
    by_path: dict[str, list[AclEntry]] = {}
    for entry in case.acls:
        if (key_file_name(entry.path) or "").lower() == key_file.lower():
            by_path.setdefault(entry.path, []).append(entry)
    return by_path


def service_token(service: str, account: Account) -> Token:
    """The token the service's process opens the key with: its account's, plus the service SID
    (NT SERVICE\\<name>) where a Microsoft page grants that SID on the key (AD FS's adfssrv)."""
    token = token_for(account.name, account.sid)
    info = known.SERVICES.get(service)
    if info is None or not info.service_sid_of:
        return token
    return replace(
        token,
        groups=token.groups | {service_sid(info.service_sid_of)},
        basis=f"{token.basis}; NT SERVICE\\{info.service_sid_of} ({info.page})",
    )


def _answers(
    case: Case, cert: Certificate, account: Account, service: str
) -> list[tuple[AccessAnswer, Source, str | None]]:
    """The access answer of every ACL the evidence shows for the key file, with where that ACL
    was read and its text (the dump's SDDL line; an icacls listing of the file)."""
    key = cert.key
    if key is None:
        return []
    token = service_token(service, account)
    answers: list[tuple[AccessAnswer, Source, str | None]] = []
    if key.acl_sddl:
        where = Source(cert.source.path, key.lines.get("acl_sddl", cert.source.line))
        answers.append((can_read_sddl(key.acl_sddl, token, where), where, key.acl_sddl))
    if key.key_file:
        for path, entries in sorted(_key_file_entries(case, key.key_file).items()):
            listed = "; ".join(f"{e.account}:({','.join(e.rights)})" for e in entries)
            answers.append((can_read_entries(entries, token, path), entries[0].source, listed))
    return answers


def key_denials(case: Case) -> list[KeyDenial]:
    """Each service certificate whose key its service's account cannot read: every ACL the
    evidence shows for the key says DENIED (one that allows it makes it no denial); or, where
    an ACL leaves it to a group membership of the account that no evidence shows, the service's
    own event says it could not access this very key (`_key_access_events`)."""
    out = []
    seen: set[tuple[str, str | None]] = set()
    for item in service_certificates(case):
        service = item.configured.service
        account = service_account(case, service, item.configured.instance)
        if account is None:
            continue
        for cert in item.found:
            if cert.key is None or cert.key.machine_keyset is False:
                continue
            if (service, cert.thumbprint) in seen:
                continue
            answers = _answers(case, cert, account, service)
            results = {a.result for a, _, _ in answers}
            events = matched_events(case, service, cert)
            if not answers or results - {DENIED, NOT_KNOWN}:
                continue
            if NOT_KNOWN in results:
                memberships_only = all(
                    d.startswith(f"whether {a.account} is a member of ")
                    for a, _, _ in answers
                    if a.result == NOT_KNOWN
                    for d in a.depends_on
                ) and all(a.depends_on for a, _, _ in answers if a.result == NOT_KNOWN)
                events = _key_access_events(case, service, cert) if memberships_only else ()
                if not events:
                    continue
            seen.add((service, cert.thumbprint))
            evidence = [item.configured.evidence]
            for answer, where, text in answers:
                quote = "; ".join(ace.text for ace in answer.deciding) or text
                at = next((a.source for a in answer.deciding if a.source), where)
                evidence.append(Evidence(answer.reason, at, quote))
            for event in events[:3]:
                evidence.append(
                    Evidence(
                        _event_says(service, event, cert),
                        event.source,
                        (event.message or "; ".join(f"{k}: {v}" for k, v in event.data.items()))[
                            :400
                        ],
                    )
                )
            out.append(
                KeyDenial(
                    service,
                    cert,
                    account,
                    next((a for a, _, _ in answers if a.result == NOT_KNOWN), answers[0][0]),
                    tuple(evidence),
                    events,
                    item.configured.role,
                    item.configured.instance,
                )
            )
    return out


def _event_says(service: str, event: Event, cert: Certificate) -> str:
    """What a matched failure event says of this certificate, in the event's own terms."""
    if service == known.EXCHANGE and event.event_id == 12014:
        return (
            f"{event.provider} 12014: no usable certificate for {event_fqdn(event)}, a name "
            f"{cert.thumbprint} holds (the event's text: if it exists, the Transport service "
            "may not have access to its key)"
        )
    if service == known.EXCHANGE:
        return f"{event.provider} {event.event_id}: could not load {cert.thumbprint}"
    return (
        f"{event.provider} {event.event_id}: the private key of {cert.thumbprint} could not be "
        "accessed by the service"
    )


# Services whose failure events name the certificate (a thumbprint, a host name it holds): a
# denial explains only the events that name its certificate.
MATCHED_EVENT_SERVICES = frozenset({known.ADFS, known.EXCHANGE})


def matched_events(case: Case, service: str, cert: Certificate) -> tuple[Event, ...]:
    """The service's failure events that name this certificate: AD FS 133 / 387 / 601 by
    thumbprint; Exchange's Transport service (Network Service) 12014 for a name the certificate
    holds, 12013 for its thumbprint. A 12014 for a name no certificate holds is the other
    meaning of that event and is never matched (`analyzer.servicemap.exchange`)."""
    if not cert.thumbprint:
        return ()
    if service == known.ADFS:
        return tuple(
            e for e in failure_events(case, service) if cert.thumbprint in event_thumbprints(e)
        )
    if service == known.EXCHANGE:
        return tuple(transport_events(case, cert))
    return ()


def _key_access_events(case: Case, service: str, cert: Certificate) -> tuple[Event, ...]:
    """The service's events saying it could not access this certificate's private key, when the
    dump rules out the other causes their pages list (no key, a key outside the machine keyset):
    the key is there, in the machine keyset, a CSP key (AD FS's KeySpec page wants KeySpec 1 for
    every role but SSL; a CNG key is `keyspec-signature`'s question, not an ACL's)."""
    key = cert.key
    if (
        key is None
        or key.machine_keyset is not True
        or key.state in ("missing", "no-key-info")
        or not is_csp(key)
        or not cert.thumbprint
    ):
        return ()
    if service == known.ADFS:
        return matched_events(case, service, cert)
    return ()


def service_failure_events(case: Case, correlation: Correlation, service: str) -> list[Event]:
    """The events that show this service failing: its own (RDP 1057/1058, SQL Server's
    Application log events) and the 36870."""
    return [*failure_events(case, service), *correlation.failures]


def denial_events(case: Case, correlation: Correlation, denial: KeyDenial) -> tuple[Event, ...]:
    """The events a denial explains: those naming its certificate for services whose events
    name one (AD FS, Exchange), else the service's failure events and the 36870."""
    if denial.service in MATCHED_EVENT_SERVICES:
        return denial.events
    return tuple(service_failure_events(case, correlation, denial.service))


def service_failure_sources(case: Case, correlation: Correlation, service: str) -> list[Source]:
    """Where this service's failures are: its failure events, the 36870, and for SQL Server
    the ERRORLOG lines (26010 / 26014 / 26015 / 33565)."""
    sources = [e.source for e in service_failure_events(case, correlation, service)]
    if service == known.SQL_SERVER:
        sources += [line.source for line in logged_failures(case)]
    return sources


def service_label(service: str, instance: str | None = None) -> str:
    """``Remote Desktop Services``; ``SQL Server (MSSQLSERVER)``, ``SQL Server (MSSQL$SALES)``."""
    if service == known.SQL_SERVER and instance is not None:
        return f"{known.display(service)} ({known.sql_service_name(instance)})"
    return known.display(service)


def service_pages(service: str) -> tuple[pages.Page, ...]:
    """The pages a service's key-access diagnosis rests on."""
    if service == known.SQL_SERVER:
        return (
            pages.SQL_33565,
            pages.SQL_CERTIFICATE_REQUIREMENTS,
            pages.SQL_SERVICE_ACCOUNTS,
            pages.ICACLS,
        )
    return (pages.NETWORK_SERVICE_ACCOUNT, pages.SCHANNEL_EVENT_CAUSES, pages.ICACLS)


def sql_instance_of(case: Case, thumbprint: str | None) -> tuple[bool, str | None]:
    """(configured only for SQL Server, its one instance or None): a certificate no HTTP.sys
    binding or other service names, so its fixes end at SQL Server, not at an IIS binding."""
    if not thumbprint or set(services_of(case, thumbprint)) != {known.SQL_SERVER}:
        return False, None
    instances = {
        c.instance
        for c in configured_certificates(case)
        if c.thumbprint == thumbprint and c.service == known.SQL_SERVER
    }
    return True, (instances.pop() if len(instances) == 1 else None)


def sql_select_certificate(instance: str | None, what: str) -> FixStep:
    """Point the instance at a certificate the way Microsoft's encryption page does it."""
    name = instance or "<instance>"
    return remedies.manual(
        "In SQL Server Configuration Manager: SQL Server Network Configuration > right-click "
        f"Protocols for {name} > Properties > Certificate tab: select {what}, then OK.",
        pages.SQL_CONFIGURE_ENCRYPTION,
    )


def sql_finish_steps(case: Case, cert: Certificate, new: bool) -> list[FixStep] | None:
    """The last steps of a key or certificate fix for a certificate only SQL Server uses: a new
    certificate is selected for the instance, then the instance restarts (it loads its
    certificate at start-up); None for a certificate that is not SQL Server's alone."""
    only_sql, instance = sql_instance_of(case, cert.thumbprint)
    if not only_sql:
        return None
    steps = [sql_select_certificate(instance, "the new certificate")] if new else []
    return [*steps, restart_step(known.SQL_SERVER, instance)]


def restart_step(service: str, instance: str | None = None) -> FixStep:
    """Restart the service so that it opens its key again (by hand: it may end sessions)."""
    if service == known.SQL_SERVER:
        name = ps_literal(known.sql_service_name(instance), "service name")
        return remedies.manual(
            f"In an elevated PowerShell: Restart-Service -Name {name} -Force   (in a quiet "
            "moment: every connection to this instance drops; then look for 26013 in the new "
            "ERRORLOG)",
            pages.RESTART_SERVICE,
        )
    if service == known.RDP:
        return remedies.manual(
            "In an elevated PowerShell: Restart-Service TermService -Force   (from the console or "
            "another remote tool: "
            "restarting TermService ends every Remote Desktop session, this one included)",
            pages.RESTART_SERVICE,
        )
    if service == known.EXCHANGE:
        return remedies.manual(
            "In an elevated PowerShell: Restart-Service MSExchangeTransport   (mail flow through "
            "this server pauses while it restarts)",
            pages.RESTART_SERVICE,
        )
    if service == known.ADFS:
        return remedies.manual(
            "In an elevated PowerShell: Restart-Service adfssrv   (on this federation server; "
            "sign-ins through it fail while it restarts)",
            pages.RESTART_SERVICE,
        )
    return remedies.manual(f"Restart the {known.display(service)} service.", pages.RESTART_SERVICE)


def grant_read_steps(denial: KeyDenial) -> list[FixStep]:
    """Save the key file's ACL, add a read grant for the service's account, check, restart."""
    key = denial.cert.key
    path = key_file_path(key) if key is not None else None
    sid = denial.account.sid
    trustee = f"*{sid}" if sid else cmd_arg(denial.account.name, "account")
    if path is None:
        return [
            remedies.check(
                f"certutil -v -store {remedies.store(denial.cert)} {remedies.cert_id(denial.cert)}"
                "   (find the key file: the `Unique container name`, <32 hex>_<machine GUID>)",
                pages.CERTUTIL,
            ),
            restart_step(denial.service, denial.instance),
        ]
    steps = [
        remedies.run(
            f'icacls "{path}" /save "%TEMP%\\{denial.service}-keyfile-acl.txt"   (keep it)',
            pages.ICACLS,
        )
    ]
    if any(_is_deny(ace.text) for ace in denial.answer.deciding):
        steps.append(
            remedies.check(
                f'icacls "{path}"   (a deny entry quoted above shuts {denial.account.name} out: '
                "remove only that entry with icacls /remove:d and its account before granting)",
                pages.ICACLS,
            )
        )
    steps += [
        remedies.run(f'icacls "{path}" /grant {trustee}:(R)', pages.ICACLS),
        remedies.check(
            f'icacls "{path}"   (expect: {token_for(denial.account.name, sid).account}:(R))',
            pages.ICACLS,
        ),
        restart_step(denial.service, denial.instance),
    ]
    return steps


def _is_deny(ace_text: str) -> bool:
    return ace_text.lstrip().startswith("(D;") or "(DENY)" in ace_text.upper()


def exchange_plans(denial: KeyDenial) -> tuple[FixPlan, ...]:
    """Exchange's SMTP key: let Exchange set its permissions, as the 12014 / 12013 texts say
    ("run Enable-ExchangeCertificate -Services SMTP to make sure that the Microsoft Exchange
    Transport service has access to the certificate key"), or grant the read by hand; either
    after saving the key file's ACL, then restart the Transport service."""
    cert = denial.cert
    key = cert.key
    path = key_file_path(key) if key is not None else None
    thumbprint = ps_literal(cert.thumbprint or "", "thumbprint")
    save = (
        [
            remedies.run(
                f'icacls "{path}" /save "%TEMP%\\{denial.service}-keyfile-acl.txt"   (keep it)',
                pages.ICACLS,
            )
        ]
        if path
        else []
    )
    enable = remedies.plan(
        "Let Exchange give the Transport service access to the key",
        "Exchange Management Shell at hand (the 12014 / 12013 texts' own advice)",
        *save,
        remedies.manual(
            f"In the Exchange Management Shell: Enable-ExchangeCertificate -Thumbprint "
            f"{thumbprint} -Services SMTP   (answer the prompt about the default SMTP "
            "certificate as fits this server)",
            pages.ENABLE_EXCHANGE_CERTIFICATE,
        ),
        *(
            [
                remedies.check(
                    f'icacls "{path}"   (expect: NT AUTHORITY\\NETWORK SERVICE:(R))',
                    pages.ICACLS,
                )
            ]
            if path
            else []
        ),
        restart_step(denial.service),
    )
    grant = remedies.plan(
        "Grant NETWORK SERVICE read on the key file",
        "no Exchange Management Shell, or the grant above did not appear",
        *grant_read_steps(denial),
    )
    return (enable, grant)
