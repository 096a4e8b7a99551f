"""Benchmark of the certutil reader: parse a generated 1,000-certificate `-v` dump.

Prints the dump size, the median parse throughput in MB/s over several runs, and the peak
memory of one parse (tracemalloc). Run: ``python bench/bench_certutil.py [--count N] [--runs R]``.
The issue's aim is at least 5 MB/s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzer.inputs.decode import decode_bytes
from analyzer.readers.certutil import parse_certutil
from fixtures.writers.certutil_dump import benchmark_dump, encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="certificates in the dump")
    parser.add_argument("--runs", type=int, default=5, help="timed parses (median reported)")
    args = parser.parse_args()

    dump = benchmark_dump(args.count, verbose=True)
    data = encode(dump)
    decoded = decode_bytes(data)
    text = decoded.text
    megabytes = len(data) / 1e6

    parse_certutil(text, "bench.txt", decoded.encoding)  # warm-up: grammar build, caches
    timings, cpu = [], []
    for _ in range(args.runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = parse_certutil(text, "bench.txt", decoded.encoding)
        timings.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    assert len(result.certificates) == args.count, len(result.certificates)

    start = time.perf_counter()
    decode_bytes(data)
    decode_seconds = time.perf_counter() - start

    tracemalloc.start()
    parse_certutil(text, "bench.txt", decoded.encoding)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    median = statistics.median(timings)
    median_cpu = statistics.median(cpu)
    print(
        f"dump: {args.count} certificates, -v, {dump.encoding}, {megabytes:.2f} MB on disk, "
        f"{len(text) / 1e6:.2f} M characters"
    )
    print(
        f"parse: median {median * 1000:.0f} ms over {args.runs} runs = {megabytes / median:.1f} MB/s "
        f"(min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms)"
    )
    # On a shared machine wall time includes waiting for a core; CPU time is the parser's own.
    print(
        f"parse CPU time: median {median_cpu * 1000:.0f} ms = {megabytes / median_cpu:.1f} MB/s "
        f"of the UTF-16 file, {len(text) / 1e6 / median_cpu:.1f} M characters/s "
        f"(= MB/s of the same dump saved as UTF-8/ASCII)"
    )
    print(f"decode: {decode_seconds * 1000:.0f} ms ({megabytes / decode_seconds:.0f} MB/s)")
    print(
        f"peak memory of one parse (tracemalloc): {peak / 1e6:.1f} MB "
        f"({peak / len(data):.1f} x the file size)"
    )


if __name__ == "__main__":
    main()
