"""Evidence helpers the rules share: certificate labels, the server-certificate candidates, dump
and event quotes, the 36870 facts, confidence steps."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.correlate import Correlation, is_server_capable
from analyzer.model import Certificate, Confidence, Event, Evidence, Key, Source

_CONFIDENCES = tuple(Confidence)  # strongest first


def lower_confidence(confidence: Confidence, steps: int = 1) -> Confidence:
    index = min(_CONFIDENCES.index(confidence) + steps, len(_CONFIDENCES) - 1)
    return _CONFIDENCES[index]


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
