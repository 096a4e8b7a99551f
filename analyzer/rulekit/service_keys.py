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

from dataclasses import dataclass

from analyzer.case import Case
from analyzer.correlate import Correlation
from analyzer.knowledge import services as known
from analyzer.knowledge.access import DENIED, AccessAnswer, can_read_entries, can_read_sddl
from analyzer.knowledge.acl_defaults import key_file_name
from analyzer.knowledge.quoting import cmd_arg, ps_literal
from analyzer.knowledge.tokens import token_for
from analyzer.model import Account, AclEntry, Certificate, Event, Evidence, FixStep, Source
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.bindings import covered_stores
from analyzer.rulekit.keys import key_file_path
from analyzer.servicemap import (
    ConfiguredCertificate,
    configured_certificates,
    failure_events,
    logged_failures,
    service_account,
    services_of,
)

HTTP_SYS_SERVICES = frozenset({known.IIS, known.HTTP_SYS})


def only_other_services(case: Case, thumbprint: str | None) -> bool:
    """The certificate is configured for services, none of them HTTP.sys: LocalSystem's access
    to its key is not the question (a Remote Desktop key without SYSTEM is no HTTP.sys fault)."""
    services = set(services_of(case, thumbprint)) if thumbprint else set()
    return bool(services) and not services & HTTP_SYS_SERVICES


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
        if configured.service in HTTP_SYS_SERVICES or configured.thumbprint is None:
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
    """The account of a service cannot read the key of the certificate the service uses."""

    service: str
    cert: Certificate
    account: Account
    answer: AccessAnswer
    evidence: tuple[Evidence, ...]
    instance: str | None = None  # SQL Server's instance (MSSQLSERVER, SALES)


def _key_file_entries(case: Case, key_file: str) -> dict[str, list[AclEntry]]:
    """icacls / Get-Acl entries of this key file, by the path the listing prints."""
    by_path: dict[str, list[AclEntry]] = {}
    for entry in case.acls:
        if (key_file_name(entry.path) or "").lower() == key_file.lower():
            by_path.setdefault(entry.path, []).append(entry)
    return by_path


def _answers(
    case: Case, cert: Certificate, account: Account
) -> list[tuple[AccessAnswer, Source, str | None]]:
    """The access answer of every ACL the evidence shows for the key file, with where that ACL
    was read and its text (the dump's SDDL line; an icacls listing of the file)."""
    key = cert.key
    if key is None:
        return []
    token = token_for(account.name, account.sid)
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
    evidence shows for the key says DENIED (one that allows it makes it no denial)."""
    out = []
    for item in service_certificates(case):
        account = service_account(case, item.configured.service, item.configured.instance)
        if account is None:
            continue
        for cert in item.found:
            if cert.key is None or cert.key.machine_keyset is False:
                continue
            answers = _answers(case, cert, account)
            if not answers or any(a.result != DENIED for a, _, _ in answers):
                continue
            evidence = [item.configured.evidence]
            for answer, where, text in answers:
                quote = "; ".join(ace.text for ace in answer.deciding) or text
                at = next((a.source for a in answer.deciding if a.source), where)
                evidence.append(Evidence(answer.reason, at, quote))
            denial = KeyDenial(
                item.configured.service,
                cert,
                account,
                answers[0][0],
                tuple(evidence),
                item.configured.instance,
            )
            out.append(denial)
    return out


def service_failure_events(case: Case, correlation: Correlation, service: str) -> list[Event]:
    """The events that show this service failing: its own (RDP 1057/1058, SQL Server's
    Application log events) and the 36870."""
    return [*failure_events(case, service), *correlation.failures]


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
