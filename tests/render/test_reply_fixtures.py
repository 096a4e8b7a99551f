"""Every fixture ticket's Markdown reply is fit to paste to the customer: no internal rule id,
no folder of the engineer's machine, and the window of every event log that was read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzer.model import Analysis
from analyzer.pipeline import run_analysis
from analyzer.render.markdown import render_markdown
from analyzer.rulekit.registry import rule_classes

ROOT = Path(__file__).resolve().parents[2]
TICKETS = sorted(p for p in (ROOT / "fixtures" / "tickets").iterdir() if p.is_dir())
# A POSIX path of two or more folders not inside a URL, an event channel or a switch.
POSIX_ABSOLUTE = re.compile(r"(?<![\w%>.:/-])/[\w.-]+/[\w.-]+")


@pytest.fixture(scope="module", params=TICKETS, ids=lambda p: p.name)
def analysed(request: pytest.FixtureRequest) -> tuple[Path, Analysis, str]:
    ticket: Path = request.param
    analysis = run_analysis([ticket])  # an absolute path, as an engineer's shell gives it
    return ticket, analysis, render_markdown(analysis)


def test_reply_names_no_rule_id(analysed: tuple[Path, Analysis, str]) -> None:
    _, analysis, reply = analysed
    ids = set(rule_classes())
    assert {d.id for d in analysis.diagnoses} <= ids
    for rule_id in ids:
        assert not re.search(rf"(?<![\w-]){re.escape(rule_id)}(?![\w-])", reply), rule_id


def test_reply_holds_no_path_of_the_engineers_machine(analysed: tuple[Path, Analysis, str]) -> None:
    ticket, _, reply = analysed
    assert str(ticket.parent) not in reply
    assert "fixtures/tickets" not in reply
    assert POSIX_ABSOLUTE.findall(reply) == []
    cited = re.findall(r"\(`([^`]+?)(?::\d+|#record \d+)?`\)", reply)
    assert cited and all(not c.startswith("/") for c in cited), cited


def test_reply_states_the_window_of_every_log_read(analysed: tuple[Path, Analysis, str]) -> None:
    ticket, analysis, reply = analysed
    logs = [r for r in analysis.inputs if r.usable and r.coverage is not None]
    for result in logs:
        assert result.coverage is not None
        name = Path(result.path).relative_to(ticket).as_posix()
        first, last = (result.coverage.first or "")[:10], (result.coverage.last or "")[:10]
        window = first if first == last else f"{first} → {last}"
        failures = sum(e.event_id == 36870 for e in result.events)
        found = f"{failures} Schannel 36870 in it" if failures else "no 36870 in it"
        line = f"- {result.coverage.channel} log {window} (`{name}`): {found}"
        assert line in reply.splitlines(), (line, reply)
    assert any(r.coverage is not None for r in analysis.inputs) == bool(logs)
