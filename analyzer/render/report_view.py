"""What the HTML report shows, worked out from an `Analysis` before any markup is written.

The templates in ``reports/`` only lay out these records; every decision (the verdict's wording,
which certificate a diagnosis points at, how times read, how much of a long list to show) is
made here, where tests can reach it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from analyzer.knowledge.eventfields import SCHANNEL
from analyzer.model import (
    Analysis,
    AskFor,
    Binding,
    Certificate,
    Diagnosis,
    Event,
    FixPlan,
    Message,
    ReadResult,
    Source,
)
from analyzer.readers import record_types
from analyzer.readers.records import event_sort_key
from analyzer.render.json import TOOL
from analyzer.render.report_facts import Fact, account_text, correlation_facts
from analyzer.render.steps import Step, split_step
from analyzer.render.timeline import Timeline, build_timeline, category_of, focus_window
from analyzer.render.times import (
    format_clock,
    format_local,
    format_utc,
    offset_label,
    parse_offset,
)
from analyzer.render.wording import FailureWording, failure_wording, is_powershell
from analyzer.rulekit import references

MAX_EVENT_ROWS = 200
MAX_MESSAGES_PER_INPUT = 50

SCENARIOS = {
    1: "Scenario 1: key imported as not exportable, broken keyset",
    2: "Scenario 2: MachineKeys permissions",
    3: "Scenario 3: KeySpec 2 (AT_SIGNATURE) instead of 1 (AT_KEYEXCHANGE)",
}
KEYSPEC_NAMES = {0: "0 (none)", 1: "1 (AT_KEYEXCHANGE)", 2: "2 (AT_SIGNATURE)"}
# Event data shown in the event table, in this order; the rest is in the JSON.
EVENT_FIELDS = (
    "Type",
    "ErrorCode",
    "ErrorStatus",
    "ErrorState",
    "Endpoint",
    "AlertDesc",
    "Protocol",
    "KeyName",
)


@dataclass(frozen=True)
class Verdict:
    tone: str  # "fault" | "unexplained" | "advisory" | "clear" | "no-input"
    headline: str
    detail: str
    diagnosis: Diagnosis | None


@dataclass(frozen=True)
class PlanStep:
    step: Step
    action: str | None  # "run" | "check" | "manual"; None for a step given without a plan
    page: tuple[str, str] | None  # (URL, title) of the Microsoft page it rests on


@dataclass(frozen=True)
class PlanView:
    title: str
    when: str
    steps: tuple[PlanStep, ...]
    paste_blocks: tuple[str, ...]


@dataclass(frozen=True)
class BindingLine:
    """A binding that names a certificate: endpoint -> thumbprint, with its source line."""

    binding: Binding
    thumbprint: str
    anchor: str | None  # the certificate's row in the table
    source: str


@dataclass(frozen=True)
class DiagnosisRow:
    anchor: str
    diagnosis: Diagnosis
    scenario: str | None
    steps: tuple[Step, ...]
    certificates: tuple[tuple[str, str | None], ...]  # (thumbprint, table anchor when listed)
    events: tuple[str, ...]
    references: tuple[tuple[str, bool], ...]  # (reference, is a web link)
    plans: tuple[PlanView, ...] = ()
    # "fault" | "advisory" | "alternative" (a runner-up: not confirmed, never a second fault)
    tone: str = "advisory"
    alternative_to: str | None = None  # the anchor of the diagnosis it is the runner-up of
    bindings: tuple[BindingLine, ...] = ()
    account: str | None = None  # the account that must read the key, as a sentence


@dataclass(frozen=True)
class Problem:
    anchor: str
    kind: str
    title: str


@dataclass(frozen=True)
class CertRow:
    cert: Certificate
    anchor: str
    marks: tuple[str, ...]  # "selected in IIS (--thumbprint)", "the verdict's certificate"
    valid: str
    key_lines: tuple[str, ...]
    problems: tuple[Problem, ...]

    @property
    def worst(self) -> str | None:
        """``fault`` when any problem is one, else ``advisory``, else None."""
        kinds = {problem.kind for problem in self.problems}
        return "fault" if "fault" in kinds else ("advisory" if kinds else None)


@dataclass(frozen=True)
class EventRow:
    time_utc: str
    time_local: str | None
    category: str
    provider: str
    event_id: int
    record: int | None
    details: str
    source: str
    cited: bool


@dataclass(frozen=True)
class InputRow:
    result: ReadResult
    details: tuple[str, ...]
    messages: tuple[tuple[Message, str], ...]  # (message, where: "line 12", or another file)
    messages_hidden: int


@dataclass(frozen=True)
class ReportView:
    analysis: Analysis
    tool: dict[str, str]
    title: str
    verdict: Verdict
    diagnoses: tuple[DiagnosisRow, ...]  # in verdict order
    facts: tuple[Fact, ...]
    certificates: tuple[CertRow, ...]
    timeline: Timeline | None
    close_up: Timeline | None  # the minutes around the failure, when the whole is much longer
    events: tuple[EventRow, ...]
    events_hidden: int
    inputs: tuple[InputRow, ...]
    ask_for: tuple[tuple[AskFor, Step], ...]  # each request with its command split for copying
    offset: str | None
    at: str | None
    bindings: tuple[BindingLine, ...] = ()  # every binding of the case, in JSON order
    # The services and the failure the ticket is about (analyzer.render.wording).
    failure: FailureWording | None = None
    ask_powershell: bool = False  # a request's command is a PowerShell cmdlet line


def thumbprint_key(value: str | None) -> str:
    """Thumbprints compare without case, spaces, colons or invisible marks."""
    return re.sub(r"[^0-9a-f]", "", (value or "").lower())


def cert_anchor(cert: Certificate, position: int) -> str:
    key = thumbprint_key(cert.thumbprint)
    return f"cert-{key}" if key else f"cert-row-{position}"


def build_view(analysis: Analysis) -> ReportView:
    offset = parse_offset(analysis.context.local_offset)
    anchors = [(f"diag-{n}", d) for n, d in enumerate(analysis.diagnoses, start=1)]
    certificates = _cert_rows(analysis, anchors)
    listed = {thumbprint_key(row.cert.thumbprint): row.anchor for row in certificates}
    at_moment = analysis.at_moment
    host = _first_computer(analysis)
    events, hidden = _event_rows(analysis, offset)
    timeline = build_timeline(analysis.inputs, analysis.events, at_moment, offset)
    bindings = tuple(_binding_lines(analysis, listed))
    anchor_of_id: dict[str, str] = {}
    for anchor, d in anchors:
        anchor_of_id.setdefault(d.id, anchor)
    return ReportView(
        analysis=analysis,
        tool=dict(TOOL),
        title=f"certtriage report{f' for {host}' if host else ''}",
        verdict=_verdict(analysis),
        diagnoses=tuple(
            _diagnosis_row(anchor, d, listed, bindings, anchor_of_id) for anchor, d in anchors
        ),
        facts=correlation_facts(analysis.context, offset, lambda t: listed.get(thumbprint_key(t))),
        certificates=certificates,
        timeline=timeline,
        close_up=_close_up(analysis, timeline, offset),
        events=events,
        events_hidden=hidden,
        inputs=tuple(_input_row(r) for r in analysis.inputs),
        ask_for=tuple((item, split_step(item.command)) for item in analysis.ask_for),
        offset=offset_label(offset) if offset is not None else None,
        at=_both_times(at_moment, offset) if at_moment is not None else None,
        bindings=bindings,
        failure=failure_wording(analysis),
        ask_powershell=any(is_powershell(item.command) for item in analysis.ask_for),
    )


def tone_of(diagnosis: Diagnosis) -> str:
    """How a diagnosis is drawn: a runner-up is an alternative, not a second fault."""
    if diagnosis.alternative_to is not None:
        return "alternative"
    return "fault" if diagnosis.kind == "fault" else "advisory"


# The Microsoft pages fix steps rest on, by URL, for the link text.
PAGE_TITLES = {
    page.url: page.title for page in vars(references).values() if isinstance(page, references.Page)
}


def plan_views(diagnosis: Diagnosis) -> tuple[PlanView, ...]:
    """The diagnosis's fix plans; a diagnosis given with steps only is one plan of them."""
    plans: tuple[FixPlan, ...] = diagnosis.remediation_plans
    if not plans:
        if not diagnosis.remediation:
            return ()
        return (
            PlanView(
                "Fix",
                "",
                tuple(PlanStep(split_step(s), None, None) for s in diagnosis.remediation),
                (),
            ),
        )
    return tuple(
        PlanView(
            plan.title,
            plan.when,
            tuple(
                PlanStep(
                    split_step(step.text),
                    step.action.value,
                    (step.reference, PAGE_TITLES.get(step.reference, step.reference))
                    if step.reference.startswith("https://")
                    else None,
                )
                for step in plan.steps
            ),
            plan.paste_blocks,
        )
        for plan in plans
    )


def _binding_lines(analysis: Analysis, listed: dict[str, str]) -> list[BindingLine]:
    out = []
    for binding in analysis.bindings:
        thumbprint = binding.certificate_hash or ""
        key = thumbprint_key(thumbprint) if binding.hash_valid else ""
        out.append(BindingLine(binding, thumbprint, listed.get(key), str(binding.source)))
    return out


def bindings_naming(
    bindings: Sequence[BindingLine], thumbprints: Sequence[str]
) -> tuple[BindingLine, ...]:
    """The bindings whose certificate hash is one of ``thumbprints``."""
    wanted = {thumbprint_key(t) for t in thumbprints if thumbprint_key(t)}
    return tuple(
        b for b in bindings if b.binding.hash_valid and thumbprint_key(b.thumbprint) in wanted
    )


def _close_up(
    analysis: Analysis, timeline: Timeline | None, offset: timedelta | None
) -> Timeline | None:
    if timeline is None:
        return None
    window = focus_window(analysis.events, analysis.at_moment, offset, timeline.span)
    if window is None:
        return None
    return build_timeline(analysis.inputs, analysis.events, analysis.at_moment, offset, window)


def _diagnosis_row(
    anchor: str,
    diagnosis: Diagnosis,
    listed: dict[str, str],
    bindings: Sequence[BindingLine] = (),
    anchor_of_id: dict[str, str] | None = None,
) -> DiagnosisRow:
    return DiagnosisRow(
        plans=plan_views(diagnosis),
        tone=tone_of(diagnosis),
        alternative_to=(anchor_of_id or {}).get(diagnosis.alternative_to or ""),
        bindings=bindings_naming(bindings, diagnosis.certificates),
        anchor=anchor,
        diagnosis=diagnosis,
        scenario=SCENARIOS.get(diagnosis.scenario) if diagnosis.scenario is not None else None,
        steps=tuple(split_step(step) for step in diagnosis.remediation),
        certificates=tuple((t, listed.get(thumbprint_key(t))) for t in diagnosis.certificates),
        events=tuple(str(source) for source in diagnosis.events),
        # Only web addresses become links; anything else (a KB number, a title) stays text.
        references=tuple(
            (ref, ref.startswith(("https://", "http://"))) for ref in diagnosis.references
        ),
        account=account_text(diagnosis.account) if diagnosis.account else None,
    )


def _first_computer(analysis: Analysis) -> str | None:
    for result in analysis.inputs:
        if result.coverage is not None and result.coverage.computer:
            return result.coverage.computer
    return next((e.computer for e in analysis.events if e.computer), None)


def _verdict(analysis: Analysis) -> Verdict:
    if analysis.inputs and not any(r.usable for r in analysis.inputs):
        return Verdict(
            "no-input",
            "No usable input",
            "None of the files could be read as a certutil dump, an event log or other evidence; "
            "see Inputs below for what each file was taken for.",
            None,
        )
    first = analysis.diagnoses[0] if analysis.diagnoses else None
    tones = [tone_of(d) for d in analysis.diagnoses]
    faults, alternatives = tones.count("fault"), tones.count("alternative")
    advisories = tones.count("advisory")
    counts = f"{faults} fault{'s' if faults != 1 else ''}, " + (
        f"{alternatives} alternative{'s' if alternatives != 1 else ''} not confirmed, "
        if alternatives
        else ""
    )
    counts += f"{advisories} advisor{'ies' if advisories != 1 else 'y'}"
    if first is not None and first.kind == "fault":
        scenario = f"{SCENARIOS[first.scenario]}. " if first.scenario in SCENARIOS else ""
        return Verdict("fault", first.title, f"{scenario}{counts} in total.", first)
    # Server-side 36870 with no fault to explain them is its own outcome (exit code 4).
    failures = sum(
        1
        for e in analysis.events
        if e.provider == SCHANNEL and e.event_id == 36870 and e.role != "client"
    )
    service_failures = analysis.context.service_failures
    if not failures and service_failures:
        return Verdict(
            "unexplained",
            "No known cause for the service's certificate failures",
            f"{service_failures} failure event{'s' if service_failures != 1 else ''} of "
            f"{failure_wording(analysis).service_label or 'a service'} in the logs, but no rule "
            "explains "
            f"{'them' if service_failures != 1 else 'it'}; {counts}."
            + " Next steps lists what could not be checked and what to ask the customer for.",
            first,
        )
    if failures:
        return Verdict(
            "unexplained",
            "No known cause for the Schannel 36870 events",
            f"{failures} server-side 36870 event{'s' if failures != 1 else ''} in the logs, "
            f"but no rule explains {'them' if failures != 1 else 'it'}; {counts}."
            + (f" First: {first.title}." if first is not None else "")
            + " Next steps lists what could not be checked and what to ask the customer for.",
            first,
        )
    what_fails = (
        "the binding" if failure_wording(analysis).about_binding else "the service's certificate"
    )
    if first is None:
        return Verdict(
            "clear", "No diagnosis", "No rule had anything to say about this case.", None
        )
    return Verdict(
        "advisory",
        "No fault found",
        f"Nothing found can make {what_fails} fail; {counts}. First: {first.title}.",
        first,
    )


def _cert_rows(
    analysis: Analysis, diagnoses: Sequence[tuple[str, Diagnosis]]
) -> tuple[CertRow, ...]:
    selected = thumbprint_key(analysis.thumbprint)
    verdict = analysis.diagnoses[0] if analysis.diagnoses else None
    verdict_certs = {thumbprint_key(t) for t in verdict.certificates} if verdict else set()
    # thumbprint -> the diagnoses naming it, in verdict order (one pass: a big dump can have
    # a thousand certificates and as many diagnoses)
    problems_of: dict[str, list[Problem]] = {}
    for anchor, d in diagnoses:
        for key in dict.fromkeys(thumbprint_key(t) for t in d.certificates):
            problems_of.setdefault(key, []).append(Problem(anchor, tone_of(d), d.title))
    rows = []
    for position, cert in enumerate(analysis.certificates, start=1):
        key = thumbprint_key(cert.thumbprint)
        marks = []
        if key and key == selected:
            marks.append("selected in IIS (--thumbprint)")
        if key and key in verdict_certs and verdict is not None and verdict.kind == "fault":
            marks.append("the verdict's certificate")
        problems = tuple(problems_of.get(key, ())) if key else ()
        rows.append(
            CertRow(
                cert=cert,
                anchor=cert_anchor(cert, position),
                marks=tuple(marks),
                valid=_validity(cert),
                key_lines=_key_lines(cert),
                problems=problems,
            )
        )
    return tuple(rows)


def _validity(cert: Certificate) -> str:
    start = cert.valid_from or cert.not_before
    end = cert.valid_to or cert.not_after
    if not start and not end:
        return "not in the dump"
    return f"{(start or '?').replace('T', ' ')} to {(end or '?').replace('T', ' ')}"


def _key_lines(cert: Certificate) -> tuple[str, ...]:
    key = cert.key
    if key is None:
        return ("no key information",)
    lines = []
    kind = {"csp": "CSP", "ksp": "KSP (CNG)"}.get(key.provider_class or "", "")
    if key.provider or kind:
        lines.append(" ".join(part for part in (kind, key.provider and f"{key.provider}") if part))
    if key.keyspec is not None:
        lines.append(f"KeySpec {KEYSPEC_NAMES.get(key.keyspec, str(key.keyspec))}")
    if key.exportable is not None:
        lines.append("exportable" if key.exportable else "not exportable")
        if key.export_policy == "encrypted-only":
            lines[-1] += " (encrypted PFX only)"
    state = f"key state: {key.state}"
    if key.error is not None:
        state += " (" + ", ".join(p for p in (key.error.code, key.error.name) if p) + ")"
    lines.append(state)
    if key.container or key.key_file:
        lines.append(f"container: {key.container or key.key_file}")
    return tuple(lines)


def _both_times(moment: datetime, offset: timedelta | None) -> str:
    text = format_utc(moment)
    return f"{text} ({format_local(moment, offset)})" if offset is not None else text


def _event_rows(analysis: Analysis, offset: timedelta | None) -> tuple[tuple[EventRow, ...], int]:
    cited: set[Source] = {source for d in analysis.diagnoses for source in d.events}
    shown: list[tuple[str, tuple[str, int], EventRow]] = []
    for event in analysis.events:
        category = category_of(event)
        if category is None:
            continue
        moment = event.utc_moment(offset)
        row = EventRow(
            time_utc=format_utc(moment) if moment else (event.time or "no time"),
            # the column header names the offset
            time_local=format_clock(moment, offset) if moment and offset is not None else None,
            category=category,
            provider=event.provider,
            event_id=event.event_id,
            record=event.record_id,
            details=_event_details(event),
            source=str(event.source),
            cited=event.source in cited
            or Source(event.source.path, record=event.record_id) in cited,
        )
        shown.append((moment.isoformat() if moment else "~", event_sort_key(event), row))
    # Cited events first so that the evidence is never among the rows left out.
    shown.sort(key=lambda item: (not item[2].cited, item[0], item[1]))
    kept = sorted(shown[:MAX_EVENT_ROWS], key=lambda item: (item[0], item[1]))
    return tuple(row for _, _, row in kept), max(0, len(shown) - MAX_EVENT_ROWS)


def _event_details(event: Event) -> str:
    parts = [f"{name}={event.data[name]}" for name in EVENT_FIELDS if name in event.data]
    if event.sspi_process:
        parts.append(f"SSPI client process: {event.sspi_process}")
    return ", ".join(parts)


def _input_row(result: ReadResult) -> InputRow:
    details = []
    if result.encoding:
        details.append(f"encoding {result.encoding}")
    if result.engine:
        details.append(f"engine {result.engine}")
    labels = {record_type.cls: record_type.label for record_type in record_types()}
    for record_cls, records in result.store:
        details.append(f"{len(records)} {labels.get(record_cls, record_cls.__name__)}")
    coverage = result.coverage
    if coverage is not None:
        if coverage.channel:
            details.append(f"log {coverage.channel}")
        if coverage.computer:
            details.append(f"computer {coverage.computer}")
        first, last = coverage.first_moment, coverage.last_moment
        if first and last:
            details.append(f"covers {format_utc(first)} to {format_utc(last)}")
        details.append(f"{coverage.records} records")
        if coverage.chunks_bad:
            details.append(f"{coverage.chunks_bad} unreadable chunks")
        if coverage.record_gaps:
            gaps = ", ".join(f"{a}-{b}" for a, b in coverage.record_gaps[:5])
            details.append(f"record gaps {gaps}")
        if coverage.os is not None:
            build = f" build {coverage.os.build}" if coverage.os.build else ""
            details.append(f"Windows {coverage.os.version}{build}")
    messages = tuple(
        (m, _where(m.source, result.path)) for m in result.messages[:MAX_MESSAGES_PER_INPUT]
    )
    return InputRow(
        result, tuple(details), messages, max(0, len(result.messages) - MAX_MESSAGES_PER_INPUT)
    )


def _where(source: Source, path: str) -> str:
    """Where a message points, short when it is in the input's own file."""
    if source.path != path:
        return str(source)
    if source.line is not None:
        return f"line {source.line}"
    return f"record {source.record}" if source.record is not None else ""
