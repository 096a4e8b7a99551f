"""Whole-process timing: start-up included, two commands run in turn, paired ratios.

``paired(a, b, runs)`` starts A and B alternately (A B, B A, A B ...), each with empty stdin and
its output thrown away, and returns the medians of wall and CPU seconds of each, the median of the
per-pair ratios A/B (a ratio that holds while a shared machine's speed drifts) and each one's
peak resident memory (the largest process, from the operating system's accounting of the
finished child). CPU and peak need ``os.wait4`` (POSIX); elsewhere only wall time is measured.

On POSIX the commands are started by a small launcher process, not by this one: Linux counts in
a child's peak what the process that forked it held (the accounting survives ``exec``), and a
benchmark that has read a 20 MB log in process holds far more than the command it times.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Run:
    wall: float
    cpu: float | None
    peak_mb: float | None


# Runs in the launcher: one JSON request per line in, one JSON answer per line out.
_LAUNCHER = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    request = json.loads(line)
    start = time.perf_counter()
    child = subprocess.Popen(request["command"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=request["env"])
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    answer = [wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024]
    sys.stdout.write(json.dumps(answer) + chr(10))
    sys.stdout.flush()
"""
_launcher: subprocess.Popen[str] | None = None


def _launch(command: Sequence[str], env: dict[str, str] | None) -> Run:
    global _launcher
    if _launcher is None or _launcher.poll() is not None:
        _launcher = subprocess.Popen(
            [sys.executable, "-I", "-c", _LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
    assert _launcher.stdin is not None and _launcher.stdout is not None
    request = {"command": list(command), "env": dict(os.environ if env is None else env)}
    _launcher.stdin.write(json.dumps(request) + "\n")
    _launcher.stdin.flush()
    wall, cpu, peak = json.loads(_launcher.stdout.readline())
    return Run(wall, cpu, peak)


def run_once(command: Sequence[str], env: dict[str, str] | None = None) -> Run:
    if hasattr(os, "wait4"):
        return _launch(command, env)
    start = time.perf_counter()
    child = subprocess.Popen(
        list(command),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    child.wait()
    return Run(time.perf_counter() - start, None, None)


@dataclass
class Pair:
    a_wall: float
    b_wall: float
    a_cpu: float | None
    b_cpu: float | None
    wall_ratio: float  # median of per-pair A/B
    cpu_ratio: float | None
    a_peak_mb: float | None
    b_peak_mb: float | None

    def line(self, a: str, b: str) -> str:
        cpu = "" if self.cpu_ratio is None else f", CPU {self.cpu_ratio:.2f}x"
        peak = (
            ""
            if self.a_peak_mb is None
            else f"; peak {self.a_peak_mb:.0f} MB vs {self.b_peak_mb:.0f} MB"
        )
        return (
            f"{a} / {b}: wall {self.wall_ratio:.2f}x paired{cpu} "
            f"(medians {self.a_wall:.3f} s vs {self.b_wall:.3f} s){peak}"
        )


def paired(
    a: Sequence[str],
    b: Sequence[str],
    runs: int = 5,
    warmup: int = 1,
    env: dict[str, str] | None = None,
) -> Pair:
    for _ in range(warmup):
        run_once(a, env)
        run_once(b, env)
    results: list[tuple[Run, Run]] = []
    for turn in range(runs):
        if turn % 2 == 0:
            ra = run_once(a, env)
            rb = run_once(b, env)
        else:
            rb = run_once(b, env)
            ra = run_once(a, env)
        results.append((ra, rb))
    cpu_known = all(ra.cpu is not None and rb.cpu for ra, rb in results)
    return Pair(
        a_wall=statistics.median(ra.wall for ra, _ in results),
        b_wall=statistics.median(rb.wall for _, rb in results),
        a_cpu=statistics.median(ra.cpu for ra, _ in results) if cpu_known else None,  # type: ignore[type-var]
        b_cpu=statistics.median(rb.cpu for _, rb in results) if cpu_known else None,  # type: ignore[type-var]
        wall_ratio=statistics.median(ra.wall / rb.wall for ra, rb in results),
        cpu_ratio=statistics.median(ra.cpu / rb.cpu for ra, rb in results) if cpu_known else None,  # type: ignore[operator]
        a_peak_mb=max((ra.peak_mb or 0) for ra, _ in results) if cpu_known else None,
        b_peak_mb=max((rb.peak_mb or 0) for _, rb in results) if cpu_known else None,
    )
