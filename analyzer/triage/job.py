"""The per-ticket job: analyse one queue entry and render its reports, in any process.

The job reads the ticket but writes nothing: it returns the report texts and a summary row, and
the process that owns OUTDIR writes them. So the same function runs in the local process pool
and on a Dask worker, and both give byte-identical results.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.inputs.archive_base import LIMIT_REACHED
from analyzer.knowledge.eventfields import SCHANNEL
from analyzer.model import Analysis, Event, Level, Status
from analyzer.render.wording import failure_wording
from analyzer.triage.tickets import content_key

# Part of the content key: raised when a ticket's output folder or summary row gains
# something (2: reply.md, no-usable-input, host and failure columns), so that a re-run writes
# it for tickets analysed by an older layout.
OUTPUTS_VERSION = 2
NO_USABLE_INPUT = "no-usable-input"
MAX_REASON = 500  # characters of a reason kept in the summaries
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class TicketJob:
    name: str  # entry name in the queue folder
    queue: str  # the queue folder, as the worker sees it
    previous_key: str | None = None  # key of the last analysis written to OUTDIR, if any
    force: bool = False
    engine: str | None = None  # evtx engine option passed to the readers
    out_name: str = ""  # the ticket's output folder name (see Ticket.out_name)


@dataclass(frozen=True)
class SummaryRow:
    """One line of summary.csv / summary.json / index.html."""

    ticket: str
    status: str  # "analysed" | "no-usable-input" | "failed"
    verdict: str | None = "none"  # the first diagnosis id, "none"; None: no usable input
    kind: str | None = None  # "fault" | "advisory" of the verdict
    scenario: int | None = None
    confidence: str | None = None
    certificate: str | None = None  # thumbprint the verdict rests on
    subject: str | None = None
    inputs_read: int = 0
    inputs_failed: int = 0
    inputs_skipped: int = 0
    diagnoses: tuple[str, ...] = ()
    reason: str | None = None  # why a ticket failed or had no usable input
    report: str | None = None  # link relative to OUTDIR
    host: str | None = None  # computer(s) the 36870 failures (else the logs) come from
    service: str | None = None  # the service the failures name, when the evidence names one
    failures: int = 0  # server-side Schannel 36870 of the attempt
    last_failure: str | None = None  # time of the last of them (UTC ISO 8601 when known)
    runner_up: str | None = None  # id of the next fault after the verdict
    reply: str | None = None  # the Markdown reply, link relative to OUTDIR

    def to_dict(self) -> dict[str, Any]:
        # Shallow: every field is a scalar but ``diagnoses`` (``asdict`` deep-copies each value,
        # a third of the parent's own time per ticket).
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["diagnoses"] = list(self.diagnoses)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SummaryRow:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["diagnoses"] = tuple(values.get("diagnoses", ()))
        return cls(**values)


@dataclass
class TicketOutcome:
    name: str
    status: str  # "analysed" | "unchanged" | "failed"
    key: str | None = None
    row: SummaryRow | None = None
    report_json: str | None = None
    report_html: str | None = None
    reply_markdown: str | None = None
    reason: str | None = None
    seconds: float = 0.0
    peak_rss: int | None = None  # bytes, of the process that ran the job
    warnings: list[str] = field(default_factory=list)


JobFunction = Callable[[TicketJob], TicketOutcome]


def options_text(engine: str | None) -> str:
    """What goes into the content key besides the bytes: options that change the analysis."""
    return f"engine={engine or 'default'} outputs={OUTPUTS_VERSION}"


def peak_rss() -> int | None:
    """Peak resident memory of this process in bytes (None where the OS does not say)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def summary_row(name: str, out_name: str, analysis: Analysis) -> SummaryRow:
    statuses = [result.status for result in analysis.inputs]
    row = SummaryRow(
        ticket=name,
        status="analysed",
        inputs_read=sum(s in (Status.OK, Status.PARTIAL) for s in statuses),
        inputs_failed=sum(s is Status.ERROR for s in statuses),
        inputs_skipped=sum(s is Status.SKIPPED for s in statuses),
        diagnoses=tuple(d.id for d in analysis.diagnoses),
        report=f"{out_name}/report.html",
        reply=f"{out_name}/reply.md",
        **failure_facts(analysis),
    )
    cut_short = next(
        (
            m.text
            for result in analysis.inputs
            for m in result.messages
            if m.level is Level.ERROR and LIMIT_REACHED in m.text
        ),
        None,
    )
    if cut_short:  # the verdict may rest on part of the ticket only: a failure, with its report
        row = dataclasses.replace(row, status="failed", reason=f"{cut_short} (report is partial)")
    elif not any(result.usable for result in analysis.inputs):
        # Never a "none" verdict: nothing was analysed, so nothing was found either.
        return dataclasses.replace(
            row, status=NO_USABLE_INPUT, verdict=None, reason=no_input_reason(name, analysis)
        )
    if not analysis.diagnoses:
        return row
    verdict = analysis.diagnoses[0]
    thumbprint = verdict.certificates[0] if verdict.certificates else None
    subject = next(
        (c.subject for c in analysis.certificates if thumbprint and c.thumbprint == thumbprint),
        None,
    )
    return dataclasses.replace(
        row,
        verdict=verdict.id,
        kind=verdict.kind,
        scenario=verdict.scenario,
        confidence=verdict.confidence,
        certificate=thumbprint,
        subject=subject,
        runner_up=next((d.id for d in analysis.diagnoses[1:] if d.kind == "fault"), None),
    )


def _server_failures(analysis: Analysis) -> list[Event]:
    # The same events the correlation counts as binding failures: client-side ones are not.
    return [
        e
        for e in analysis.events
        if e.provider == SCHANNEL and e.event_id == 36870 and e.role != "client"
    ]


def failure_facts(analysis: Analysis) -> dict[str, Any]:
    """Host, service, count and time of the failures, as the analysis found them."""
    context = analysis.context
    failures = _server_failures(analysis)
    hosts = Counter(e.computer for e in failures if e.computer)
    if not hosts:  # no failure: the machine the logs come from
        hosts = Counter(
            r.coverage.computer for r in analysis.inputs if r.coverage and r.coverage.computer
        )
    last = context.reference_time if context.reference_from == "last 36870" else None
    if last is None and failures:  # local times only (an export without UTC): the latest as given
        last = max((e.time for e in failures if e.time), default=None)
    # The correlation's service ("SQL Server (MSSQL$SALES)"), else the services the diagnoses
    # and the correlation name (AD FS, Exchange Transport, WinRM: their failures are no 36870).
    service = failure_wording(analysis).service_label
    return {
        "host": ", ".join(sorted(hosts, key=lambda h: (-hosts[h], h))) or None,
        "service": service or None,
        "failures": context.failures,
        "last_failure": last,
    }


def visible(text: str) -> str:
    """Customer text for a summary, a terminal or a log line: control characters are shown as
    escapes (``\\x1b``) instead of acting, and the length is bounded."""
    shown = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    return shown if len(shown) <= MAX_REASON else shown[: MAX_REASON - 1] + "…"


def no_input_reason(name: str, analysis: Analysis) -> str:
    """The first message that explains why nothing could be read: an error before a warning
    before a note, with the file it is about (inside the ticket ``name``)."""
    if not analysis.inputs:
        return "the ticket holds no file"
    unread = [r for r in analysis.inputs if not r.usable]
    for level in (Level.ERROR, Level.WARNING, Level.INFO):
        for result in unread:
            message = next((m for m in result.messages if m.level is level), None)
            if message is not None:
                more = len(unread) - 1
                also = f" (and {more} more file(s) not read)" if more else ""
                return visible(f"{_inside(name, message.source.path)}{message.text}{also}")
    return visible(f"{_inside(name, unread[0].path)}not read")


def _inside(ticket: str, path: str) -> str:
    """``path`` as a prefix for a message about the ticket: without the ticket's own name."""
    for lead in (f"{ticket}/", f"{ticket}!/"):
        if path.startswith(lead):
            return f"{path[len(lead) :]}: "
    return "" if path == ticket else f"{path}: "


def analyse(job: TicketJob, out_name: str) -> tuple[Analysis, str, str, str]:
    """Run the pipeline on one ticket; returns the analysis, its JSON, its HTML report and its
    Markdown reply."""
    # Imported here: the job module is imported by the CLI and the scheduler client, which
    # need none of the engine.
    from analyzer.pipeline import AnalysisOptions, run_analysis
    from analyzer.render.html import render_report
    from analyzer.render.json import analysis_document, dumps
    from analyzer.render.markdown import render_markdown

    options = AnalysisOptions(engine=job.engine, base=Path(job.queue))
    analysis = run_analysis([job.name], options)
    return (
        analysis,
        dumps(analysis_document(analysis)),
        render_report(analysis),
        render_markdown(analysis),
    )


def run_ticket(job: TicketJob) -> TicketOutcome:
    """Analyse one ticket. Never raises: a crash in the analysis is a failed outcome."""
    started = time.perf_counter()
    out_name = job.out_name or job.name
    outcome = TicketOutcome(job.name, "failed")
    try:
        outcome.key = content_key(Path(job.queue) / job.name, options_text(job.engine))
        if not job.force and outcome.key == job.previous_key:
            outcome.status = "unchanged"
        else:
            analysis, outcome.report_json, outcome.report_html, outcome.reply_markdown = analyse(
                job, out_name
            )
            outcome.row = summary_row(job.name, out_name, analysis)
            outcome.status = "analysed"
    except Exception as exc:  # one ticket's crash must not stop the batch
        outcome.reason = f"{type(exc).__name__}: {exc}"
    outcome.seconds = time.perf_counter() - started
    outcome.peak_rss = peak_rss()
    return outcome
