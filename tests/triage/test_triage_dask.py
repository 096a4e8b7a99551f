"""`--scheduler`: the same jobs on a Dask cluster of worker processes; a worker killed while it
is known to be working on a ticket costs only that ticket's retry, and every output is
byte-identical to a local run."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from analyzer.triage.batch import TriageOptions, run_triage
from fixtures.writers.make_queue import make_queue
from tests.triage.jobs import HOLD_TICKET, RELEASED, STARTED, VICTIM, behaving_badly, held_on_dask

WAIT_SECONDS = 120


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_worker_killed_mid_ticket_costs_only_a_retry(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    queue = make_queue(tmp_path / "queue", 32 * 1024)
    local = run_triage(queue.root, tmp_path / "local", TriageOptions(workers=2))
    assert not local.failed

    with (
        distributed.LocalCluster(
            n_workers=3,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        killed: list[str] = []
        problems: list[BaseException] = []

        def kill_the_worker_holding_the_ticket() -> None:
            try:
                if not distributed.Event(STARTED, client=client).wait(WAIT_SECONDS):
                    raise TimeoutError("the held ticket never started")
                victim = distributed.Variable(VICTIM, client=client).get(timeout=WAIT_SECONDS)
                pid = client.run(os.getpid, workers=[victim])[victim]
                os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
                killed.append(victim)
            except BaseException as exc:  # reported by the main thread
                problems.append(exc)
            finally:
                distributed.Event(RELEASED, client=client).set()

        killer = threading.Thread(target=kill_the_worker_holding_the_ticket, daemon=True)
        killer.start()
        remote = run_triage(
            queue.root,
            tmp_path / "dask",
            TriageOptions(scheduler=cluster.scheduler_address),
            job_function=held_on_dask,
        )
        killer.join(WAIT_SECONDS)
        assert not problems, problems
        assert killed, "no worker was killed"

    assert not remote.failed
    assert remote.analysed + len(remote.no_usable_input) == len(queue.tickets)
    assert next(r for r in remote.rows if r.ticket == HOLD_TICKET).status == "analysed"
    remote_files, local_files = files(tmp_path / "dask"), files(tmp_path / "local")
    assert sorted(remote_files) == sorted(local_files)
    assert [n for n in local_files if remote_files[n] != local_files[n]] == []


def test_unreachable_scheduler_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    from analyzer.errors import UsageError
    from analyzer.triage import dask_runner

    (tmp_path / "queue" / "T-1").mkdir(parents=True)
    (tmp_path / "queue" / "T-1" / "a.txt").write_text("x")
    monkeypatch.setattr(dask_runner, "CONNECT_TIMEOUT", "2s")
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler"):
        run_triage(
            tmp_path / "queue", tmp_path / "out", TriageOptions(scheduler="tcp://127.0.0.1:9")
        )


@pytest.mark.slow
def test_ticket_over_the_time_limit_is_failed_and_the_batch_goes_on(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    queue = tmp_path / "queue"
    for name in ("a", "b-hang", "c"):
        (queue / name).mkdir(parents=True)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        result = run_triage(
            queue,
            tmp_path / "out",
            TriageOptions(scheduler=cluster.scheduler_address, timeout=3),
            job_function=behaving_badly,
        )
    rows = {row.ticket: row for row in result.rows}
    assert rows["b-hang"].status == "failed"
    assert rows["b-hang"].reason == "timed out after 3 s (abandoned on the cluster)"
    assert rows["a"].status == rows["c"].status == "analysed"
