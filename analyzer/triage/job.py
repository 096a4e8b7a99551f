"""The per-ticket job: analyse one queue entry and render its reports, in any process.

The job reads the ticket but writes nothing: it returns the report texts and a summary row, and
the process that owns OUTDIR writes them. So the same function runs in the local process pool
and on a Dask worker, and both give byte-identical results.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.inputs.archive_base import LIMIT_REACHED
from analyzer.model import Analysis, Level, Status
from analyzer.triage.tickets import content_key


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
    status: str  # "analysed" | "failed"
    verdict: str = "none"  # the first diagnosis id, or "none"
    kind: str | None = None  # "fault" | "advisory" of the verdict
    scenario: int | None = None
    confidence: str | None = None
    certificate: str | None = None  # thumbprint the verdict rests on
    subject: str | None = None
    inputs_read: int = 0
    inputs_failed: int = 0
    inputs_skipped: int = 0
    diagnoses: tuple[str, ...] = ()
    reason: str | None = None  # why a ticket failed
    report: str | None = None  # link relative to OUTDIR

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
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
    reason: str | None = None
    seconds: float = 0.0
    peak_rss: int | None = None  # bytes, of the process that ran the job
    warnings: list[str] = field(default_factory=list)


JobFunction = Callable[[TicketJob], TicketOutcome]


def options_text(engine: str | None) -> str:
    """What goes into the content key besides the bytes: options that change the analysis."""
    return f"engine={engine or 'default'}"


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
    )


def analyse(job: TicketJob, out_name: str) -> tuple[Analysis, str, str]:
    """Run the pipeline on one ticket; returns the analysis, its JSON and its HTML report."""
    # Imported here: the job module is imported by the CLI and the scheduler client, which
    # need none of the engine.
    from analyzer.pipeline import AnalysisOptions, run_analysis
    from analyzer.render.html import render_report
    from analyzer.render.json import analysis_document, dumps

    options = AnalysisOptions(engine=job.engine, base=Path(job.queue))
    analysis = run_analysis([job.name], options)
    return analysis, dumps(analysis_document(analysis)), render_report(analysis)


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
            analysis, outcome.report_json, outcome.report_html = analyse(job, out_name)
            outcome.row = summary_row(job.name, out_name, analysis)
            outcome.status = "analysed"
    except Exception as exc:  # one ticket's crash must not stop the batch
        outcome.reason = f"{type(exc).__name__}: {exc}"
    outcome.seconds = time.perf_counter() - started
    outcome.peak_rss = peak_rss()
    return outcome
