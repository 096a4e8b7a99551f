"""Stand-in ticket jobs for the pool and Dask tests: they crash, hang or raise on purpose.

They live in an importable module because worker processes import them by name."""

from __future__ import annotations

import os
import time
from pathlib import Path

from analyzer.triage.job import SummaryRow, TicketJob, TicketOutcome


def behaving_badly(job: TicketJob) -> TicketOutcome:
    """Crash, hang or raise when the ticket's name says so; otherwise a quick clean result."""
    if "crash" in job.name:
        os._exit(3)
    if "hang" in job.name:
        time.sleep(3600)
    if "raise" in job.name:
        raise RuntimeError("job raised")  # the pool must survive even this (run_ticket never does)
    row = SummaryRow(ticket=job.name, status="analysed", report=f"{job.out_name}/report.html")
    return TicketOutcome(
        job.name, "analysed", key="k", row=row, report_json="{}\n", report_html="<p>"
    )


def marker_path(job: TicketJob) -> Path:
    return Path(job.queue).parent / "markers" / job.name


HOLD_TICKET = "T-1003-machinekeys.7z"
STARTED = "certtriage-test-started"
RELEASED = "certtriage-test-released"
VICTIM = "certtriage-test-victim"


def held_on_dask(job: TicketJob) -> TicketOutcome:
    """The real job, except that ``HOLD_TICKET`` first announces which worker runs it and then
    waits until the test releases it (after killing that worker), so the kill is known to
    happen mid-ticket without any sleep."""
    from distributed import Event, Variable, get_worker

    from analyzer.triage.job import run_ticket

    if job.name == HOLD_TICKET:
        released = Event(RELEASED)
        if not released.is_set():
            Variable(VICTIM).set(get_worker().address)
            Event(STARTED).set()
            released.wait()
    return run_ticket(job)
