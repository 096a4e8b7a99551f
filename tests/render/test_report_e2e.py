"""The report on whole fixture tickets, through the real pipeline: what the analysis found is
what the page shows (verdict, each diagnosis's evidence and fix, certificates, inputs, next
steps), byte-identical from run to run, and a hostile dump stays text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markupsafe import escape

from analyzer.model import Analysis
from analyzer.pipeline import run_analysis
from analyzer.render.html import render_report
from analyzer.render.report_view import cert_anchor
from analyzer.render.steps import split_step
from fixtures.writers.certutil_dump import CertSpec, DumpSpec, write
from tests.render.report_cases import HOSTILE

TICKETS = Path(__file__).resolve().parents[2] / "fixtures" / "tickets"
ALL_TICKETS = sorted(p.name for p in TICKETS.iterdir() if p.is_dir()) if TICKETS.is_dir() else []


def _section(html: str, section: str) -> str:
    return html.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]


def _report(*paths: Path) -> tuple[Analysis, str]:
    analysis = run_analysis(list(paths))
    return analysis, render_report(analysis)


def _shown(value: str, html: str) -> bool:
    """The value as the page shows it (escaped the way jinja escapes)."""
    return str(escape(value)) in html


@pytest.mark.parametrize("name", ALL_TICKETS)
def test_the_page_shows_what_the_analysis_found(name: str) -> None:
    analysis, html = _report(TICKETS / name)
    verdict = _section(html, "verdict")
    if analysis.diagnoses:
        assert _shown(analysis.diagnoses[0].title, verdict)
    for number, diagnosis in enumerate(analysis.diagnoses, start=1):
        block = html.split(f'id="diag-{number}"', 1)[1].split("</article>", 1)[0]
        assert _shown(diagnosis.title, block)
        for item in diagnosis.evidence:
            assert _shown(str(item.source), block)
        for step in diagnosis.remediation:
            command = split_step(step).command
            if command is not None:
                assert f"<pre>{escape(command)}</pre>" in block
    for position, cert in enumerate(analysis.certificates, start=1):
        assert f'id="{cert_anchor(cert, position)}"' in html
    for result in analysis.inputs:
        assert _shown(result.path, _section(html, "inputs"))
    follow_up = _section(html, "follow-up")
    for item in analysis.ask_for:
        command = split_step(item.command).command
        assert _shown(item.what, follow_up)
        if command is not None:
            assert f"<pre>{escape(command)}</pre>" in follow_up
    for gap in analysis.not_checked:
        assert _shown(gap.what, follow_up)
    failures = [e for e in analysis.events if e.provider == "Schannel" and e.event_id == 36870]
    if failures:
        assert 'class="mark key-failure"' in _section(html, "timeline")


@pytest.mark.parametrize(
    "name", [n for n in ("demo-keyspec2", "s1-mixed", "s3-mixed") if n in ALL_TICKETS]
)
def test_same_ticket_same_bytes(name: str) -> None:
    assert _report(TICKETS / name)[1] == _report(TICKETS / name)[1]


def test_demo_ticket_names_scenario_3_and_marks_its_certificate() -> None:
    if "demo-keyspec2" not in ALL_TICKETS:
        pytest.skip("the demo ticket is not in fixtures/tickets")
    analysis, html = _report(TICKETS / "demo-keyspec2")
    verdict = _section(html, "verdict")
    assert "Scenario 3: KeySpec 2 (AT_SIGNATURE)" in verdict
    (thumbprint,) = analysis.diagnoses[0].certificates
    row = html.split(f'id="cert-{thumbprint}"', 1)[1].split("</tr>", 1)[0]
    assert "the verdict&#39;s certificate" in row and "KeySpec 2 (AT_SIGNATURE)" in row
    assert re.search(r'href="#diag-1" class="problem fault"', row)


def test_hostile_dump_stays_text(tmp_path: Path) -> None:
    dump = DumpSpec(
        certs=[CertSpec(subject=f"CN={HOSTILE}", friendly_name=HOSTILE, keyspec=2)],
        verbose=True,
    )
    write(dump, tmp_path / "my.txt")
    analysis, html = _report(tmp_path / "my.txt")
    assert any(HOSTILE in (c.subject or "") for c in analysis.certificates)
    assert "<img" not in html
    assert _shown(HOSTILE, html)
