"""Which events matter, what their positional fields are called, and how an event is normalised.

Shared by every event source (binary `.evtx` through either engine, XML, text and CSV exports) so
that the same event gives the same `Event` whatever it came from. Kept as data: a new event is a
table row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from analyzer.model import Event, Source

SCHANNEL = "Schannel"
HTTP_EVENT = "Microsoft-Windows-HttpEvent"
EVENTLOG = "EventLog"
KERNEL_GENERAL = "Microsoft-Windows-Kernel-General"
CAPI2 = "Microsoft-Windows-CAPI2"
W3SVC = "Microsoft-Windows-IIS-W3SVC"
RDP_SERVICES = "Microsoft-Windows-TerminalServices-RemoteConnectionManager"
# AD FS (Windows Server 2012 R2 and later) logs as "AD FS" in the "AD FS/Admin" channel; AD FS
# 2.0 as "AD FS 2.0" ("AD FS 2.0/Admin"); AD FS 1.x (Windows Server 2008) as
# Microsoft-Windows-ADFS.
ADFS = "AD FS"
ADFS_2 = "AD FS 2.0"
ADFS_1 = "Microsoft-Windows-ADFS"
ADFS_CHANNELS = ("AD FS/Admin", "AD FS 2.0/Admin")
# Exchange's transport services log to the Application log under these classic sources.
EXCHANGE_TRANSPORT = "MSExchangeTransport"
EXCHANGE_FRONTEND = "MSExchangeFrontEndTransport"
# SQL Server's Database Engine logs to the Application log under its service name: MSSQLSERVER
# for the default instance, MSSQL$<instance> for a named one; the event id is the error number
# ("MSSQLSERVER_26014": Event Source MSSQLSERVER, Event ID 26014; "Event ID 33565 and SQL Server
# doesn't start" shows Source MSSQLSERVER, Event ID 26010 and 33565). Wanted under one name.
SQL_SERVER = "MSSQLSERVER"
SQL_SERVER_NAMED = "MSSQL$"

# Provider names as logs spell them -> canonical name. Classic providers log under a short
# "event source" name (HttpEvent logs as "HTTP" in EventSourceName, W3SVC as "W3SVC"; Windows
# Server 2003 logged the RDP certificate events as "TermService").
PROVIDER_ALIASES: dict[str, str] = {
    "schannel": SCHANNEL,
    "microsoft-windows-httpevent": HTTP_EVENT,
    "httpevent": HTTP_EVENT,
    "http": HTTP_EVENT,
    "eventlog": EVENTLOG,
    "microsoft-windows-eventlog": EVENTLOG,
    "microsoft-windows-kernel-general": KERNEL_GENERAL,
    "kernel-general": KERNEL_GENERAL,
    "microsoft-windows-capi2": CAPI2,
    "capi2": CAPI2,
    "microsoft-windows-iis-w3svc": W3SVC,
    "w3svc": W3SVC,
    "microsoft-windows-terminalservices-remoteconnectionmanager": RDP_SERVICES,
    "termservice": RDP_SERVICES,
    "ad fs": ADFS,
    "ad fs 2.0": ADFS_2,
    "microsoft-windows-adfs": ADFS_1,
    "adfs": ADFS_1,
    "msexchangetransport": EXCHANGE_TRANSPORT,
    "msexchangefrontendtransport": EXCHANGE_FRONTEND,
}

# Wanted (provider, event id). Provider and id together, never the id alone.
WANTED: dict[str, frozenset[int]] = {
    SCHANNEL: frozenset(range(36867, 36890)) | {36912},
    HTTP_EVENT: frozenset({15021, 15300, 15301, 15302}),
    # "Cannot register the URL prefix ... The site has been deactivated": 1003 (URL invalid),
    # 1004, 1007 (binding already in use). W3SVC documents 1008 as unused.
    W3SVC: frozenset({1003, 1004, 1007}),
    CAPI2: frozenset({70}),
    # 1057: failed to create a self-signed RDP certificate; 1058: failed to replace it
    # (https://learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/event-id-troubleshoot-vm-rdp-connecton).
    RDP_SERVICES: frozenset({1057, 1058}),
    # 133: "During processing of the Federation Service configuration, the element '...' was
    # found to have invalid data. The private key for the certificate that was configured could
    # not be accessed." (AD FS 2.0 and later); AD FS 1.x wrote 601 ("Event ID 601 - Trust Policy
    # and Configuration", https://technet.microsoft.com/library/cc734911(v=ws.10).aspx).
    # 387: "AD FS detected that one or more of the certificates that are specified in the
    # Federation Service weren't accessible to the service account that the AD FS Windows
    # Service uses" ("AD FS troubleshooting - certificates",
    # https://learn.microsoft.com/windows-server/identity/ad-fs/troubleshooting/ad-fs-tshoot-certs).
    ADFS: frozenset({133, 387}),
    ADFS_2: frozenset({133, 387}),
    ADFS_1: frozenset({601}),
    # 12014: "Microsoft Exchange could not find a certificate that contains the domain name %1
    # in the personal store on the local computer. ... If this certificate exists, run
    # Enable-ExchangeCertificate -Services SMTP to make sure that the Microsoft Exchange
    # Transport service has access to the certificate key." 12013: "could not load the
    # certificate with thumbprint of %1 from the personal store" ("MSExchangeTransport 12013",
    # https://technet.microsoft.com/library/ff985435(v=exchg.141)).
    EXCHANGE_TRANSPORT: frozenset({12013, 12014}),
    EXCHANGE_FRONTEND: frozenset({12013, 12014}),
    # 26010 / 26014 / 26015 / 33565: the certificate not loaded; 26013: loaded; 17182 / 17826 /
    # 17120: the network library did not start after it.
    SQL_SERVER: frozenset({26010, 26013, 26014, 26015, 33565, 17182, 17826, 17120}),
    EVENTLOG: frozenset({6005, 6006, 6008, 6009}),
    KERNEL_GENERAL: frozenset({12, 13}),
}

# Boot/OS events are kept for the last boot (and its OS version); the others are the findings.
BOOT_EVENTS: frozenset[tuple[str, int]] = frozenset(
    {
        (EVENTLOG, 6005),
        (EVENTLOG, 6006),
        (EVENTLOG, 6008),
        (EVENTLOG, 6009),
        (KERNEL_GENERAL, 12),
        (KERNEL_GENERAL, 13),
    }
)

# Names of positional EventData values (classic `<Data>` without Name=), from the provider
# manifests listed in docs/schannel-events.md. Binary blobs are not `<Data>` values. EventLog
# 6009 has no manifest names; its values are "6.03.", "9600", service pack, kernel type and the
# update revision (17514 on 7601 SP1, matching Kernel-General 12's QfeVersion).
POSITIONAL_NAMES: dict[tuple[str, int], tuple[str, ...]] = {
    (SCHANNEL, 36867): ("Type",),
    (SCHANNEL, 36868): ("Type", "CSPName", "CSPType", "KeyName", "KeyType", "KeyFlags"),
    (SCHANNEL, 36869): ("Type",),
    (SCHANNEL, 36870): ("Type", "ErrorCode", "ErrorStatus"),
    (SCHANNEL, 36871): ("Type", "ErrorState"),
    (SCHANNEL, 36872): ("Type", "ErrorCode", "CertFlags"),
    (SCHANNEL, 36874): ("Protocol",),
    (SCHANNEL, 36876): ("ErrorCode",),
    (SCHANNEL, 36877): ("ErrorCode",),
    (SCHANNEL, 36878): ("ErrorCode",),
    (SCHANNEL, 36879): ("ErrorCode",),
    (SCHANNEL, 36880): (
        "Type",
        "Protocol",
        "CipherSuite",
        "ExchangeStrength",
        "ContextHandle",
        "TargetName",
        "LocalCertSubjectName",
        "RemoteCertSubjectName",
    ),
    (SCHANNEL, 36884): ("Name",),
    (SCHANNEL, 36887): ("AlertDesc",),
    (SCHANNEL, 36888): ("AlertDesc", "ErrorState", "TargetName"),
    (SCHANNEL, 36889): ("Type", "ErrorCode"),
    (SCHANNEL, 36912): ("Path",),
    (HTTP_EVENT, 15021): ("DeviceObject", "Endpoint"),
    (HTTP_EVENT, 15300): ("DeviceObject", "Endpoint"),
    (HTTP_EVENT, 15301): ("DeviceObject", "Endpoint"),
    (HTTP_EVENT, 15302): ("DeviceObject", "Endpoint"),
    (EVENTLOG, 6009): ("Version", "Build", "ServicePack", "KernelType", "Revision"),
    # Classic events with one insertion string, the status text ("The relevant status code was
    # Access is denied."; Microsoft's RDP troubleshooting page); the name is ours.
    (RDP_SERVICES, 1057): ("Status",),
    (RDP_SERVICES, 1058): ("Status",),
    # The values event 133's message lists after "The following are the values of the
    # certificate:" (Element, Thumbprint, storeName, storeLocation, Federation Service identity);
    # the names are ours. 601: "Section: %1 Parameter: %2 Thumbprint: %3" (its Microsoft page).
    (ADFS, 133): ("Element", "Thumbprint", "StoreName", "StoreLocation", "ServiceIdentity"),
    (ADFS_2, 133): ("Element", "Thumbprint", "StoreName", "StoreLocation", "ServiceIdentity"),
    (ADFS_1, 601): ("Section", "Parameter", "Thumbprint"),
    # 12014's insertion strings in its message's order: the domain name, the connector, the
    # connector's FQDN parameter; 12013's one: the thumbprint (the names are ours).
    (EXCHANGE_TRANSPORT, 12014): ("DomainName", "Connector", "Fqdn"),
    (EXCHANGE_FRONTEND, 12014): ("DomainName", "Connector", "Fqdn"),
    (EXCHANGE_TRANSPORT, 12013): ("Thumbprint",),
    (EXCHANGE_FRONTEND, 12013): ("Thumbprint",),
    # Classic events whose insertion strings are the message's: the certificate hash (%hs) or
    # the error code (%#x) (the texts of the "Errors 26000 - 26999" table; names are ours).
    (SQL_SERVER, 26010): ("ErrorCode",),
    (SQL_SERVER, 26013): ("CertHash",),
    (SQL_SERVER, 26014): ("CertHash",),
    (SQL_SERVER, 33565): ("CertHash",),
    (W3SVC, 1003): ("UrlPrefix", "SiteId"),
    (W3SVC, 1004): ("UrlPrefix", "SiteId"),
    (W3SVC, 1007): ("UrlPrefix", "SiteId"),
}

# Fields whose values are HRESULT-like codes: normalised to lowercase 0x%08x.
HEX_FIELDS = frozenset({"ErrorCode", "CertFlags", "KeyFlags", "CipherSuite"})
# Fields whose values are integers. Other fields become integers too when their text is a plain
# decimal number, so that binary logs (typed values) and exports (text) give equal events.
INT_FIELDS = frozenset(
    {
        "ErrorStatus",
        "ErrorState",
        "AlertDesc",
        "CSPType",
        "KeyType",
        "ExchangeStrength",
        "Build",
        "Revision",
        "MajorVersion",
        "MinorVersion",
        "BuildVersion",
        "QfeVersion",
        "ServiceVersion",
        "BootMode",
    }
)
_CANONICAL_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_DECIMAL = re.compile(r"(?:0|-?[1-9][0-9]{0,17})")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")

# `Type` is localized by Windows; each known spelling maps to a role.
ROLE_WORDS: dict[str, str] = {
    "server": "server",
    "serveur": "server",
    "servidor": "server",
    "servitore": "server",
    "服务器": "server",
    "伺服器": "server",
    "サーバー": "server",
    "сервер": "server",
    "client": "client",
    "cliente": "client",
    "客户端": "client",
    "用戶端": "client",
    "クライアント": "client",
    "клиент": "client",
}

# Newer builds end Schannel messages with "The SSPI client process is SYSTEM (PID: 4)."
SSPI_MARKERS: tuple[str, ...] = ("SSPI client process is ",)


def canonical_provider(name: str) -> str:
    """The provider's full name. Event Viewer's Source column drops the ``Microsoft-Windows-``
    prefix (``Kernel-General``, ``HttpEvent``), so that spelling is accepted too. SQL Server's
    sources keep their instance, upper case: ``MSSQLSERVER``, ``MSSQL$SALES``."""
    key = name.strip().lower()
    if key == "mssqlserver" or (key.startswith("mssql$") and len(key) > 6):
        return name.strip().upper()
    found = PROVIDER_ALIASES.get(key) or PROVIDER_ALIASES.get("microsoft-windows-" + key)
    return found or name.strip()


def provider_family(provider: str) -> str:
    """The name WANTED and POSITIONAL_NAMES know a provider by: every ``MSSQL$<instance>`` is
    ``MSSQLSERVER``; any other provider is its canonical name."""
    canonical = canonical_provider(provider)
    return SQL_SERVER if canonical.startswith(SQL_SERVER_NAMED) else canonical


def sql_instance_of_provider(provider: str) -> str | None:
    """``MSSQL$SALES`` -> ``SALES``, ``MSSQLSERVER`` -> ``MSSQLSERVER``; None for any other."""
    canonical = canonical_provider(provider)
    if canonical == SQL_SERVER:
        return SQL_SERVER
    return canonical[len(SQL_SERVER_NAMED) :] if canonical.startswith(SQL_SERVER_NAMED) else None


def is_wanted(provider: str, event_id: int) -> bool:
    return event_id in WANTED.get(provider_family(provider), frozenset())


def normalise_hex(value: Any) -> Any:
    """``0x8009030D``, ``-2146893043``, ``2148074253`` -> ``0x8009030d``; other text unchanged."""
    if isinstance(value, int):
        return f"0x{value & 0xFFFFFFFF:08x}"
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        number = int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return text
    return f"0x{number & 0xFFFFFFFF:08x}"


def normalise_int(value: Any) -> Any:
    if isinstance(value, int) or value is None:
        return value
    text = str(value).strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return text


def _plain_number(key: str, value: Any) -> Any:
    # Flattened UserData paths ("Result.value") hold hex without "0x" (CAPI2): left as text.
    if "." not in key and isinstance(value, str):
        if _DECIMAL.fullmatch(value):
            return int(value)
        if _TIMESTAMP.match(value):  # FILETIME values (Kernel-General StartTime) as UTC ...Z
            return utc_iso(value) or value
    return value


def role_of(type_value: Any) -> str | None:
    if not isinstance(type_value, str):
        return None
    return ROLE_WORDS.get(type_value.strip().lower())


def utc_iso(value: Any) -> str | None:
    """A timestamp as UTC ISO 8601 to the microsecond with ``Z``, or None when it has no zone or
    cannot be read. Accepts the renderers' spellings: ``2022-10-16T20:27:36.222854900Z`` (Windows,
    7 digits: truncated like the contract example), ``2024-05-01 10:00:00+00:00`` (python-evtx),
    a ``datetime`` with a zone."""
    if isinstance(value, str) and _CANONICAL_UTC.fullmatch(value):
        return value  # already in the output spelling (binary logs): skip the slow path
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        match = re.fullmatch(
            r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?",
            text,
            re.IGNORECASE,
        )
        if not match or not match.group(4):
            return None
        day, clock, fraction, zone = match.groups()
        micro = (fraction or "0")[:6].ljust(6, "0")
        zone = "+00:00" if zone.upper() == "Z" else zone
        if ":" not in zone:
            zone = zone[:3] + ":" + zone[3:]
        try:
            moment = datetime.fromisoformat(f"{day}T{clock}.{micro}{zone}")
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        return None
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sspi_process_of(message: str | None) -> str | None:
    """``SYSTEM (PID: 4)`` from a message line ``The SSPI client process is SYSTEM (PID: 4).``"""
    if not message:
        return None
    for marker in SSPI_MARKERS:
        at = message.find(marker)
        if at >= 0:
            line = message[at + len(marker) :].splitlines()[0].strip()
            return line.rstrip(".").strip() or None
    return None


def name_data(
    provider: str, event_id: int, data: Mapping[str, Any] | Sequence[Any]
) -> dict[str, Any]:
    """Give positional values their manifest names (else ``param1``..``paramN``) and normalise
    hex and integer fields. Named data keeps its names."""
    if isinstance(data, Mapping):
        named = dict(data)
    else:
        names = POSITIONAL_NAMES.get((provider_family(provider), event_id), ())
        named = {}
        for i, value in enumerate(data):
            named[names[i] if i < len(names) else f"param{i + 1}"] = value
    out: dict[str, Any] = {}
    for key, value in named.items():
        if key in HEX_FIELDS:
            out[key] = normalise_hex(value)
        elif key in INT_FIELDS:
            out[key] = normalise_int(value)
        else:
            out[key] = _plain_number(key, value)
    return out


def build_event(
    *,
    provider: str,
    event_id: int,
    time: str | None,
    record_id: int | None,
    source: Source,
    data: Mapping[str, Any] | Sequence[Any] = (),
    computer: str | None = None,
    level: int | None = None,
    channel: str | None = None,
    time_is_local: bool = False,
    message: str | None = None,
    local_time: str | None = None,
) -> Event:
    """The one place an `Event` is made, so every source normalises alike.

    ``time`` is normalised to UTC ``...Z`` (microseconds) when it carries a zone; a local-only
    time (``time_is_local``) is kept as given. ``local_time`` is the exporter's wall-clock time
    with its offset, when an export gives both."""
    canonical = canonical_provider(provider)
    named = name_data(canonical, event_id, data)
    if time is not None and not time_is_local:
        time = utc_iso(time) or time
    return Event(
        provider=canonical,
        event_id=event_id,
        time=time,
        record_id=record_id,
        computer=computer,
        level=level,
        role=role_of(named.get("Type")),
        data=named,
        channel=channel,
        time_is_local=time_is_local,
        message=message,
        sspi_process=sspi_process_of(message),
        local_time=local_time,
        source=source,
    )
