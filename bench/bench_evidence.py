"""Time the evidence readers on customer-sized inputs: a Process Monitor CSV export of a whole
capture (every row of a busy server, a few on the key file) and an `icacls /t` listing of a
crowded MachineKeys folder.

Prints, per input, its size, the median read time over the runs, the rows kept and MB/s.

    python bench/bench_evidence.py [--runs 3] [--procmon-rows 400000] [--key-files 20000]
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

from analyzer.inputs.files import InputFile  # noqa: E402
from analyzer.readers import ReadOptions  # noqa: E402
from analyzer.readers.evidence import icacls, procmon  # noqa: E402
from fixtures.writers.evidence_writer import (  # noqa: E402
    DEFAULT_FOLDER_EN,
    MACHINEKEYS,
    PROCMON_HEADER,
    WEB,
    icacls_listing,
    procmon_row,
)


def procmon_export(path: Path, rows: int) -> None:
    key = f"{MACHINEKEYS}\\{WEB.key_file}"
    with path.open("w", encoding="utf-8-sig", newline="\r\n") as out:
        out.write(PROCMON_HEADER)
        for i in range(rows):
            if i % 5000 == 0:
                out.write(
                    procmon_row(
                        f"10:41:{i % 60:02d}.1234567 AM",
                        "lsass.exe",
                        672,
                        "CreateFile",
                        key,
                        "ACCESS DENIED",
                        "Desired Access: Generic Read",
                    )
                )
            else:
                out.write(
                    procmon_row(
                        f"10:41:{i % 60:02d}.{i:07d} AM",
                        "svchost.exe",
                        1020 + i % 7,
                        "RegQueryValue",
                        f"HKLM\\SOFTWARE\\Contoso\\Key{i}\\Value",
                        "SUCCESS",
                        "Type: REG_SZ, Length: 42",
                    )
                )


def icacls_tree(path: Path, files: int) -> None:
    keys = {
        f"{i:032x}_4be58f30-7127-42f5-9b76-f47187495247": [
            "NT AUTHORITY\\SYSTEM:(F)",
            "BUILTIN\\Administrators:(F)",
        ]
        for i in range(files)
    }
    text = icacls_listing(
        keys,
        DEFAULT_FOLDER_EN,
        f"Successfully processed {files + 1} files; Failed processing 0 files",
    )
    path.write_bytes(b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le"))


def timed(spec, path: Path, runs: int) -> tuple[float, int]:
    times, kept = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        result = spec.read(InputFile.from_path(path), ReadOptions())
        times.append(time.perf_counter() - start)
        kept = len(result.file_access) + len(result.acls)
    return statistics.median(times), kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--procmon-rows", type=int, default=400_000)
    parser.add_argument("--key-files", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = [
            (
                "procmon CSV",
                procmon.SPEC_CSV,
                folder / "procmon.csv",
                procmon_export,
                args.procmon_rows,
            ),
            ("icacls /t (UTF-16)", icacls.SPEC, folder / "acls.txt", icacls_tree, args.key_files),
        ]
        for label, spec, path, build, count in cases:
            build(path, count)
            seconds, kept = timed(spec, path, args.runs)
            mb = path.stat().st_size / 1e6
            print(
                f"{label}: {mb:.1f} MB, median {seconds:.2f} s over {args.runs} runs, "
                f"{kept} records kept, {mb / seconds:.1f} MB/s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
