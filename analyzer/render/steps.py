"""Fix steps and requests as rules write them, split so that a command can be copied alone.

Rules write a step as a command, a command followed by ``   (expect: ...)``, prose with
`code` spans, or a line of prose ending in a colon followed by a command or file text. The
report (and any renderer) shows the command in its own block and the rest as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One remediation step split for copying: prose (with `code` spans), a command, a note."""

    prose: tuple[tuple[str, bool], ...]  # (text, is code)
    command: str | None
    note: str | None


# A step reads as a command when it starts like one: a lower-case tool name (certutil, icacls,
# certreq, netsh...), a PowerShell Verb-Noun, or a variable or environment path.
_COMMAND_START = re.compile(r"^(?:[a-z][\w.-]*(?:\s|$)|[A-Z][a-z]+-[A-Z]\w*|[$%\\\[])")
_TRAILING_NOTE = re.compile(r"^(?P<command>.+?)\s{3,}\((?P<note>[^\n]*)\)$")


def split_step(step: str) -> Step:
    """Split one step (or request) into its prose, its command and a trailing note."""
    text = step.strip()
    head, newline, body = text.partition("\n")
    if newline and head.rstrip().endswith(":"):
        return Step(_code_spans(head), body, None)
    lead, colon, tail = text.rpartition(": ")
    if colon and not newline and _COMMAND_START.match(tail) and not _COMMAND_START.match(text):
        return Step(_code_spans(lead + ":"), tail, None)
    if newline or _COMMAND_START.match(text):
        match = _TRAILING_NOTE.match(text)
        if match:
            return Step((), match["command"], match["note"])
        return Step((), text, None)
    return Step(_code_spans(text), None, None)


def _code_spans(text: str) -> tuple[tuple[str, bool], ...]:
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: leave the text as it is
        return ((text, False),)
    return tuple((part, index % 2 == 1) for index, part in enumerate(parts) if part)
