"""The line classifier: one cleaned line in, one terminal of the grammar out.

Terminals (see grammars/certutil.lark): SEPARATOR (`==== Certificate N ====` in any language, or
`Element N:` inside a `-dump` nesting level), HEADER (`my "Personal"`), COMMAND (an echoed
certutil command line), CLOSING / FAILED / CUMSG (`CertUtil: ...` lines), PROP (`*_PROP_ID(n):`),
EXT (`<OID>: Flags = ...`), FIELD (an X509 label the reader uses), KEYFIELD (a key label),
STATUS (a status line), SDDL, ELISION (`...`), FRAMED (other `=`/`-` framed lines), LABEL (any
other `label: value` line), BLANK and OTHER (values, RDNs, hex rows).

Labels come from the language tables in `labels.py`. When a wrong code page garbled a label
(`Schl�sselcontainer`), its ASCII skeleton (`schl?sselcontainer`) still finds it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.readers.certutil.labels import (
    CERTIFICATE_WORDS,
    FIELD_LABELS,
    KEY_LABELS,
    OTHER_SHA1_LABELS,
    STATUS_LINES,
)


@dataclass(slots=True)
class Line:
    """A classified line: ``kind`` is the grammar terminal, ``sub`` what exactly it is."""

    kind: str
    sub: str | None
    text: str
    value: str
    lineno: int


def fold(text: str) -> str:
    """Case-fold, unify apostrophes and collapse spaces, for table lookups."""
    return " ".join(text.replace("\u2019", "'").casefold().split())


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def skeleton(text: str) -> str:
    """ASCII skeleton of a label: every run of non-ASCII characters (a letter, its U+FFFD or
    its mojibake) becomes one `?`, and so does an apostrophe."""
    # An apostrophe may have been a typographic one (n’est) that the code page lost too.
    return _NON_ASCII_RUN.sub("?", fold(text).replace("'", "\u2019"))


def _label_tables() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    exact: dict[str, tuple[str, str]] = {}
    skel: dict[str, set[tuple[str, str]]] = {}
    for token, tables in (("FIELD", FIELD_LABELS), ("KEYFIELD", KEY_LABELS)):
        for labels in tables.values():
            for kind, texts in labels.items():
                for text in texts:
                    exact[fold(text)] = (token, kind)
                    sk = skeleton(text)
                    if sk != fold(text) and sum(c.isalpha() for c in sk) >= 4:
                        skel.setdefault(sk, set()).add((token, kind))
    for text in OTHER_SHA1_LABELS:
        exact[fold(text)] = ("FIELD", "other_hash")
        sk = skeleton(text)
        if sk != fold(text) and sum(c.isalpha() for c in sk.replace("(sha1)", "")) >= 4:
            skel.setdefault(sk, set()).add(("FIELD", "other_hash"))
    # A skeleton shared by two different labels is ambiguous and not used.
    return exact, {k: next(iter(v)) for k, v in skel.items() if len(v) == 1}


_LABEL_EXACT, _LABEL_SKELETON = _label_tables()
# The labels as printed, for the common case of an undamaged line.
_LABEL_RAW = {
    text: _LABEL_EXACT[fold(text)]
    for tables in (FIELD_LABELS, KEY_LABELS)
    for labels in tables.values()
    for texts in labels.values()
    for text in texts
}


def _status_tables() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    exact: list[tuple[str, str]] = []
    skel: list[tuple[str, str]] = []
    for labels in STATUS_LINES.values():
        for kind, texts in labels.items():
            for text in texts:
                exact.append((fold(text.rstrip(".")), kind))
                sk = skeleton(text.rstrip("."))
                if sk != fold(text.rstrip(".")) and sum(c.isalpha() for c in sk) >= 6:
                    skel.append((sk, kind))
    # Longest first, so that "... NOT plain text exportable" wins over "... NOT exportable".
    exact.sort(key=lambda item: -len(item[0]))
    skel.sort(key=lambda item: -len(item[0]))
    return exact, skel


_STATUS_EXACT, _STATUS_SKELETON = _status_tables()
_STATUS_BY_PREFIX: dict[str, list[tuple[str, str]]] = {}
for _text, _kind in _STATUS_EXACT:
    _STATUS_BY_PREFIX.setdefault(_text[:4], []).append((_text, _kind))

_CERT_WORDS = {fold(w) for words in CERTIFICATE_WORDS.values() for w in words}

# Statuses that are X509 facts rather than key facts.
_FIELD_STATUSES = {"non_root", "signature_matches", "archived"}

_HEX_ROW = re.compile(r"[0-9a-fA-F]{4}\s+[0-9a-fA-F]{2}(\s|$)")
_FRAMED = re.compile(r"^([=\-]{5,})\s*(.*?)\s*[=\-]{5,}$")
_SEPARATOR_BODY = re.compile(r"^(.+?)\s+(\d+)$")
_ELEMENT = re.compile(r"^Element\s+(\d+)\s*:$", re.IGNORECASE)
_CERTUTIL = re.compile(r"^CertUtil\s*:\s*(.*)$", re.IGNORECASE)
_VERB = re.compile(r"^-(\w+)\b(.*)$")
_PROP = re.compile(r"^([A-Z0-9_]+_PROP_ID)\((\d+)\)")
_EXT = re.compile(r"^(\d+(?:\.\d+){2,}):\s*\S")
_COMMAND = re.compile(r"(?:^|[\s>\"'])certutil(?:\.exe)?\"?\s+-", re.IGNORECASE)
_PROMPT = re.compile(r"^(?:\*Evil-WinRM\*\s+)?PS\s+[A-Za-z]:\\[^>]*>|^[A-Za-z]:\\[^>]*>")
_SDDL = re.compile(r"^(?:O:\S+?)?(?:G:\S+?)?D:[A-Z]*\(")
_LABEL = re.compile(r"^([^:=：]{1,80}?)\s*([:=：])\s*(.*)$")
_PROVIDER_KEYSPEC = re.compile(r"^(.+?):\s*KeySpec\s*=\s*(\d+)\s*$", re.IGNORECASE)
_VARIANT_TEST = re.compile(r"^(\S+)\s+test\s+(skipped|passed|FAILED)\b(.*)$", re.IGNORECASE)
# `my "Personal"`, and `Remote Desktop "Remote Desktop"`: a store name may hold a few words.
_HEADER = re.compile(r"^([A-Za-z][\w.\-]{0,40}(?: [\w.\-]{1,40}){0,3})\s+\"([^\"]{0,80})\"$")
_PROVIDER_NAME = re.compile(
    r"(?:Key Storage|Cryptographic|Crypto(?:graphy)?) Provider(?: v\d[\d.]*)?$"
)
_KEY_FILE_NAME = re.compile(
    r"^[0-9a-fA-F]{32}_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_ELISIONS = {"...", "…", "--snip--", "[...]", "[…]", "<snip>", "[snip]", "_<hidden>_", "# ..."}


def _status(text: str) -> str | None:
    # Cheap test first: most lines share no 4-character start with any status line.
    if text[:4].casefold() in _STATUS_BY_PREFIX:
        folded = fold(text)
        for candidate, kind in _STATUS_BY_PREFIX.get(folded[:4], ()):
            if folded.startswith(candidate):
                return kind
    if not text.isascii():
        sk = skeleton(text)
        for candidate, kind in _STATUS_SKELETON:
            if sk.startswith(candidate):
                return kind
    return None


def _label_kind(label: str) -> tuple[str, str] | None:
    found = _LABEL_RAW.get(label)
    if found is not None:
        return found
    folded = fold(label)
    found = _LABEL_EXACT.get(folded)
    if found is None and not label.isascii():
        found = _LABEL_SKELETON.get(skeleton(label))
    return found


def _framed(text: str) -> Line | None:
    match = _FRAMED.match(text)
    if not match:
        return None
    body = match.group(2)
    sep = _SEPARATOR_BODY.match(body)
    if sep and match.group(1).startswith("="):
        word = fold(sep.group(1))
        # A known "Certificate" word, or one a wrong code page garbled (non-ASCII soup); never an
        # ASCII phrase such as "Begin Nesting Level 1".
        if word in _CERT_WORDS or (not word.isascii() and not re.search(r"[a-z]{3}", word)):
            return Line("SEPARATOR", sep.group(2), text, sep.group(2), 0)
    return Line("FRAMED", fold(body), text, body, 0)


def _safe_label(label: str, sep: str) -> bool:
    """Can no test of `_classify` that comes before its label match fire on an ASCII line
    ``label`` + ``sep`` + anything (``label`` as in the line, holding no separator), once
    `_plain_value` has ruled out the tests that read the value?"""
    if len(label) < 2 or label[0] in "=-.*" or label[0].isdigit():
        return False  # SDDL or prompt drive letter (a colon second), framed, elision, extension
    if len(label) >= 4 and all(c in "0123456789abcdefABCDEF" for c in label[:4]):
        return False  # a hex row
    if label.lower().startswith(("certutil", "element", "ps")) or "_PROP_ID" in label:
        return False
    words = label.split()
    if len(words) > 1 and words[1].lower().startswith("test"):
        return False  # `<variant> test passed`
    if sep == ":":  # a status line is looked for (when the line holds no "=")
        start = fold(label + ":")
        for candidate, _ in _STATUS_EXACT:
            if candidate.startswith(start) or start.startswith(candidate):
                return False
    return True


_SAFE_LABELS: dict[tuple[str, str], bool] = {}
_SAFE_LABELS_KEPT = 4096
_FIRST_SEPARATOR = re.compile(r"[:=]")


def classify(text: str) -> Line:
    """Classify one stripped, cleaned line. ``lineno`` is filled in by the caller.

    An ASCII `label: value` or `label = value` line (most lines unique to one certificate: its
    serial, hashes, key container, RDNs) takes a short way when nothing in its label or value
    can make an earlier test of `_classify` fire: the same result (tests/readers/
    test_certutil_classify.py compares the two ways)."""
    if text.isascii() and (found := _FIRST_SEPARATOR.search(text)) is not None:
        at = found.start()
        label, sep = text[:at], text[at]
        name = label.rstrip()
        if 0 < len(name) <= 80 and _plain_value(text, label):
            safe = _SAFE_LABELS.get((label, sep))
            if safe is None:
                safe = _safe_label(label, sep)
                if len(_SAFE_LABELS) < _SAFE_LABELS_KEPT:
                    _SAFE_LABELS[label, sep] = safe
            if safe:
                return _labelled(text, name, sep, text[at + 1 :])
    return _classify(text)


def _plain_value(text: str, label: str) -> bool:
    """Holds the line nothing that a test of `_classify` before its label match looks for
    anywhere in a line?"""
    if "certutil" in text or "CertUtil" in text or "CERTUTIL" in text:
        return False  # maybe an echoed command line
    if "KeySpec" in text and "=" in text:
        return False  # maybe `<provider>: KeySpec = N`
    # A one-word label runs into the value: "Version:" + " test passed" is a variant test.
    return len(label.split()) > 1 or _VARIANT_TEST.match(text) is None


def _classify(text: str) -> Line:
    if not text:
        return Line("BLANK", None, text, "", 0)
    first = text[0]
    if first in "0123456789abcdefABCDEF" and _HEX_ROW.match(text):
        return Line("OTHER", "hex", text, text, 0)
    if first in "=-":
        framed = _framed(text)
        if framed is not None:
            return framed
    if text in _ELISIONS or (first in ".…" and text.strip(".… ") == ""):
        return Line("ELISION", None, text, text, 0)
    if first in "Cc" and (cu := _CERTUTIL.match(text)):
        rest = cu.group(1)
        verb = _VERB.match(rest)
        if verb and "FAILED" in verb.group(2):
            return Line("FAILED", verb.group(1), text, verb.group(2), 0)
        if verb:
            return Line("CLOSING", verb.group(1), text, verb.group(2), 0)
        return Line("CUMSG", None, text, rest, 0)
    if "_PROP_ID(" in text and (prop := _PROP.match(text)):
        return Line("PROP", prop.group(2), text, prop.group(1), 0)
    if first.isdigit() and (ext := _EXT.match(text)):
        return Line("EXT", ext.group(1), text, text, 0)
    if ("certutil" in text or "CertUtil" in text or "CERTUTIL" in text) and _COMMAND.search(text):
        return Line("COMMAND", None, text, text, 0)
    if first in "OGD" and _SDDL.match(text):
        return Line("SDDL", None, text, text, 0)
    # Status lines start with a capital (or a CJK character) and never hold "=" (RDNs do).
    status = _status(text) if not (first.islower() or "=" in text) else None
    if status is not None:
        return Line("FIELD" if status in _FIELD_STATUSES else "STATUS", status, text, text, 0)
    variant = _VARIANT_TEST.match(text)
    if variant:
        outcome = variant.group(2).lower()
        return Line("STATUS", f"variant_{outcome}", text, variant.group(3), 0)
    if "=" in text and "KeySpec" in text and (pk := _PROVIDER_KEYSPEC.match(text)):
        return Line("KEYFIELD", "provider_keyspec", text, pk.group(2), 0)
    if (first in "P*" or text[1:2] == ":") and _PROMPT.match(text):
        return Line("LABEL", "prompt", text, text, 0)
    if first in "Ee" and _ELEMENT.match(text):
        return Line("LABEL", "element", text, text, 0)
    label = _LABEL.match(text)
    if label:
        return _labelled(text, label.group(1), label.group(2), label.group(3))
    if first.isalpha() and (header := _HEADER.match(text)):
        return Line("HEADER", header.group(1), text, header.group(2), 0)
    return Line("OTHER", None, text, text, 0)


def _labelled(text: str, name: str, sep: str, value: str) -> Line:
    """A `label: value` or `label = value` line that no earlier test claimed."""
    kind = _label_kind(name)
    value = value.strip()
    if kind is not None:
        return Line(kind[0], kind[1], text, value, 0)
    # Labels a wrong code page garbled beyond the tables: the values still say what they are.
    if sep == "=" and _PROVIDER_NAME.search(value):
        return Line("KEYFIELD", "provider", text, value, 0)
    if _KEY_FILE_NAME.match(value):
        return Line("KEYFIELD", "unique_container", text, value, 0)
    if sep != "=":
        if "(sha1)" in name.casefold().replace(" ", ""):
            return Line("FIELD", "sha1_hash", text, value, 0)
        return Line("LABEL", None, text, value, 0)
    return Line("OTHER", None, text, text, 0)
