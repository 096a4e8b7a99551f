"""Which events matter, what their positional fields are called, and how an event is normalised.

Shared by every event source (binary `.evtx` through either engine, XML, text and CSV exports) so
that the same event gives the same `Event` whatever it came from. Kept as data: a new event is a
table row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from analyzer.model import Event, Source

SCHANNEL = "Schannel"
HTTP_EVENT = "Microsoft-Windows-HttpEvent"
EVENTLOG = "EventLog"
KERNEL_GENERAL = "Microsoft-Windows-Kernel-General"
CAPI2 = "Microsoft-Windows-CAPI2"
W3SVC = "Microsoft-Windows-IIS-W3SVC"
RDP_SERVICES = "Microsoft-Windows-TerminalServices-RemoteConnectionManager"

# Provider names as logs spell them -> canonical name. Classic providers log under a short
# "event source" name (HttpEvent logs as "HTTP" in EventSourceName, W3SVC as "W3SVC").
PROVIDER_ALIASES: dict[str, str] = {
    "schannel": SCHANNEL,
    "microsoft-windows-httpevent": HTTP_EVENT,
    "httpevent": HTTP_EVENT,
    "http": HTTP_EVENT,
    "eventlog": EVENTLOG,
    "microsoft-windows-eventlog": EVENTLOG,
    "microsoft-windows-kernel-general": KERNEL_GENERAL,
    "microsoft-windows-capi2": CAPI2,
    "microsoft-windows-iis-w3svc": W3SVC,
    "w3svc": W3SVC,
    "microsoft-windows-terminalservices-remoteconnectionmanager": RDP_SERVICES,
    "termservice": RDP_SERVICES,
}

# Wanted (provider, event id). Provider and id together, never the id alone.
WANTED: dict[str, frozenset[int]] = {
    SCHANNEL: frozenset(range(36867, 36890)) | {36912},
    HTTP_EVENT: frozenset({15021, 15300, 15301, 15302}),
    W3SVC: frozenset({1004, 1007, 1008, 1175}),
    CAPI2: frozenset({70}),
    RDP_SERVICES: frozenset({1057, 1058}),
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
# manifests listed in docs/schannel-events.md. Binary blobs are not `<Data>` values.
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
    (SCHANNEL, 36884): ("Name",),
    (SCHANNEL, 36887): ("AlertDesc",),
    (SCHANNEL, 36888): ("AlertDesc", "ErrorState", "TargetName"),
    (SCHANNEL, 36889): ("Type", "ErrorCode"),
    (SCHANNEL, 36912): ("Path",),
    (HTTP_EVENT, 15021): ("DeviceObject", "Endpoint"),
    (HTTP_EVENT, 15300): ("DeviceObject", "Endpoint"),
    (HTTP_EVENT, 15301): ("DeviceObject", "Endpoint"),
    (HTTP_EVENT, 15302): ("DeviceObject", "Endpoint"),
    (EVENTLOG, 6009): ("MajorVersion", "BuildNumber", "CSDVersion", "Uniprocessor"),
    (W3SVC, 1004): ("UrlPrefix", "SiteId"),
    (W3SVC, 1007): ("UrlPrefix", "SiteId"),
}

# Fields whose values are HRESULT-like codes: normalised to lowercase 0x%08x.
HEX_FIELDS = frozenset({"ErrorCode", "CertFlags", "KeyFlags", "CipherSuite"})
# Fields whose values are integers.
INT_FIELDS = frozenset(
    {
        "ErrorStatus",
        "ErrorState",
        "AlertDesc",
        "CSPType",
        "KeyType",
        "ExchangeStrength",
        "ProcessID",
        "Version",
    }
)

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


def canonical_provider(name: str) -> str:
    return PROVIDER_ALIASES.get(name.strip().lower(), name.strip())


def is_wanted(provider: str, event_id: int) -> bool:
    return event_id in WANTED.get(canonical_provider(provider), frozenset())


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


def role_of(type_value: Any) -> str | None:
    if not isinstance(type_value, str):
        return None
    return ROLE_WORDS.get(type_value.strip().lower())


def name_data(
    provider: str, event_id: int, data: Mapping[str, Any] | Sequence[Any]
) -> dict[str, Any]:
    """Give positional values their manifest names (else ``param1``..``paramN``) and normalise
    hex and integer fields. Named data keeps its names."""
    if isinstance(data, Mapping):
        named = dict(data)
    else:
        names = POSITIONAL_NAMES.get((canonical_provider(provider), event_id), ())
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
            out[key] = value
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
) -> Event:
    """The one place an `Event` is made, so every source normalises alike."""
    canonical = canonical_provider(provider)
    named = name_data(canonical, event_id, data)
    sspi = None
    if message:
        marker = "SSPI client process is "
        at = message.find(marker)
        if at >= 0:
            sspi = message[at + len(marker) :].split("\n", 1)[0].strip().rstrip(".")
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
        sspi_process=sspi,
        source=source,
    )
