"""Triage a queue folder: one job per ticket, on local processes or a Dask cluster, then the
index and summaries. The library reports progress through callbacks; it never prints."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.errors import UsageError
from analyzer.triage.job import (
    NO_USABLE_INPUT,
    JobFunction,
    SummaryRow,
    TicketJob,
    TicketOutcome,
    run_ticket,
)
from analyzer.triage.outputs import REPLY, STAMP, read_stamp, write_summaries, write_ticket
from analyzer.triage.tickets import Ticket, list_tickets

DEFAULT_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class TriageOptions:
    workers: int | None = None  # None: one per core
    timeout: float | None = DEFAULT_TIMEOUT_SECONDS  # per ticket; None: no limit
    force: bool = False
    engine: str | None = None
    scheduler: str | None = None  # "tcp://host:port": run the jobs on a Dask cluster


@dataclass
class TriageResult:
    rows: list[SummaryRow]
    analysed: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    peak_rss: list[int] = field(default_factory=list)  # per job, bytes, where known

    @property
    def failed(self) -> list[SummaryRow]:
        return [r for r in self.rows if r.status == "failed"]

    @property
    def no_usable_input(self) -> list[SummaryRow]:
        return [r for r in self.rows if r.status == NO_USABLE_INPUT]

    @property
    def not_analysed(self) -> list[SummaryRow]:
        """Tickets without a verdict: failed, or nothing in them could be read."""
        return [r for r in self.rows if r.status in ("failed", NO_USABLE_INPUT)]


@dataclass(frozen=True)
class Progress:
    """One step of the batch, for the CLI's progress display."""

    event: str  # "planned" | "started" | "finished"
    ticket: str | None = None
    total: int = 0
    # for "finished": analysed | unchanged | failed | no-usable-input
    status: str | None = None
    verdict: str | None = None


ProgressCallback = Callable[[Progress], None]


def check_folders(queue: Path, out: Path) -> None:
    """Refuse a queue that is no folder and an OUTDIR that is the queue or inside a ticket."""
    if not queue.is_dir():
        raise UsageError(f"{queue}: not a folder of tickets")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    q, o = queue.resolve(), out.resolve()
    if o == q:
        raise UsageError("--out must not be the queue folder itself")
    if q.is_relative_to(o):  # a ticket's output folder could then be an input folder
        raise UsageError(f"--out {out} must not contain the queue folder {queue}")
    if o.is_relative_to(q) and len(o.relative_to(q).parts) > 1:
        raise UsageError(
            f"--out {out} is inside a ticket of {queue}: nothing is written into inputs"
        )
    try:  # an OUTDIR that cannot be made is the user's to fix, before any ticket is read
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {out} cannot be created: {exc.strerror or exc}") from None


def _failed_row(name: str, reason: str) -> SummaryRow:
    return SummaryRow(ticket=name, status="failed", reason=reason)


def _forget(ticket_dir: Path) -> None:
    """A ticket that failed now has no current report: remove the previous one and its stamp."""
    for name in (STAMP, "report.json", "report.html", REPLY):
        (ticket_dir / name).unlink(missing_ok=True)


def run_triage(
    queue: Path,
    out: Path,
    options: TriageOptions = TriageOptions(),
    progress: ProgressCallback | None = None,
    job_function: JobFunction = run_ticket,
) -> TriageResult:
    check_folders(queue, out)
    started = time.perf_counter()
    say = progress or (lambda _event: None)
    out.mkdir(parents=True, exist_ok=True)
    tickets = list_tickets(queue, exclude=out)
    by_name: dict[str, Ticket] = {t.name: t for t in tickets}
    rows: dict[str, SummaryRow] = {}
    previous: dict[str, SummaryRow | None] = {}
    result = TriageResult(rows=[])
    jobs: list[TicketJob] = []
    say(Progress("planned", total=len(tickets)))
    for ticket in tickets:
        if ticket.kind in ("link", "special"):
            what = "symbolic link (not followed)" if ticket.kind == "link" else "special file"
            rows[ticket.name] = _failed_row(ticket.name, f"not a ticket: {what}")
            say(Progress("finished", ticket.name, len(tickets), "failed"))
            continue
        key, row = (None, None) if options.force else read_stamp(out / ticket.out_name)
        previous[ticket.name] = row
        jobs.append(
            TicketJob(
                ticket.name,
                str(queue.resolve()),
                previous_key=key,
                force=options.force,
                engine=options.engine,
                out_name=ticket.out_name,
            )
        )

    def done(outcome: TicketOutcome) -> None:
        ticket_dir = out / by_name[outcome.name].out_name
        row: SummaryRow | None = None
        if outcome.status == "analysed" and outcome.row is not None:
            write_ticket(
                ticket_dir,
                outcome.key,
                outcome.row,
                outcome.report_json or "",
                outcome.report_html or "",
                outcome.reply_markdown or "",
            )
            row = outcome.row
            result.analysed += row.status == "analysed"  # a ticket cut short by limits failed
        elif outcome.status == "unchanged":
            row = previous.get(outcome.name)
            result.unchanged += 1
        if row is None:
            _forget(ticket_dir)
            row = _failed_row(outcome.name, outcome.reason or "no result")
        if outcome.peak_rss:
            result.peak_rss.append(outcome.peak_rss)
        rows[outcome.name] = row
        status = row.status if row.status == NO_USABLE_INPUT else outcome.status
        say(Progress("finished", outcome.name, len(tickets), status, row.verdict))

    def start(job: TicketJob) -> None:
        say(Progress("started", job.name, len(tickets)))

    if jobs and options.scheduler:
        from analyzer.triage.dask_runner import run_on_dask

        run_on_dask(jobs, options.scheduler, start, done, job_function, options.timeout)
    elif jobs:
        from analyzer.triage.pool import LocalPool

        workers = options.workers or os.cpu_count() or 1
        LocalPool(min(workers, len(jobs)), job_function).run(jobs, options.timeout, start, done)
    result.rows = [rows[name] for name in sorted(rows)]
    write_summaries(out, result.rows)
    result.seconds = time.perf_counter() - started
    return result
