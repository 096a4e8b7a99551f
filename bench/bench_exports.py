"""Throughput of the event export readers on a System-log-like export.

Builds, in a temporary folder, the same 60,000 events (a realistic mix: Service Control Manager
7036, DCOM 10016, Time-Service, daily EventLog 6013, and a dozen Schannel 36870) as event XML,
Event Viewer CSV, Get-WinEvent CSV (UTF-16) and wevtutil text, then reads each one through
detection and its reader, several times. Prints per format: size, records, kept events, median
seconds, MB/s, and peak Python memory of one read (tracemalloc) relative to the file size.

    .venv/bin/python bench/bench_exports.py [--events N] [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzer.inputs.files import InputFile
from analyzer.readers import ReadOptions, detect
from analyzer.readers.exports import EVENT_EXPORT_KINDS
from fixtures.writers import export_writer as writer

NOISE = (
    (
        "Service Control Manager",
        7036,
        ["Windows Update", "running"],
        "The Windows Update service entered the running state.",
    ),
    (
        "Microsoft-Windows-DistributedCOM",
        10016,
        ["application-specific", "Local", "Activation"],
        "The application-specific permission settings do not grant Local Activation permission.",
    ),
    (
        "Microsoft-Windows-Time-Service",
        37,
        ["time.windows.com,0x8"],
        "The time provider NtpClient is currently receiving valid time data from time.windows.com,0x8.",
    ),
    ("EventLog", 6013, ["86400", "", "", "", "", "", ""], "The system uptime is 86400 seconds."),
)


def system_log(count: int) -> list[writer.ExportEvent]:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    schannel = writer.sample_events()[3]
    events = []
    every = max(count // 12, 1)
    for i in range(count):
        when = start + timedelta(seconds=90 * i)
        if i % every == every // 2:
            events.append(
                writer.ExportEvent(
                    schannel.provider, 36870, when, 1000 + i, schannel.data, schannel.message
                )
            )
            continue
        provider, event_id, data, message = NOISE[i % len(NOISE)]
        events.append(
            writer.ExportEvent(provider, event_id, when, 1000 + i, data, message, level=4)
        )
    return events


def formats(events: list[writer.ExportEvent]) -> dict[str, bytes]:
    return {
        "event XML (<Events>, UTF-8)": writer.encode(writer.to_xml(events), "utf-8"),
        "Event Viewer CSV (UTF-8)": writer.encode(
            writer.to_event_viewer_table(events), "utf-8-bom"
        ),
        "Get-WinEvent CSV (UTF-16)": writer.encode(writer.to_winevent_csv(events), "utf-16-le-bom"),
        "wevtutil /f:text (UTF-8)": writer.encode(writer.to_wevtutil_text(events), "utf-8"),
    }


def read_once(path: Path) -> tuple[int, int]:
    file = InputFile.from_path(path)
    spec = detect(file, only=EVENT_EXPORT_KINDS)
    assert spec is not None, path
    result = spec.read(file, ReadOptions())
    assert result.coverage is not None
    return result.coverage.records, len(result.events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    events = system_log(args.events)
    print(f"{args.events:,} events, {args.repeat} runs each (median)")
    print(
        f"{'format':30} {'MB':>7} {'records':>8} {'kept':>5} {'s':>7} {'MB/s':>7} {'peak/size':>9}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for name, data in formats(events).items():
            path = Path(folder) / "export.bin"
            path.write_bytes(data)
            times = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                records, kept = read_once(path)
                times.append(time.perf_counter() - began)
            tracemalloc.start()
            read_once(path)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            median = statistics.median(times)
            megabytes = len(data) / 1e6
            print(
                f"{name:30} {megabytes:7.1f} {records:8,} {kept:5} {median:7.2f} "
                f"{megabytes / median:7.1f} {peak / len(data):9.1f}"
            )


if __name__ == "__main__":
    main()
