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
    # Every alternative starts with a literal, so the regex engine skips ahead on its first
    # characters: this search runs on most lines and must stay cheap.
    alternatives = sorted((re.escape(t) for t in texts), key=lambda t: (-len(t), t))
    return re.compile("|".join(alternatives))


_MARKER = _markers()
# A store header glued to the command line above it: `...-repairstore my "<serial>"my "Personal"`.
_GLUED_HEADER = re.compile(
    r"(?<=[\"'])[A-Za-z]+ \"(?:"
    + "|".join(re.escape(name) for name in STORE_DISPLAY_NAMES)
    + r")\"\s*$"
)


_QUOTED = re.compile(r"(?m)^[ ]*[%>]")
# A row of a hex dump without its text column (a third of a -v dump): no marker is made of hex
# digits and spaces only, so such a row holds none.
_PURE_HEX_ROW = re.compile(r"[0-9a-fA-F]{4}(?: {1,2}[0-9a-fA-F]{2})+")
_MARKER_CACHE = 20000  # distinct line texts whose marker test is remembered per dump


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


def clean_lines(text: str, first_line: int = 1) -> tuple[list[tuple[str, int]], list[Repair], int]:
    """Logical lines as (stripped text, physical line), the repairs made and the number of
    physical lines; ``text``'s first line is line ``first_line`` (a part of a longer dump)."""
    base = first_line - 1
    if any(ch in text for ch in "\xa0\u202f\u2007\t\u200b\ufeff"):
        text = text.translate(_TRANSLATE)
    if "\u2014" in text or "\u2013" in text:
        text = _DASHES.sub(" -- ", text)
    raw = split_lines(text)
    if _QUOTED.search(text):
        raw = _strip_prefix(_strip_prefix(raw, "% "), "> ")
    repairs: list[Repair] = []
    out: list[tuple[str, int]] = []
    search = _MARKER.search
    pure_hex = _PURE_HEX_ROW.fullmatch
    # Whether a line (longer than 12, not a separator) holds a marker after its start: most
    # lines of a store dump repeat from certificate to certificate.
    joined: dict[str, bool] = {}
    i, count = 0, len(raw)
    while i < count:
        line = raw[i]
        stripped = line.strip()
        if not stripped:
            out.append(("", base + i + 1))
            i += 1
            continue
        if stripped[0] in "`~" and stripped.startswith(("```", "~~~")):
            i += 1
            continue
        # Gather a re-wrapped region: following lines that continue this one (only a line of
        # at least the wrap width can be continued).
        j = i + 1
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
        if j > i + 1:
            parts, offsets, length = [], [], 0
            for k in range(i, j):
                piece = raw[k].strip()
                offsets.append((length, base + k + 1))
                parts.append(piece)
                length += len(piece) + 1
            repairs.append(
                Repair(
                    base + i + 1,
                    f"lines {base + i + 1}-{base + j} were re-wrapped; joined them again",
                    "certutil.rewrapped",
                )
            )
            out.extend(_split(" ".join(parts), base + i + 1, offsets))
            i = j
            continue
        framed = stripped[0] == "=" and stripped[-1] == "="  # a whole separator line
        split = False
        if len(stripped) > 12 and not framed:
            split_known = joined.get(stripped)
            if split_known is None:
                split_known = not pure_hex(stripped) and bool(
                    search(stripped, 1) or "ertutil" in stripped
                )
                if len(joined) < _MARKER_CACHE:
                    joined[stripped] = split_known
            split = split_known
        if split:
            pieces = _split(stripped, base + i + 1, None)
            if len(pieces) > 1:
                heads = ", ".join(repr(p[0][:24]) for p in pieces[1:])
                repairs.append(
                    Repair(base + i + 1, f"joined lines split before {heads}", "certutil.split-lines")
                )
            out.extend(pieces)
        else:
            out.append((stripped, base + i + 1))
        i += 1
    return out, repairs, count
