"""Helpers the rules share: evidence quotes, key facts, references. Not a rule module."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.correlate import Correlation, is_server_capable
from analyzer.model import Certificate, Event, Evidence, Key, Source

CONFIDENCE_ORDER = ("high", "medium", "low")

SCHANNEL_PROVIDER = "Microsoft RSA SChannel Cryptographic Provider"
MACHINEKEYS = r"%ProgramData%\Microsoft\Crypto\RSA\MachineKeys"
CNG_KEYS = r"%ProgramData%\Microsoft\Crypto\Keys"

# Public Microsoft articles, by topic.
REFERENCES = {
    "0x80070520": "https://techcommunity.microsoft.com/t5/iis-support-blog/error-hresult-0x80070520-when-adding-ssl-binding-in-iis/ba-p/377281",
    "key-prov-info": "https://learn.microsoft.com/windows/win32/api/wincrypt/ns-wincrypt-crypt_key_prov_info",
    "keyspec-ksp": "https://learn.microsoft.com/troubleshoot/windows-server/certificates-and-public-key-infrastructure-pki/ca-certificate-renewal-fails-existing-key-pair",
    "certutil": "https://learn.microsoft.com/windows-server/administration/windows-commands/certutil",
    "certreq": "https://learn.microsoft.com/windows-server/administration/windows-commands/certreq_1",
    "machinekeys": "https://learn.microsoft.com/troubleshoot/windows-server/windows-security/default-permissions-machinekeys-folders",
    "key-storage": "https://learn.microsoft.com/windows/win32/seccng/key-storage-and-retrieval",
    "icacls": "https://learn.microsoft.com/windows-server/administration/windows-commands/icacls",
    "tls-registry": "https://learn.microsoft.com/windows-server/security/tls/tls-registry-settings",
    "netsh-http": "https://learn.microsoft.com/windows-server/networking/technologies/netsh/netsh-http",
}


def lower_confidence(confidence: str, steps: int = 1) -> str:
    index = min(CONFIDENCE_ORDER.index(confidence) + steps, len(CONFIDENCE_ORDER) - 1)
    return CONFIDENCE_ORDER[index]


def label(cert: Certificate) -> str:
    """How a certificate is named in titles: its subject (or thumbprint) and store."""
    container = cert.key.container if cert.key is not None else None
    name = cert.subject or cert.friendly_name or (container and f"key container {container}")
    where = f"certificate at {cert.source}"
    return f"{name or where} ({cert.thumbprint or 'no thumbprint in the dump'})"


def candidate_certificates(
    certificates: Iterable[Certificate], unidentified: bool = False
) -> list[Certificate]:
    """Machine-store certificates that could serve TLS, one per thumbprint, in dump order.
    ``unidentified``: also those whose block shows no thumbprint (a pasted fragment)."""
    seen: set[object] = set()
    out = []
    for cert in certificates:
        identity = cert.thumbprint or (unidentified and (cert.source.path, cert.source.line))
        if cert.user_store is True or not identity or identity in seen:
            continue
        if not is_server_capable(cert):
            continue
        seen.add(identity)
        out.append(cert)
    return out


def is_ksp(key: Key) -> bool:
    return key.provider_class == "ksp" or (key.provider_class is None and key.provider_type == 0)


def is_csp(key: Key) -> bool:
    if key.provider_class is not None:
        return key.provider_class == "csp"
    if key.provider_type is not None:
        return key.provider_type != 0
    return bool(key.provider) and "Cryptographic Provider" in (key.provider or "")


def key_folder(key: Key) -> str:
    return CNG_KEYS if is_ksp(key) else MACHINEKEYS


def key_file_path(key: Key) -> str | None:
    return f"{key_folder(key)}\\{key.key_file}" if key.key_file else None


def store_of(cert: Certificate) -> str:
    return cert.store or "my"


# --------------------------------------------------------------------------- evidence


def cert_evidence(
    cert: Certificate, text: str, quote: str | None = None, fact: str | None = None
) -> Evidence:
    """Evidence from a certificate block, citing the dump line of the key ``fact`` (``keyspec``,
    ``state``, ...) where the reader knows it, else the start of the block."""
    line = cert.key.lines.get(fact) if (fact and cert.key is not None) else None
    if line is None:
        return Evidence(text, cert.source, quote)
    return Evidence(text, Source(cert.source.path, line), quote)


def key_quotes(key: Key) -> list[str]:
    """The dump lines that describe a key, re-spelled the way certutil prints them."""
    lines = []
    if key.provider:
        lines.append(f"Provider = {key.provider}")
    if key.provider_type is not None:
        lines.append(f"ProviderType = {key.provider_type}")
    if key.keyspec is not None:
        symbol = {0: "XCN_AT_NONE", 1: "AT_KEYEXCHANGE", 2: "AT_SIGNATURE"}.get(key.keyspec, "")
        lines.append(f"KeySpec = {key.keyspec}" + (f" -- {symbol}" if symbol else ""))
    return lines


def test_quotes(key: Key) -> list[str]:
    words = {
        "encryption-passed": "Encryption test passed",
        "encryption-failed": "Encryption test FAILED",
        "signature-passed": "Signature test passed",
        "signature-failed": "Signature test FAILED",
        "cng-test-skipped": "... (RSA:CNG) test skipped",
        "private-key-verifies": "Private key verifies",
    }
    return [words.get(t, t) for t in key.tests]


def state_quote(key: Key) -> str | None:
    if key.error is not None:
        parts = [p for p in (key.error.code, key.error.name and f"({key.error.name})") if p]
        text = " ".join(parts)
        return f"{text} {key.error.text}".strip() if key.error.text else text
    return {
        "missing": "Missing stored keyset",
        "no-key-info": "No key provider information",
    }.get(key.state)


def event_evidence(events: Iterable[Event], limit: int = 3) -> tuple[Evidence, ...]:
    """The first few events quoted field by field, then one line counting the rest."""
    events = list(events)
    out = []
    for event in events[:limit]:
        fields = ", ".join(f"{k}={v}" for k, v in sorted(event.data.items()))
        out.append(
            Evidence(
                f"{event.provider} {event.event_id} at {event.time or 'unknown time'}"
                + (f" on {event.computer}" if event.computer else ""),
                event.source,
                fields or None,
            )
        )
    if len(events) > limit:
        out.append(
            Evidence(
                f"... and {len(events) - limit} more {events[0].provider} "
                f"{events[0].event_id} event(s)",
                Source(events[limit].source.path),
            )
        )
    return tuple(out)


def failure_facts(correlation: Correlation) -> tuple[tuple[Source, ...], tuple[Evidence, ...]]:
    """The 36870 events of the attempt: their sources and quoted evidence."""
    return (
        tuple(e.source for e in correlation.failures),
        event_evidence(correlation.failures),
    )


def has_unknown_credentials(correlation: Correlation) -> bool:
    """36870 with 0x8009030d (SEC_E_UNKNOWN_CREDENTIALS): the key-access failure."""
    return any(e.data.get("ErrorCode") == "0x8009030d" for e in correlation.failures)
