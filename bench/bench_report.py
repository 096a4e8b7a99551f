"""Time the HTML report alone on a large ticket: a 20 MB System log (the evtx writer's IIS mix
with a dozen 36870) and a 1,000-certificate `-v` dump, analysed once, rendered several times.

Prints the median time of `render_report` (building the view, the timeline geometry and the
page), the page size, and how much of the case the page holds (certificate rows, event rows,
timeline marks): the page stays small however big the logs are.

    python bench/bench_report.py [--runs 5] [--log-mb 20] [--certs 1000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzer.pipeline import run_analysis  # noqa: E402
from analyzer.render.html import render_report  # noqa: E402
from fixtures.writers.certutil_dump import benchmark_dump, write  # noqa: E402
from fixtures.writers.evtx_events import iis_system_log  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--log-mb", type=float, default=20.0)
    parser.add_argument("--certs", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="certtriage-bench-") as tmp:
        ticket = Path(tmp)
        (ticket / "System.evtx").write_bytes(
            iis_system_log(int(args.log_mb * 1024 * 1024), n_36870=12)
        )
        write(benchmark_dump(args.certs, verbose=True), ticket / "my.txt")
        analysis = run_analysis([ticket])
    print(
        f"case: {len(analysis.certificates)} certificates, {len(analysis.events)} relevant "
        f"events, {len(analysis.diagnoses)} diagnoses"
    )
    render_report(analysis)  # first call loads and compiles the templates
    times = []
    page = ""
    for _ in range(args.runs):
        start = time.perf_counter()
        page = render_report(analysis)
        times.append(time.perf_counter() - start)
    print(f"render_report: median {statistics.median(times):.3f} s over {args.runs} runs")
    rows = page.count('<tr id="cert-')
    time_cells = page.count('<td class="time">')
    marks = page.count("<circle")
    size = len(page.encode("utf-8")) / 1e6
    print(
        f"page: {size:.2f} MB, {rows} certificate rows, {time_cells} event time cells, "
        f"{marks} timeline marks"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
