"""The local pool: every ticket gets an outcome, whatever its job does to its worker."""

from __future__ import annotations

from analyzer.triage.job import TicketJob, TicketOutcome
from analyzer.triage.pool import LocalPool
from tests.triage.jobs import behaving_badly


def run(names: list[str], workers: int, timeout: float | None) -> dict[str, TicketOutcome]:
    jobs = [TicketJob(name, "/nonexistent") for name in names]
    started: list[str] = []
    outcomes: dict[str, TicketOutcome] = {}

    def done(outcome: TicketOutcome) -> None:
        assert outcome.name not in outcomes
        outcomes[outcome.name] = outcome

    LocalPool(workers, behaving_badly).run(jobs, timeout, lambda j: started.append(j.name), done)
    assert sorted(started) == sorted(names)
    return outcomes


def test_crash_and_hang_cost_only_their_ticket() -> None:
    names = ["a", "b-crash", "c", "d-hang", "e", "f"]
    outcomes = run(names, workers=2, timeout=3.0)
    assert sorted(outcomes) == sorted(names)
    assert outcomes["b-crash"].status == "failed"
    assert outcomes["b-crash"].reason == "worker process crashed (exit code 3)"
    assert outcomes["d-hang"].status == "failed"
    assert outcomes["d-hang"].reason == "timed out after 3 s"
    for name in ("a", "c", "e", "f"):
        assert outcomes[name].status == "analysed"


def test_exception_in_job_fails_the_ticket_not_the_batch() -> None:
    outcomes = run(["x-raise", "y"], workers=1, timeout=None)
    assert outcomes["x-raise"].status == "failed"
    assert outcomes["x-raise"].reason == "RuntimeError: job raised"
    assert outcomes["y"].status == "analysed"
