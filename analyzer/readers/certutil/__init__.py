"""The certutil reader: saved `certutil [-v] [-user] -store` output (and `-repairstore`,
`-exportPFX`, `-dump`) in any encoding and UI language -> `Certificate` records.

Pipeline: decode (analyzer.inputs.decode) -> clean up lines (cleanup.py) -> classify each line
into one terminal (classify.py, with the language tables of labels.py) -> lark LALR over the
terminals (grammars/certutil.lark, parser.py) -> certificates (build.py, dates.py) and their
keys (keys.py).
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterator

from analyzer.errors import InputError
from analyzer.inputs.decode import decode_bytes, stream_decoding
from analyzer.inputs.files import EMPTY_FILE, InputFile
from analyzer.model import ReadResult
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.certutil.classify import classify
from analyzer.readers.certutil.stream import (
    MAX_PART_CHARS,
    PART_CHARS,
    PartTooLong,
    Sink,
    maybe_quoted,
    parts,
    read_parts,
)
from analyzer.readers.records import CERTIFICATES

__all__ = ["parse_certutil", "read_certutil", "sniff_certutil", "sniff_text"]

KIND = "certutil"
# Messages kept per input: a damaged 100,000-line dump must not bury the report.
MAX_MESSAGES = 200
# A dump is parsed a part at a time (stream.py), but `analyze` and the certificate table keep
# every certificate of it, and a dump in a legacy code page or with quoted lines is decoded
# whole: for those the cap holds (a store dump of 1,000 certificates with -v is 9 MB in UTF-16:
# room for about 7,000), and a bigger file is refused with this size named (docs/certutil.md).
# `certutil --json` streams the certificates out and reads a dump of any size.
MAX_DUMP_BYTES = 64 * 1024 * 1024
SNIFF_CHARS = 65536  # the text the kind is told from
PIECE_BYTES = 1 << 20  # bytes decoded at a time

_SEPARATOR = re.compile(r"={16}\s*\S+\s+\d+\s*={16}")
_CERT_HASH = re.compile(r"\(sha1\)\s*[:：]\s*[0-9a-fA-F]{2}[ ]?[0-9a-fA-F]{2}")
_PROP_ID = re.compile(r"\b[A-Z0-9_]+_PROP_ID\(\d+\)")
_CLOSING = re.compile(r"CertUtil\s*:\s*-[A-Za-z]+", re.IGNORECASE)
_EXTENSION = re.compile(r"^\s*\d+(?:\.\d+){2,}:\s*Flags\s*=\s*\d", re.MULTILINE)
_KEY_LINE = re.compile(r"^\s*(?:Key Container|Provider|KeySpec)\s*=\s*\S", re.MULTILINE)


# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "certutil.no-separator": "no certificate separator in the first part of the file: not a dump that can be read",
    "certutil.not-a-dump": "the file is not certutil output",
    "certutil.rewrapped": "lines re-wrapped by a mail or ticket system were joined again",
    "certutil.split-lines": "lines split before a known label were joined again",
    "certutil.truncated": "the dump ends without certutil's closing line: it may be cut short",
    "certutil.no-certificate-listed": "certutil listed no certificate (an empty store)",
    "certutil.no-certificate-block": (
        "no certificate block found in what looks like certutil output"
    ),
    "certutil.more-messages": "more messages than are listed per dump: the count of the rest",
    "certutil.elided": "lines elided by the author ('...'): what they hid is unknown",
    "certutil.command-error": (
        "a status or error line of certutil itself (e.g. a -repairstore failure)"
    ),
    "certutil.bad-thumbprint": "a Cert Hash(sha1) value that is not 40 hex digits",
    "certutil.thumbprint-from-property": (
        "the thumbprint was taken from CERT_SHA1_HASH_PROP_ID or an unknown label"
    ),
    "certutil.no-thumbprint": "a certificate without a Cert Hash(sha1) line: thumbprint unknown",
}


def sniff_text(text: str) -> int:
    """0..100 from structure: separators with a "Certificate N", `(sha1):` hashes, property ids,
    `CertUtil: -verb`, extension headers, key lines. Event exports, icacls and netsh have none."""
    score = 0
    for line in text.splitlines()[:400]:
        stripped = line.strip()
        separator = stripped.startswith("=") and _SEPARATOR.search(stripped)
        if separator and classify(stripped).kind == "SEPARATOR":
            score += 50
    if _CERT_HASH.search(text):
        score += 30
    if "_PROP_ID(" in text and _PROP_ID.search(text):  # the literal first: 2 ms less on 64 KB
        score += 30
    if _CLOSING.search(text):
        score += 30
    if _EXTENSION.search(text):
        score += 30
    if _KEY_LINE.search(text):
        score += 10
    return min(score, 100)


def sniff_certutil(sample: Sample) -> int:
    return sniff_text(sample.text.text) if sample.text is not None else 0


def parse_certutil(text: str, path: str, encoding: str | None = None) -> ReadResult:
    """Parse the text of one dump. Never raises for odd input: damage becomes warnings."""
    result = ReadResult(path=path, kind=KIND, encoding=encoding)
    read_parts(parts(_pieces(text), cut=not maybe_quoted(text)), result, None, MAX_MESSAGES)
    return result


def _pieces(text: str) -> Iterator[str]:
    for start in range(0, len(text), PART_CHARS):
        yield text[start : start + PART_CHARS]


class _Quoted(Exception):
    """The dump may carry a quoting prefix: it is read whole."""


class _Decoded:
    """A file decoded a block at a time, and what `DecodedText` would say of all of it."""

    def __init__(self, file: InputFile, codec: str, skip: int, whole_replaced: bool) -> None:
        self.file, self.codec, self.skip = file, codec, skip
        self.whole_replaced = whole_replaced  # any U+FFFD counts (BOM, UTF-16); else a cut end
        self.replaced_line: int | None = None  # line of the first U+FFFD
        self.ends_replaced = False
        self.any_replaced = False

    def pieces(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self.codec)(errors="replace")
        newlines = 0
        with self.file.local.open("rb") as fh:
            fh.seek(self.skip)
            while True:
                block = fh.read(PIECE_BYTES)
                text = decoder.decode(block, final=not block)
                if maybe_quoted(text):
                    raise _Quoted
                if self.replaced_line is None and "\ufffd" in text:
                    self.any_replaced = True
                    self.replaced_line = newlines + text.count("\n", 0, text.find("\ufffd")) + 1
                newlines += text.count("\n")
                if text:
                    self.ends_replaced = text.endswith("\ufffd")
                    yield text
                if not block:
                    return

    @property
    def replaced(self) -> bool:
        return self.any_replaced if self.whole_replaced else self.ends_replaced


def _with_head(pieces: Iterator[str]) -> tuple[str, Iterator[str]]:
    """The first SNIFF_CHARS characters (or all, when fewer), and every piece again."""
    seen: list[str] = []
    size = 0
    for piece in pieces:
        seen.append(piece)
        size += len(piece)
        if size >= SNIFF_CHARS:
            break
    head = "".join(seen)
    return head[:SNIFF_CHARS], itertools.chain([head], pieces)


def _too_large(file: InputFile, why: str = "") -> InputError:
    return InputError(
        f"{file.display}: {file.size:,} bytes is more than the {MAX_DUMP_BYTES // 2**20} MiB "
        f"a certutil dump may have{why}; not read (split the dump, e.g. one store or one "
        "certificate per file: certutil -v -store my <serial>)",
        code="input.too-large",
    )


def read_certutil(file: InputFile, options: ReadOptions) -> ReadResult:
    """Read one input file; a file that is not a certutil dump comes back `skipped`. With
    ``options.certificates`` the certificates go there, in batches, once the file is read, and
    the file is read a part at a time whatever its size (stream.py) when its encoding allows."""
    sink = options.certificates
    if sink is None and file.size > MAX_DUMP_BYTES:
        raise _too_large(file)
    try:
        with file.local.open("rb") as fh:
            decoding = stream_decoding(fh, file.size) if file.size else None
        if decoding is not None:
            try:
                return _read_decoded(file, decoding, sink)
            except _Quoted:
                pass
    except OSError as exc:
        raise InputError(
            f"{file.display}: cannot read: {exc.strerror or exc}", code="input.unreadable"
        ) from exc
    except PartTooLong:
        raise InputError(
            f"{file.display}: no certificate separator in {MAX_PART_CHARS // 2**20} M "
            "characters: not a certutil dump that can be read",
            code="certutil.no-separator",
        ) from None
    if file.size > MAX_DUMP_BYTES:  # read whole: its encoding, or its quoting, needs all of it
        raise _too_large(file, " when read whole (a legacy code page, or quoted lines)")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{file.display}: cannot read: {exc.strerror or exc}", code="input.unreadable"
        ) from exc
    decoded = decode_bytes(data)
    if sniff_text(decoded.text[:SNIFF_CHARS]) == 0:
        result = ReadResult(path=file.display, kind=KIND, encoding=decoded.encoding)
        result.skip(
            EMPTY_FILE if not data else "not a certutil dump",
            code="input.empty" if not data else "certutil.not-a-dump",
        )
        return result
    del data
    result = ReadResult(path=file.display, kind=KIND, encoding=decoded.encoding)
    text = decoded.text
    read_parts(parts(_pieces(text), not maybe_quoted(text)), result, sink, MAX_MESSAGES)
    if (note := decoded.parts_note()) is not None:
        result.note(*note, code="input.two-encodings")
    if decoded.replaced:  # e.g. UTF-16 cut at an odd byte, or a byte invalid in its code page
        first = decoded.text.find("\ufffd")
        line = decoded.text.count("\n", 0, first) + 1 if first >= 0 else None
        _replaced(result, decoded.encoding, line)
    return result


def _replaced(result: ReadResult, encoding: str, line: int | None) -> None:
    result.warn(
        f"some bytes are not valid {encoding}; they were replaced", line, code="input.bad-bytes"
    )
    result.messages.sort(key=lambda m: m.source.line or 0)


def _read_decoded(file: InputFile, decoding: tuple[str, str, int], sink: Sink | None) -> ReadResult:
    codec, encoding, skip = decoding
    decoded = _Decoded(file, codec, skip, whole_replaced=skip > 0 or codec != "utf-8")
    head, pieces = _with_head(decoded.pieces())
    result = ReadResult(path=file.display, kind=KIND, encoding=encoding)
    if sniff_text(head) == 0:
        result.skip("not a certutil dump", code="certutil.not-a-dump")
        return result
    # The certificates reach the sink only once the file is read: a crash before costs none.
    read_parts(parts(pieces), result, sink, MAX_MESSAGES)
    if decoded.replaced:
        _replaced(result, encoding, decoded.replaced_line)
    return result


register(
    ReaderSpec(
        kind=KIND,
        sniff=sniff_certutil,
        read=read_certutil,
        description="saved certutil -store / -repairstore / -exportPFX / -dump output",
        records=(CERTIFICATES,),
    )
)
