"""Every renderer shows the account that must read the key beside the verdict."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from analyzer.model import Account
from analyzer.pipeline import run_analysis
from analyzer.render.html import render_report
from analyzer.render.markdown import render_markdown
from analyzer.render.report_facts import account_text
from analyzer.render.terminal import summary

TICKET = Path(__file__).resolve().parents[2] / "fixtures" / "tickets" / "s2-sddl"
SHOWN = (
    "NT AUTHORITY\\SYSTEM (S-1-5-18), assumed: HTTP.sys has Schannel open the key as LocalSystem"
)


def test_the_verdict_names_the_account_in_every_renderer() -> None:
    analysis = run_analysis([TICKET])
    assert analysis.diagnoses[0].account is not None
    assert f"- Account that must read the key: {SHOWN}" in render_markdown(analysis)
    html = render_report(analysis)
    assert "Account that must read the key: NT AUTHORITY\\SYSTEM (S-1-5-18)" in html
    console = Console(width=200, record=True)
    console.print(summary(analysis))
    assert f"account: {SHOWN}" in console.export_text()


def test_an_account_no_evidence_names_is_said_to_be_not_known() -> None:
    unknown = Account("the account of sqlservr (PID: 2210)", None, "event", False)
    assert account_text(unknown) == (
        "the account of sqlservr (PID: 2210), not known: no process listing (tasklist /v) names it"
    )
    listed = Account("NT Service\\MSSQLSERVER", "S-1-5-80-1", "evidence", False)
    assert account_text(listed) == "NT Service\\MSSQLSERVER (S-1-5-80-1), from a process listing"
