"""IIS `applicationHost.config`: each site's `https` bindings as `Binding` records.

``<site name=...><bindings><binding protocol="https" bindingInformation="ip:port:host"
sslFlags="1" certificateHash="..." certificateStoreName="My" /></bindings></site>``. IIS 8 and
later write `certificateHash`/`certificateStoreName` when a certificate is picked in IIS Manager;
older files (and many real ones) do not, and then the certificate lives only in HTTP.sys.
Parsed with defusedxml (no entities, no DTDs, no network). A pasted, truncated file is not
well-formed XML: its `<binding .../>` elements are then read line by line, with a warning.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from analyzer.inputs.files import InputFile
from analyzer.model import Binding, ReadResult, Source
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import clean_lines, read_text
from analyzer.readers.evidence.values import normalise_hash
from analyzer.readers.records import BINDINGS

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

KIND = "iis-config"
ORIGIN = "applicationHost.config"
SNI_FLAG = 1
CCS_FLAG = 2

_SITE_OPEN = re.compile(r"<site\b[^>]*\bname=\"(?P<name>[^\"]*)\"", re.I)
_BINDING = re.compile(r"<binding\b(?P<attrs>[^>]*)/?>", re.I)
_ATTR = re.compile(r"(?P<name>[A-Za-z]+)\s*=\s*\"(?P<value>[^\"]*)\"")


# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "iisconfig.unknown-ssl-flag": "an sslFlags value holding an unknown flag name",
    "iisconfig.bad-hash": "a certificateHash that is not 40 hex digits: matched to no certificate",
    "iisconfig.declarations-refused": "the XML declares entities or a DTD: refused unread",
    "iisconfig.not-well-formed": "not well-formed XML: bindings read line by line",
    "iisconfig.no-https-binding": "no https binding in the configuration",
    "iisconfig.binding-without-hash": (
        "an https binding that names no certificate (IIS keeps it in HTTP.sys)"
    ),
}


def endpoint_of(binding_information: str, ssl_flags: int | None) -> str:
    """``*:443:www.contoso.com`` -> ``www.contoso.com:443`` (SNI); ``*:443:`` -> ``0.0.0.0:443``,
    the way `netsh http show sslcert` names the same binding."""
    address, _, rest = binding_information.rpartition(":")
    host = rest
    ip, _, port = address.rpartition(":")
    if not ip and not port:
        return binding_information
    if ssl_flags is not None and ssl_flags & CCS_FLAG:
        return f"ccs:{port}"
    if host and (ssl_flags is None or ssl_flags & SNI_FLAG):
        return f"{host}:{port}"
    if ip in ("*", ""):
        ip = "0.0.0.0"
    return f"{ip}:{port}"


# sslFlags is a flags enum: IIS writes a number, appcmd and scripts may write the names.
SSL_FLAG_NAMES = {
    "none": 0,
    "sni": 1,
    "centralcertstore": 2,
    "disablehttp2": 4,
    "disableocspstp": 8,
    "disablequic": 16,
    "disabletls13overtcp": 32,
    "disablelegacytls": 64,
}


def _flags(value: str | None, result: ReadResult, line: int | None) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        return int(value, 0)
    except ValueError:
        pass
    total = 0
    for name in value.replace("|", ",").split(","):
        flag = SSL_FLAG_NAMES.get(name.strip().casefold())
        if flag is None:
            result.warn(
                f"sslFlags {value!r}: {name.strip()!r} is not a known flag",
                line=line,
                code="iisconfig.unknown-ssl-flag",
            )
            return None
        total |= flag
    return total


def _binding(attrs: dict[str, str], site: str | None, result: ReadResult, line: int | None) -> None:
    if attrs.get("protocol", "").casefold() != "https":
        return
    info = attrs.get("bindingInformation", "")
    flags = _flags(attrs.get("sslFlags"), result, line)
    raw_hash = attrs.get("certificateHash")
    cert_hash, valid = normalise_hash(raw_hash) if raw_hash else (None, True)
    if raw_hash and not valid:
        result.warn(
            f"certificateHash {raw_hash!r} is not 40 hex digits; not matched to any certificate",
            line=line,
            code="iisconfig.bad-hash",
        )
    result.bindings.append(
        Binding(
            endpoint=endpoint_of(info, flags),
            certificate_hash=cert_hash,
            store=attrs.get("certificateStoreName") or None,
            site=site,
            ssl_flags=flags,
            origin=ORIGIN,
            hash_valid=valid,
            source=Source(result.path, line),
        )
    )


def _from_tree(root: Element, text: str, result: ReadResult) -> None:
    """Bindings in document order; each one's line is found after the previous one's, so that
    the same `bindingInformation` on two sites gets two different lines."""
    offset = 0
    for site in root.iter("site"):
        name = site.get("name")
        for binding in site.iter("binding"):
            info = binding.get("bindingInformation", "")
            found = text.find(f'bindingInformation="{info}"', offset)
            line = None
            if found >= 0:
                offset = found + 1
                line = text.count("\n", 0, found) + 1
            _binding(dict(binding.attrib), name, result, line)


def _line_by_line(text: str, result: ReadResult) -> None:
    cleaned = clean_lines(text, result)
    site: str | None = None
    for line in cleaned.lines:
        opened = _SITE_OPEN.search(line.text)
        if opened:
            site = opened.group("name")
        for match in _BINDING.finditer(line.text):
            attrs = {
                m.group("name"): m.group("value") for m in _ATTR.finditer(match.group("attrs"))
            }
            _binding(attrs, site, result, line.number)


def read_iis_config(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    text = read_text(file, result).text
    # defusedxml when a file is read, not when the registry asks the sniffer.
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(text)
    except DefusedXmlException as exc:
        result.fail(
            f"refused: the XML declares entities or a DTD ({type(exc).__name__})",
            code="iisconfig.declarations-refused",
        )
        return result
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        result.warn(
            f"not well-formed XML ({exc}); bindings read line by line",
            line=line,
            code="iisconfig.not-well-formed",
        )
        _line_by_line(text, result)
    else:
        _from_tree(root, text, result)
    if not result.bindings:
        result.note("no https binding in this configuration", code="iisconfig.no-https-binding")
    for binding in result.bindings:
        if binding.certificate_hash is None:
            result.note(
                f"https binding {binding.endpoint} (site {binding.site}) names no "
                "certificate: IIS keeps it only in HTTP.sys (`netsh http show sslcert`)",
                line=binding.source.line,
                code="iisconfig.binding-without-hash",
            )
    return result


def sniff_iis_config(sample: Sample) -> int:
    if sample.text is None:
        return 0
    head = sample.text.text[:65536]
    if "<configuration" in head and "system.applicationHost" in head:
        return 95
    if "<site " in head and "<binding " in head and "bindingInformation=" in head:
        return 70
    return 0


SPEC = register(
    ReaderSpec(
        KIND,
        sniff_iis_config,
        read_iis_config,
        "IIS applicationHost.config (sites and https bindings)",
        records=(BINDINGS,),
    )
)
