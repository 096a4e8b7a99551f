"""Every message has a stable, documented code (docs/diagnostics.md): a message made without a
code, a code not declared, a code declared twice or never used, or a stale document fails."""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path

import pytest

from analyzer.model import CODE_SHAPE, Level, Message, ReadResult, Source
from tests.diagnostics_doc import DIAGNOSTICS_DOC, declared_codes, markdown, sources

ROOT = Path(__file__).resolve().parent.parent
GOLDENS = ROOT / "fixtures" / "goldens"

# The calls that make a message: ReadResult's four and the archive and folder walk's two (as
# methods), the evidence readers' line helper and the two constructors (as names).
METHODS = {"warn", "note", "fail", "skip", "say", "refuse"}
FUNCTIONS = {"unparsed", "Message", "InputError"}
NOT_MESSAGES = {"pytest", "warnings", "logging", "logger", "log"}


def _name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in METHODS:
        if isinstance(func.value, ast.Name) and func.value.id in NOT_MESSAGES:
            return None
        return func.attr
    if isinstance(func, ast.Name) and func.id in FUNCTIONS:
        return func.id
    return None


def message_calls() -> list[tuple[str, ast.Call]]:
    return [
        (f"{module}:{node.lineno}", node)
        for module, tree in sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _name(node) is not None
    ]


def code_argument(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "code":
            return keyword.value
    if _name(call) == "Message" and len(call.args) == 4:
        return call.args[3]
    return None


def literal_codes(node: ast.expr) -> list[str]:
    """The codes a code argument spells: a string, or either branch of ``a if c else b``.
    Anything else (a parameter, ``exc.code``) forwards a code a caller spelled."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return literal_codes(node.body) + literal_codes(node.orelse)
    return []


def test_every_message_call_gives_a_code() -> None:
    calls = message_calls()
    assert len(calls) > 150  # the walk does see the readers
    missing = [where for where, call in calls if code_argument(call) is None]
    assert missing == []


def test_every_code_spelled_at_a_call_is_declared() -> None:
    declared = {d.code for d in declared_codes()}
    spelled = {
        code
        for _, call in message_calls()
        if (argument := code_argument(call)) is not None
        for code in literal_codes(argument)
    }
    assert spelled - declared == set()


def test_codes_are_declared_once_in_their_shape_and_used() -> None:
    declared = declared_codes()
    twice = [code for code, n in Counter(d.code for d in declared).items() if n > 1]
    assert twice == []
    assert [d.code for d in declared if not CODE_SHAPE.fullmatch(d.code)] == []
    assert [d.code for d in declared if not d.meaning.strip()] == []
    # Used: spelled as a string somewhere outside the declarations (a call, a Repair, a problem).
    spelled = Counter(
        node.value
        for _, tree in sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )
    assert [d.code for d in declared if spelled[d.code] < 2] == []


def test_the_document_lists_every_code() -> None:
    assert DIAGNOSTICS_DOC.read_text(encoding="utf-8") == markdown(), "run `make docs`"


def test_every_code_in_the_goldens_is_declared_and_matches_its_message() -> None:
    """At run time too: the diagnostics of every golden output (codes passed through a helper
    included) are declared, and say what `messages` says, in the same order."""
    declared = {d.code for d in declared_codes()}
    seen: set[str] = set()
    for path in sorted(GOLDENS.rglob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8"))["inputs"]:
            diagnostics = entry["diagnostics"]
            assert [f"{_where(d['source'])}: {d['text']}" for d in diagnostics] == entry[
                "messages"
            ], path.name
            assert {d["level"] for d in diagnostics} <= {level.value for level in Level}
            seen |= {d["code"] for d in diagnostics}
    assert seen and seen <= declared


def _where(source: dict[str, object]) -> str:
    return str(Source(str(source["path"]), source.get("line"), source.get("record")))  # type: ignore[arg-type]


def test_a_message_without_a_code_or_with_a_misshapen_one_is_refused() -> None:
    result = ReadResult("x.txt", "certutil")
    with pytest.raises(TypeError):
        result.warn("no code")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Message(Level.INFO, "no code", Source("x.txt"))  # type: ignore[call-arg]
    for bad in ("", "truncated", "Certutil.truncated", "certutil.", "certutil.cut short"):
        with pytest.raises(ValueError):
            Message(Level.INFO, "text", Source("x.txt"), bad)
    result.warn("cut", 3, code="certutil.truncated")
    assert result.messages[0].code == "certutil.truncated" and result.status.value == "partial"
