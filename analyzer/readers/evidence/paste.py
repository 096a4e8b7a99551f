"""Undo what pasting does to command output, line by line, keeping the original line numbers.

Customers paste into tickets and chats: markdown quotes (``> ``), the shell prompt with the
command, PowerShell ``VERBOSE:`` prefixes (localized), ``...`` elisions, binary junk and
megabyte-long lines. Every evidence reader starts from `clean_lines`, so each one copes with
the same damage in the same way and names the same line numbers in its warnings.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from analyzer.inputs.decode import DecodedText, decode_bytes, split_lines
from analyzer.inputs.files import InputFile
from analyzer.model import ReadResult

STREAM_HEAD_BYTES = 65536
STREAM_CHUNK_BYTES = 1024 * 1024
_BOM_LENGTH = {"utf-8": 3, "utf-16-le": 2, "utf-16-be": 2, "utf-32-le": 4, "utf-32-be": 4}
# A line longer than this is not command output: it is cut and reported.
MAX_LINE_CHARS = 4096
# Evidence files are small; anything larger is read up to this size and reported as truncated.
MAX_EVIDENCE_BYTES = 32 * 1024 * 1024

# PowerShell's Write-Verbose prefix in the languages Windows ships (data, not branches).
VERBOSE_PREFIXES: tuple[str, ...] = (
    "VERBOSE:",
    "AUSFÜHRLICH:",
    "COMMENTAIRES :",
    "COMMENTAIRES:",
    "DETALLADO:",
    "DETTAGLIATO:",
    "UITGEBREID:",
    "SZCZEGÓŁOWE:",
    "PODROBNĚ:",
    "DETALHADO:",
    "ПОДРОБНО:",
    "詳細:",
    "详细信息:",
)

_VERBOSE = re.compile(
    r"^\s*(?:" + "|".join(re.escape(p) for p in VERBOSE_PREFIXES) + r")", re.IGNORECASE
)
_QUOTE = re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+")
# `C:\Windows\system32>icacls ...`, `PS C:\> netsh ...`, `PS>`: a path cannot contain '>'.
_PROMPT = re.compile(r"^\s*(?:PS ?)?(?:[A-Za-z]:\\[^<>|\"*?\r\n]*)?>\s?(?P<command>.*)$")
_ELISION = re.compile(r"^\s*(?:\.\.\.+|…+|\[\.\.\.\]|\(\.\.\.\)|<snip>|\[snip\])\s*$", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Line:
    number: int  # 1-based line number in the file as given
    text: str  # without quote/verbose prefixes; indentation kept
    verbose: bool = False  # had a PowerShell VERBOSE prefix: may be a message, not output


@dataclass
class Cleaned:
    lines: list[Line]
    commands: list[str]  # commands seen on prompt lines, in order
    elisions: int = 0


def read_text(file: InputFile, result: ReadResult) -> DecodedText:
    """Decode an evidence file, bounded in size; records the encoding and any damage."""
    data = file.read_bytes(MAX_EVIDENCE_BYTES)
    if file.size > MAX_EVIDENCE_BYTES:
        result.warn(f"file is {file.size} bytes; only the first {MAX_EVIDENCE_BYTES} were read")
    decoded = decode_bytes(data)
    result.encoding = decoded.encoding
    if decoded.replaced:
        result.warn(
            f"some bytes are not valid {decoded.encoding} (wrong encoding or binary junk); "
            "they were replaced and the affected lines may be incomplete"
        )
    if (parts := decoded.parts_note()) is not None:
        result.note(*parts)
    return decoded


def strip_prefixes(text: str) -> str:
    """Remove markdown quote marks and a PowerShell verbose prefix from one line."""
    return _strip(text)[0]


def _strip(text: str) -> tuple[str, bool]:
    text = _QUOTE.sub("", text, count=1)
    match = _VERBOSE.match(text)
    if match:
        return text[match.end() :].lstrip(" "), True
    return text, False


def unparsed(result: ReadResult, line: Line, what: str) -> None:
    """A line the format parser could not use: a warning, or only a note for a verbose message."""
    message = f"{what}, skipped: {line.text.strip()[:120]!r}"
    if line.verbose:
        result.note("PowerShell verbose message, " + message)
    else:
        result.warn(message, line=line.number)


def prompt_command(text: str) -> str | None:
    """The command of a shell prompt line, or None when the line is not a prompt."""
    if ">" not in text[:300]:
        return None
    match = _PROMPT.match(text)
    if not match:
        return None
    head = text[: match.start("command")]
    # An icacls line `C:\dir Everyone:(R)` has no '>' at all; a bare '>' is a quote we stripped.
    if not head.strip().endswith(">") or (
        not head.strip().startswith(("PS", "ps")) and ":\\" not in head
    ):
        return None
    return match.group("command").strip()


# Markdown marks around pasted evidence: code spans (any run of backticks), emphasis with `*`,
# and emphasis with `_` only where it cannot be part of a name (`60fd..._4be5...`, `\\_old`).
_MARKS = re.compile(r"`+|\*+|(?:(?<=\s)|^)_+(?=\S)|(?<=[^\s\\_])_+(?=\s|$|[.,;:!?)])")


def prose_parts(text: str, row_start: re.Pattern[str]) -> list[str]:
    """The pieces of a line of prose that may each be one row of evidence: the text between
    Markdown code and emphasis marks, each cut again where `` - `` joins two rows (the next row
    starting as ``row_start`` says). A line without marks or joins is returned whole."""
    if not ("`" in text or "*" in text or "_" in text or " - " in text):
        return [text]
    joined = re.compile(r"\s+-\s+(?=" + row_start.pattern + ")", row_start.flags)
    parts = []
    for piece in _MARKS.split(text):
        parts += [part.strip() for part in joined.split(piece) if part.strip()]
    return parts or [text]


def prose_lines(
    lines: list[Line], row_start: re.Pattern[str], row_of: Callable[[str], str | None]
) -> list[Line]:
    """``lines`` with every line of prose that holds rows replaced by those rows (same line
    number; ``row_of`` gives the row a piece holds, or None); a line holding none stays as it
    was, for the reader to report."""
    out: list[Line] = []
    for line in lines:
        parts = prose_parts(line.text, row_start)
        if len(parts) == 1 and parts[0] == line.text.strip():  # (indentation kept)
            out.append(line)
            continue
        rows = [Line(line.number, row, line.verbose) for row in map(row_of, parts) if row]
        out += rows or [line]
    return out


def clean_lines(text: str, result: ReadResult) -> Cleaned:
    """Lines ready for a format parser. Warns (with the line number) about cut or junk lines."""
    cleaned = Cleaned([], [])
    for number, raw in enumerate(split_lines(text), start=1):
        line = clean_line(number, raw, result, cleaned)
        if line is not None:
            cleaned.lines.append(line)
    return cleaned


def clean_line(number: int, raw: str, result: ReadResult, cleaned: Cleaned) -> Line | None:
    """One line without its paste damage; None for prompts, elisions and junk (recorded)."""
    if len(raw) > MAX_LINE_CHARS:
        result.warn(
            f"line is {len(raw)} characters long; only the first {MAX_LINE_CHARS} are read",
            line=number,
        )
        raw = raw[:MAX_LINE_CHARS]
    if _CONTROL.search(raw):
        junk = len(_CONTROL.findall(raw))
        if junk > max(4, len(raw) // 10):
            result.warn("binary junk in this line; skipped", line=number)
            return None
        raw = _CONTROL.sub("", raw)
    line, verbose = _strip(raw.replace("\ufeff", ""))
    command = prompt_command(line)
    if command is not None:
        cleaned.commands.append(command)
        return None
    if _ELISION.match(line):
        cleaned.elisions += 1
        result.warn("elision ('...') in the pasted output: lines are missing here", line=number)
        return None
    return Line(number, line.rstrip(), verbose)


def stream_lines(file: InputFile, result: ReadResult, cleaned: Cleaned) -> Iterator[Line]:
    """`clean_lines` for inputs too large to hold as one string (Process Monitor exports run to
    hundreds of megabytes): the encoding is decided from the head, the rest decoded in chunks."""
    head = decode_bytes(file.head(STREAM_HEAD_BYTES))
    result.encoding = head.encoding
    decoder = codecs.getincrementaldecoder(head.encoding)(errors="replace")
    pending = ""
    number = 0
    replaced = False
    with file.local.open("rb") as handle:
        if head.had_bom:
            handle.read(_BOM_LENGTH.get(head.encoding, 0))
        while True:
            chunk = handle.read(STREAM_CHUNK_BYTES)
            text = decoder.decode(chunk, final=not chunk)
            replaced = replaced or "\ufffd" in text
            pending += text
            # A CR at a chunk's end may be half of a CRLF: decide with the next chunk.
            hold = "\r" if chunk and pending.endswith("\r") else ""
            pending = pending[: len(pending) - len(hold)]
            *complete, pending = pending.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            pending += hold
            if len(pending) > MAX_LINE_CHARS * 4:  # a line that never ends: cut it here
                complete.append(pending)
                pending = ""
            for raw in complete:
                number += 1
                line = clean_line(number, raw, result, cleaned)
                if line is not None:
                    yield line
            if not chunk:
                break
    if pending:
        line = clean_line(number + 1, pending, result, cleaned)
        if line is not None:
            yield line
    if replaced:
        result.warn(f"some bytes are not valid {head.encoding}; they were replaced")


def sniff_lines(sample: DecodedText | None, limit: int = 400) -> list[str]:
    """The first lines of a sample, with paste prefixes removed, for content sniffers."""
    if sample is None:
        return []
    return list(_sniff_lines(sample, limit))


@functools.lru_cache(maxsize=8)
def _sniff_lines(sample: DecodedText, limit: int) -> tuple[str, ...]:
    # Every evidence sniffer looks at the same sample: clean its lines once per file.
    return tuple(strip_prefixes(line) for line in split_lines(sample.text[:200_000])[:limit])
