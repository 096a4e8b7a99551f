"""SQL Server (Database Engine): the certificate an instance is configured with and the lines and
events that say it could not load it.

Configured: the instance's ``Certificate`` value under ``HKLM\\SOFTWARE\\Microsoft\\Microsoft SQL
Server\\<instance id>\\MSSQLServer\\SuperSocketNetLib`` (reg query / Get-ItemProperty: REG_SZ, the
thumbprint in either case, empty when none is configured; "Configure SQL Server Database Engine
for encrypting connections",
https://learn.microsoft.com/sql/database-engine/configure-windows/configure-sql-server-encryption),
and, for an instance whose registry value is not in the case, the hash its ERRORLOG names in 26014
(the user-specified certificate it could not load), 33565 (found, not accessible) or 26013
(loaded): that is the certificate the instance was configured with at that start
("MSSQLSERVER_26014",
https://learn.microsoft.com/sql/relational-databases/errors-events/mssqlserver-26014-database-engine-error).

Failures: the Application log's MSSQLSERVER / MSSQL$<instance> events 26010, 26014, 26015 and
33565 (``FAILURE_EVENTS``; events are matched by provider family, every ``MSSQL$<instance>``
counting), and the same numbers in an ERRORLOG (`logged_failures`): ERRORLOG lines are records, not
events; the correlation counts them with the service's failure events (exit code 4,
docs/analyze.md). 26013 (loaded) is no failure; 17182 / 17826 / 17120 follow a failed load and
are quoted, not counted again.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from analyzer.case import Case
from analyzer.knowledge import services as known
from analyzer.knowledge.eventfields import SQL_SERVER, provider_family, sql_instance_of_provider
from analyzer.knowledge.tokens import token_for
from analyzer.knowledge.wellknown import fold
from analyzer.model import (
    Account,
    Event,
    Evidence,
    RegistryValue,
    Source,
    SqlCertificateEvent,
    SqlServerStart,
)
from analyzer.servicemap.base import (
    ConfiguredCertificate,
    configured_account,
    service_config_named,
)

FAILURE_NUMBERS = (26010, 26014, 26015, 33565)
FAILURE_EVENTS: dict[str, tuple[tuple[str, int], ...]] = {
    known.SQL_SERVER: tuple((SQL_SERVER, number) for number in FAILURE_NUMBERS),
}
# Lines that name the configured certificate's hash, strongest first.
_HASH_NUMBERS = (26014, 33565, 26013)
_HEX = frozenset("0123456789abcdef")
# A bound on the key part taken as an instance id (the data is the customer's): instance names
# are short identifiers; a longer part is not read as one.
MAX_INSTANCE_ID = 64
_HASH_EVENTS = frozenset((SQL_SERVER, number) for number in _HASH_NUMBERS)
_MESSAGE_HASH = re.compile(r"Cert\s*Hash\s*\(\s*sha1\s*\)\s*\"(?P<hash>[0-9A-Fa-f]{40})\"", re.I)


def event_thumbprint(event: Event) -> str | None:
    """The hash of an Application log 26013 / 26014 / 33565: its insertion string (CertHash), or
    the message text of an Event Viewer copy that kept no event data."""
    named = thumbprint_of(str(event.data.get("CertHash", "")))
    if named is not None:
        return named
    found = _MESSAGE_HASH.search(event.message or "")
    return found["hash"].lower() if found else None


def instance_of_key(key: str | None) -> str | None:
    """The instance name of a SuperSocketNetLib key (``...\\MSSQL15.SALES\\MSSQLServer\\
    SuperSocketNetLib`` -> ``SALES``), or None for another key."""
    if key is None:
        return None
    prefix, suffix = fold(known.SQL_KEY_PREFIX), fold(known.SQL_KEY_SUFFIX)
    folded = fold(key.strip().rstrip("\\"))
    if not (folded.startswith(prefix) and folded.endswith(suffix)):
        return None
    instance_id = key.strip().rstrip("\\")[len(prefix) : len(folded) - len(suffix)]
    if not instance_id or "\\" in instance_id or len(instance_id) > MAX_INSTANCE_ID:
        return None
    return known.sql_instance_of_id(instance_id)


def certificate_values(case: Case) -> list[tuple[str, RegistryValue]]:
    """(instance, value) of every SuperSocketNetLib ``Certificate`` value of the case."""
    out = []
    for value in case.records(RegistryValue):
        if fold(value.name) != fold(known.SQL_CERTIFICATE_VALUE):
            continue
        instance = instance_of_key(value.key)
        if instance is not None:
            out.append((instance, value))
    return out


def force_encryption(case: Case, instance: str) -> RegistryValue | None:
    for value in case.records(RegistryValue):
        named = fold(value.name) == fold(known.SQL_FORCE_ENCRYPTION_VALUE)
        if named and instance_of_key(value.key) == instance:
            return value
    return None


def thumbprint_of(text: str) -> str | None:
    """A REG_SZ thumbprint as Configuration Manager or a hand edit leaves it: any case, spaces
    between pairs, an invisible left-to-right mark from a copy out of the certificate dialog."""
    digits = "".join(c for c in text.lower() if not c.isspace() and c not in "\u200e\u200f")
    return digits if len(digits) == 40 and set(digits) <= _HEX else None


def logged_failures(case: Case) -> list[SqlCertificateEvent]:
    """The ERRORLOG lines that say an instance could not load its certificate."""
    return [e for e in case.records(SqlCertificateEvent) if e.number in FAILURE_NUMBERS]


def named(case: Case) -> tuple[str, ...]:
    """SQL Server is named by its ERRORLOG's failure lines, even without a configuration."""
    return (known.SQL_SERVER,) if logged_failures(case) else ()


def account(case: Case, instance: str | None) -> Account:
    r"""The account an instance runs as: the one its last ERRORLOG start names ("The service
    account is '...'", source "service-log": the account of the start that failed), else its
    service's sc qc / Win32_Service listing (MSSQLSERVER or MSSQL$<instance>), else its virtual
    account ``NT SERVICE\MSSQLSERVER`` / ``NT SERVICE\MSSQL$<instance>`` with the computed
    service SID (source "default", assumed)."""
    wanted = (instance or known.SQL_DEFAULT_INSTANCE).upper()
    starts = [
        s
        for s in case.records(SqlServerStart)
        if s.service_account and (s.instance or "").upper() == wanted
    ]
    if starts:
        name = max(starts, key=lambda s: s.time or "").service_account or ""
        return Account(name, token_for(name).user_sid, "service-log", False)
    config = service_config_named(case, {fold(known.sql_service_name(instance))})
    if config is not None:
        return configured_account(config)
    token = token_for(f"NT SERVICE\\{known.sql_service_name(instance)}")
    return Account(token.account, token.user_sid, "default", True)


ACCOUNT_OF: dict[str, Callable[[Case, str | None], Account | None]] = {known.SQL_SERVER: account}


def configured(case: Case) -> list[ConfiguredCertificate]:
    out: list[ConfiguredCertificate] = []
    registry_instances = set()
    for instance, value in certificate_values(case):
        registry_instances.add(instance)
        if not value.data.strip():
            continue  # no certificate configured: SQL Server makes a self-signed one
        thumbprint = thumbprint_of(value.data)
        shown = value.data if len(value.data) <= 60 else value.data[:57] + "..."
        force = force_encryption(case, instance)
        forced = f"; ForceEncryption {force.data[:12]}" if force is not None else ""
        out.append(
            _configured(
                instance,
                thumbprint,
                f"is configured with certificate {thumbprint or shown} "
                f"({known.SQL_CERTIFICATE_VALUE} of SuperSocketNetLib{forced})",
                value.source,
                f"{value.name}    {value.type or ''}    {shown}".replace("        ", "    "),
            )
        )
    logged: dict[tuple[str, str], SqlCertificateEvent] = {}
    from_events: dict[tuple[str, str], Event] = {}
    for number in _HASH_NUMBERS:
        for line in case.records(SqlCertificateEvent):
            if line.number != number or line.thumbprint is None:
                continue
            named = line.instance or _only_instance(case)
            if named is None or named in registry_instances:
                continue
            logged.setdefault((named, line.thumbprint), line)
    for event in case.events:
        if (provider_family(event.provider), event.event_id) not in _HASH_EVENTS:
            continue
        thumbprint = event_thumbprint(event)
        named = sql_instance_of_provider(event.provider)
        if thumbprint is None or named is None or named in registry_instances:
            continue
        if (named, thumbprint) not in logged and (named, thumbprint) not in from_events:
            from_events[(named, thumbprint)] = event
    for (instance, thumbprint), event in sorted(from_events.items()):
        said = f"was configured with certificate {thumbprint} when it logged event {event.event_id}"
        out.append(_configured(instance, thumbprint, said, event.source, f"CertHash={thumbprint}"))
    for (instance, thumbprint), line in sorted(logged.items()):
        said = (
            f"was configured with certificate {thumbprint} at the start its ERRORLOG shows "
            f"(error {line.number})"
        )
        quote = line.text.splitlines()[0][:300] if line.text else None
        out.append(_configured(instance, thumbprint, said, line.source, quote))
    return out


def _configured(
    instance: str, thumbprint: str | None, said: str, source: Source, quote: str | None
) -> ConfiguredCertificate:
    """A certificate an instance names: ``said`` of ``SQL Server (<service name>)``."""
    return ConfiguredCertificate(
        known.SQL_SERVER,
        thumbprint,
        known.SQL_STORES,
        Evidence(f"SQL Server ({known.sql_service_name(instance)}) {said}", source, quote),
        instance=instance,
    )


def _only_instance(case: Case) -> str | None:
    """The one instance every ERRORLOG of the case names, if there is exactly one."""
    names = {s.instance for s in case.records(SqlServerStart) if s.instance}
    return names.pop() if len(names) == 1 else None
