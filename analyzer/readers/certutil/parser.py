"""Cleaned lines -> classified terminals -> lark LALR blocks (each distinct block shape once).

The grammar (grammars/certutil.lark) has one terminal per classified line; this module feeds
it through a custom lark lexer and builds the blocks with an in-parse transformer (no parse
tree), which keeps the reader at several MB/s.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise
from typing import Any

from analyzer.readers.certutil.classify import Line, classify
from analyzer.readers.certutil.cleanup import (
    _WRAP_MIN_WIDTH,
    PURE_HEX_ROW,
    Repair,
    is_fence,
    is_pure_hex,
    joined_region,
    raw_lines,
    split_joined,
    split_repair,
    wrapped_region,
)
from analyzer.resources import cache_dir, grammar_path

# A block is (rule, [range | block, ...]); a range is the classified lines of one token.
Block = tuple[str, list[Any]]


@lru_cache(maxsize=1)
def _parser() -> Any:
    """The LALR parser of grammars/certutil.lark; lark is imported here, when a dump is read,
    not at start-up. Building its tables costs about 50 ms: lark keeps them in the user's cache
    folder, keyed by the grammar, lark's version and the options (a changed grammar is rebuilt)."""
    from lark import Lark

    from analyzer.readers.certutil.lalr import Blocks, LineLexer

    grammar = grammar_path("certutil.lark").read_text(encoding="utf-8")
    tables = cache_dir("certutil-parser")
    return Lark(
        grammar,
        parser="lalr",
        lexer=LineLexer,
        transformer=Blocks(),
        start=["start", "certificate"],
        cache=str(tables / "certutil.lark.cache") if tables else False,
    )


_CACHE_LINES = 20000  # distinct raw lines remembered per part of a dump
# Flags of a remembered raw line (see _known_line).
_WORD, _ELEMENT, _LONG, _FENCE, _SPLIT = 1, 2, 4, 8, 16
# What one raw line gives: (kind, sub, text, value, flags) of its one logical line; for a line
# split before a label (_SPLIT), (None, None, None, pieces, flags) with each piece
# (kind, sub, text, value, flags).
Known = tuple[Any, Any, Any, Any, int]
_BLANK: Known = ("BLANK", None, "", "", 0)
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_HEX_TO_ZERO = str.maketrans(dict.fromkeys("123456789abcdefABCDEF", "0"))


def _classified(text: str) -> Known:
    line = classify(text)
    if line.kind == "OTHER" and line.sub is None and text.isidentifier():
        flags = _WORD  # a bare word: maybe a store name (see classify_lines)
    else:
        flags = _ELEMENT if line.sub == "element" else 0
    return (line.kind, line.sub, text, line.value, flags)


def _known_line(raw: str) -> Known:
    """Clean-up and classification of one raw line, as far as they do not depend on its
    neighbours: only a line of at least the wrap width (_LONG) may start a re-wrapped region."""
    stripped = raw.strip()
    if not stripped:
        return _BLANK
    if is_fence(stripped):
        return (None, None, None, None, _FENCE)
    long = _LONG if len(stripped) >= _WRAP_MIN_WIDTH else 0
    if is_pure_hex(stripped):  # a third of a -v dump; classify() would say the same
        return ("OTHER", "hex", stripped, stripped, long)
    pieces = split_joined(stripped)
    if len(pieces) > 1:
        return (None, None, None, tuple(_classified(p) for p in pieces), _SPLIT | long)
    kind, sub, text, value, flags = _classified(stripped)
    return (kind, sub, text, value, flags | long)


def classify_lines(
    text: str, first_line: int = 1, followed_by: str | None = None
) -> tuple[list[Line], list[Repair], int]:
    """Clean and classify; then fix the two kinds that need their neighbours. ``text`` may be a
    part of a dump (stream.py): its first line is ``first_line`` and ``followed_by`` is the kind
    of the line after it (None: the end of the dump)."""
    raw = raw_lines(text)
    base = first_line - 1
    lines: list[Line] = []
    append = lines.append
    repairs: list[Repair] = []
    # Most lines of a store dump repeat from certificate to certificate ("Version: 3",
    # "Provider = ...", "Encryption test passed"): each distinct raw line is cleaned and
    # classified once (hex dump rows, distinct by nature, are not remembered).
    known: dict[str, Known] = {}
    hex_shapes: dict[str, bool] = {}  # a row with its hex digits made 0 -> pure hex?
    elements: list[int] = []  # "Element N:" lines
    bare_words: list[int] = []  # lines of one word that may be a store name
    joined_to = first_line  # the line after the last re-wrapped region joined
    for lineno, line in enumerate(raw, first_line):
        if lineno < joined_to:
            continue
        entry = known.get(line)
        if entry is None:
            # A hex dump row (a third of a -v dump, distinct by nature) too short to start a
            # re-wrapped region: what _known_line would say, without remembering it.
            stripped = line.strip()
            if stripped[:1] in _HEX_DIGITS and 12 < len(stripped) < _WRAP_MIN_WIDTH:
                # Whether a row is pure hex depends only on where its hex digits are: the
                # regex runs once per layout of digits and spaces, not once per row.
                shape = stripped.translate(_HEX_TO_ZERO)
                hex_row = hex_shapes.get(shape)
                if hex_row is None:
                    hex_row = PURE_HEX_ROW.fullmatch(shape) is not None
                    if len(hex_shapes) < _CACHE_LINES:
                        hex_shapes[shape] = hex_row
                if hex_row:
                    append(Line("OTHER", "hex", stripped, stripped, lineno))
                    continue
            entry = _known_line(line)
            if entry[1] != "hex" and len(known) < _CACHE_LINES:
                known[line] = entry
        flags = entry[4]
        if not flags:
            append(Line(entry[0], entry[1], entry[2], entry[3], lineno))
            continue
        if flags & _FENCE:
            continue
        i = lineno - first_line
        if flags & _LONG and (j := wrapped_region(raw, i)) > i + 1:
            pieces, repair = joined_region(raw, i, j, base)
            repairs.append(repair)
            for piece, at in pieces:
                _add(lines, _classified(piece), at, bare_words, elements)
            joined_to = first_line + j
            continue
        if flags & _SPLIT:
            split = entry[3]
            repairs.append(split_repair(lineno, [piece[2] for piece in split]))
            for piece in split:
                _add(lines, piece, lineno, bare_words, elements)
        else:
            _add(lines, entry, lineno, bare_words, elements)
    # A bare store name ("my", "My") right before the first separator is the header (the next
    # line's kind as classified: an "Element N:" made a separator below does not count).
    headers = [i for i in bare_words if _next_kind(lines, i, followed_by) == "SEPARATOR"]
    # "Element 0:" right after "==== Begin Nesting Level 1 ====" starts a -dump certificate,
    # unless a "==== Certificate N ====" banner just started it: a PFX -dump prints the banner,
    # then the nesting level and its element, for ONE certificate.
    for i in elements:
        j = _previous_text(lines, i)
        if j < 0 or not (lines[j].sub or "").startswith("begin nesting"):
            continue
        k = _previous_text(lines, j)
        if k < 0 or lines[k].kind != "SEPARATOR":
            lines[i].kind, lines[i].sub = "SEPARATOR", None
    for i in headers:
        header = lines[i]
        header.kind, header.sub, header.value = "HEADER", header.text, ""
    return lines, repairs, len(raw)


def _add(
    lines: list[Line], entry: Known, lineno: int, words: list[int], elements: list[int]
) -> None:
    flags = entry[4]
    if flags & _WORD:
        words.append(len(lines))
    elif flags & _ELEMENT:
        elements.append(len(lines))
    lines.append(Line(entry[0], entry[1], entry[2], entry[3], lineno))


def _previous_text(lines: list[Line], i: int) -> int:
    """The index of the last line before ``i`` that is not blank (-1 when none)."""
    j = i - 1
    while j >= 0 and lines[j].kind == "BLANK":
        j -= 1
    return j


def _next_kind(lines: list[Line], i: int, followed_by: str | None = None) -> str | None:
    j = i + 1
    while j < len(lines) and lines[j].kind == "BLANK":
        j += 1
    return lines[j].kind if j < len(lines) else followed_by


# Runs of lines that become one token, by the kind of the run's first line. The grammar gives each
# merged kind the same role as the lines it swallows: OTHER values continue the field, property or
# extension above; a LABEL ends a field but not a property or an extension, and OTHER lines after
# it are in the same place. KEYFIELD, SDDL, BLANK and FRAMED are never values of a field or an
# extension, so after one of them the parser is at item level or inside a property, where each
# line of the run is an item, or a value of that property, on its own. STATUS, ELISION, HEADER,
# COMMAND and CLOSING are only ever items, and so is every line after them up to a kind that
# starts a rule (FIELD, PROP, EXT, FAILED, SEPARATOR) or CUMSG (it belongs to a failure above).
# Fewer tokens keep the LALR parse cheap; the builder still sees every line.
_PLAIN_VALUES = frozenset({"OTHER", "KEYFIELD", "LABEL", "SDDL", "BLANK", "FRAMED"})
_LONE_ITEMS = _PLAIN_VALUES | {"STATUS", "ELISION", "HEADER", "COMMAND", "CLOSING"}
_RUN_CONTINUES: dict[str, frozenset[str]] = {
    "OTHER": frozenset({"OTHER"}),
    "LABEL": frozenset({"LABEL", "OTHER"}),
    **dict.fromkeys(("KEYFIELD", "SDDL", "BLANK", "FRAMED"), _PLAIN_VALUES),
    **dict.fromkeys(("STATUS", "ELISION", "HEADER", "COMMAND", "CLOSING"), _LONE_ITEMS),
}

# A parsed block whose leaves are token numbers (0 = the block's first token); see _shape().
Template = list[Any]
_SHAPES_KEPT = 4096  # distinct certificate shapes remembered (a dump has a few dozen)


def _runs(lines: list[Line], start: int, stop: int) -> tuple[list[str], list[int]]:
    """The token kinds of lines ``start``..``stop`` and where each token starts (plus ``stop``)."""
    kinds: list[str] = []
    starts: list[int] = []
    i = start
    while i < stop:
        kind = lines[i].kind
        kinds.append(kind)
        starts.append(i)
        i += 1
        continues = _RUN_CONTINUES.get(kind)
        if continues:
            while i < stop and lines[i].kind in continues:
                i += 1
    starts.append(stop)
    return kinds, starts


@lru_cache(maxsize=_SHAPES_KEPT)
def _shape(kinds: tuple[str, ...], rule: str) -> Template:
    """The grammar's parse of one token sequence, its leaves the token numbers.

    A certificate block is parsed on its own (the grammar ends it only at the next SEPARATOR or
    the end, so its parse cannot depend on what follows); store dumps repeat a few block shapes
    thousands of times, so each distinct shape is parsed once."""
    from lark import Token

    tokens = [Token(kind, "", start_pos=k) for k, kind in enumerate(kinds)]
    # The in-parse transformer returns lists and (rule, children) tuples, not trees.
    parsed: Any = _parser().parse(tokens, start=rule)
    return _numbered(parsed[1] if rule == "certificate" else parsed)


def _numbered(children: list[Any]) -> Template:
    return [
        (child[0], _numbered(child[1])) if isinstance(child, tuple) else child.start_pos
        for child in children
    ]


def parse_blocks(lines: list[Line]) -> list[tuple[str, Template, list[int]]]:
    """The blocks of one dump: what comes before the first separator (``"start"``, when any
    line does) and each certificate, as ``(rule, template, starts)``: the grammar's parse of the
    block's tokens, with token numbers as leaves (an item is a token number or ``(rule,
    [token number, ...])``), and where each token's lines begin (token k is lines
    ``starts[k]`` to ``starts[k + 1]``). The builder reads the lines through them."""
    separators = [i for i, line in enumerate(lines) if line.kind == "SEPARATOR"]
    bounds = [*separators, len(lines)]
    kinds, starts = _runs(lines, 0, bounds[0])
    blocks = [("start", _shape(tuple(kinds), "start"), starts)] if kinds else []
    for start, stop in pairwise(bounds):
        kinds, starts = _runs(lines, start, stop)
        blocks.append(("certificate", _shape(tuple(kinds), "certificate"), starts))
    return blocks
