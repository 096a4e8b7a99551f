"""PowerShell certificate listings: `Get-ChildItem Cert:\\LocalMachine\\My | Format-List *` and the
tables of `Format-Table`/`Select-Object` (and the default `Get-ChildItem` view).

Property names are .NET names and never localized; dates are in the machine's culture. Such a
listing has no KeySpec and no key container: certificates read here carry what it shows
(thumbprint, subject, validity, EKU, `HasPrivateKey`) and are merged with a certutil dump of the
same thumbprint when the case has one (see `analyzer.certmerge`).
"""

from __future__ import annotations

import re

from analyzer.inputs.files import InputFile
from analyzer.model import Certificate, Key, ReadResult, Source
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import (
    Line,
    clean_lines,
    read_text,
    sniff_lines,
    unparsed,
)
from analyzer.readers.evidence.values import local_datetime, normalise_hash
from analyzer.readers.records import CERTIFICATES

KIND = "ps-certlist"
CANNOT_SHOW = (
    "a PowerShell listing shows no KeySpec, key container, provider or key-file permissions; "
    "`certutil -v -store my` shows them"
)

_PROP = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9]*)\s*:\s?(?P<value>.*)$")
_STORE_PATH = re.compile(
    r"Cert(?:ificate)?:{1,2}\\?(?P<loc>LocalMachine|CurrentUser)\\(?P<store>[A-Za-z ]+)", re.I
)
_OID = re.compile(r"\((\d+(?:\.\d+){3,})\)")
_DASHES = re.compile(r"-{3,}")
_TRUNCATED = ("...", "…")
PROVIDER_CLASS = {
    "rsacryptoserviceprovider": "csp",
    "dsacryptoserviceprovider": "csp",
    "rsacng": "ksp",
    "ecdsacng": "ksp",
    "dsacng": "ksp",
}


# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "pslist.no-thumbprint": "a certificate without a Thumbprint: skipped",
    "pslist.bad-thumbprint": (
        "a Thumbprint that is not 40 hex digits (cut by the table width?): not used"
    ),
    "pslist.eku-cut": "the EnhancedKeyUsageList is cut off ('...'): the EKU list may be incomplete",
    "pslist.line-not-read": "a line that is not `Name : Value`: skipped",
    "pslist.no-certificate": "no certificate with a Thumbprint in the PowerShell listing",
    "pslist.key-not-shown": "a PowerShell listing does not show the key's provider, KeySpec or ACL",
}


def _store_of(text: str) -> tuple[str | None, bool | None]:
    match = _STORE_PATH.search(text)
    if not match:
        return None, None
    return match.group("store").strip().lower(), match.group("loc").lower() == "currentuser"


def _list_items(value: str) -> tuple[str, ...]:
    inner = value.strip().removeprefix("{").removesuffix("}")
    return tuple(item.strip() for item in inner.split(",") if item.strip())


def _certificate(
    props: dict[str, str],
    lines: dict[str, int],
    store: tuple[str | None, bool | None],
    result: ReadResult,
) -> None:
    first = min(lines.values()) if lines else None
    raw = props.get("Thumbprint") or props.get("PSChildName")
    if raw is None:
        if props:
            result.warn(
                "certificate without a Thumbprint, skipped", line=first, code="pslist.no-thumbprint"
            )
        return
    thumbprint, valid = normalise_hash(raw)
    if not valid:
        result.warn(
            f"thumbprint {raw!r} is not 40 hex digits (cut by the table width?); "
            "this certificate is not used",
            line=lines.get("Thumbprint", first),
            code="pslist.bad-thumbprint",
        )
        return
    own_store = _store_of(props.get("PSParentPath", "") or props.get("PSPath", ""))
    store_name, user = own_store if own_store[0] else store
    eku_text = props.get("EnhancedKeyUsageList")
    eku = tuple(_OID.findall(eku_text)) if eku_text else ()
    if eku_text and eku_text.rstrip().endswith((*_TRUNCATED, "...}", "…}")):
        result.warn(
            "EnhancedKeyUsageList is cut off ('...'): the EKU list may be incomplete",
            line=lines.get("EnhancedKeyUsageList"),
            code="pslist.eku-cut",
        )
    dns = props.get("DnsNameList")
    has_key = props.get("HasPrivateKey", "").strip().casefold()
    key = None
    if has_key == "true":
        private = props.get("PrivateKey", "").rsplit(".", 1)[-1].strip().casefold()
        key = Key(
            provider_class=PROVIDER_CLASS.get(private),
            machine_keyset=None if user is None else not user,
        )
    not_before = props.get("NotBefore") or None
    not_after = props.get("NotAfter") or None
    result.certificates.append(
        Certificate(
            index=None,
            store=store_name,
            user_store=user,
            thumbprint=thumbprint,
            serial=(props.get("SerialNumber") or "").lower() or None,
            subject=props.get("Subject") or None,
            issuer=props.get("Issuer") or None,
            not_before=not_before,
            not_after=not_after,
            valid_from=local_datetime(not_before) if not_before else None,
            valid_to=local_datetime(not_after) if not_after else None,
            eku=eku or None,
            san=tuple(f"DNS Name={n}" for n in _list_items(dns) if not n.endswith(_TRUNCATED))
            if dns
            else None,
            friendly_name=props.get("FriendlyName") or None,
            archived=props.get("Archived", "").strip().casefold() == "true",
            key=key,
            source=Source(result.path, first),
        )
    )


def _read_format_list(
    lines: list[Line], store: tuple[str | None, bool | None], result: ReadResult
) -> None:
    """Records end at a blank line; where a paste lost the blank lines, a property seen twice
    starts the next record."""
    props: dict[str, str] = {}
    where: dict[str, int] = {}
    last: str | None = None
    for line in lines:
        text = line.text
        if not text.strip():
            if "Thumbprint" in props or "PSChildName" in props:
                _certificate(props, where, store, result)
                props, where, last = {}, {}, None
            continue
        match = _PROP.match(text.strip())
        if match is None and last is not None:
            props[last] += " " + text.strip()  # a long value wrapped onto the next line
            continue
        if match is None:
            unparsed(result, line, "not a `Name : Value` line", code="pslist.line-not-read")
            continue
        name = match.group("name")
        if name in props:
            _certificate(props, where, store, result)  # the next certificate starts
            props, where = {}, {}
        props[name], where[name], last = match.group("value").strip(), line.number, name
    _certificate(props, where, store, result)


def _columns(dash_line: str) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in _DASHES.finditer(dash_line)]
    return [
        (start, spans[i + 1][0] if i + 1 < len(spans) else 10_000)
        for i, (start, _) in enumerate(spans)
    ]


def _read_table(
    lines: list[Line], header_at: int, store: tuple[str | None, bool | None], result: ReadResult
) -> None:
    header, dashes = lines[header_at].text, lines[header_at + 1].text
    spans = _columns(dashes)
    names = [header[start:end].strip() for start, end in spans]
    for line in lines[header_at + 2 :]:
        if not line.text.strip():
            continue
        if _DASHES.fullmatch(line.text.strip().replace(" ", "")):
            continue
        cells = {
            name: line.text[start:end].strip()
            for name, (start, end) in zip(names, spans, strict=False)
        }
        if not any(cells.values()):
            continue
        if "Thumbprint" in cells and not normalise_hash(cells["Thumbprint"])[1]:
            token = line.text.split()[0] if line.text.split() else ""
            cells["Thumbprint"] = (
                token  # a column misaligned by a paste: the hash is the first token
            )
        where = {name: line.number for name in cells}
        _certificate(cells, where, store, result)


def read_ps_certlist(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    decoded = read_text(file, result)
    cleaned = clean_lines(decoded.text, result)
    store: tuple[str | None, bool | None] = (None, None)
    for text in [*cleaned.commands, *(line.text for line in cleaned.lines[:20])]:
        if _store_of(text)[0]:
            store = _store_of(text)
            break
    lines = [line for line in cleaned.lines if not line.text.strip().startswith("PSParentPath:")]
    header_at = next(
        (
            i
            for i in range(len(lines) - 1)
            if "Thumbprint" in lines[i].text
            and _DASHES.search(lines[i + 1].text)
            and not _PROP.match(lines[i].text.strip())
        ),
        None,
    )
    if header_at is not None:
        _read_table(lines, header_at, store, result)
    else:
        _read_format_list(lines, store, result)
    if not result.certificates:
        result.fail(
            "no certificate with a Thumbprint found in this PowerShell listing",
            code="pslist.no-certificate",
        )
    else:
        result.note(CANNOT_SHOW, code="pslist.key-not-shown")
    return result


def sniff_ps_certlist(sample: Sample) -> int:
    """A `Thumbprint` property plus PowerShell-only properties, or a table headed `Thumbprint`.
    (A certutil dump has `NotAfter:` lines too, but never `Thumbprint :` or `HasPrivateKey`.)"""
    lines = sniff_lines(sample.text, limit=300)
    table = any(
        line.split()[:1] == ["Thumbprint"]
        and i + 1 < len(lines)
        and _DASHES.match(lines[i + 1].strip())
        for i, line in enumerate(lines)
    )
    if table:
        return 85
    props = {m.group("name") for line in lines if (m := _PROP.match(line.strip()))}
    if "Thumbprint" not in props:
        return 0
    specific = props & {
        "HasPrivateKey",
        "PSParentPath",
        "PSPath",
        "EnhancedKeyUsageList",
        "DnsNameList",
    }
    return min(40 + 12 * len(specific), 90)


SPEC = register(
    ReaderSpec(
        KIND,
        sniff_ps_certlist,
        read_ps_certlist,
        "PowerShell Get-ChildItem Cert:\\ listing (Format-List * or a table)",
        records=(CERTIFICATES,),
    )
)
