"""PowerShell's default views of objects, read for a known set of property names: Format-List
(``Name : value`` lines, long values wrapped onto indented lines, multi-line values such as an
X509Certificate2's ``[Subject]`` / ``[Issuer]`` parts) and Format-Table (a header of property
names, a line of dashes, one row per object; a cut cell ends with ``...``).

Shared by the AD FS and Exchange readers. Lines come from `paste.clean_lines` (prompts, quote
marks and verbose prefixes already removed, line numbers kept). Nothing here raises or prints.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from analyzer.model import ReadResult
from analyzer.readers.evidence.paste import Line

_LIST_LINE = re.compile(
    r"^(?P<indent>\s{0,4})(?P<name>[A-Za-z][A-Za-z0-9]*)\s*:(?:\s(?P<value>.*))?$"
)
_DASHES = re.compile(r"^[\s-]*-[\s-]*$")
CUT_MARKS = ("...", "…")
MAX_OBJECTS = 5000  # a listing of a server's certificates holds tens
MAX_CONTINUATION = 200  # lines of one multi-line value
MAX_WARNINGS = 50  # of one code per file: the rest are counted (`Warnings`)


@dataclass
class Value:
    """One property of a listed object: its first line, the lines it continues on, and where."""

    first: str
    more: list[str] = field(default_factory=list)
    line: int = 0
    dropped: int = 0  # continuation lines past MAX_CONTINUATION, not read

    @property
    def text(self) -> str:
        """The value on one line: a wrapped value joined back (without a space inside a word,
        with one after a comma, as Format-List breaks at the window's width)."""
        out = self.first.strip()
        for part in self.more:
            piece = part.strip()
            if not piece:
                continue
            out += (" " if out.endswith((",", ";")) or not out else "") + piece
        return out


@dataclass
class Limits:
    """What a listing held beyond what is read: objects past MAX_OBJECTS (the line of the first
    one not read), so that the reader can say so instead of dropping them silently."""

    objects_from_line: int | None = None


@dataclass
class Listed:
    """One object of a listing: its properties by folded name, and its first line."""

    values: dict[str, Value]
    line: int
    form: str  # "list" | "table"
    cut: set[str] = field(default_factory=set)  # table cells cut by the table ("...")

    def get(self, name: str) -> str | None:
        value = self.values.get(name.casefold())
        return value.text if value is not None else None

    def line_of(self, name: str) -> int:
        value = self.values.get(name.casefold())
        return value.line if value is not None else self.line


def list_objects(
    lines: Sequence[Line], names: frozenset[str], limits: Limits | None = None
) -> list[Listed]:
    """Format-List objects whose properties are among ``names`` (folded). An object starts at a
    property the current object already has; lines that are no property continue the last
    property (a wrapped or multi-line value), blank lines included. At most MAX_OBJECTS
    objects (``limits`` tells where the rest began) and MAX_CONTINUATION lines per value
    (`Value.dropped` counts the rest)."""
    out: list[Listed] = []
    current: Listed | None = None
    last: Value | None = None
    for line in lines:
        match = _LIST_LINE.match(line.text)
        name = match.group("name").casefold() if match else None
        if match and name in names:
            if current is None or name in current.values:
                if len(out) >= MAX_OBJECTS:
                    if limits is not None:
                        limits.objects_from_line = line.number
                    break
                current = Listed({}, line.number, "list")
                out.append(current)
            last = Value(match.group("value") or "", [], line.number)
            current.values[name] = last
        elif last is not None and current is not None:
            if not line.text.strip() and not last.more and not last.first.strip():
                continue
            if not line.text.strip() or line.text[:1].isspace():
                if len(last.more) < MAX_CONTINUATION:
                    last.more.append(line.text)
                elif line.text.strip():
                    last.dropped += 1
            elif line.text.strip() and not line.text[:1].isspace():
                last = None  # text at column 0 that is no property: the object's listing ended
    return out


def table_objects(
    lines: Sequence[Line],
    names: frozenset[str],
    required: frozenset[str],
    limits: Limits | None = None,
) -> list[Listed]:
    """Format-Table rows under a header naming only properties of ``names`` (at least those of
    ``required``) and a dash line; cells placed by the dashes. At most MAX_OBJECTS rows
    (``limits`` tells where the rest began)."""
    out: list[Listed] = []
    index = 0
    while index < len(lines) - 1:
        dashes_line = lines[index + 1].text
        if "-" not in dashes_line or not _DASHES.match(dashes_line):  # cheap test first
            index += 1
            continue
        header = lines[index].text
        words = [(m.group(0).casefold(), m.start()) for m in re.finditer(r"\S+", header)]
        folded = {w for w, _ in words}
        if not (words and required <= folded <= names):
            index += 1
            continue
        spans = [(m.start(), m.end()) for m in re.finditer(r"-+", dashes_line)]
        if len(spans) != len(words):
            index += 1
            continue
        index += 2
        while index < len(lines) and lines[index].text.strip():
            row = lines[index]
            if len(out) >= MAX_OBJECTS:
                if limits is not None and limits.objects_from_line is None:
                    limits.objects_from_line = row.number
                return out
            if _DASHES.match(row.text):
                break
            listed = Listed({}, row.number, "table")
            for position, ((name, _), (start, _)) in enumerate(zip(words, spans, strict=True)):
                end = spans[position + 1][0] if position + 1 < len(spans) else None
                cell = row.text[start:end] if end is not None else row.text[start:]
                text = cell.strip()
                if text.endswith(CUT_MARKS):
                    listed.cut.add(name)
                listed.values[name] = Value(text, [], row.number)
            out.append(listed)
            index += 1
    return out


class Warnings:
    """A reader's warnings, at most MAX_WARNINGS of each code per file; `close` says how many
    more there were (one line each code), so that a 100,000-row listing gives a readable list."""

    def __init__(self, result: ReadResult) -> None:
        self.result = result
        self.counts: dict[str, int] = {}

    def warn(self, text: str, line: int | None, *, code: str) -> None:
        count = self.counts.get(code, 0) + 1
        self.counts[code] = count
        if count <= MAX_WARNINGS:
            self.result.warn(text, line, code=code)

    def close(self, more_code: str) -> None:
        for code, count in sorted(self.counts.items()):
            if count > MAX_WARNINGS:
                self.result.warn(
                    f"{count - MAX_WARNINGS:,} more warnings like the above ({code}) not listed",
                    code=more_code,
                )


def warn_limits(
    warnings: Warnings,
    listed: Sequence[Listed],
    limits: Limits,
    what: str,
    *,
    too_long: str,
    too_many: str,
    more: str,
) -> None:
    """What the bounds left unread, once per listing: values cut after MAX_CONTINUATION lines,
    objects after MAX_OBJECTS; then the count of warnings beyond MAX_WARNINGS (`Warnings.close`)."""
    for item in listed:
        for name, value in sorted(item.values.items()):
            if value.dropped:
                warnings.warn(
                    f"{name} continues on {value.dropped:,} more lines than are read; the rest "
                    "of it is not read",
                    value.line,
                    code=too_long,
                )
    if limits.objects_from_line is not None:
        warnings.result.warn(
            f"more than {MAX_OBJECTS:,} listed {what}: from here on the listing is not read",
            limits.objects_from_line,
            code=too_many,
        )
    warnings.close(more)


def is_cut(text: str | None) -> bool:
    return bool(text) and text.rstrip().endswith(CUT_MARKS)  # type: ignore[union-attr]


def braced_list(text: str | None) -> tuple[str, ...]:
    """``{IMAP, POP, IIS, SMTP}`` or ``IMAP, POP, IIS, SMTP`` -> the items (a cut last item,
    ending in ``...``, is dropped)."""
    if not text:
        return ()
    body = text.strip()
    if body.startswith("{"):
        body = body[1:]
    if body.endswith("}"):
        body = body[:-1]
    items = [item.strip() for item in body.split(",")]
    return tuple(item for item in items if item and not item.endswith(CUT_MARKS))


def bool_of(text: str | None) -> bool | None:
    folded = (text or "").strip().casefold()
    if folded in ("true", "$true"):
        return True
    if folded in ("false", "$false"):
        return False
    return None
