"""Make customer text safe to show: every control character becomes a visible escape.

A name or value from a customer's file can carry terminal escape sequences (CSI ``ESC [``,
OSC ``ESC ]`` that retitles a window or writes a hyperlink), other C0/C1 controls, line breaks
that forge extra lines in a log or a CSV, and bidirectional overrides that reorder what a reader
sees. Wherever such text reaches a terminal, a log line, a Markdown reply or a CSV cell it goes
through `visible`, which writes those characters the way Python writes them in a literal
(``\\x1b``, ``\\n``, ``\\u202e``), so that the reader sees that they were there.

Nothing here depends on the rest of the package, so every stage (inputs, readers, render, the
CLI) may use it.
"""

from __future__ import annotations

import re

# C0 controls (tab and line breaks included), DEL, C1 controls, the Unicode line and paragraph
# separators, and the bidirectional embedding / override / isolate controls.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character written as a visible escape."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)
