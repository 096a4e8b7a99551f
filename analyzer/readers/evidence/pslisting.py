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

from analyzer.readers.evidence.paste import Line

_LIST_LINE = re.compile(
    r"^(?P<indent>\s{0,4})(?P<name>[A-Za-z][A-Za-z0-9]*)\s*:(?:\s(?P<value>.*))?$"
)
_DASHES = re.compile(r"^[\s-]*-[\s-]*$")
CUT_MARKS = ("...", "…")
MAX_OBJECTS = 5000  # a listing of a server's certificates holds tens
MAX_CONTINUATION = 200  # lines of one multi-line value


@dataclass
class Value:
    """One property of a listed object: its first line, the lines it continues on, and where."""

    first: str
    more: list[str] = field(default_factory=list)
    line: int = 0

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


def list_objects(lines: Sequence[Line], names: frozenset[str]) -> list[Listed]:
    """Format-List objects whose properties are among ``names`` (folded). An object starts at a
    property the current object already has; lines that are no property continue the last
    property (a wrapped or multi-line value), blank lines included."""
    out: list[Listed] = []
    current: Listed | None = None
    last: Value | None = None
    for line in lines:
        match = _LIST_LINE.match(line.text)
        name = match.group("name").casefold() if match else None
        if match and name in names:
            if current is None or name in current.values:
                if len(out) >= MAX_OBJECTS:
                    break
                current = Listed({}, line.number, "list")
                out.append(current)
            last = Value(match.group("value") or "", [], line.number)
            current.values[name] = last
        elif last is not None and current is not None:
            if not line.text.strip() and not last.more and not last.first.strip():
                continue
            if len(last.more) < MAX_CONTINUATION and (
                not line.text.strip() or line.text[:1].isspace()
            ):
                last.more.append(line.text)
            elif line.text.strip() and not line.text[:1].isspace():
                last = None  # text at column 0 that is no property: the object's listing ended
    return out


def table_objects(
    lines: Sequence[Line], names: frozenset[str], required: frozenset[str]
) -> list[Listed]:
    """Format-Table rows under a header naming only properties of ``names`` (at least those of
    ``required``) and a dash line; cells placed by the dashes."""
    out: list[Listed] = []
    index = 0
    while index < len(lines) - 1:
        header = lines[index].text
        words = [(m.group(0).casefold(), m.start()) for m in re.finditer(r"\S+", header)]
        folded = {w for w, _ in words}
        dashes_line = lines[index + 1].text
        if not (words and required <= folded <= names and _DASHES.match(dashes_line)):
            index += 1
            continue
        spans = [(m.start(), m.end()) for m in re.finditer(r"-+", dashes_line)]
        if len(spans) != len(words):
            index += 1
            continue
        index += 2
        while index < len(lines) and lines[index].text.strip() and len(out) < MAX_OBJECTS:
            row = lines[index]
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
