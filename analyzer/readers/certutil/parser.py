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
from analyzer.readers.certutil.cleanup import Repair, clean_lines
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


_CLASSIFY_CACHE = 20000  # distinct line texts remembered per dump


def classify_lines(
    text: str, first_line: int = 1, followed_by: str | None = None
) -> tuple[list[Line], list[Repair], int]:
    """Clean and classify; then fix the two kinds that need their neighbours. ``text`` may be a
    part of a dump (stream.py): its first line is ``first_line`` and ``followed_by`` is the kind
    of the line after it (None: the end of the dump)."""
    cleaned, repairs, physical = clean_lines(text, first_line)
    lines: list[Line] = []
    # Most lines of a store dump repeat from certificate to certificate ("Version: 3",
    # "Provider = ...", "Encryption test passed"): classify each distinct text once.
    seen: dict[str, tuple[str, str | None, str, bool]] = {}
    elements: list[int] = []  # "Element N:" lines
    bare_words: list[int] = []  # lines of one word that may be a store name
    for stripped, lineno in cleaned:
        known = seen.get(stripped)
        if known is None:
            line = classify(stripped)
            line.lineno = lineno
            word = line.kind == "OTHER" and line.sub is None and stripped.isidentifier()
            if len(seen) < _CLASSIFY_CACHE and line.sub != "hex":
                seen[stripped] = (line.kind, line.sub, line.value, word)
        else:
            line = Line(known[0], known[1], stripped, known[2], lineno)
            word = known[3]
        if word:
            bare_words.append(len(lines))
        elif line.sub == "element":
            elements.append(len(lines))
        lines.append(line)
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
        line = lines[i]
        line.kind, line.sub, line.value = "HEADER", line.text, ""
    return lines, repairs, physical


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


def _spans(template: Template, starts: list[int]) -> list[Any]:
    """``template`` with each token number replaced by the range of lines of that token."""
    return [
        (item[0], _spans(item[1], starts))
        if isinstance(item, tuple)
        else range(starts[item], starts[item + 1])
        for item in template
    ]


def parse_blocks(lines: list[Line]) -> list[Any]:
    """The top-level items and certificate blocks of one dump: an item is a ``range`` of lines
    (one token) or ``(rule, [item, ...])``."""
    separators = [i for i, line in enumerate(lines) if line.kind == "SEPARATOR"]
    bounds = [*separators, len(lines)]
    kinds, starts = _runs(lines, 0, bounds[0])
    blocks = _spans(_shape(tuple(kinds), "start"), starts) if kinds else []
    for start, stop in pairwise(bounds):
        kinds, starts = _runs(lines, start, stop)
        blocks.append(("certificate", _spans(_shape(tuple(kinds), "certificate"), starts)))
    return blocks
