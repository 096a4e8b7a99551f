"""Run the same ticket jobs on an existing Dask distributed cluster (``--scheduler``).

Workers read the tickets from the queue path, which they must see at the same place (a shared
mount); they return report texts and the client writes OUTDIR, so results are the same bytes
as a local run. When a worker is lost mid-ticket the scheduler runs that ticket again
elsewhere (Dask's own reassignment); only that ticket is repeated.

The time limit counts from when a worker really starts a ticket (each job announces its start
as a worker event). A Dask task cannot be stopped from outside its worker, so a ticket over the
limit is reported failed and abandoned; the worker thread stays busy until it ends.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from analyzer.errors import UsageError
from analyzer.triage.job import JobFunction, TicketJob, TicketOutcome

CONNECT_TIMEOUT = "20s"
POLL_SECONDS = 0.5


def announced(job_function: JobFunction, topic: str, key: str, job: TicketJob) -> TicketOutcome:
    """On a worker: say that ``key`` starts now, then run the job."""
    from distributed import get_worker

    get_worker().log_event(topic, {"key": key})
    return job_function(job)


def run_on_dask(
    jobs: Sequence[TicketJob],
    address: str,
    on_start: Callable[[TicketJob], None],
    on_done: Callable[[TicketOutcome], None],
    job_function: JobFunction,
    timeout: float | None = None,
) -> None:
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "--scheduler needs the Dask extra: pip install 'certtriage[dask]'"
        ) from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    batch = uuid.uuid4().hex[:8]
    topic = f"certtriage-started-{batch}"
    with client:
        by_key = {f"certtriage-{batch}-{i:06d}": job for i, job in enumerate(jobs)}
        started: dict[str, float] = {}  # written by the client's event thread
        lock = threading.Lock()

        def heard(event: Any) -> None:
            _, message = event
            with lock:
                started[message["key"]] = time.monotonic()  # a retry restarts the clock

        client.subscribe_topic(topic, heard)
        wake = threading.Event()  # set by a future that finishes, so results are not polled
        pending = set()
        for key, job in by_key.items():
            future = client.submit(announced, job_function, topic, key, job, key=key, pure=False)
            future.add_done_callback(lambda _future: wake.set())
            pending.add(future)
        announced_keys: set[str] = set()
        while pending:
            wake.wait(POLL_SECONDS)
            wake.clear()
            with lock:
                now, starts = time.monotonic(), dict(started)
            for key in sorted(starts.keys() - announced_keys):
                announced_keys.add(key)
                on_start(by_key[key])
            # The results of every finished ticket in one gather: fetched one by one, each is a
            # round trip to its worker, and they were most of Dask's lag behind the local pool.
            finished = [f for f in pending if f.status == "finished"]
            results = dict(zip((str(f.key) for f in finished), client.gather(finished), strict=True))
            for future in sorted(pending, key=lambda f: str(f.key)):
                job = by_key[str(future.key)]
                if str(future.key) in results:
                    pending.discard(future)
                    on_done(results[str(future.key)])
                elif future.done():
                    pending.discard(future)
                    on_done(_outcome(future, job))
                elif timeout and now - starts.get(str(future.key), now) > timeout:
                    pending.discard(future)
                    future.cancel()
                    on_done(
                        TicketOutcome(
                            job.name,
                            "failed",
                            reason=f"timed out after {timeout:g} s (abandoned on the cluster)",
                        )
                    )


def _outcome(future: Any, job: TicketJob) -> TicketOutcome:
    try:
        outcome: TicketOutcome = future.result()
        return outcome
    except Exception as exc:  # the task failed on the cluster (e.g. KilledWorker)
        return TicketOutcome(
            job.name, "failed", reason=f"on the cluster: {type(exc).__name__}: {exc}"
        )
