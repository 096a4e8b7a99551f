"""Cleaned lines -> classified terminals -> lark LALR blocks.

The grammar (grammars/certutil.lark) has one terminal per classified line; this module feeds
it through a custom lark lexer and builds the blocks with an in-parse transformer (no parse
tree), which keeps the reader at several MB/s.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from lark import Lark, Token, Transformer
from lark.lexer import Lexer

from analyzer.readers.certutil.classify import Line, classify
from analyzer.readers.certutil.cleanup import Repair, clean_lines
from analyzer.resources import grammar_path

# A block is (rule, [Token | block, ...]); a Token's start_pos indexes the classified lines.
Block = tuple[str, list[Any]]


class _LineLexer(Lexer):
    """Hands the already classified tokens to the parser."""

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, data: Any) -> Any:  # type: ignore[override]
        return iter(data)


class _Blocks(Transformer):
    def start(self, children: list[Any]) -> list[Any]:
        return children

    def certificate(self, children: list[Any]) -> Block:
        return ("certificate", children)

    def field(self, children: list[Any]) -> Block:
        return ("field", children)

    def property(self, children: list[Any]) -> Block:
        return ("property", children)

    def extension(self, children: list[Any]) -> Block:
        return ("extension", children)

    def failure(self, children: list[Any]) -> Block:
        return ("failure", children)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = grammar_path("certutil.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer=_LineLexer, transformer=_Blocks())


_CLASSIFY_CACHE = 20000  # distinct line texts remembered per dump


def classify_lines(text: str) -> tuple[list[Line], list[Repair], int]:
    """Clean and classify; then fix the two kinds that need their neighbours."""
    cleaned, repairs, physical = clean_lines(text)
    lines: list[Line] = []
    # Most lines of a store dump repeat from certificate to certificate ("Version: 3",
    # "Provider = ...", "Encryption test passed"): classify each distinct text once.
    seen: dict[str, tuple[str, str | None, str]] = {}
    for stripped, lineno in cleaned:
        known = seen.get(stripped)
        if known is not None:
            lines.append(Line(known[0], known[1], stripped, known[2], lineno))
            continue
        line = classify(stripped)
        line.lineno = lineno
        lines.append(line)
        if len(seen) < _CLASSIFY_CACHE and line.sub != "hex":
            seen[stripped] = (line.kind, line.sub, line.value)
    previous: Line | None = None
    before_nesting: Line | None = None  # the line before the last "Begin Nesting Level"
    for i, line in enumerate(lines):
        if line.kind == "BLANK":
            continue
        # "Element 0:" right after "==== Begin Nesting Level 1 ====" starts a -dump certificate,
        # unless a "==== Certificate N ====" banner just started it: a PFX -dump prints the
        # banner, then the nesting level and its element, for ONE certificate.
        if (
            line.sub == "element"
            and previous is not None
            and (previous.sub or "").startswith("begin nesting")
            and (before_nesting is None or before_nesting.kind != "SEPARATOR")
        ):
            line.kind, line.sub = "SEPARATOR", None
        if (line.sub or "").startswith("begin nesting"):
            before_nesting = previous
        # A bare store name ("my", "My") right before the first separator is the header.
        if line.kind == "OTHER" and line.sub is None and line.text.isidentifier():
            j = i + 1
            while j < len(lines) and lines[j].kind == "BLANK":
                j += 1
            if j < len(lines) and lines[j].kind == "SEPARATOR":
                line.kind, line.sub, line.value = "HEADER", line.text, ""
        previous = line
    return lines, repairs, physical


# Runs of lines that become one token spanning ``start_pos``..``end_pos``, by the kind of the
# run's first line. The grammar gives each merged kind the same role as the lines it swallows:
# OTHER values continue the field, property or extension above; a LABEL ends a field but not a
# property or an extension, and OTHER lines after it are in the same place; a BLANK ends a field
# and an extension, after which LABEL and OTHER lines are items of the certificate (or values of
# the property it is in). Fewer tokens keep the LALR parse fast; the builder still sees every line.
_RUN_CONTINUES: dict[str, frozenset[str]] = {
    "OTHER": frozenset({"OTHER"}),
    "LABEL": frozenset({"LABEL", "OTHER"}),
    "BLANK": frozenset({"BLANK", "LABEL", "OTHER"}),
}


def parse_blocks(lines: list[Line]) -> list[Any]:
    """The top-level items and certificate blocks of one dump."""
    tokens: list[Token] = []
    count = len(lines)
    i = 0
    while i < count:
        kind = lines[i].kind
        j = i + 1
        continues = _RUN_CONTINUES.get(kind)
        if continues:
            while j < count and lines[j].kind in continues:
                j += 1
        tokens.append(Token(kind, "", start_pos=i, end_pos=j))
        i = j
    return cast(list[Any], _parser().parse(tokens))
