"""EVTX reading speed: the figures issue 3 asks for, measured in one run on the same files.

    python bench/bench_evtx.py [--repeat 3] [--xml-chunks N] [--size 20000000]

(1) The real 16.8 MB Windows Server 2012 R2 System log (../shared/real-samples/evtx), nearly all
    Schannel: the default engine producing the events JSON vs the plain job a developer would
    write on `evtx` (records_json, json.loads, keep Schannel, json.dumps), the ratio to a bare
    `evtx` records() pass, and the python-evtx engine vs python-evtx's own record.xml() over
    every chunk (``--xml-chunks N`` times only every N-th chunk and scales up: it takes minutes).
(2) A System log of an IIS server made by the fixture writer (``--size`` bytes, a dozen 36870):
    the default engine vs the bare `evtx` pass, every 36870 found, the last boot's 6009 among
    the events and its version in coverage.os.

Prints medians of ``--repeat`` runs, ratios, and peak memory (Python heap by tracemalloc in a
separate untimed run; the process's peak resident size at the end).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.inputs.files import InputFile  # noqa: E402
from analyzer.readers import ReadOptions  # noqa: E402
from analyzer.readers.evtx import read_evtx  # noqa: E402
from analyzer.readers.evtx.layout import read_layout  # noqa: E402
from analyzer.render import json as render_json  # noqa: E402
from fixtures.writers.evtx_events import iis_system_log  # noqa: E402

REAL = ROOT.parent / "shared" / "real-samples" / "evtx"
BIG = REAL / "schannel_win2012r2_dc_stolenszechuan_System.evtx"


def median_time(job: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = job()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def paired_ratio(slow: Callable[[], object], fast: Callable[[], object], repeat: int) -> float:
    """Median over runs of time(slow) / time(fast), the two run in turn (order alternating): a
    ratio that holds when a shared machine's speed drifts during the run."""
    ratios = []
    for turn in range(repeat):
        times = {}
        for name, job in (("slow", slow), ("fast", fast))[:: 1 if turn % 2 == 0 else -1]:
            start = time.perf_counter()
            job()
            times[name] = time.perf_counter() - start
        ratios.append(times["slow"] / times["fast"])
    return statistics.median(ratios)


def peak_python_mb(job: Callable[[], object]) -> float:
    tracemalloc.start()
    job()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def bare_evtx(path: Path) -> int:
    import evtx

    return sum(1 for _ in evtx.PyEvtxParser(str(path)).records())


def plain_job(path: Path) -> str:
    import evtx

    kept = []
    for record in evtx.PyEvtxParser(str(path)).records_json():
        event = json.loads(record["data"])
        if event["Event"]["System"]["Provider"]["#attributes"].get("Name") == "Schannel":
            kept.append(event)
    return json.dumps(kept)


def events_json(path: Path, engine: str | None, compact: bool) -> tuple[str, object]:
    result = read_evtx(InputFile.from_path(path), ReadOptions(engine=engine))
    document = render_json.events_document([result])
    text = (
        json.dumps(document, ensure_ascii=False, sort_keys=True)
        if compact
        else render_json.dumps(document)
    )
    return text, result


def xml_all_chunks(path: Path, every: int) -> tuple[float, int]:
    """Seconds for python-evtx record.xml() over every physical chunk (or every N-th, scaled)."""
    from Evtx.Evtx import ChunkHeader, Evtx

    chunks = read_layout(path.read_bytes()).chunks
    with Evtx(str(path)) as log:
        buf = log._buf
        start, records = time.perf_counter(), 0
        for chunk in chunks[::every]:
            for record in ChunkHeader(buf, chunk.offset).records():
                # python-evtx fails on some records; they are timed all the same.
                with contextlib.suppress(Exception):
                    record.xml()
                records += 1
        return (time.perf_counter() - start) * every, records * every


def part_one(repeat: int, xml_every: int) -> None:
    if not BIG.is_file():
        print(f"(1) skipped: {BIG} is not here")
        return
    print(f"(1) {BIG.name}: {BIG.stat().st_size:,} bytes")
    bare, count = median_time(lambda: bare_evtx(BIG), repeat)
    plain, _ = median_time(lambda: plain_job(BIG), repeat)
    compact, (text, result) = median_time(lambda: events_json(BIG, None, True), repeat)  # type: ignore[misc]
    pretty, _ = median_time(lambda: events_json(BIG, None, False), repeat)
    schannel = sum(1 for e in result.events if e.provider == "Schannel")
    cov = result.coverage
    print(f"  bare evtx records() pass: {bare:.3f} s ({count:,} records)")
    print(
        f"  plain job on evtx (records_json, json.loads, keep Schannel, json.dumps): {plain:.3f} s"
    )
    print(
        f"  default engine ({result.engine}) -> events JSON: {compact:.3f} s compact, "
        f"{pretty:.3f} s as the CLI writes it (one record per line); {schannel:,} Schannel events, "
        f"{len(text):,} bytes; chunks read {cov.chunks_read}, pre-filtered {cov.chunks_prefiltered}"
    )
    read, _ = median_time(lambda: read_evtx(InputFile.from_path(BIG), ReadOptions()), repeat)
    document, _ = median_time(lambda: render_json.events_document([result]), repeat)
    print(f"  of which reading {read:.3f} s, events_document() {document:.3f} s, rest json.dumps")
    paired = paired_ratio(lambda: plain_job(BIG), lambda: events_json(BIG, None, True), repeat)
    print(
        f"  ratio plain job / default engine (compact JSON): {plain / compact:.2f}x of medians, "
        f"{paired:.2f}x paired (>= 1 wanted)"
    )
    print(f"  ratio plain job / reading alone: {plain / read:.2f}x")
    print(f"  ratio plain job / default engine (JSON as the CLI writes it): {plain / pretty:.2f}x")
    print(f"  ratio default engine (compact) / bare evtx pass: {compact / bare:.1f}x slower")
    py, py_result = median_time(
        lambda: read_evtx(InputFile.from_path(BIG), ReadOptions(engine="python-evtx")), 1
    )
    print(f"  python-evtx engine: {py:.2f} s, {len(py_result.events):,} events")  # type: ignore[attr-defined]
    xml, records = xml_all_chunks(BIG, xml_every)
    scaled = f" (every {xml_every}-th chunk, scaled)" if xml_every > 1 else ""
    print(
        f"  python-evtx record.xml() over all chunks: {xml:.1f} s for {records:,} records{scaled}"
    )
    print(f"  ratio record.xml() / python-evtx engine: {xml / py:.1f}x (>= 10 wanted)")
    print(
        f"  peak Python heap, default engine -> JSON: {peak_python_mb(lambda: events_json(BIG, None, True)):.0f} MB"
    )


def part_two(repeat: int, size: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "iis_System.evtx"
        path.write_bytes(iis_system_log(size, n_36870=12))
        print(f"(2) IIS System log from the fixture writer: {path.stat().st_size:,} bytes")
        bare, count = median_time(lambda: bare_evtx(path), repeat)
        ours, result = median_time(
            lambda: read_evtx(InputFile.from_path(path), ReadOptions()), repeat
        )
        py, py_result = median_time(
            lambda: read_evtx(InputFile.from_path(path), ReadOptions(engine="python-evtx")), repeat
        )
        events = result.events  # type: ignore[attr-defined]
        cov = result.coverage  # type: ignore[attr-defined]
        found = sum(1 for e in events if e.event_id == 36870)
        boots = [e for e in events if e.provider == "EventLog" and e.event_id == 6009]
        print(f"  bare evtx records() pass: {bare:.3f} s ({count:,} records)")
        print(
            f"  default engine ({result.engine}): {ours:.3f} s; 36870 found {found} of 12; "  # type: ignore[attr-defined]
            f"chunks read {cov.chunks_read}, pre-filtered {cov.chunks_prefiltered}"
        )
        paired = paired_ratio(
            lambda: bare_evtx(path),
            lambda: read_evtx(InputFile.from_path(path), ReadOptions()),
            max(repeat, 9),
        )
        print(
            f"  ratio bare evtx pass / default engine: {bare / ours:.1f}x of medians, "
            f"{paired:.1f}x paired (>= 3 wanted, 5 aimed)"
        )
        print(f"  python-evtx engine: {py:.3f} s ({bare / py:.1f}x the bare evtx pass)")
        print(
            f"  last boot's 6009 among the events: {bool(boots)} (record "
            f"{boots[-1].record_id if boots else None}); coverage.os = {cov.os}"
        )
        same = py_result.events == events  # type: ignore[attr-defined]
        print(f"  both engines give the same events: {same}")
        print(
            f"  peak Python heap, default engine: {peak_python_mb(lambda: read_evtx(InputFile.from_path(path), ReadOptions())):.1f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--xml-chunks", type=int, default=1, help="time every N-th chunk only")
    parser.add_argument("--size", type=int, default=20_000_000)
    parser.add_argument("--part", choices=("1", "2", "both"), default="both")
    args = parser.parse_args()
    if args.part in ("2", "both"):
        part_two(args.repeat, args.size)
    if args.part in ("1", "both"):
        part_one(args.repeat, args.xml_chunks)
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak resident size of this process: {peak:.0f} MB")
    except ImportError:  # Windows
        pass


if __name__ == "__main__":
    main()
