"""Analyses in worker processes, each under a time limit, for a server that must outlive them.

The same approach as triage's local pool (`analyzer/triage/pool.py`), shaped for requests that
arrive one at a time rather than a batch: a fixed number of "spawn" processes, each with its own
pipe and one job at a time. A job that overruns its limit has its worker killed; a worker that
dies takes only its own job with it; either way the caller gets an error and the next job gets a
fresh worker. Callers block (in a thread of the web server's pool), never the event loop.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, cast

from analyzer.serve.job import UploadJob, UploadResult

JobFunction = Callable[[UploadJob], UploadResult]
STOP_GRACE_SECONDS = 5.0
START_SECONDS = 120.0  # for a new worker to import the pipeline (a slow, busy machine)
READY = "ready"  # a worker's first message: its imports are done; the time limit starts after


class AnalysisFailed(Exception):
    """The analysis gave no result: it crashed, raised, or ran out of time. The text says which."""


class AnalysisTimedOut(AnalysisFailed):
    """The analysis overran its time limit (its worker was killed)."""


class Busy(Exception):
    """More analyses are waiting than the server accepts."""


def _worker_main(conn: Connection, job_function: JobFunction) -> None:
    # Ctrl-C is the server's: it stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn.send(READY)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            reply: tuple[bool, Any] = (True, job_function(job))
        except Exception as exc:  # a pipeline bug is this job's failure, not the worker's end
            reply = (False, f"{type(exc).__name__}: {exc}")
        conn.send(reply)


@dataclass(eq=False)  # kept in a set: identity is what tells workers apart
class _Worker:
    process: Any  # multiprocessing.Process of the spawn context
    conn: Connection
    ready: bool = False


class WorkerPool:
    def __init__(
        self, size: int, timeout: float | None, queue_limit: int, job_function: JobFunction
    ) -> None:
        self.size = max(1, size)
        self.timeout = timeout
        self.queue_limit = queue_limit
        self.job_function = job_function
        self.context = multiprocessing.get_context("spawn")
        # Idle workers; None stands for a slot whose worker is not started (or was lost).
        self.idle: queue.Queue[_Worker | None] = queue.Queue()
        self.lock = threading.Lock()
        self.waiting = 0
        self.closed = False
        self.all: set[_Worker] = set()
        for _ in range(self.size):
            self.idle.put(None)

    def start(self) -> None:
        """Start every worker now, so that the first uploads do not wait for start-up."""
        started = []
        while True:
            try:
                slot = self.idle.get_nowait()
            except queue.Empty:
                break
            started.append(slot or self._spawn())
        for worker in started:
            self.idle.put(worker)

    def _spawn(self) -> _Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main, args=(child, self.job_function), daemon=True
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self.lock:
            self.all.add(worker)
        return worker

    def _discard(self, worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(STOP_GRACE_SECONDS)
        worker.conn.close()
        with self.lock:
            self.all.discard(worker)

    def run(self, job: UploadJob) -> UploadResult:
        """Run one job on a free worker (waiting for one); AnalysisFailed when it gives no
        result, Busy when too many jobs are already waiting."""
        with self.lock:
            if self.closed:
                raise AnalysisFailed("the server is stopping")
            if self.waiting >= self.queue_limit + self.size:
                raise Busy(f"{self.waiting} analyses are already running or waiting")
            self.waiting += 1
        try:
            slot = self.idle.get()
            if self.closed:
                raise AnalysisFailed("the server is stopping")
            worker = slot or self._spawn()
            try:
                result = self._run_on(worker, job)
            except AnalysisFailed:
                self._discard(worker)
                self._replace()
                raise
            self.idle.put(worker)
            return result
        finally:
            with self.lock:
                self.waiting -= 1

    def _replace(self) -> None:
        """Start the lost worker's successor now, so that it is ready for the next job."""
        try:
            successor: _Worker | None = None if self.closed else self._spawn()
        except OSError:  # cannot start one now: the next job tries again
            successor = None
        self.idle.put(successor)

    def _await_ready(self, worker: _Worker) -> None:
        if worker.ready:
            return
        ready = wait([worker.conn, worker.process.sentinel], START_SECONDS)
        if worker.conn in ready:
            try:
                worker.ready = worker.conn.recv() == READY
            except (EOFError, OSError):
                raise AnalysisFailed(self._death(worker)) from None
        elif worker.process.sentinel in ready:
            raise AnalysisFailed(self._death(worker))
        if not worker.ready:
            raise AnalysisFailed(f"the analysis worker did not start within {START_SECONDS:g} s")

    def _run_on(self, worker: _Worker, job: UploadJob) -> UploadResult:
        self._await_ready(worker)
        try:
            worker.conn.send(job)
        except OSError:
            raise AnalysisFailed(self._death(worker)) from None
        deadline = time.monotonic() + self.timeout if self.timeout else None
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready = wait([worker.conn, worker.process.sentinel], left)
        if worker.conn in ready:
            try:
                ok, value = worker.conn.recv()
            except (EOFError, OSError):
                raise AnalysisFailed(self._death(worker)) from None
            if ok:
                return cast(UploadResult, value)  # what the worker's job function returns
            raise AnalysisFailed(f"the analysis failed: {value}")
        if worker.process.sentinel in ready:
            raise AnalysisFailed(self._death(worker))
        raise AnalysisTimedOut(f"the analysis timed out after {self.timeout:g} s")

    def _death(self, worker: _Worker) -> str:
        worker.process.join(STOP_GRACE_SECONDS)
        return f"the analysis worker crashed (exit code {worker.process.exitcode})"

    def close(self) -> None:
        with self.lock:
            self.closed = True
            workers = list(self.all)
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        for worker in workers:
            worker.process.join(STOP_GRACE_SECONDS)
            self._discard(worker)
        for _ in range(self.size):  # wake the callers still waiting for a worker
            self.idle.put(None)
