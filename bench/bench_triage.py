"""Triage a synthetic queue with --force (no cache): tickets per second with 1 and 2 workers and
the peak memory of a worker. Each ticket is a certutil dump plus a 1-5 MB System log (the evtx
writer's IIS mix); scenarios rotate; every tenth ticket is a zip. Aim: 20 tickets/s with the
`evtx` engine on 2 cores.

    python bench/bench_triage.py [--tickets 1000] [--workers 1,2] [--engine evtx] [--runs 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzer.triage.batch import TriageOptions, run_triage  # noqa: E402
from fixtures.writers.make_queue import bench_queue  # noqa: E402

MB = 1024 * 1024
LOG_SIZES = (1 * MB, 2 * MB, 3 * MB, 4 * MB, 5 * MB)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--engine", default="evtx", choices=("evtx", "python-evtx"))
    parser.add_argument("--runs", type=int, default=1, help="runs per worker count (median)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="certtriage-bench-") as temp:
        queue = bench_queue(Path(temp) / "queue", args.tickets, LOG_SIZES)
        total = sum(p.stat().st_size for p in queue.rglob("*") if p.is_file())
        print(f"queue: {args.tickets} tickets, {total / MB:.0f} MB of attachments (logs 1-5 MB)")
        for workers in (int(w) for w in args.workers.split(",")):
            rates, peaks, failed = [], [], 0
            for run in range(args.runs):
                out = Path(temp) / f"out-{workers}-{run}"
                options = TriageOptions(workers=workers, force=True, engine=args.engine)
                result = run_triage(queue, out, options)
                rates.append(len(result.rows) / result.seconds)
                peaks.append(max(result.peak_rss, default=0))
                failed += len(result.failed)
            print(
                f"workers={workers}: {statistics.median(rates):.1f} tickets/s "
                f"(median of {args.runs}), peak memory per worker {max(peaks) / MB:.0f} MB, "
                f"failed tickets {failed}"
            )


if __name__ == "__main__":
    main()
