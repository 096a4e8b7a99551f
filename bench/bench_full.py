"""Every figure of issue 18 (and the certutil memory point of issue 13), each as a ratio.

    python bench/bench_full.py [--baseline ../v01] [--runs 5] [--quick] [--only NAME,...]

``--baseline`` is a worktree of the tag v0.1 with its own .venv (``git worktree add ../v01
v0.1``, then ``make -C ../v01 .venv/.installed-test``): its `certtriage` runs in the same
call, in turn with this tree's (order alternating; ratios are medians of per-pair ratios).
Whole-process figures (start-up included) come from bench/wholeproc.py; in-process figures
from the same pair-by-pair timing inside this process. Inputs: the real 16.8 MB DC log in
../shared/real-samples/evtx, the 20 MB logs of bench/evtx_layouts.py (generated and reshaped
from real chunks), the 1,000-certificate UTF-16 -v dump, a 100,000-certificate dump, a queue
of tickets with 1-5 MB logs. ``--quick`` uses small sizes (make bench); the default is full size
(make bench-full). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from evtx_layouts import DC_LOG, write_all  # noqa: E402
from wholeproc import paired  # noqa: E402

from analyzer.inputs.files import InputFile  # noqa: E402
from analyzer.readers import ReadOptions  # noqa: E402
from analyzer.readers.evtx import read_evtx  # noqa: E402
from analyzer.render import json as render_json  # noqa: E402

BIN = Path(sys.executable).parent
OURS = str(BIN / "certtriage")
PYTHON = sys.executable
# The plain job a developer would write on `evtx` for the DC log: every record as JSON,
# Schannel kept, dumped.
PLAIN_JOB = (
    "import evtx, json, sys\n"
    "kept = []\n"
    "for record in evtx.PyEvtxParser(sys.argv[1]).records_json():\n"
    "    event = json.loads(record['data'])\n"
    "    if event['Event']['System']['Provider']['#attributes'].get('Name') == 'Schannel':\n"
    "        kept.append(event)\n"
    "sys.stdout.write(json.dumps(kept))\n"
)
BARE_PASS = "import evtx, sys\nsum(1 for _ in evtx.PyEvtxParser(sys.argv[1]).records())\n"
SMALL_DUMP = (
    ROOT / "fixtures/real/certutil/acrn-docs-v-store-strongcsp-keyspec2-signature-notexportable.txt"
)
TEXT_COPY = ROOT / "fixtures/exports/eventviewer_copy_as_text.txt"


def say(text: str) -> None:
    print(text, flush=True)


def in_process_pair(
    a: Callable[[], object], b: Callable[[], object], runs: int
) -> tuple[float, float, float]:
    """(median A/B per pair, median A seconds, median B seconds) of CPU time (this process's,
    all threads: the machine is shared, CPU time drifts less than wall time), order
    alternating."""
    ratios, times_a, times_b = [], [], []
    for turn in range(runs):
        order = [("a", a), ("b", b)] if turn % 2 == 0 else [("b", b), ("a", a)]
        seconds = {}
        for name, job in order:
            start = time.process_time()
            job()
            seconds[name] = time.process_time() - start
        ratios.append(seconds["a"] / seconds["b"])
        times_a.append(seconds["a"])
        times_b.append(seconds["b"])
    return statistics.median(ratios), statistics.median(times_a), statistics.median(times_b)


def events_json(path: Path) -> str:
    result = read_evtx(InputFile.from_path(path), ReadOptions())
    return render_json.dumps(render_json.events_document([result]))


def bare_pass(path: Path) -> int:
    import evtx

    return sum(1 for _ in evtx.PyEvtxParser(str(path)).records())


def startup(baseline: str | None, runs: int, work: Path) -> None:
    say(
        "== start-up (whole process; targets: --version <= 10x, small analyze <= 20x `python -c pass`)"
    )
    bare = [PYTHON, "-c", "pass"]
    analyze = ["analyze", str(SMALL_DUMP), str(TEXT_COPY), "--out", str(work / "analyze-out")]
    for label, cli in (("this tree", OURS), ("v0.1", baseline)):
        if cli is None:
            continue
        say(
            "  "
            + label
            + ": "
            + paired([cli, "--version"], bare, runs).line("certtriage --version", "python -c pass")
        )
        say(
            "  "
            + label
            + ": "
            + paired([cli, *analyze], bare, runs).line("small analyze", "python -c pass")
        )
    if baseline:
        say(
            "  "
            + paired([OURS, *analyze], [baseline, *analyze], runs).line(
                "small analyze, this tree", "v0.1"
            )
        )


def typical_logs(baseline: str | None, runs: int, work: Path, size: int) -> None:
    say(
        "== typical logs (targets: events --json >= 5x faster than a bare `evtx` records() pass "
        "where <= 10% of chunks hold a wanted event; never slower on any layout)"
    )
    for path in write_all(work / "logs", size):
        bare_over_ours, bare, ours = in_process_pair(
            lambda p=path: bare_pass(p), lambda p=path: events_json(p), runs
        )
        result = read_evtx(InputFile.from_path(path), ReadOptions())
        cov = result.coverage
        assert cov is not None
        share = cov.chunks_read / max(cov.chunks_read + cov.chunks_prefiltered, 1)
        line = (
            f"  {path.name:30} {path.stat().st_size / 1e6:5.1f} MB, chunks read {cov.chunks_read:3d} "
            f"({share:4.0%}): bare pass / events --json (in process, CPU) {bare_over_ours:5.2f}x "
            f"({bare:.3f} s vs {ours:.3f} s)"
        )
        if baseline:
            command = ["events", "--json", str(path)]
            pair = paired([baseline, *command], [OURS, *command], max(runs // 2, 3))
            line += (
                f"; whole process v0.1 / this tree {pair.wall_ratio:.2f}x wall, "
                f"{pair.cpu_ratio or 0:.2f}x CPU"
            )
            if pair.a_peak_mb is not None and pair.b_peak_mb is not None:
                line += f", peak {pair.b_peak_mb:.0f} MB vs {pair.a_peak_mb:.0f} MB (v0.1)"
        say(line)


def dc_log(baseline: str | None, runs: int) -> None:
    if not DC_LOG.is_file():
        say(f"== DC log: skipped, {DC_LOG} is not here")
        return
    say("== Schannel-heavy DC log (target: events --json <= 0.7x the plain `evtx` JSON job)")
    command = ["events", "--json", str(DC_LOG)]
    plain = [PYTHON, "-c", PLAIN_JOB, str(DC_LOG)]
    say(
        "  "
        + paired([OURS, *command], plain, runs).line(
            "events --json (this tree)", "plain evtx JSON job"
        )
    )
    if baseline:
        say(
            "  "
            + paired([baseline, *command], plain, runs).line(
                "events --json (v0.1)", "plain evtx JSON job"
            )
        )
        say("  " + paired([OURS, *command], [baseline, *command], runs).line("this tree", "v0.1"))
    say(
        "  "
        + paired([PYTHON, "-c", BARE_PASS, str(DC_LOG)], [PYTHON, "-c", "import evtx"], runs).line(
            "bare evtx pass", "python -c 'import evtx'"
        )
    )


def certutil_speed(baseline: str | None, runs: int, work: Path, count: int) -> None:
    from fixtures.writers.certutil_dump import benchmark_dump, encode

    path = work / f"dump{count}.txt"
    path.write_bytes(encode(benchmark_dump(count, verbose=True)))
    say(
        f"== certutil (target: >= 2x v0.1's throughput, whole process) on {count:,} certificates, "
        f"UTF-16 -v, {path.stat().st_size / 1e6:.2f} MB"
    )
    command = ["certutil", "--json", str(path)]
    ours_vs_bare = paired([OURS, *command], [PYTHON, "-c", "pass"], runs)
    say(f"  this tree: {path.stat().st_size / 1e6 / ours_vs_bare.a_wall:.1f} MB/s whole process")
    if baseline:
        pair = paired([baseline, *command], [OURS, *command], runs)
        say("  " + pair.line("v0.1", "this tree") + f"  => throughput {pair.wall_ratio:.2f}x v0.1")


def certutil_memory(baseline: str | None, work: Path, count: int) -> None:
    from fixtures.writers.certutil_dump import benchmark_dump, encode

    path = work / f"dump{count}.txt"
    path.write_bytes(encode(benchmark_dump(count, verbose=False)))
    size = path.stat().st_size / 2**20
    say(
        f"== certutil memory (issue 13: peak <= about 2x the input) on {count:,} certificates, {size:.0f} MiB"
    )
    command = ["certutil", "--json", str(path)]
    for label, cli in (("this tree", OURS), ("v0.1", baseline)):
        if cli is None:
            continue
        pair = paired([cli, *command], [PYTHON, "-c", "pass"], 1, warmup=0)
        assert pair.a_peak_mb is not None
        say(
            f"  {label}: peak {pair.a_peak_mb:.0f} MiB = {pair.a_peak_mb / size:.1f}x the input, {pair.a_wall:.1f} s"
        )


def triage(baseline: str | None, runs: int, work: Path, tickets: int, dask_tickets: int) -> None:
    from fixtures.writers.make_queue import bench_queue

    mb = 2**20
    queue = bench_queue(work / "queue", tickets, (1 * mb, 2 * mb, 3 * mb, 4 * mb, 5 * mb))
    say(
        f"== triage (targets: <= 25 ms CPU per ticket; Dask within 1.1x the local pool) on {tickets} tickets, logs 1-5 MB"
    )
    for label, cli in (("this tree", OURS), ("v0.1", baseline)):
        if cli is None:
            continue
        command = [
            cli,
            "triage",
            str(queue),
            "--out",
            str(work / "triage-out"),
            "--force",
            "--workers",
            "2",
        ]
        pair = paired(command, [PYTHON, "-c", "pass"], max(runs // 2, 1))
        assert pair.a_cpu is not None
        say(
            f"  {label}: {pair.a_cpu / tickets * 1000:.1f} ms CPU per ticket, {tickets / pair.a_wall:.1f} tickets/s (whole process, 2 workers)"
        )
    try:
        from distributed import LocalCluster
    except ImportError:
        say("  Dask: not installed (pip install certtriage[dask])")
        return
    # The Dask client's fixed cost (importing `distributed`, about 0.5 s here, and connecting)
    # weighs on a short queue: the same pair on a queue five times as long shows the per-ticket
    # difference.
    queues = (
        [queue]
        if dask_tickets <= tickets
        else [
            queue,
            bench_queue(
                work / "queue-long", dask_tickets, (1 * mb, 2 * mb, 3 * mb, 4 * mb, 5 * mb)
            ),
        ]
    )
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        for each in queues:
            count = sum(1 for _ in each.iterdir())
            local = [
                OURS,
                "triage",
                str(each),
                "--out",
                str(work / "t-local"),
                "--force",
                "--workers",
                "2",
            ]
            dask = [
                OURS,
                "triage",
                str(each),
                "--out",
                str(work / "t-dask"),
                "--force",
                "--scheduler",
                address,
            ]
            pair = paired(dask, local, max(runs // 2, 2))
            say(
                f"  {count} tickets: "
                + pair.line("Dask LocalCluster (2 workers)", "local pool (2 workers)")
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="worktree of v0.1 with its .venv")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small sizes (make bench)")
    parser.add_argument("--only", default="", help="startup,logs,dc,certutil,memory,triage")
    args = parser.parse_args()
    baseline = None
    if args.baseline:
        found = args.baseline / ".venv" / ("Scripts" if os.name == "nt" else "bin") / "certtriage"
        baseline = str(found) if found.exists() else None
        if baseline is None:
            say(f"no {found}: figures against v0.1 skipped")
    only = set(filter(None, args.only.split(","))) or {
        "startup",
        "logs",
        "dc",
        "certutil",
        "memory",
        "triage",
    }
    quick = args.quick
    with tempfile.TemporaryDirectory(prefix="certtriage-bench-") as temp:
        work = Path(temp)
        # Both trees timed as an installed package is: with its modules' bytecode (pip compiles
        # it at install). Under PYTHONDONTWRITEBYTECODE every run would compile every module it
        # imports, and a start-up ratio would measure the compiler (about 2x the figure).
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        if "startup" in only:
            startup(baseline, args.runs, work)
        if "logs" in only:
            typical_logs(baseline, args.runs, work, 2_000_000 if quick else 20_000_000)
        if "dc" in only and not quick:
            dc_log(baseline, args.runs)
        if "certutil" in only:
            certutil_speed(baseline, args.runs, work, 100 if quick else 1000)
        if "memory" in only:
            certutil_memory(baseline, work, 2_000 if quick else 100_000)
        if "triage" in only:
            triage(baseline, args.runs, work, 20 if quick else 200, 20 if quick else 1000)
    say(json.dumps({"python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
