"""Output of this tree vs another install (e.g. a worktree of the tag v0.1), to the byte.

    python bench/same_output.py --other ../v01/.venv/bin/certtriage [PATH ...]

Runs `certtriage certutil --json` on every certutil file and `certtriage events --json` (both
engines) on every event log and export found under PATHs (default: fixtures/ and
../shared/real-samples/), with this tree's and the other install's command, and prints each
file whose stdout or exit code differs. The goldens (tests/test_goldens.py) cover the fixtures;
this adds the real samples and generated benchmark inputs. Exit status 1 when any differs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVENT_SUFFIXES = {".evtx", ".xml", ".csv", ".txt", ".tsv"}


def _run(command: list[str]) -> tuple[int, bytes]:
    done = subprocess.run(command, capture_output=True, check=False, timeout=900)
    return done.returncode, done.stdout


def jobs(paths: list[Path]) -> list[list[str]]:
    out: list[list[str]] = []
    for root in paths:
        files = sorted(p for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file())
        for path in files:
            text = str(path)
            if "goldens" in path.parts or path.suffix.lower() in (".md", ".json", ".py"):
                continue
            if "certutil" in text.lower():
                out.append(["certutil", "--json", text])
            elif path.suffix.lower() in EVENT_SUFFIXES and ("evtx" in text or "export" in text):
                out.append(["events", "--json", text])
                if path.suffix.lower() == ".evtx":
                    out.append(["events", "--json", "--engine", "python-evtx", text])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", required=True, help="the other install's certtriage command")
    parser.add_argument("--ours", default=str(Path(sys.executable).parent / "certtriage"))
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args()
    paths = args.paths or [ROOT / "fixtures", ROOT.parent / "shared" / "real-samples"]
    differ = 0
    todo = jobs(paths)
    for job in todo:
        ours, other = _run([args.ours, *job]), _run([args.other, *job])
        if ours != other:
            differ += 1
            print(f"DIFFERS: {' '.join(job)} (exit {ours[0]} vs {other[0]})")
    print(f"{len(todo)} runs, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
