"""Blocks -> `Certificate` and `Key` records, plus the warnings a damaged dump deserves."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar

from analyzer.knowledge.hresults import find_code, lookup
from analyzer.model import Certificate, KeyFailure, ReadResult, Source
from analyzer.readers.certutil.classify import Line
from analyzer.readers.certutil.dates import DateOrder, iso_datetime
from analyzer.readers.certutil.keys import build_key, key_failure
from analyzer.readers.certutil.labels import (
    KEY_USAGE_BITS,
    OID_EKU,
    OID_KEY_USAGE,
    OID_SAN,
    OID_TEMPLATE,
    OID_TEMPLATE_NAME,
    STORE_VERBS,
)

_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_OID_IN_PARENS = re.compile(r"\((\d+(?:\.\d+)+)\)")
_LEADING_OID = re.compile(r"^(\d+(?:\.\d+){3,})\b")
_KU_HEX = re.compile(r"\(([0-9a-fA-F]{2}(?: [0-9a-fA-F]{2})?)\)\s*$")
_OID_SUFFIX = re.compile(r"\(\d+(?:\.\d+)+\)$")
_SAN_VALUE = re.compile(r"^[A-Za-z][A-Za-z0-9 ]{0,30}=\S")
_TEMPLATE_VALUE = re.compile(r"^Template=(.+?)(?:\((\d+(?:\.\d+)+)\))?$")
_FACT_KINDS = frozenset({"FIELD", "KEYFIELD", "PROP", "EXT", "STATUS"})
_VALUE_KINDS = frozenset({"OTHER", "LABEL", "CUMSG"})  # lines that may carry an error code
_KEYSPEC_SYMBOLS = {"AT_KEYEXCHANGE": 1, "AT_SIGNATURE": 2, "XCN_AT_NONE": 0, "AT_NONE": 0}


def _hex_id(value: str) -> str:
    return value.replace(" ", "").lower()


def _int(text: str, base: int = 10) -> int | None:
    match = re.match(r"\s*(?:0x)?([0-9a-fA-F]+)" if base == 16 else r"\s*(\d+)", text)
    return int(match.group(1), base) if match else None


class _CertFacts:
    """What one certificate block says, gathered in dump order."""

    def __init__(self, index: int | None, lineno: int, store: str | None, user: bool | None):
        self.index, self.lineno, self.store, self.user_store = index, lineno, store, user
        self.fields: dict[str, str] = {}
        self.key: dict[str, Any] = {}
        self.statuses: list[tuple[str, Line]] = []
        self.failures: list[KeyFailure] = []
        self.key_lines: dict[str, int] = {}  # key fact -> the dump line that states it
        self.sha1_candidates: list[str] = []
        self.prop_sha1: str | None = None
        self.verbose = False  # the X509 part with its extensions is shown (-v)
        self.key_usage: list[str] | None = None
        self.eku: list[str] = []
        self.san: list[str] = []
        self.friendly_name: str | None = None
        self.archived = False
        self.facts = 0  # lines that say something about a certificate

    def key_field(self, line: Line) -> None:
        self.facts += 1
        kind, value = line.sub or "", line.value
        self.key_lines.setdefault("keyspec" if kind == "provider_keyspec" else kind, line.lineno)
        if kind == "provider_keyspec":
            self.key.setdefault("keyspec", _int(value))
            self.key.setdefault("provider", line.text.split(":", 1)[0].strip())
            return
        if kind == "keyspec":
            number = _int(value)
            if number is None:
                number = next((v for k, v in _KEYSPEC_SYMBOLS.items() if k in value), None)
            self.key.setdefault("keyspec", number)
        elif kind == "provider_type":
            self.key.setdefault("provider_type", _int(value))
        elif kind == "flags":
            self.key.setdefault("flags", _int(value, 16))
        elif value:
            self.key.setdefault(kind, value)


class Builder:
    """Walks the blocks of one dump in order and produces its certificates. A dump may come in
    parts (stream.py: each part after the first starts at a certificate separator): `feed` each
    part's lines and blocks, then `preamble_record`, then `dated` on every record, once the
    day/month order of the whole dump is known."""

    def __init__(self, lines: list[Line], result: ReadResult):
        self.lines, self.result = lines, result
        self.store: str | None = None
        self.user_store: bool | None = None
        self.closing = False
        self.preamble = _CertFacts(None, 0, None, None)  # what comes before the first block
        self.current: _CertFacts | None = None  # the last certificate block seen
        self.order = DateOrder()
        self.count = 0  # certificates recorded
        self.first_fact: int | None = None  # the dump's first line stating a fact

    def feed(
        self, lines: list[Line], blocks: list[tuple[str, list[Any], list[int]]]
    ) -> list[Certificate]:
        """The certificates of one part (its lines and their blocks: parser.parse_blocks),
        undated (``valid_from``/``valid_to`` wait for the order of the whole dump: `dated`)."""
        self.lines = lines
        if self.first_fact is None:
            self.first_fact = next((ln.lineno for ln in lines if ln.kind in _FACT_KINDS), None)
        records = []
        for rule, template, starts in blocks:
            if rule == "certificate":
                self._certificate(template, starts)
                assert self.current is not None
                records.append(self._recorded(self.current))
            else:
                for item in template:
                    self._item(self.preamble, item, starts)
        return records

    def preamble_record(self) -> Certificate | None:
        """Facts before the first block (a -dump of one certificate has no separator) make a
        certificate of the dump's last store; call once every part has been fed."""
        if not self.preamble.facts:
            return None
        self.preamble.store, self.preamble.user_store = self.store, self.user_store
        return self._recorded(self.preamble)

    def dated(self, record: Certificate) -> Certificate:
        """``record`` with its ISO dates, in the day/month order of every date of the dump."""
        valid_from = iso_datetime(record.not_before, self.order)
        valid_to = iso_datetime(record.not_after, self.order)
        if valid_from is None and valid_to is None:
            return record
        return replace(record, valid_from=valid_from, valid_to=valid_to)

    def _recorded(self, cert: _CertFacts) -> Certificate:
        self.order.add(cert.fields.get("not_before", ""))
        self.order.add(cert.fields.get("not_after", ""))
        self.count += 1
        return self._record(cert)

    def _certificate(self, template: list[Any], starts: list[int]) -> None:
        head = self.lines[starts[template[0]]]  # the separator
        index = int(head.value) if head.value and head.value.isdigit() else None
        cert = _CertFacts(index, head.lineno, self.store, self.user_store)
        self.current = cert
        for item in template[1:]:
            self._item(cert, item, starts)

    def _item(self, cert: _CertFacts, item: Any, starts: list[int]) -> None:
        """One item of a block: a token (its number) or ``(rule, [token number, ...])``."""
        lines = self.lines
        if type(item) is not int:
            rule, children = item
            block: list[Any] = []
            for child in children:
                if type(child) is int:
                    block.extend(lines[starts[child] : starts[child + 1]])
                else:
                    block.append(child)
            self._rules[rule](self, cert, block)
            return
        # A run of lines at item level: most are values (OTHER, LABEL: hex rows, RDNs) that
        # only matter when they carry an error code; the rest go to _line.
        for line in lines[starts[item] : starts[item + 1]]:
            if line.kind not in _VALUE_KINDS:
                self._line(cert, line)
            elif cert.facts and "0x" in line.text:
                self._code_line(cert, line)

    def _line(self, cert: _CertFacts, line: Line) -> None:
        kind = line.kind
        if kind == "KEYFIELD":
            cert.key_field(line)
        elif kind == "STATUS":
            cert.facts += 1
            cert.statuses.append((line.sub or "", line))
        elif kind == "SDDL":
            cert.key.setdefault("acl_sddl", line.text)
            cert.key_lines.setdefault("acl_sddl", line.lineno)
        elif kind == "ELISION":
            self.result.warn(
                f"{line.text!r}: lines elided by the author; what they hid is unknown",
                line.lineno,
                code="certutil.elided",
            )
        elif kind == "HEADER":
            self.store = (line.sub or "").lower() or None
        elif kind == "COMMAND":
            verbs = {v.casefold() for v in re.findall(r"(?:^|[\s\"'])[-/](\w+)", line.text)}
            # `-service` names a service account's store: neither the machine's nor `-user`.
            store_command = bool(verbs & STORE_VERBS) and "service" not in verbs
            self.user_store = ("user" in verbs) if store_command else None
        elif kind == "CLOSING":
            self.closing = True

    def _code_line(self, cert: _CertFacts, line: Line) -> None:
        """A localized status line whose words are unknown still carries its error code."""
        code = find_code(line.text)
        known = lookup(code) if code else None
        if known is not None and known.category in ("key", "access"):
            cert.failures.append(key_failure(code))
            cert.key_lines.setdefault("error", line.lineno)
            cert.facts += 1

    def _field(self, cert: _CertFacts, children: list[Any]) -> None:
        head, values = children[0], children[1:]
        kind = head.sub or ""
        if kind in ("x509",):
            cert.verbose = True
            return
        if kind == "archived":
            cert.archived = True
            return
        if kind in ("root", "non_root", "signature_matches", "other_hash"):
            return
        cert.facts += 1
        value = head.value
        if not value and kind in ("issuer", "subject"):
            value = ", ".join(v.text for v in values if v.sub != "hex")
        if kind == "sha1_hash":
            cert.sha1_candidates.append(_hex_id(value))
        elif kind in ("serial", "cert_hash"):
            cert.fields.setdefault(kind, _hex_id(value))
            if kind == "cert_hash":
                cert.fields.setdefault("cert_hash_line", str(head.lineno))
        elif kind == "template":
            # "WebServer, Web Server" (name, display name) or "Template=WebServer(<OID>)".
            name = _OID_SUFFIX.sub("", value.split(",")[0]).strip()
            if name:
                cert.fields.setdefault("template", name)
        else:
            cert.fields.setdefault(kind, value)

    def _property(self, cert: _CertFacts, children: list[Any]) -> None:
        head, values = children[0], children[1:]
        cert.facts += 1
        first_value = next((v.text for v in values if v.kind == "OTHER"), None)
        if head.sub == "3" and first_value:
            cert.prop_sha1 = _hex_id(first_value)
        elif head.sub == "11" and first_value:
            cert.friendly_name = first_value
        for value in values:
            if value.kind == "KEYFIELD":
                cert.key_field(value)
            elif value.kind == "SDDL":
                cert.key.setdefault("acl_sddl", value.text)
                cert.key_lines.setdefault("acl_sddl", value.lineno)
            elif value.kind == "OTHER" and value.text.startswith("CRYPT_MACHINE_KEYSET"):
                cert.key.setdefault("machine_keyset_line", True)

    def _extension(self, cert: _CertFacts, children: list[Any]) -> None:
        head, values = children[0], [v.text for v in children[1:]]
        cert.verbose = True
        cert.facts += 1
        oid = head.sub
        if oid == OID_KEY_USAGE:
            for value in values:
                match = _KU_HEX.search(value)
                if match:
                    cert.key_usage = _key_usage(match.group(1))
        elif oid == OID_EKU:
            for value in values[1:]:
                found = _OID_IN_PARENS.findall(value) or _LEADING_OID.findall(value)
                cert.eku.extend(o for o in found if o not in cert.eku)
        elif oid == OID_SAN:
            cert.san.extend(v for v in values[1:] if _SAN_VALUE.match(v))
        elif oid in (OID_TEMPLATE, OID_TEMPLATE_NAME) and len(values) > 1:
            match = _TEMPLATE_VALUE.match(values[1])
            name = (match.group(1) if match else values[1]).strip()
            cert.fields.setdefault("template", name)

    def _failure(self, cert: _CertFacts, children: list[Any]) -> None:
        """`CertUtil: -verb command FAILED: 0x...` (+ its message line): a key error of the
        certificate the command worked on (the last one shown), or just a warning."""
        head = children[0]
        said = children[1].value if len(children) > 1 else None
        failure = key_failure(find_code(head.value), said)
        known = lookup(failure.code) if failure.code else None
        target = self.current
        if target is not None:
            self.closing = True
            target.facts += 1
        key_verb = (head.sub or "").casefold() in ("repairstore", "exportpfx")
        if target is not None and known is not None and known.category == "export":
            target.key.setdefault("exportable", False)  # a healthy key that may not be exported
            target.key_lines.setdefault("exportable", head.lineno)
        elif target is not None and (
            (known is not None and known.category in ("key", "access"))
            or (known is None and key_verb)
        ):
            target.failures.append(failure)
            target.key_lines.setdefault("error", head.lineno)
        else:
            tail = f": {said}" if said else ""
            self.result.warn(
                f"certutil -{head.sub}{head.value}{tail}",
                head.lineno,
                code="certutil.command-error",
            )

    def _record(self, cert: _CertFacts) -> Certificate:
        thumbprint = cert.fields.get("cert_hash")
        if thumbprint is not None and not _HEX40.match(thumbprint):
            self.result.warn(
                f"Cert Hash(sha1) value {thumbprint!r} is not 40 hex digits",
                int(cert.fields["cert_hash_line"]),
                code="certutil.bad-thumbprint",
            )
            thumbprint = None
        if thumbprint is None:
            fallback = [cert.prop_sha1, *reversed(cert.sha1_candidates)]
            thumbprint = next((h for h in fallback if h and _HEX40.match(h)), None)
            if thumbprint is not None:
                self.result.note(
                    f"thumbprint {thumbprint} taken from CERT_SHA1_HASH_PROP_ID or a hash line "
                    "whose label is not known (a wrong code page or an unknown language?)",
                    cert.lineno or None,
                    code="certutil.thumbprint-from-property",
                )
        if thumbprint is None and "cert_hash" not in cert.fields:
            what = "certificate" if cert.index is None else f"certificate {cert.index}"
            self.result.warn(
                f"{what} has no Cert Hash(sha1) line: thumbprint unknown",
                cert.lineno or self._first_fact_line(),
                code="certutil.no-thumbprint",
            )
        not_before, not_after = cert.fields.get("not_before"), cert.fields.get("not_after")
        verbose = cert.verbose
        return Certificate(
            index=cert.index,
            store=cert.store,
            user_store=cert.user_store,
            thumbprint=thumbprint,
            serial=cert.fields.get("serial") or None,
            subject=cert.fields.get("subject") or None,
            issuer=cert.fields.get("issuer") or None,
            not_before=not_before,
            not_after=not_after,
            valid_from=None,  # set by `dated` once the whole dump is read
            valid_to=None,
            key_usage=tuple(cert.key_usage or ()) if verbose else None,
            eku=tuple(cert.eku) if verbose else None,
            san=tuple(cert.san) if verbose else None,
            template=cert.fields.get("template"),
            friendly_name=cert.friendly_name,
            archived=cert.archived,
            key=build_key(cert.statuses, cert.failures, cert.key, cert.key_lines),
            source=Source(self.result.path, cert.lineno or self._first_fact_line()),
        )

    def _first_fact_line(self) -> int:
        return self.first_fact or 1

    # The grammar's rules below `certificate`, by name (one dict look-up per block).
    _rules: ClassVar[dict[str, Callable[[Builder, _CertFacts, list[Any]], None]]] = {
        "field": _field,
        "property": _property,
        "extension": _extension,
        "failure": _failure,
    }


def _key_usage(hex_text: str) -> list[str]:
    raw = bytes.fromhex(hex_text.replace(" ", ""))
    value = (raw[0] << 8) | (raw[1] if len(raw) > 1 else 0)
    return [name for bit, name in enumerate(KEY_USAGE_BITS) if value & (1 << (15 - bit))]
