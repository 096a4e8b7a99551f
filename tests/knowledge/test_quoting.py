"""Quoting for cmd.exe, PowerShell and INF files, checked against models of how each parses:
every hostile value comes back as exactly one literal argument or string, and no operator is
left live."""

from __future__ import annotations

from dataclasses import replace

import pytest

from analyzer.knowledge.quoting import (
    cmd_arg,
    cmd_word,
    inf_entry,
    inf_quoted,
    ps_literal,
)
from analyzer.model import Certificate, Key
from analyzer.rulekit import remedies

HOSTILE = [
    'a"b',
    "a&calc.exe",
    "50%PATH%x",
    "%TEMP%",
    "x^y",
    "$env:USERNAME",
    "`whoami`",
    "it's",
    "it\u2019s",
    "a|b>c<d",
    "(x)",
    "back\\slash\\",
    'tail\\"q',
    "!x!",
    "mixed \"&%^$`'\\",
    "",
]
ENV = {"PATH": "EXPANDED", "TEMP": "EXPANDED", "x": "EXPANDED", '"^': "EXPANDED"}


def cmd_line(line: str) -> tuple[str, list[str]]:
    """What cmd.exe hands the program (interactive prompt: percent expansion of defined names,
    then carets removed outside quotes) and the operators it would act on."""
    expanded, i = [], 0
    while i < len(line):
        end = line.find("%", i + 1) if line[i] == "%" else -1
        if end > i and line[i + 1 : end] in ENV:
            expanded.append(ENV[line[i + 1 : end]])
            i = end + 1
            continue
        expanded.append(line[i])
        i += 1
    text, out, live, inside, i = "".join(expanded), [], [], False, 0
    while i < len(text):
        char = text[i]
        if char == '"':
            inside = not inside
        elif not inside and char == "^" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        elif not inside and char in "&|<>":
            live.append(char)
        out.append(char)
        i += 1
    return "".join(out), live


def c_runtime_args(line: str) -> list[str]:
    """argv as the Microsoft C runtime parses a command line (backslash and quote rules, a pair
    of quotes inside quotes is one literal quote)."""
    args: list[str] = []
    current, inside, started, i = [], False, False, 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            run = len(line) - i - len(line[i:].lstrip("\\"))
            if i + run < len(line) and line[i + run] == '"':
                current.append("\\" * (run // 2))
                if run % 2:
                    current.append('"')
                    i += run + 1
                else:
                    i += run
                started = True
                continue
            current.append("\\" * run)
            i += run
            started = True
            continue
        if char == '"':
            if inside and line[i + 1 : i + 2] == '"':
                current.append('"')
                i += 2
                continue
            inside, started = not inside, True
        elif char in " \t" and not inside:
            if started:
                args.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
        i += 1
    if started:
        args.append("".join(current))
    return args


@pytest.mark.parametrize("value", HOSTILE)
def test_cmd_arg_is_one_literal_argument(value: str) -> None:
    program_sees, live = cmd_line(f"certutil -store my {cmd_arg(value)} next")
    assert live == []
    assert c_runtime_args(program_sees) == ["certutil", "-store", "my", value, "next"]


@pytest.mark.parametrize("value", ["my", "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c", "{4dc3e181}"])
def test_cmd_word_leaves_plain_words_bare(value: str) -> None:
    assert cmd_word(value) == value


def ps_string(text: str) -> tuple[str, str]:
    """A single-quoted PowerShell string at the start of ``text``: (its value, the rest)."""
    quotes = "'\u2018\u2019\u201a\u201b"
    assert text[0] in quotes
    out, i = [], 1
    while i < len(text):
        if text[i] in quotes:
            if i + 1 < len(text) and text[i + 1] in quotes:
                out.append(text[i])
                i += 2
                continue
            return "".join(out), text[i + 1 :]
        out.append(text[i])
        i += 1
    raise AssertionError("unterminated string")


@pytest.mark.parametrize("value", HOSTILE)
def test_ps_literal_is_one_verbatim_string(value: str) -> None:
    assert ps_string(ps_literal(value) + " -Force") == (value, " -Force")


def inf_value(text: str) -> tuple[str, str]:
    """A double-quoted INF string at the start of ``text`` with %% and "" undone."""
    assert text[0] == '"'
    out, i = [], 1
    while i < len(text):
        if text[i] == '"':
            if text[i + 1 : i + 2] == '"':
                out.append('"')
                i += 2
                continue
            return "".join(out), text[i + 1 :]
        if text[i] == "%":
            assert text[i + 1] == "%", "a lone % would start a string substitution"
            out.append("%")
            i += 2
            continue
        out.append(text[i])
        i += 1
    raise AssertionError("unterminated string")


@pytest.mark.parametrize("value", HOSTILE)
def test_inf_quoted_stays_inside_its_value(value: str) -> None:
    assert inf_value(inf_quoted(value) + "\n") == (value, "\n")


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "x\x1b[2Jy", "z\x00", "\u2028"])
def test_line_breaks_and_controls_become_a_failing_placeholder(value: str) -> None:
    for quoted in (cmd_arg(value), ps_literal(value), inf_quoted(value), cmd_word(value)):
        assert "\n" not in quoted and "\r" not in quoted and "\x1b" not in quoted
        assert "<value: it holds a control character" in quoted


def test_an_entry_with_the_separator_cannot_be_written() -> None:
    assert inf_entry("dns=a&dns=evil.example") is None
    assert inf_entry('dns=a"b%c') == 'dns=a""b%%c'


def test_generated_request_inf_keeps_hostile_san_and_subject_inside_their_values() -> None:
    cert = Certificate(
        index=0,
        store="my",
        user_store=False,
        thumbprint=None,
        subject='CN=web"&calc%PATH%, O=Contoso',
        san=(
            "DNS Name=www.contoso.com",
            'DNS Name=we"b%x.contoso.com',
            "DNS Name=a&dns=evil.example",
            "DNS Name=x\ny",
        ),
    )
    inf = remedies.new_request(cert)[0].text.split("\n", 1)[1]
    lines = inf.split("\n")
    subject_line = next(line for line in lines if line.startswith("Subject = "))
    assert inf_value(subject_line.removeprefix("Subject = ")) == (cert.subject, "")
    continued = [line.removeprefix("_continue_ = ") for line in lines if "_continue_" in line]
    assert [inf_value(text)[0] for text in continued] == [
        "dns=www.contoso.com&",
        'dns=we"b%x.contoso.com',
    ]
    left_out = [line for line in lines if line.startswith("; left out")]
    assert left_out == [
        "; left out (add it by hand): dns=a&dns=evil.example",
        "; left out (add it by hand): dns=x\\ny",
    ]


def test_fix_commands_quote_a_hostile_serial_and_store() -> None:
    cert = Certificate(index=0, store="my&calc", user_store=False, thumbprint=None, serial="1&2")
    key = Key(container="c&del", provider='KSP"&x', flags=32)
    texts = [step.text for step in remedies.export_reimport(cert)] + [remedies.verify(cert)]
    commands = [t.split("   (")[0].split(" > ")[0] for t in texts if t.startswith("certutil")]
    assert len(commands) >= 5
    for command in commands:
        program_sees, live = cmd_line(command)
        assert live == [], command
        args = c_runtime_args(program_sees)
        if " -dump " not in command:
            assert "my&calc" in args
        assert "1&2" in args or "EXPANDED\\certificate.pfx" in args  # (%TEMP% expands)

    def inf_of(k: Key) -> str:
        steps = remedies.repair_ksp_keyspec(cert, k)
        return next(s.text for s in steps if s.text.startswith("Save this as"))

    inf = inf_of(key)
    assert "<Key Container holds '&'" in inf and "<Provider holds '&'" in inf
    healthy = replace(key, container="te-0125d557", provider="Microsoft Software Key Storage")
    assert '"Container=te-0125d557&"' in inf_of(healthy)
