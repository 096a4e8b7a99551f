"""A dump read a part at a time: bounded memory whatever its size, the same records and
messages as reading it whole.

The text is cut only before a certificate separator line that no reading decision crosses: the
line before it is too short to have been re-wrapped (clean-up joins a wrapped line only to one of
at least 60 characters) and neither holds a dash that clean-up could join across the break; the
part before the cut is told that a separator follows (a bare store name before it is the store
header). Each part is cleaned, classified, parsed and built on its own (`Builder.feed`); what
needs the whole dump waits for the end: the day/month order of its dates (`Builder.dated`), the
store of a certificate given before the first separator (`Builder.preamble_record`), the cap on
messages. A dump whose lines may carry a quoting prefix (`% `, `> `: clean-up strips it when
most lines have it) is never cut.

The records of a file wait for the end of it (their dates), in memory for a caller that keeps
them, or, for a caller that takes them as they come (``ReadOptions.certificates``: the
`certtriage certutil --json` stream), in a private temporary file, in batches.
"""

from __future__ import annotations

import pickle
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from analyzer.gcpause import gc_paused
from analyzer.model import Certificate, ReadResult, Status
from analyzer.readers.certutil.build import Builder
from analyzer.readers.certutil.classify import classify
from analyzer.readers.certutil.cleanup import _TRANSLATE
from analyzer.readers.certutil.parser import classify_lines, parse_blocks

PART_CHARS = 1 << 20  # text parsed at a time: about 25,000 lines of a store dump
BATCH = 512  # records written to the spool, and handed to a sink, at a time
# A part grows past PART_CHARS only until the next separator it may be cut at: this much text
# without one is no dump a reader should hold whole (a log of one line, a hostile file).
MAX_PART_CHARS = 64 * 1024 * 1024

# A line that may carry a quoting prefix once clean-up has mapped its spaces (a superset of
# clean-up's own test: a match only costs the cuts). `(?m)^` would be tried at every character
# (60 ms on a 9 MB dump); a newline is found at C speed.
_QUOTED_FIRST = re.compile(r"[ \t\xa0\u202f\u2007\u200b\ufeff]*[%>]")
_QUOTED_LATER = re.compile(r"\n[ \t\xa0\u202f\u2007\u200b\ufeff]*[%>]")


def maybe_quoted(text: str) -> bool:
    """Does a line of ``text`` (its start counts as a line start) begin with `%` or `>`?"""
    if "%" not in text and ">" not in text:  # found at C speed: most blocks hold neither
        return False
    return _QUOTED_FIRST.match(text) is not None or _QUOTED_LATER.search(text) is not None


_FRAMED_LINE = re.compile(r"\n[ \t\xa0\u202f\u2007\u200b\ufeff]*=")
_WRAP_MIN_WIDTH = 60  # cleanup._WRAP_MIN_WIDTH: no shorter line is ever continued
_DASHES = ("\u2014", "\u2013")


class PartTooLong(Exception):
    """MAX_PART_CHARS of text without a separator the dump could be cut at."""


def _safe_cut(previous: str, line: str) -> bool:
    """May the dump be cut between ``previous`` and ``line`` (both without their "\\n")?"""
    if "\r" in previous.rstrip("\r") or "\r" in line.rstrip("\r"):
        return False  # a lone CR is a line break of its own
    if any(dash in previous or dash in line for dash in _DASHES):
        return False
    if len(previous) + previous.count("\t") >= _WRAP_MIN_WIDTH:
        return False
    stripped = line.translate(_TRANSLATE).strip()
    return (
        len(stripped) > 1
        and stripped[0] == "="
        and stripped[-1] == "="
        and classify(stripped).kind == "SEPARATOR"
    )


def _cut(text: str, start: int) -> int | None:
    """The offset of the first line at or after ``start`` the text may be cut before, when the
    text holds that whole line."""
    for found in _FRAMED_LINE.finditer(text, max(start - 1, 0)):
        begin = found.start() + 1
        end = text.find("\n", begin)
        if end < 0:
            return None
        previous = text[text.rfind("\n", 0, found.start()) + 1 : found.start()]
        if _safe_cut(previous, text[begin:end]):
            return begin
    return None


def parts(pieces: Iterable[str], cut: bool = True) -> Iterator[tuple[str, bool]]:
    """The dump's text from ``pieces`` (of any size) as parts of about PART_CHARS, each with
    whether a separator line follows it."""
    buffer = ""
    searched = PART_CHARS
    for piece in pieces:
        buffer += piece
        while cut and len(buffer) >= searched:
            at = _cut(buffer, searched)
            if at is None:
                if len(buffer) > MAX_PART_CHARS:
                    raise PartTooLong
                searched = max(PART_CHARS, buffer.rfind("\n"))
                break
            yield buffer[:at], True
            buffer = buffer[at:]
            searched = PART_CHARS
    yield buffer, False


class _Spool:
    """The records of one file until it is read whole: a list, or batches in a temporary file."""

    def __init__(self, on_disk: bool) -> None:
        self.kept: list[Certificate] = []
        self.file: IO[bytes] | None = tempfile.TemporaryFile() if on_disk else None  # noqa: SIM115

    def extend(self, records: list[Certificate]) -> None:
        self.kept.extend(records)
        if self.file is not None and len(self.kept) >= BATCH:
            pickle.dump(self.kept, self.file, protocol=pickle.HIGHEST_PROTOCOL)
            self.kept = []

    def batches(self) -> Iterator[list[Certificate]]:
        if self.file is not None:
            self.file.seek(0)
            while True:
                try:
                    yield pickle.load(self.file)  # only what this process wrote above
                except EOFError:
                    break
        yield self.kept

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


Sink = Callable[[list[Certificate]], None]


def read_parts(
    text_parts: Iterable[tuple[str, bool]],
    result: ReadResult,
    sink: Sink | None,
    max_messages: int,
) -> None:
    """Parse every part into ``result``: its messages (at most ``max_messages``, then one that
    counts the rest), and its certificates, dated, into ``result.certificates`` or, in batches,
    to ``sink``."""
    builder = Builder([], result)
    spool = _Spool(on_disk=sink is not None)
    first_line, pruned = 1, 0
    # A dump makes hundreds of thousands of small objects and no reference cycle.
    with gc_paused():
        try:
            for text, followed in text_parts:
                lines, repairs, physical = classify_lines(
                    text, first_line, "SEPARATOR" if followed else None
                )
                for repair in repairs:
                    result.warn(repair.text, repair.lineno, code=repair.code)
                spool.extend(builder.feed(lines, parse_blocks(lines)))
                first_line += physical
                if len(result.messages) > 4 * max_messages:
                    pruned += _keep_first(result, max_messages)
            preamble = builder.preamble_record()
            _closing_messages(result, builder, max(first_line - 1, 1))
            result.messages.sort(key=lambda m: m.source.line or 0)
            total = len(result.messages) + pruned
            if total > max_messages:
                last = result.messages[max_messages - 1].source.line
                del result.messages[max_messages:]
                result.warn(
                    f"{total - max_messages} more messages after this line not shown",
                    last,
                    code="certutil.more-messages",
                )
            first = [builder.dated(preamble)] if preamble is not None else []
            if sink is None:
                result.certificates = first + [
                    builder.dated(r) for batch in spool.batches() for r in batch
                ]
                return
            if first:
                sink(first)
            for batch in spool.batches():
                if batch:
                    sink([builder.dated(r) for r in batch])
        finally:
            spool.close()


def _keep_first(result: ReadResult, count: int) -> int:
    """Keep the first ``count`` messages in line order (a stable sort: the same ones the final
    cut keeps); return how many were dropped."""
    result.messages.sort(key=lambda m: m.source.line or 0)
    dropped = len(result.messages) - count
    del result.messages[count:]
    return dropped


def _closing_messages(result: ReadResult, builder: Builder, physical: int) -> None:
    recorded = builder.count
    if recorded and not builder.closing:
        result.warn(
            "the dump ends without certutil's closing line ('CertUtil: -store command completed'): "
            "it may be cut short",
            physical,
            code="certutil.truncated",
        )
    if not recorded:
        if builder.closing:
            result.note("certutil listed no certificate", code="certutil.no-certificate-listed")
        elif result.status is Status.OK:
            result.fail("no certificate block found", code="certutil.no-certificate-block")
