"""Exchange's certificates: ``Get-ExchangeCertificate`` as its Format-List and its default table.

- ``Get-ExchangeCertificate | Format-List`` ("Get-ExchangeCertificate",
  https://learn.microsoft.com/powershell/module/exchange/get-exchangecertificate): one object
  per certificate with, among others, ``CertificateDomains`` (``{mail.contoso.com,
  autodiscover.contoso.com}``, wrapped when long), ``HasPrivateKey``, ``NotAfter``, ``Services``
  (the services the certificate is enabled for: ``IMAP, POP, IIS, SMTP`` or ``None``),
  ``Status`` (``Valid``, ``Invalid``, ``RevocationCheckFailure``, ...), ``Subject``,
  ``Thumbprint``.
- The default table (``Thumbprint``, ``Services``, ``Subject``) shows Services as one letter
  per position of the AllowedServices enumeration, a dot where it is off (``IP.WS..``): IMAP,
  POP, UM, IIS, SMTP, Federation, UMCallRouter ("AllowedServices enumeration",
  https://learn.microsoft.com/previous-versions/office/exchange-server-api/ff319670(v=exchg.150)).
  The letters are read by their position, whatever the letter.

Pasted with the prompt, quoted, wrapped or cut: a cut thumbprint is kept as text and reported.
"""

from __future__ import annotations

import re

from analyzer.inputs.files import InputFile
from analyzer.model import ExchangeCertificate, ReadResult, RecordType, Source
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import clean_lines, read_text, sniff_lines
from analyzer.readers.evidence.pslisting import (
    Limits,
    Listed,
    Warnings,
    bool_of,
    braced_list,
    is_cut,
    list_objects,
    table_objects,
    warn_limits,
)
from analyzer.readers.evidence.values import normalise_hash

# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "exchange.none": "no Get-ExchangeCertificate listing found",
    "exchange.bad-thumbprint": "a thumbprint that is not 40 hex digits (cut or retyped): kept",
    "exchange.services-cut": "a Services or CertificateDomains value cut: what is missing is not known",
    "exchange.too-many": "more listed certificates than are read: the rest of the file is not read",
    "exchange.too-long": "a value continued on more lines than are read: the rest is not read",
    "exchange.more-warnings": "more warnings of one kind than are listed: counted",
}

KIND = "exchange-certs"
LIST_PROPERTIES = frozenset(
    {
        "accessrules",
        "certificatedomains",
        "hasprivatekey",
        "isselfsigned",
        "issuer",
        "notafter",
        "notbefore",
        "publickeysize",
        "rootcatype",
        "serialnumber",
        "services",
        "status",
        "subject",
        "thumbprint",
        "friendlyname",
        "identity",
        "privatekeyexportable",
    }
)
TABLE_PROPERTIES = frozenset({"thumbprint", "services", "subject"})
# The AllowedServices enumeration after None, in order: the table's letter positions.
SERVICE_POSITIONS = ("IMAP", "POP", "UM", "IIS", "SMTP", "FEDERATION", "UMCALLROUTER")
_LETTERS = re.compile(r"^[A-Za-z.]{5,7}$")

EXCHANGE_CERTIFICATES = RecordType(
    ExchangeCertificate,
    "exchange_certificates",
    "Exchange certificates",
    "the certificates Exchange lists and the services each is enabled for "
    "(Get-ExchangeCertificate)",
)


def sniff_exchange(sample: Sample) -> int:
    lines = sniff_lines(sample.text)
    names = {m.group(1).casefold() for x in lines if (m := re.match(r"^\s{0,4}([A-Za-z]+)\s*:", x))}
    if {"certificatedomains", "services", "thumbprint"} <= names:
        return 85
    if any("Get-ExchangeCertificate" in x for x in lines) and "thumbprint" in {
        w.casefold() for x in lines for w in x.split()
    }:
        return 80
    return 0


def read_exchange(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    lines = clean_lines(read_text(file, result).text, result).lines
    warnings = Warnings(result)
    limits = Limits()
    listed = [
        *list_objects(lines, LIST_PROPERTIES, limits),
        *table_objects(lines, TABLE_PROPERTIES, frozenset({"thumbprint", "services"}), limits),
    ]
    records = [
        record
        for item in sorted(listed, key=lambda x: x.line)
        if item.get("thumbprint") is not None
        and (record := _certificate(file, item, warnings)) is not None
    ]
    warn_limits(
        warnings,
        listed,
        limits,
        "certificates",
        too_long="exchange.too-long",
        too_many="exchange.too-many",
        more="exchange.more-warnings",
    )
    result.store.put(ExchangeCertificate, records)
    if not records:
        result.fail(
            "no Get-ExchangeCertificate listing found (expected its Format-List or its table)",
            code="exchange.none",
        )
    return result


def _services(item: Listed, result: Warnings) -> tuple[str, ...]:
    text = (item.get("services") or "").strip()
    if item.form == "table" and _LETTERS.match(text) and "," not in text:
        return tuple(
            SERVICE_POSITIONS[i] for i, c in enumerate(text[: len(SERVICE_POSITIONS)]) if c != "."
        )
    if is_cut(text):
        result.warn(
            f"Services {text[:60]!r} is cut: the services after it are not known",
            item.line_of("services"),
            code="exchange.services-cut",
        )
    items = braced_list(text)
    return tuple(s.upper() for s in items if s.casefold() != "none")


def _certificate(file: InputFile, item: Listed, result: Warnings) -> ExchangeCertificate | None:
    printed = item.get("thumbprint") or ""
    thumbprint, valid = normalise_hash(printed)
    if not valid:
        how = "cut by the table" if is_cut(printed) else "not 40 hex digits"
        result.warn(
            f"the thumbprint {printed[:60]!r} is {how}: kept as text"
            + (" (use Format-List)" if item.form == "table" else ""),
            item.line_of("thumbprint"),
            code="exchange.bad-thumbprint",
        )
    domains_text = item.get("certificatedomains")
    if is_cut(domains_text):
        result.warn(
            "CertificateDomains is cut: the domains after it are not known",
            item.line_of("certificatedomains"),
            code="exchange.services-cut",
        )
    return ExchangeCertificate(
        thumbprint,
        _services(item, result),
        valid,
        bool_of(item.get("hasprivatekey")),
        (item.get("status") or "").strip() or None,
        (item.get("notafter") or "").strip() or None,
        (item.get("subject") or "").strip() or None,
        tuple(d.casefold() for d in braced_list(domains_text)),
        item.form,
        Source(file.display, item.line),
    )


SPEC = register(
    ReaderSpec(
        KIND,
        sniff_exchange,
        read_exchange,
        "Exchange certificates: Get-ExchangeCertificate (Format-List, or its default table with "
        "the Services letters)",
        records=(EXCHANGE_CERTIFICATES,),
    )
)
