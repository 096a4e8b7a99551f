"""Run the same ticket jobs on an existing Dask distributed cluster (``--scheduler``).

Workers read the tickets from the queue path, which they must see at the same place (a shared
mount); they return report texts and the client writes OUTDIR, so results are the same bytes
as a local run. When a worker is lost mid-ticket the scheduler runs that ticket again
elsewhere (Dask's own reassignment); only that ticket is repeated. The per-ticket time limit
is not enforced here: a Dask task cannot be stopped from outside its worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from analyzer.errors import UsageError
from analyzer.triage.job import JobFunction, TicketJob, TicketOutcome

CONNECT_TIMEOUT = "20s"


def run_on_dask(
    jobs: Sequence[TicketJob],
    address: str,
    on_start: Callable[[TicketJob], None],
    on_done: Callable[[TicketOutcome], None],
    job_function: JobFunction,
) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise UsageError(
            "--scheduler needs the Dask extra: pip install 'certtriage[dask]'"
        ) from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    batch = uuid.uuid4().hex[:8]
    with client:
        by_key: dict[str, TicketJob] = {}
        futures = []
        for index, job in enumerate(jobs):
            key = f"certtriage-{batch}-{index:06d}"
            by_key[key] = job
            futures.append(client.submit(job_function, job, key=key, pure=False))
            on_start(job)
        for future in as_completed(futures):
            job = by_key[future.key]
            try:
                outcome = future.result()
            except Exception as exc:  # the task failed on the cluster (e.g. KilledWorker)
                outcome = TicketOutcome(
                    job.name, "failed", reason=f"on the cluster: {type(exc).__name__}: {exc}"
                )
            on_done(outcome)
