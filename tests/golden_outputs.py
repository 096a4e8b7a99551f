"""Golden outputs: the JSON each command writes for every fixture ticket and fixture file.

`make bless` re-writes them after an intended change (``python tests/golden_outputs.py
--bless``); `tests/test_goldens.py` fails when a command's output differs from its golden, so
a restructuring that should change nothing is checked to the byte. The commands run in-process
from the project root with paths relative to it, so the goldens hold no machine's paths.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDENS = ROOT / "fixtures" / "goldens"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Golden:
    """One command run and the file its JSON is kept in."""

    command: str  # "analyze" | "certutil" | "events"
    input: str  # relative to ROOT, '/' separators

    @property
    def path(self) -> Path:
        name = self.input.replace("/", "__")
        return GOLDENS / self.command / f"{name}.json"

    def args(self) -> list[str]:
        if self.command == "analyze":
            # The report goes to a throw-away place: only the JSON is golden.
            return ["analyze", self.input, "--json", "-", "--html", os.devnull]
        return [self.command, self.input, "--json"]


def _files(folder: str, *patterns: str) -> list[str]:
    base = ROOT / folder
    found = {p for pattern in patterns for p in base.glob(pattern) if p.is_file()}
    return sorted(p.relative_to(ROOT).as_posix() for p in found if p.name != "SOURCES.md")


def goldens() -> list[Golden]:
    tickets = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "fixtures" / "tickets").iterdir()
        if p.is_dir()
    )
    out = [Golden("analyze", t) for t in tickets]
    out += [Golden("certutil", f) for f in _files("fixtures/certutil", "*.txt")]
    out += [Golden("certutil", f) for f in _files("fixtures/real/certutil", "*.txt")]
    out += [Golden("events", f) for f in _files("fixtures/evtx", "*.evtx")]
    out += [Golden("events", f) for f in _files("fixtures/real/evtx", "*.evtx")]
    out += [Golden("events", f) for f in _files("fixtures/exports", "*")]
    return out


@contextmanager
def _at_root() -> Iterator[None]:
    old = Path.cwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(old)


def produce(golden: Golden) -> str:
    """The command's JSON on stdout, as the CLI writes it."""
    from typer.testing import CliRunner

    from analyzer.cli.commands import app

    with _at_root():
        result = CliRunner().invoke(app, golden.args())
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.stdout


def bless() -> int:
    for golden in goldens():
        golden.path.parent.mkdir(parents=True, exist_ok=True)
        golden.path.write_text(produce(golden), encoding="utf-8", newline="\n")
    wanted = {g.path for g in goldens()}
    for stale in GOLDENS.rglob("*.json"):
        if stale not in wanted:
            stale.unlink()
    print(f"{len(wanted)} golden outputs written under {GOLDENS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["--bless"]:
        sys.exit("usage: python tests/golden_outputs.py --bless")
    sys.exit(bless())
