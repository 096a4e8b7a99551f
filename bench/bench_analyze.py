"""Time `certtriage analyze` on a large ticket: a 20 MB System log (the evtx writer's realistic
IIS mix with a dozen 36870) and a 1,000-certificate `-v` dump (the certutil writer).

Prints the median wall time of the whole command (a fresh process: imports, reading, rules,
JSON and HTML) and of `run_analysis` in-process, with the `evtx` engine by default. Aim: < 5 s.

    python bench/bench_analyze.py [--runs 3] [--engine evtx] [--log-mb 20] [--certs 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzer.pipeline import AnalysisOptions, run_analysis  # noqa: E402
from fixtures.writers.certutil_dump import benchmark_dump, write  # noqa: E402
from fixtures.writers.evtx_events import iis_system_log  # noqa: E402


def build_ticket(folder: Path, log_mb: float, certs: int) -> tuple[int, int]:
    # Events from March to July 2025, inside the writer's default certificate validity.
    start = datetime(2025, 3, 1, 7, 0, tzinfo=timezone.utc)
    log = iis_system_log(int(log_mb * 1024 * 1024), n_36870=12, start=start)
    (folder / "System.evtx").write_bytes(log)
    write(benchmark_dump(certs, verbose=True), folder / "my.txt")
    return len(log), (folder / "my.txt").stat().st_size


def time_cli(ticket: Path, out: Path, engine: str) -> tuple[float, float, int]:
    """Wall and CPU seconds of one whole command (CPU: the child's user + system time, which a
    busy shared machine does not inflate; 0 where the OS does not report children's times)."""
    command = [
        sys.executable,
        "-m",
        "analyzer",
        "analyze",
        str(ticket),
        "--engine",
        engine,
        "--out",
        str(out),
        "--json",
        str(out / "analysis.json"),
    ]
    before = os.times()
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    if completed.returncode not in (0, 1, 4):
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"certtriage analyze exited {completed.returncode}")
    return elapsed, cpu, completed.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine", default="evtx")
    parser.add_argument("--log-mb", type=float, default=20.0)
    parser.add_argument("--certs", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="certtriage-bench-") as tmp:
        ticket, out = Path(tmp) / "ticket", Path(tmp) / "out"
        ticket.mkdir()
        log_bytes, dump_bytes = build_ticket(ticket, args.log_mb, args.certs)
        print(
            f"ticket: System.evtx {log_bytes / 1e6:.1f} MB, my.txt {dump_bytes / 1e6:.1f} MB "
            f"({args.certs} certificates, -v, UTF-16LE), engine {args.engine}"
        )
        cli_times, cpu_times = [], []
        code = None
        for _ in range(args.runs):
            elapsed, cpu, code = time_cli(ticket, out, args.engine)
            cli_times.append(elapsed)
            cpu_times.append(cpu)
        in_process = []
        analysis = None
        for _ in range(args.runs):
            start = time.perf_counter()
            analysis = run_analysis([ticket], AnalysisOptions(engine=args.engine))
            in_process.append(time.perf_counter() - start)
        assert analysis is not None
        failures = analysis.context.get("failures_total")
        print(
            f"certificates {len(analysis.certificates)}, events {len(analysis.events)}, "
            f"36870 {failures}, diagnoses {len(analysis.diagnoses)}, exit code {code}"
        )
        print(
            f"certtriage analyze (whole command): median {statistics.median(cli_times):.2f} s "
            f"(runs: {', '.join(f'{t:.2f}' for t in cli_times)}); aim < 5 s"
        )
        print(f"certtriage analyze CPU time: median {statistics.median(cpu_times):.2f} s")
        print(f"run_analysis in-process: median {statistics.median(in_process):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
