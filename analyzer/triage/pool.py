"""Run ticket jobs on local worker processes, each ticket under a time limit.

A `concurrent.futures` pool cannot stop one hung task, and one crashed worker breaks the whole
pool; a queue of customer files needs both. So each worker is a process with its own pipe and
at most one ticket at a time: a ticket that overruns its limit has its worker killed and
replaced, a worker that dies takes only its current ticket with it, and the batch goes on.
Workers are started with "spawn" on every platform, so Linux behaves as Windows does.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from analyzer.triage.job import JobFunction, TicketJob, TicketOutcome, run_ticket

STOP_GRACE_SECONDS = 5.0


def _worker_main(conn: Connection, job_function: JobFunction) -> None:
    """Worker loop: one job in, one outcome out, until told to stop (None) or the pipe closes."""
    # Ctrl-C is the parent's to handle: it stops the batch and kills the workers; a worker that
    # caught it too would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            outcome = job_function(job)
        except Exception as exc:  # run_ticket never raises; a bug elsewhere must not kill us
            outcome = TicketOutcome(job.name, "failed", reason=f"{type(exc).__name__}: {exc}")
        conn.send(outcome)


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process from the spawn context
    conn: Connection
    job: TicketJob | None = None
    deadline: float | None = None


class LocalPool:
    def __init__(self, workers: int, job_function: JobFunction = run_ticket) -> None:
        self.size = max(1, workers)
        self.job_function = job_function
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []

    def _start(self) -> _Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main, args=(child, self.job_function), daemon=True
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        return worker

    def _retire(self, worker: _Worker, kill: bool) -> None:
        self.workers.remove(worker)
        if kill and worker.process.is_alive():
            worker.process.kill()
        worker.process.join(STOP_GRACE_SECONDS)
        if worker.process.is_alive():  # did not stop when asked: no more waiting
            worker.process.kill()
            worker.process.join()
        worker.conn.close()

    def run(
        self,
        jobs: Sequence[TicketJob],
        timeout: float | None,
        on_start: Callable[[TicketJob], None],
        on_done: Callable[[TicketOutcome], None],
    ) -> None:
        pending = deque(jobs)
        try:
            while pending or any(w.job for w in self.workers):
                self._assign(pending, timeout, on_start)
                self._collect(timeout, on_done)
        finally:
            self._shutdown()

    def _assign(
        self,
        pending: deque[TicketJob],
        timeout: float | None,
        on_start: Callable[[TicketJob], None],
    ) -> None:
        while pending and (
            any(w.job is None for w in self.workers) or len(self.workers) < self.size
        ):
            worker = next((w for w in self.workers if w.job is None), None) or self._start()
            job = pending.popleft()
            worker.job = job
            worker.deadline = time.monotonic() + timeout if timeout else None
            worker.conn.send(job)
            on_start(job)

    def _collect(self, timeout: float | None, on_done: Callable[[TicketOutcome], None]) -> None:
        busy = [w for w in self.workers if w.job is not None]
        deadlines = [w.deadline for w in busy if w.deadline is not None]
        wait_for = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], wait_for)
        for worker in busy:
            job = worker.job
            assert job is not None
            if worker.conn in ready:
                try:
                    outcome = worker.conn.recv()
                except (EOFError, OSError):
                    outcome = self._died(worker, job)
                else:
                    worker.job = worker.deadline = None
                on_done(outcome)
            elif worker.process.sentinel in ready:
                on_done(self._died(worker, job))
            elif worker.deadline is not None and time.monotonic() >= worker.deadline:
                self._retire(worker, kill=True)
                on_done(TicketOutcome(job.name, "failed", reason=f"timed out after {timeout:g} s"))

    def _died(self, worker: _Worker, job: TicketJob) -> TicketOutcome:
        worker.process.join(STOP_GRACE_SECONDS)
        code = worker.process.exitcode
        self._retire(worker, kill=True)
        return TicketOutcome(
            job.name, "failed", reason=f"worker process crashed (exit code {code})"
        )

    def _shutdown(self) -> None:
        for worker in list(self.workers):
            try:
                if worker.job is None:
                    worker.conn.send(None)
            except OSError:
                pass
        for worker in list(self.workers):
            self._retire(worker, kill=worker.job is not None)
