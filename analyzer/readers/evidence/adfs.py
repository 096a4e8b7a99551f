"""AD FS's certificates: ``Get-AdfsCertificate``, ``Get-AdfsSslCertificate`` and the
``AutoCertificateRollover`` line of ``Get-AdfsProperties``, as PowerShell prints them.

- ``Get-AdfsCertificate`` ("Get-AdfsCertificate",
  https://learn.microsoft.com/powershell/module/adfs/get-adfscertificate): one object per
  configured certificate with ``Certificate`` (the X509Certificate2's text: ``[Subject]``,
  ``[Issuer]``, ``[Serial Number]``, ``[Not Before]``, ``[Not After]``, ``[Thumbprint]`` parts on
  indented lines), ``CertificateType`` (``Service-Communications``, ``Token-Decrypting``,
  ``Token-Signing``), ``IsPrimary``, ``StoreLocation``, ``StoreName`` and ``Thumbprint``: a list by
  default (more than four properties), a table when piped to Format-Table.
- ``Get-AdfsSslCertificate`` ("Get-AdfsSslCertificate",
  https://learn.microsoft.com/powershell/module/adfs/get-adfssslcertificate): ``HostName``,
  ``PortNumber``, ``CertificateHash`` per HTTP.sys binding AD FS made (``fs.contoso.com:443``,
  ``localhost:443``, ``fs.contoso.com:49443``): a table by default, a list with Format-List.
- ``Get-AdfsProperties``: only ``AutoCertificateRollover : True|False`` is read ("Obtain and
  configure TS and TD certificates for AD FS",
  https://learn.microsoft.com/windows-server/identity/ad-fs/operations/configure-ts-td-certs-ad-fs).

Pasted with the prompt, quoted, wrapped or cut: a cut thumbprint is kept as text and reported,
never guessed.
"""

from __future__ import annotations

import re

from analyzer.inputs.files import InputFile
from analyzer.model import (
    AdfsCertificate,
    AdfsProperty,
    AdfsSslCertificate,
    ReadResult,
    RecordType,
    Source,
)
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import clean_lines, read_text, sniff_lines
from analyzer.readers.evidence.pslisting import (
    MAX_OBJECTS,
    Limits,
    Listed,
    Warnings,
    bool_of,
    is_cut,
    list_objects,
    table_objects,
    warn_limits,
)
from analyzer.readers.evidence.values import normalise_hash

# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "adfs.none": "no AD FS certificate listing found",
    "adfs.bad-thumbprint": "a thumbprint that is not 40 hex digits (cut or retyped): kept as text",
    "adfs.unknown-type": "a CertificateType this reader does not know: kept as printed",
    "adfs.no-thumbprint": "a listed certificate without its thumbprint: skipped",
    "adfs.too-many": "more listed objects than are read: the rest of the file is not read",
    "adfs.too-long": "a value continued on more lines than are read: the rest of it is not read",
    "adfs.more-warnings": "more warnings of one kind than are listed: counted",
}

KIND = "adfs"
CERTIFICATE_PROPERTIES = frozenset(
    {"certificate", "certificatetype", "isprimary", "storelocation", "storename", "thumbprint"}
)
SSL_PROPERTIES = frozenset({"hostname", "portnumber", "certificatehash"})
# The CertificateType values Get-AdfsCertificate prints (Add-AdfsCertificate's and
# Set-AdfsCertificate's pages also name Token-Encryption, the AD FS 2.0 spelling).
CERTIFICATE_TYPES = (
    "Service-Communications",
    "Token-Decrypting",
    "Token-Signing",
    "Token-Encryption",
    "Infocard-Signing",
)
_ROLLOVER = re.compile(r"^\s*AutoCertificateRollover\s*:\s*(?P<value>\S+)\s*$", re.I)
_SNIFF_CERT = re.compile(r"^\s*CertificateType\s*:\s*(Service-Communications|Token-)", re.I)
_SNIFF_COMMAND = re.compile(r"Get-Adfs(?:Ssl)?Certificate|Get-AdfsProperties", re.I)

ADFS_CERTIFICATES = RecordType(
    AdfsCertificate,
    "adfs_certificates",
    "AD FS certificates",
    "the certificates AD FS is configured with, by role (Get-AdfsCertificate)",
)
ADFS_SSL_CERTIFICATES = RecordType(
    AdfsSslCertificate,
    "adfs_ssl_certificates",
    "AD FS SSL bindings",
    "the HTTP.sys bindings AD FS made for its host names and ports (Get-AdfsSslCertificate)",
)
ADFS_PROPERTIES = RecordType(
    AdfsProperty,
    "adfs_properties",
    "AD FS properties",
    "AutoCertificateRollover from Get-AdfsProperties",
)


def sniff_adfs(sample: Sample) -> int:
    lines = sniff_lines(sample.text)
    if any(_SNIFF_CERT.match(x) for x in lines) or any(_ROLLOVER.match(x) for x in lines):
        return 85
    # Words are collected only when the names occur at all: every input is sniffed.
    folded = "\n".join(lines).casefold()
    if "thumbprint" not in folded and "certificatehash" not in folded:
        return 0
    words = {w.casefold() for x in lines for w in re.findall(r"[A-Za-z]+", x)}
    if {"hostname", "portnumber", "certificatehash"} <= words:
        return 80
    if any(_SNIFF_COMMAND.search(x) for x in lines) and "thumbprint" in words:
        return 70
    return 0


def read_adfs(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    lines = clean_lines(read_text(file, result).text, result).lines
    warnings = Warnings(result)
    limits = Limits()
    certificates: list[AdfsCertificate] = []
    bindings: list[AdfsSslCertificate] = []
    properties: list[AdfsProperty] = []
    listed = [
        *list_objects(lines, CERTIFICATE_PROPERTIES, limits),
        *table_objects(
            lines, CERTIFICATE_PROPERTIES, frozenset({"certificatetype", "thumbprint"}), limits
        ),
    ]
    for item in sorted(listed, key=lambda x: x.line):
        if item.get("certificatetype") is None:
            continue
        record = _certificate(file, item, warnings)
        if record is not None:
            certificates.append(record)
    ssl = [
        *list_objects(lines, SSL_PROPERTIES, limits),
        *table_objects(lines, SSL_PROPERTIES, frozenset({"hostname", "certificatehash"}), limits),
    ]
    for item in sorted(ssl, key=lambda x: x.line):
        if item.get("certificatehash") is None or item.get("hostname") is None:
            continue
        bindings.append(_binding(file, item, warnings))
    warn_limits(
        warnings,
        [*listed, *ssl],
        limits,
        "objects",
        too_long="adfs.too-long",
        too_many="adfs.too-many",
        more="adfs.more-warnings",
    )
    for line in lines:
        if len(properties) >= MAX_OBJECTS:
            break
        if match := _ROLLOVER.match(line.text):
            properties.append(
                AdfsProperty(
                    "AutoCertificateRollover",
                    match.group("value"),
                    Source(file.display, line.number),
                )
            )
    result.store.put(AdfsCertificate, certificates)
    result.store.put(AdfsSslCertificate, bindings)
    result.store.put(AdfsProperty, properties)
    if not (certificates or bindings or properties):
        result.fail(
            "no AD FS certificate listing found (expected Get-AdfsCertificate, "
            "Get-AdfsSslCertificate or Get-AdfsProperties output)",
            code="adfs.none",
        )
    return result


def _subject(item: Listed) -> str | None:
    """The ``[Subject]`` part of the Certificate property's text."""
    value = item.values.get("certificate")
    if value is None:
        return None
    parts = [value.first, *value.more]
    for index, part in enumerate(parts):
        if part.strip().casefold() == "[subject]":
            following = [p.strip() for p in parts[index + 1 :] if p.strip()]
            if following and not following[0].startswith("["):
                return following[0]
    return None


def _certificate_thumbprint(item: Listed) -> str | None:
    """The ``[Thumbprint]`` part of the Certificate property, for a listing without Thumbprint."""
    value = item.values.get("certificate")
    if value is None:
        return None
    parts = [value.first, *value.more]
    for index, part in enumerate(parts):
        if part.strip().casefold() == "[thumbprint]":
            following = [p.strip() for p in parts[index + 1 :] if p.strip()]
            return following[0] if following else None
    return None


def _certificate(file: InputFile, item: Listed, result: Warnings) -> AdfsCertificate | None:
    kind = (item.get("certificatetype") or "").strip()
    known = next((t for t in CERTIFICATE_TYPES if t.casefold() == kind.casefold()), None)
    if known is None:
        result.warn(
            f"CertificateType {kind[:60]!r} is not one this reader knows; kept as printed",
            item.line_of("certificatetype"),
            code="adfs.unknown-type",
        )
    printed = item.get("thumbprint") or _certificate_thumbprint(item)
    if not printed:
        result.warn(
            f"a {kind[:60]!r} certificate listed without its thumbprint; skipped",
            item.line,
            code="adfs.no-thumbprint",
        )
        return None
    thumbprint, valid = normalise_hash(printed)
    if not valid:
        how = "cut by the table" if is_cut(printed) else "not 40 hex digits"
        result.warn(
            f"the {kind[:60]} thumbprint {printed[:60]!r} is {how}: kept as text"
            + (" (use Format-List)" if item.form == "table" else ""),
            item.line_of("thumbprint"),
            code="adfs.bad-thumbprint",
        )
    return AdfsCertificate(
        known or kind,
        thumbprint,
        valid,
        bool_of(item.get("isprimary")),
        (item.get("storelocation") or "").strip() or None,
        (item.get("storename") or "").strip() or None,
        _subject(item),
        Source(file.display, item.line),
    )


def _binding(file: InputFile, item: Listed, result: Warnings) -> AdfsSslCertificate:
    printed = item.get("certificatehash") or ""
    thumbprint, valid = normalise_hash(printed)
    if not valid:
        how = "cut by the table" if is_cut(printed) else "not 40 hex digits"
        result.warn(
            f"the CertificateHash {printed[:60]!r} is {how}: kept as text",
            item.line_of("certificatehash"),
            code="adfs.bad-thumbprint",
        )
    port_text = (item.get("portnumber") or "").strip()
    return AdfsSslCertificate(
        (item.get("hostname") or "").strip(),
        int(port_text) if port_text.isdigit() and len(port_text) <= 5 else None,
        thumbprint,
        valid,
        Source(file.display, item.line),
    )


SPEC = register(
    ReaderSpec(
        KIND,
        sniff_adfs,
        read_adfs,
        "AD FS certificates: Get-AdfsCertificate (list or table), Get-AdfsSslCertificate, "
        "AutoCertificateRollover of Get-AdfsProperties",
        records=(ADFS_CERTIFICATES, ADFS_SSL_CERTIFICATES, ADFS_PROPERTIES),
    )
)
