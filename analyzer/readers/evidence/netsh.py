"""`netsh http show sslcert`: the HTTP.sys SSL bindings, one `Binding` per endpoint.

Each binding is a block of ``    <label>    : <value>`` lines opened by its endpoint
(``IP:port``, ``Hostname:port`` or ``Central Certificate Store``). Labels are localized; the
table below holds the ones we know, and the values' shapes (an ``address:port``, 40 hex
digits, a ``{GUID}``) decide where a label is unknown. A certificate hash that is not 40 hex
digits (cut, elided, retyped) is kept with ``hash_valid=False`` and a warning, never matched.
"""

from __future__ import annotations

import re

from analyzer.inputs.files import InputFile
from analyzer.knowledge.wellknown import fold
from analyzer.model import Binding, ReadResult, Source
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import (
    clean_lines,
    prose_lines,
    prose_parts,
    read_text,
    sniff_lines,
)
from analyzer.readers.evidence.values import normalise_hash
from analyzer.readers.records import BINDINGS

KIND = "netsh-sslcert"

# Folded label -> field. English, German, French, Spanish (data, not branches).
LABELS: dict[str, str] = {
    "ip:port": "endpoint",
    "hostname:port": "endpoint",
    "central certificate store": "endpoint-ccs",
    "nom d'hote:port": "endpoint",
    "hostname:port ": "endpoint",
    "hostname:anschluss": "endpoint",
    "nombre de host:puerto": "endpoint",
    "ip:puerto": "endpoint",
    "zentraler zertifikatspeicher": "endpoint-ccs",
    "magasin de certificats central": "endpoint-ccs",
    "certificate hash": "hash",
    "zertifikathash": "hash",
    "hachage du certificat": "hash",
    "hash del certificado": "hash",
    "application id": "app_id",
    "anwendungs-id": "app_id",
    "id de l'application": "app_id",
    "id. de aplicacion": "app_id",
    "id de aplicacion": "app_id",
    "certificate store name": "store",
    "zertifikatspeichername": "store",
    "nom du magasin de certificats": "store",
    "nombre del almacen de certificados": "store",
}
# Netsh's own failure lines: 1312 after `add sslcert` means HTTP.sys did not take the new key.
ADD_FAILED = re.compile(
    r"\b(?:add|hinzuf\S*|ajout\S*)\b.*\b1312\b|\b1312\b.*(?:logon session|Anmeldesitzung|session)",
    re.I,
)

_FIELD = re.compile(
    r"^\s*(?P<label>\S.*?)\s+:\s?(?P<value>.*)$|^\s*(?P<label2>[^:]+?):\s+(?P<value2>.*)$"
)
_ENDPOINT_VALUE = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.*_-]+(?::[0-9A-Fa-f]+)*):\d{1,5}$")
_LABEL_START = re.compile(r"[^\s:][^:]{0,60}?\s:\s")  # "Certificate Hash : ": a field starts
_GUID = re.compile(
    r"^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$"
)


def looks_like_hash(value: str) -> bool:
    """A value that was meant as a certificate hash, even cut (``26c8...e9c8``), retyped with a
    letter (``O`` for ``0``) or with a stray character: mostly hex digits, 16 to 64 of them."""
    compact = re.sub(r"[\s:\u200e\u200f\ufeff]", "", value)
    if not 16 <= len(compact) <= 64:
        return False
    hex_digits = sum(c in "0123456789abcdefABCDEF" for c in compact)
    elided = "..." in compact or "\u2026" in compact
    return hex_digits >= 0.8 * len(compact) or (elided and hex_digits >= 8)


def _field_of(label: str, value: str) -> str | None:
    known = LABELS.get(fold(label))
    if known:
        return known
    folded = fold(label)
    # Labels in a language the table lacks: netsh prints "IP:<port>" / "Hostname:<port>" in
    # every language, and the values have shapes of their own.
    if ("port" in folded or ":" in folded) and _ENDPOINT_VALUE.match(value):
        return "endpoint"
    if ("hash" in folded or "hachage" in folded) and "ctl" not in folded:
        return "hash"
    if _GUID.match(value):
        return "app_id"
    if "ctl" not in folded and looks_like_hash(value):
        return "hash"
    if value.strip().casefold() in ("my", "webhosting"):
        return "store"
    if (
        "store" in folded or "speicher" in folded or "magasin" in folded or "almacen" in folded
    ) and "ctl" not in folded:
        return "store"
    return None


def read_netsh(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    decoded = read_text(file, result)
    cleaned = clean_lines(decoded.text, result)
    # netsh lines pasted into prose (code or emphasis marks, " - " joins) become lines.
    lines = prose_lines(
        cleaned.lines, _LABEL_START, lambda part: part if _is_field_line(part) else None
    )
    current: dict[str, str] | None = None
    start_line = 0
    hash_line = 0

    def close() -> None:
        if current is None:
            return
        raw_hash = current.get("hash")
        cert_hash, valid = normalise_hash(raw_hash) if raw_hash else (None, True)
        if raw_hash and not valid:
            result.warn(
                f"certificate hash {raw_hash!r} is not 40 hex digits (cut or retyped?); "
                "it is not matched to any certificate",
                line=hash_line,
            )
        if raw_hash is None:
            result.warn(f"binding {current['endpoint']} shows no certificate hash", line=start_line)
        store = current.get("store")
        result.bindings.append(
            Binding(
                endpoint=current["endpoint"],
                certificate_hash=cert_hash,
                store=None if store in (None, "", "(null)") else store,
                app_id=current.get("app_id"),
                origin="netsh",
                hash_valid=valid,
                source=Source(file.display, start_line),
            )
        )

    for line in lines:
        if ADD_FAILED.search(line.text):
            result.warn(
                "netsh reports error 1312 on adding a binding: HTTP.sys kept the old "
                "certificate or none, so the bindings below do not show the one the "
                "customer selected",
                line=line.number,
            )
            continue
        match = _FIELD.match(line.text)
        if not match:
            continue
        label = (match.group("label") or match.group("label2") or "").strip()
        value = (
            match.group("value") if match.group("label") else match.group("value2") or ""
        ).strip()
        name = _field_of(label, value)
        if name in ("endpoint", "endpoint-ccs"):
            close()
            endpoint = value if name == "endpoint" else f"ccs:{value}"
            current, start_line = {"endpoint": endpoint}, line.number
        elif name and current is not None:
            current.setdefault(name, value)
            if name == "hash":
                hash_line = line.number
    close()
    if not result.bindings:
        failed_add = any("error 1312" in m.text for m in result.messages)
        if (
            failed_add
            or any("sslcert" in c.casefold() for c in cleaned.commands)
            or _is_netsh(decoded.text)
        ):
            result.note("netsh shows no SSL certificate bindings")
        else:
            result.fail("no `netsh http show sslcert` bindings found")
    return result


def _is_field_line(text: str) -> bool:
    match = _FIELD.match(text)
    if not match:
        return False
    label = (match.group("label") or match.group("label2") or "").strip()
    value = (match.group("value") if match.group("label") else match.group("value2") or "").strip()
    return _field_of(label, value) is not None


def _is_netsh(text: str) -> bool:
    head = fold(text[:4000])
    return any(
        k in head
        for k in (
            "ssl certificate bindings",
            "ssl-zertifikatbindungen",
            "liaisons de certificat",
            "enlaces de certificado ssl",
        )
    )


def sniff_netsh(sample: Sample) -> int:
    """Endpoint lines make a netsh listing; a hash line alone could be a certutil dump."""
    endpoints = 0
    known_hash = False
    lines = sniff_lines(sample.text, limit=300)
    for line in (part for text in lines for part in prose_parts(text, _LABEL_START)):
        match = _FIELD.match(line)
        if not match:
            continue
        label = (match.group("label") or match.group("label2") or "").strip()
        value = (
            match.group("value") if match.group("label") else match.group("value2") or ""
        ).strip()
        name = _field_of(label, value)
        endpoints += name in ("endpoint", "endpoint-ccs")
        known_hash = known_hash or LABELS.get(fold(label)) == "hash"
    header = bool(sample.text) and _is_netsh(sample.text.text if sample.text else "")
    if not endpoints:
        failed_add = bool(sample.text) and bool(
            ADD_FAILED.search(sample.text.text[:20000] if sample.text else "")
        )
        return 60 if header or failed_add else 0
    return min(50 + 15 * min(endpoints, 2) + 10 * known_hash + 20 * header, 95)


SPEC = register(
    ReaderSpec(
        KIND,
        sniff_netsh,
        read_netsh,
        "netsh http show sslcert (HTTP.sys bindings)",
        records=(BINDINGS,),
    )
)
