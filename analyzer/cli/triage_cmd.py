"""`certtriage triage DIR --out OUTDIR`: every entry of DIR is a ticket; one report per ticket,
an index, summaries. Exit codes: 0 every ticket analysed; 5 some could not be (failed, or
no usable input in them: listed); 2 usage error. Verdicts live in the summaries, not in the exit code."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from analyzer.cli.app import (
    ENGINE_CHOICES,
    EXIT_OK,
    EXIT_TICKETS_FAILED,
    EXIT_USAGE,
    app,
    engine_option,
    guarded,
    stderr,
    stdout,
)
from analyzer.errors import UsageError
from analyzer.triage.batch import (
    DEFAULT_TIMEOUT_SECONDS,
    TriageOptions,
    TriageResult,
    check_folders,
    run_triage,
)
from analyzer.triage.batch import Progress as Step
from analyzer.visible import visible


class _Display:
    """A rich progress bar on a terminal; one plain line per finished ticket otherwise."""

    def __init__(self) -> None:
        self.live = stderr.is_terminal
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __enter__(self) -> _Display:
        if self.live:
            self.bar = Progress(
                TextColumn("triage"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=stderr,
                transient=True,
            )
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    def __call__(self, step: Step) -> None:
        if step.event == "planned":
            if self.bar is not None:
                self.task = self.bar.add_task("", total=step.total)
            else:
                stderr.print(f"triage: {step.total} tickets", markup=False)
        elif step.event == "finished":
            label = step.status if step.status != "analysed" else step.verdict
            if self.bar is not None and self.task is not None:
                # Ticket names are the customer's: never rich markup.
                text = escape(visible(f"{step.ticket}: {label}"))
                self.bar.update(self.task, advance=1, description=text)
            else:
                stderr.print(visible(f"{step.ticket}: {label}"), markup=False, soft_wrap=True)


def _report(result: TriageResult, out: Path) -> None:
    verdicts = Counter(r.verdict for r in result.rows if r.status == "analysed")
    rate = len(result.rows) / result.seconds if result.seconds > 0 else 0.0
    stdout.print(
        f"{len(result.rows)} tickets in {result.seconds:.1f} s ({rate:.1f} tickets/s): "
        f"{result.analysed} analysed, {result.unchanged} unchanged (skipped), "
        f"{len(result.failed)} failed, {len(result.no_usable_input)} with no usable input",
        markup=False,
    )
    for verdict, count in sorted(verdicts.items(), key=lambda kv: (-kv[1], kv[0])):
        stdout.print(visible(f"  {count:5d}  {verdict}"), markup=False)
    for row in result.failed:
        stdout.print(visible(f"  failed: {row.ticket}: {row.reason}"), markup=False)
    for row in result.no_usable_input:
        stdout.print(visible(f"  no usable input: {row.ticket}: {row.reason}"), markup=False)
    stdout.print(visible(f"index: {out / 'index.html'}"), markup=False)


def _usage(exc: UsageError) -> NoReturn:
    stderr.print(visible(f"certtriage triage: {exc}"), markup=False)
    raise typer.Exit(EXIT_USAGE) from None


def _run(queue: Path, out: Path, options: TriageOptions, display: _Display) -> TriageResult:
    try:
        return run_triage(queue, out, options, display)
    except UsageError as exc:  # e.g. the Dask scheduler cannot be reached
        _usage(exc)


@app.command("triage")
def triage(
    queue: Annotated[
        Path,
        typer.Argument(
            metavar="DIR",
            help="Folder of tickets: each entry (folder, archive, file) is one ticket.",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", metavar="OUTDIR", help="Folder for the reports, index and summaries."
        ),
    ],
    workers: Optional[int] = typer.Option(  # noqa: UP045 - typer needs Optional on Python 3.10
        None, "--workers", help="Worker processes (default: one per core)."
    ),
    timeout: float = typer.Option(
        DEFAULT_TIMEOUT_SECONDS, "--timeout", help="Time limit per ticket in seconds (0: none)."
    ),
    force: bool = typer.Option(False, "--force", help="Analyse tickets even when unchanged."),
    scheduler: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--scheduler",
        help="Run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (needs the dask extra; the "
        "workers must see DIR at the same path).",
    ),
    engine: Optional[str] = typer.Option(  # noqa: UP045
        None, "--engine", help=f"evtx engine: {ENGINE_CHOICES} (default: the fastest)."
    ),
) -> None:
    """Triage a queue of tickets in parallel: a report per ticket, index.html, summary.csv and
    summary.json in OUTDIR. Exit codes: 0 all analysed, 5 some failed or had no usable input,
    2 usage error."""
    try:
        if workers is not None and workers < 1:
            raise UsageError("--workers must be at least 1")
        if timeout < 0:
            raise UsageError("--timeout must not be negative")
        engine_option(engine)
        if scheduler is not None and "://" not in scheduler:
            raise UsageError(f"--scheduler must look like tcp://HOST:PORT, not {scheduler!r}")
        options = TriageOptions(workers, timeout or None, force, engine, scheduler)
        check_folders(queue, out)
    except UsageError as exc:
        _usage(exc)
    with _Display() as display:
        result = guarded(str(queue), lambda: _run(queue, out, options, display))
    _report(result, out)
    raise typer.Exit(EXIT_TICKETS_FAILED if result.not_analysed else EXIT_OK)
