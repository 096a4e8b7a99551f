"""One input file as the pipeline sees it: a stable display path and a way to get its bytes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from analyzer.visible import visible

# The largest single input read into memory. A System log is rarely above 100 MB; a 1 GB
# "log" is a mistake or an attack, and is refused with a message rather than read.
MAX_INPUT_BYTES = 512 * 1024 * 1024
# What every reader says of a 0-byte file (a failed export or copy), rather than "unknown kind".
EMPTY_FILE = "empty file (0 bytes): nothing to read"


def display_path(path: str | Path) -> str:
    """A path as the user gave it, with '/' separators on every platform (and any control
    character in it written visibly: a name from a customer's folder may hold one)."""
    return visible(str(path).replace("\\", "/"))


@dataclass(frozen=True)
class InputFile:
    """``display`` names the file in every message and JSON field (``ticket.zip!/logs/System.evtx``
    for an archive member); ``local`` is where its bytes are now (maybe a private temp copy)."""

    display: str
    local: Path
    size: int

    @classmethod
    def from_path(cls, path: str | Path) -> InputFile:
        p = Path(path)
        return cls(display_path(path), p, p.stat().st_size)

    def read_bytes(self, limit: int = MAX_INPUT_BYTES) -> bytes:
        """Read at most ``limit`` bytes (callers check ``size`` first to report truncation)."""
        with self.local.open("rb") as fh:
            # read(n) reserves n bytes up front: ask for no more than the file can hold.
            actual = os.fstat(fh.fileno()).st_size
            return fh.read(min(limit, actual + 1))

    def head(self, n: int = 8192) -> bytes:
        with self.local.open("rb") as fh:
            return fh.read(n)
