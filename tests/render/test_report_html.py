"""Golden tests of the HTML report: every section is there, customer text is escaped, the page
is the same bytes for the same analysis, and empty or huge cases still give a sound page."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

from analyzer import __version__
from analyzer.model import (
    Analysis,
    AskFor,
    CorrelationSummary,
    Diagnosis,
    Evidence,
    EvidenceNote,
    InScope,
    NotChecked,
    ReadResult,
    Source,
    Status,
)
from analyzer.render.html import render_report
from analyzer.render.report_view import MAX_EVENT_ROWS
from analyzer.render.steps import Step, split_step
from tests.render.report_cases import (
    HOSTILE,
    LOG,
    THUMB,
    empty_analysis,
    make_analysis,
    schannel_36870,
)

SECTIONS = ("verdict", "diagnoses", "certificates", "timeline", "inputs", "follow-up")


class Outline(HTMLParser):
    """The element names, ids and link targets of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.append((name, value or ""))
            if name == "id":
                self.ids.append(value or "")
            if name == "href":
                self.hrefs.append(value or "")


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def test_every_section_is_present_with_its_content() -> None:
    html = render_report(make_analysis())
    page = outline(html)
    for section in SECTIONS:
        assert section in page.ids
        assert f'data-section="{section}"' in html
    # the verdict, named with its scenario and certificate
    verdict = html.split('id="verdict"')[1].split("</section>")[0]
    assert "KeySpec 2 (AT_SIGNATURE); Schannel needs 1" in verdict
    assert "Scenario 3" in verdict and THUMB in verdict
    # each diagnosis with its evidence (file + line / record) and copy-ready fix
    assert {"diag-1", "diag-2"} <= set(page.ids)
    assert "ticket/my.txt:31" in html
    assert "ticket.zip!/logs/System.evtx#record 2211" in html
    assert f"<pre>certutil -exportPFX -p &#34;&lt;new PFX password&gt;&#34; my {THUMB}" in html
    # the certificate table links each certificate to its problem
    assert f"cert-{THUMB}" in page.ids
    assert "#diag-1" in page.hrefs and f"#cert-{THUMB}" in page.hrefs
    # the timeline: an SVG with the two 36870 merged or not, the --at line, the event table
    assert "svg" in page.tags
    assert 'class="at-line"' in html and "--at 2025-03-02 08:15:00 UTC" in html
    assert 'id="close-up"' in html and html.count("<svg") == 2
    assert html.count('<tr class="key-failure cited">') == 2
    # inputs with status and warnings; follow-up lists
    assert (
        'chunk 3: bad checksum, 212 records skipped <span class="muted">(record 1500)</span>'
        in html
    )
    assert 'class="badge status-skipped"' in html and 'class="badge status-partial"' in html
    assert "no icacls listing among the inputs" in html
    assert "<pre>certutil -v -store webhosting &gt; webhosting.txt</pre>" in html
    # the tool and its version, and the correlation facts
    assert f"certtriage {__version__}" in html
    assert "the SSPI client process is SYSTEM (PID 4): HTTP.sys" in html


def test_times_show_utc_and_local_when_the_offset_is_known() -> None:
    html = render_report(make_analysis())
    assert "2025-03-02 08:14:05 UTC" in html
    assert '<td class="time">2025-03-02 09:14:05</td>' in html
    assert "Local (UTC+01:00)" in html
    assert "2025-03-02 08:15:00 UTC (2025-03-02 09:15:00 local (UTC+01:00))" in html
    unknown = render_report(make_analysis(context=CorrelationSummary()))
    assert "local (UTC" not in unknown
    assert "the customer's local offset is not known" in unknown


def _hostile_everywhere() -> Analysis:
    analysis = make_analysis(subject=HOSTILE, thumbprint=HOSTILE, at=HOSTILE)
    analysis.inputs.append(ReadResult(f"ticket/{HOSTILE}.txt", "certutil", status=Status.ERROR))
    analysis.inputs[-1].fail(f"cannot read {HOSTILE}", line=1, code="input.unreadable")
    analysis.events.append(replace(schannel_36870(9, HOSTILE), data={"Type": HOSTILE}))
    analysis.diagnoses.append(
        Diagnosis(
            id=HOSTILE,
            kind="advisory",
            scenario=None,
            title=HOSTILE,
            confidence="low",
            confidence_reason=HOSTILE,
            certificates=(HOSTILE,),
            evidence=(Evidence(HOSTILE, Source(HOSTILE, line=1), HOSTILE),),
            remediation=(f'icacls "{HOSTILE}" </script><script>alert(1)</script>',),
            references=("javascript:alert(1)", HOSTILE),
            summary=HOSTILE,
        )
    )
    analysis.not_checked.append(NotChecked(HOSTILE, HOSTILE))
    analysis.ask_for.append(AskFor(HOSTILE, HOSTILE, HOSTILE))
    analysis.context = WithNewFact(
        **{f.name: getattr(analysis.context, f.name) for f in dataclasses.fields(analysis.context)},
        new_fact=HOSTILE,
    )
    analysis.context = dataclasses.replace(
        analysis.context,
        in_use=(HOSTILE,),
        in_scope=(InScope(HOSTILE, (HOSTILE,)),),
        service_evidence=(EvidenceNote(HOSTILE, HOSTILE, HOSTILE),),
        notes=(HOSTILE,),
    )
    return analysis


def test_customer_text_is_escaped_everywhere() -> None:
    html = render_report(_hostile_everywhere())
    page = outline(html)
    assert "img" not in page.tags and "script" not in page.tags
    assert "<img" not in html and "<script" not in html and "</script>" not in html
    assert not any(name.startswith("on") for name, _ in page.attributes)
    assert not any(href.lower().startswith("javascript:") for href in page.hrefs)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # the page itself forbids scripts and fetches, should anything slip through
    assert "content=\"default-src 'none';" in html


def test_same_analysis_gives_the_same_bytes() -> None:
    first = render_report(make_analysis())
    assert render_report(make_analysis()) == first
    assert render_report(make_analysis()) == render_report(make_analysis())


def test_empty_cases_keep_every_section() -> None:
    html = render_report(empty_analysis())
    assert set(SECTIONS) <= set(outline(html).ids)
    assert "No diagnosis" in html
    assert "No certificates" in html
    assert "No timeline" in html
    assert "Nothing more is needed." in html
    assert "<svg" not in html


def test_no_usable_input_is_the_verdict() -> None:
    broken = ReadResult("ticket/System.evtx", "evtx")
    broken.fail("not an EVTX file: bad file header", code="evtx.no-chunk")
    html = render_report(Analysis(inputs=[broken], certificates=[], events=[], diagnoses=[]))
    assert "No usable input" in html
    assert "not an EVTX file: bad file header" in html


def test_36870_without_a_fault_is_unexplained() -> None:
    analysis = make_analysis()
    analysis.diagnoses = analysis.diagnoses[1:]
    verdict = render_report(analysis).split('id="verdict"')[1].split("</section>")[0]
    assert "No known cause for the Schannel 36870 events" in verdict
    assert "2 server-side 36870 events in the logs, but no rule explains them" in verdict
    analysis.diagnoses = []
    assert "No known cause" in render_report(analysis)


def test_advisories_only_say_no_fault() -> None:
    analysis = make_analysis()
    analysis.diagnoses = analysis.diagnoses[1:]
    analysis.events = [e for e in analysis.events if e.event_id != 36870]
    verdict = render_report(analysis).split('id="verdict"')[1].split("</section>")[0]
    assert "No fault found" in verdict
    assert "An old certificate for the same name has expired" in verdict


def test_very_long_strings_are_kept_whole_and_may_wrap() -> None:
    subject = "CN=" + "a" * 5000
    html = render_report(make_analysis(subject=subject))
    assert subject in html
    css = html.split("<style>")[1].split("</style>")[0]
    assert re.search(r"table \{[^}]*table-layout: fixed", css)
    assert re.search(r"pre \{[^}]*white-space: pre-wrap", css)
    assert "overflow-wrap" in css


def test_long_event_lists_are_bounded_but_keep_the_evidence() -> None:
    analysis = make_analysis()
    noise = [
        replace(
            schannel_36870(
                10_000 + n, f"2025-03-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"
            ),
            event_id=36888,
        )
        for n in range(1500)
    ]
    analysis.events = noise + analysis.events
    html = render_report(analysis)
    assert (
        html.count('<tr class="schannel')
        + html.count('<tr class="key-failure')
        + html.count('<tr class="http')
        == MAX_EVENT_ROWS
    )
    assert html.count('<tr class="key-failure cited">') == 2
    assert f"{1500 + 3 - MAX_EVENT_ROWS} more events are not listed here" in html
    assert html.count("<circle") < 400  # merged marks, not one per event
    assert len(html) < 400_000


def test_diagnosis_pointing_at_a_certificate_missing_from_the_dump() -> None:
    analysis = make_analysis()
    analysis.diagnoses = [replace(analysis.diagnoses[0], certificates=("ab" * 20,))]
    html = render_report(analysis)
    assert "(not in the dump)" in html
    assert f"#cert-{'ab' * 20}" not in html


def test_events_without_inputs_or_times_do_not_break_the_timeline() -> None:
    analysis = make_analysis(inputs=[], certificates=[])
    analysis.events = [*analysis.events, replace(schannel_36870(5, "garbage"), time=None)]
    html = render_report(analysis)
    assert LOG in html
    assert "1 event without a usable time (missing, unreadable, or before 1990) is listed" in html
    assert "no time" in html


def test_fix_steps_put_the_command_alone_in_its_block() -> None:
    html = render_report(make_analysis())
    fix = html.split("<h4>Fix</h4>")[1].split("</ol>")[0]
    assert f"<pre>certutil -v -store my {THUMB}</pre>" in fix
    assert '<p class="step-note">expect: KeySpec = 1 -- AT_KEYEXCHANGE</p>' in fix
    assert "<p>Save this as %TEMP%\\request.inf:</p>" in fix
    assert "<pre>[NewRequest]\nKeySpec = 1\nProviderType = 12</pre>" in fix
    assert "<code>netsh http add sslcert ...</code>" in fix
    assert fix.count("<pre>") == 4


def test_split_step_shapes() -> None:
    assert split_step("icacls C:\\k /save x") == Step((), "icacls C:\\k /save x", None)
    assert split_step("Submit it to the CA, then: certreq -accept new.cer") == Step(
        (("Submit it to the CA, then:", False),), "certreq -accept new.cer", None
    )
    assert split_step("Get-ChildItem Cert:\\LocalMachine\\My").command is not None
    assert split_step("Ask for `a` and `b") == Step((("Ask for `a` and `b", False),), None, None)


def test_correlation_facts_are_spelled_out() -> None:
    html = render_report(make_analysis())
    verdict = html.split('id="verdict"')[1].split("</section>")[0]
    facts = verdict.split('<dl class="facts">')[1].split("</dl>")[0]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", facts))
    assert "2 server-side considered for the failed binding, of 2 in the logs" in text
    assert "2025-03-02 08:15:00 UTC (2025-03-02 09:15:00 local (UTC+01:00)), from --at" in text
    assert "--at had no UTC offset, so it was taken as UTC" in text
    assert f'<a href="#cert-{THUMB}"><code>{THUMB}</code></a>' in facts
    assert "--thumbprint; valid at the event time" in text
    assert "The SSPI client process is SYSTEM (PID: 4)." in text
    assert "Windows 10.0 build 17763" in text
    assert "are for a client credential" in text
    assert "local_offset" not in facts and "Local offset" not in text


@dataclasses.dataclass(frozen=True)
class WithNewFact(CorrelationSummary):
    """A correlation fact added later (one field with a default) that the report has no
    sentence for yet."""

    new_fact: Any = None


def test_unknown_context_keys_still_show_and_nothing_known_is_required() -> None:
    html = render_report(make_analysis(context=WithNewFact(new_fact={"a": [1, 2], "b": None})))
    assert "New fact" in html and "a: 1, 2; b:" in html
    bare = render_report(make_analysis(context=CorrelationSummary()))
    assert "not known: no --thumbprint and no SSL binding among the inputs" in bare
    assert "none in the logs given" in bare


def test_many_diagnoses_get_an_index() -> None:
    analysis = make_analysis()
    assert 'class="diag-index"' not in render_report(analysis)
    extra = analysis.diagnoses[1]
    analysis.diagnoses += [replace(extra, id=f"extra-{n}", title=f"Extra {n}") for n in range(3)]
    html = render_report(analysis)
    index = html.split('<ol class="diag-index">')[1].split("</ol>")[0]
    assert index.count("<li>") == 5 and 'href="#diag-5"' in index and "Extra 2" in index


def test_the_failures_point_at_nothing_when_there_are_no_failures() -> None:
    from dataclasses import replace

    from analyzer.model import CorrelationSummary, InScope
    from analyzer.render.report_facts import correlation_facts

    context = CorrelationSummary(failures=0, in_scope=(InScope("ab" * 20, ("named",)),))
    labels = [fact.label for fact in correlation_facts(context, None, lambda t: None)]
    assert "Certificates the failures point at" not in labels
    context = replace(context, failures=2)
    labels = [fact.label for fact in correlation_facts(context, None, lambda t: None)]
    assert "Certificates the failures point at" in labels


def test_the_terminal_verdict_names_its_bindings_and_its_alternative() -> None:
    from pathlib import Path

    from rich.console import Console

    from analyzer.pipeline import run_analysis
    from analyzer.render.terminal import summary

    tickets = Path(__file__).resolve().parents[2] / "fixtures" / "tickets"
    console = Console(width=400, record=True)
    console.print(summary(run_analysis([tickets / "collection-s2"])))
    text = console.export_text()
    assert "binding: 0.0.0.0:443 -> 26c8c253be4503b5ca817e34be8e4fe11c5de9c8 (netsh, " in text
    console = Console(width=400, record=True)
    console.print(summary(run_analysis([tickets / "s2-none"])))
    text = console.export_text()
    assert "first fix step: certutil -repairstore my 26c8c253" in text
    assert "alternative, not confirmed: machinekeys-permissions" in text
    assert "alternative  low" in text
