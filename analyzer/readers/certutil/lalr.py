"""The lark side of the certutil parser: the lexer that hands over the classified lines and the
in-parse transformer that builds the blocks. A module of its own, imported when the first dump
is parsed (lark is not loaded at start-up), with its classes at module level so that the built
parser tables can be cached (``parser._parser``)."""

from __future__ import annotations

from typing import Any

from lark import Transformer
from lark.lexer import Lexer

# A block is (rule, [range | block, ...]); a range is the classified lines of one token.
Block = tuple[str, list[Any]]


class LineLexer(Lexer):
    """Hands the already classified tokens to the parser."""

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, data: Any) -> Any:  # type: ignore[override]
        return iter(data)


class Blocks(Transformer[Any, Any]):
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
