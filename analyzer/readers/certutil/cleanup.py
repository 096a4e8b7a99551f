"""Undo what saving, pasting and publishing did to a dump, before the classifier sees it.

Handled: NBSP and TAB indentation, em/en dashes for `--`, zero-width characters, a `% ` or `> `
prefix on most lines, markdown fences, lines re-wrapped by a publisher (continuations indented
deeper than the line they continue), and lines joined together (`...ProviderPrivate key is NOT
exportableEncryption test passed`), which are split again before every known label and status
line found *inside* a line. Each repair is reported with the physical line it touched.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from analyzer.inputs.decode import split_lines
from analyzer.readers.certutil.classify import classify
from analyzer.readers.certutil.labels import (
    FIELD_LABELS,
    KEY_LABELS,
    STATUS_LINES,
    STORE_DISPLAY_NAMES,
)

_TRANSLATE = str.maketrans(
    {"\xa0": " ", "\u202f": " ", "\u2007": " ", "\t": "  ", "\u200b": None, "\ufeff": None}
)
_DASHES = re.compile(r"\s[\u2014\u2013]\s")

# Wrapped text: the publisher's wrap width is at least this wide.
_WRAP_MIN_WIDTH = 60
_WRAP_MIN_HANGING = 3


@dataclass(frozen=True)
class Repair:
    lineno: int
    text: str
    code: str


def _markers() -> re.Pattern[str]:
    texts: set[str] = {"CertUtil: -", "================"}
    for labels in STATUS_LINES.values():
        for kind, values in labels.items():
            if kind != "archived":
                texts.update(v.rstrip(".") for v in values)
    for labels in FIELD_LABELS.values():
        for kind in ("serial", "issuer", "subject", "not_before", "not_after"):
            for label in labels.get(kind, ()):
                texts.update((f"{label}:", f"{label} :", f"{label}："))
        texts.update(labels.get("cert_hash", ()))
    for labels in KEY_LABELS.values():
        for kind in ("key_container", "provider"):
            texts.update(f"{label} =" for label in labels.get(kind, ()))
        for kind in ("unique_container", "simple_container"):
            texts.update(f"{label}:" for label in labels.get(kind, ()))
    # This search runs on every distinct line and must stay cheap: the texts as a trie (one
    # branch per next character; the longest text that matches at a place wins, as in an
    # alternation longest first), which the regex engine walks about twice as fast.
    trie: dict[str, Any] = {}
    for text in texts:
        node = trie
        for char in text:
            node = node.setdefault(char, {})
        node[""] = {}
    return re.compile(_trie_pattern(trie))


def _trie_pattern(node: dict[str, Any]) -> str:
    branches = [re.escape(char) + _trie_pattern(node[char]) for char in sorted(node) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


_MARKER = _markers()
# A store header glued to the command line above it: `...-repairstore my "<serial>"my "Personal"`.
_GLUED_HEADER = re.compile(
    r"(?<=[\"'])[A-Za-z]+ \"(?:"
    + "|".join(re.escape(name) for name in STORE_DISPLAY_NAMES)
    + r")\"\s*$"
)


# A quoting prefix at a line start (searched from a newline: `(?m)^` is tried at every character).
_QUOTED_FIRST = re.compile(r"[ ]*[%>]")
_QUOTED_LATER = re.compile(r"\n[ ]*[%>]")
# A row of a hex dump without its text column (a third of a -v dump): no marker is made of hex
# digits and spaces only, so such a row holds none.
PURE_HEX_ROW = re.compile(r"[0-9a-fA-F]{4}(?: {1,2}[0-9a-fA-F]{2})+")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _strip_prefix(lines: list[str], prefix: str) -> list[str]:
    """Remove a quoting prefix (`% `, `> `) when most non-blank lines carry it."""
    nonblank = [line for line in lines if line.strip()]
    bare = prefix.rstrip()
    carrying = sum(1 for line in nonblank if line.lstrip().startswith(bare))
    if not nonblank or carrying < 0.6 * len(nonblank):
        return lines
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(prefix):
            line = stripped[len(prefix) :]
        elif stripped.startswith(bare):
            line = stripped[len(bare) :]
        out.append(line)
    return out


def _continues(previous: str, line: str, region_indent: int | None) -> bool:
    """Is ``line`` the wrapped tail of ``previous`` (both raw, non-blank)?"""
    if len(previous.strip()) < _WRAP_MIN_WIDTH:
        return False
    indent = _indent(line)
    if region_indent is not None:
        return indent == region_indent
    # Wrapped tails are indented well past their line (the publisher's hanging indent); a key
    # line two columns under a spaced "Cert Hash(sha1)" line is not one.
    if indent < _indent(previous) + _WRAP_MIN_HANGING:
        return False
    if previous.rstrip().endswith(","):
        return True
    return classify(line.strip()).kind in ("OTHER", "LABEL")


def _split(text: str, lineno: int, offsets: list[tuple[int, int]] | None) -> list[tuple[str, int]]:
    """Split ``text`` before every marker found after its start."""
    pieces: list[tuple[str, int]] = []
    start = 0
    matches = list(_MARKER.finditer(text, 1))
    if "ertutil" in text or "ERTUTIL" in text:
        matches += list(_GLUED_HEADER.finditer(text, 1))
    if not matches:
        return [(text.strip(), line_of(0, lineno, offsets))]
    for match in sorted(matches, key=lambda m: m.start()):
        cut = match.start()
        if cut <= start or not text[start:cut].strip():
            continue
        if match.group().startswith("=") and text[start] == "=":
            continue  # the closing run of a "==== Certificate N ====" line
        pieces.append((text[start:cut], start))
        start = cut
    pieces.append((text[start:], start))
    return [(piece.strip(), line_of(at, lineno, offsets)) for piece, at in pieces if piece.strip()]


def line_of(offset: int, lineno: int, offsets: list[tuple[int, int]] | None) -> int:
    """The physical line of a character offset in a re-joined region."""
    if not offsets:
        return lineno
    position = bisect_right(offsets, (offset, float("inf"))) - 1
    return offsets[max(position, 0)][1]


def raw_lines(text: str) -> list[str]:
    """The physical lines of ``text`` after the repairs made to the whole text: odd spaces and
    zero-width characters, dashes, a quoting prefix on most lines."""
    if any(ch in text for ch in "\xa0\u202f\u2007\t\u200b\ufeff"):
        text = text.translate(_TRANSLATE)
    if "\u2014" in text or "\u2013" in text:
        text = _DASHES.sub(" -- ", text)
    raw = split_lines(text)
    if ("%" in text or ">" in text) and (_QUOTED_FIRST.match(text) or _QUOTED_LATER.search(text)):
        raw = _strip_prefix(_strip_prefix(raw, "% "), "> ")
    return raw


def is_fence(stripped: str) -> bool:
    """A markdown fence line (dropped)."""
    return stripped[0] in "`~" and stripped.startswith(("```", "~~~"))


def wrapped_region(raw: list[str], i: int) -> int:
    """The end (exclusive) of the re-wrapped region that starts at raw line ``i`` (non-blank, no
    fence): the following lines that continue it; ``i + 1`` when none does (only a line of at
    least the wrap width can be continued)."""
    stripped = raw[i].strip()
    j, count = i + 1, len(raw)
    region_indent: int | None = None
    while (
        len(stripped) >= _WRAP_MIN_WIDTH
        and j < count
        and len(raw[j - 1]) >= _WRAP_MIN_WIDTH
        and raw[j].strip()
    ):
        if not _continues(raw[j - 1], raw[j], region_indent):
            break
        region_indent = _indent(raw[j])
        j += 1
    return j


def joined_region(
    raw: list[str], i: int, j: int, base: int
) -> tuple[list[tuple[str, int]], Repair]:
    """Raw lines ``i``..``j`` (a re-wrapped region) joined again, then split before every marker:
    (logical line, physical line) and the repair; ``base`` is the line number before line 0."""
    parts, offsets, length = [], [], 0
    for k in range(i, j):
        piece = raw[k].strip()
        offsets.append((length, base + k + 1))
        parts.append(piece)
        length += len(piece) + 1
    repair = Repair(
        base + i + 1,
        f"lines {base + i + 1}-{base + j} were re-wrapped; joined them again",
        "certutil.rewrapped",
    )
    return _split(" ".join(parts), base + i + 1, offsets), repair


def is_pure_hex(stripped: str) -> bool:
    """A hex dump row without its text column (holds no marker: see `split_joined`)."""
    return len(stripped) > 12 and PURE_HEX_ROW.fullmatch(stripped) is not None


def split_joined(stripped: str) -> list[str]:
    """One stripped, non-blank line that starts no re-wrapped region, cut before every label or
    status line found after its start (lines joined together); ``[stripped]`` when none is."""
    if (
        len(stripped) > 12
        and not (stripped[0] == "=" and stripped[-1] == "=")  # a whole separator line
        and not PURE_HEX_ROW.fullmatch(stripped)
        and (_MARKER.search(stripped, 1) or "ertutil" in stripped)
    ):
        return [piece for piece, _ in _split(stripped, 0, None)]
    return [stripped]


def split_repair(lineno: int, pieces: list[str]) -> Repair:
    heads = ", ".join(repr(p[:24]) for p in pieces[1:])
    return Repair(lineno, f"joined lines split before {heads}", "certutil.split-lines")
