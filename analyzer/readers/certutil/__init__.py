"""The certutil reader: saved `certutil [-v] [-user] -store` output (and `-repairstore`,
`-exportPFX`, `-dump`) in any encoding and UI language -> `Certificate` records.

Pipeline: decode (analyzer.inputs.decode) -> clean up lines (cleanup.py) -> classify each line
into one terminal (classify.py, with the language tables of labels.py) -> lark LALR over the
terminals (grammars/certutil.lark, parser.py) -> certificates (build.py, dates.py) and their
keys (keys.py).
"""

from __future__ import annotations

import re

from analyzer.errors import InputError
from analyzer.inputs.decode import decode_bytes
from analyzer.inputs.files import EMPTY_FILE, InputFile
from analyzer.model import ReadResult, Status
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.certutil.build import Builder
from analyzer.readers.certutil.classify import classify
from analyzer.readers.certutil.parser import classify_lines, parse_blocks
from analyzer.readers.records import CERTIFICATES

__all__ = ["parse_certutil", "read_certutil", "sniff_certutil", "sniff_text"]

KIND = "certutil"
# Messages kept per input: a damaged 100,000-line dump must not bury the report.
MAX_MESSAGES = 200
# A dump is read whole and its lines kept while it is parsed: about 10x its size in memory
# (bench/bench_full.py). A store dump of 1,000 certificates with -v is 9 MB in UTF-16, so the cap
# leaves room for about 7,000; a bigger file is refused with this size named (docs/certutil.md).
MAX_DUMP_BYTES = 64 * 1024 * 1024

_SEPARATOR = re.compile(r"={16}\s*\S+\s+\d+\s*={16}")
_CERT_HASH = re.compile(r"\(sha1\)\s*[:：]\s*[0-9a-fA-F]{2}[ ]?[0-9a-fA-F]{2}")
_PROP_ID = re.compile(r"\b[A-Z0-9_]+_PROP_ID\(\d+\)")
_CLOSING = re.compile(r"CertUtil\s*:\s*-[A-Za-z]+", re.IGNORECASE)
_EXTENSION = re.compile(r"^\s*\d+(?:\.\d+){2,}:\s*Flags\s*=\s*\d", re.MULTILINE)
_KEY_LINE = re.compile(r"^\s*(?:Key Container|Provider|KeySpec)\s*=\s*\S", re.MULTILINE)


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
    if _PROP_ID.search(text):
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
    lines, repairs, physical = classify_lines(text)
    for repair in repairs:
        result.warn(repair.text, repair.lineno)
    builder = Builder(lines, result)
    result.certificates = builder.run(parse_blocks(lines))
    if result.certificates and not builder.closing:
        result.warn(
            "the dump ends without certutil's closing line ('CertUtil: -store command completed'): "
            "it may be cut short",
            max(physical, 1),
        )
    if not result.certificates:
        if builder.closing:
            result.note("certutil listed no certificate")
        elif result.status is Status.OK:
            result.fail("no certificate block found")
    result.messages.sort(key=lambda m: m.source.line or 0)
    if len(result.messages) > MAX_MESSAGES:
        dropped = len(result.messages) - MAX_MESSAGES
        last = result.messages[MAX_MESSAGES - 1].source.line
        del result.messages[MAX_MESSAGES:]
        result.warn(f"{dropped} more messages after this line not shown", last)
    return result


def read_certutil(file: InputFile, options: ReadOptions) -> ReadResult:
    """Read one input file; a file that is not a certutil dump comes back `skipped`."""
    if file.size > MAX_DUMP_BYTES:
        raise InputError(
            f"{file.display}: {file.size:,} bytes is more than the {MAX_DUMP_BYTES // 2**20} MiB "
            "a certutil dump may have; not read (split the dump, e.g. one store or one "
            "certificate per file: certutil -v -store my <serial>)"
        )
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"{file.display}: cannot read: {exc.strerror or exc}") from exc
    decoded = decode_bytes(data)
    if sniff_text(decoded.text[:65536]) == 0:
        result = ReadResult(path=file.display, kind=KIND, encoding=decoded.encoding)
        result.skip(EMPTY_FILE if not data else "not a certutil dump")
        return result
    result = parse_certutil(decoded.text, file.display, decoded.encoding)
    if (parts := decoded.parts_note()) is not None:
        result.note(*parts)
    if decoded.replaced:  # e.g. UTF-16 cut at an odd byte, or a byte invalid in its code page
        first = decoded.text.find("\ufffd")
        line = decoded.text.count("\n", 0, first) + 1 if first >= 0 else None
        result.warn(f"some bytes are not valid {decoded.encoding}; they were replaced", line)
        result.messages.sort(key=lambda m: m.source.line or 0)
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
