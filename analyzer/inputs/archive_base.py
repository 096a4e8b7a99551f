"""The parts of safe archive reading that every format module shares: the limits and what has
been spent of them, per-archive state, safe member names, and what a format module may ask of
the unpacker (`MemberSink`). Kept apart from `archives.py` so that format modules (7z) depend on
this and not on the unpacker that loads them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from analyzer.inputs.files import MAX_INPUT_BYTES, InputFile
from analyzer.model import Level

_DRIVE = re.compile(r"^[A-Za-z]:")
# C0 and C1 controls, DEL, line/paragraph separators and bidirectional overrides.
CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Limits:
    """Bounds on what one collection may extract (shared by all archives of one ticket)."""

    max_total_bytes: int = 2 * 1024**3
    max_member_bytes: int = MAX_INPUT_BYTES
    max_ratio: int = 200  # uncompressed / compressed; evtx and dumps stay well below 50
    # Below this, a high ratio is normal: a copied live .evtx is partly preallocated zeros.
    ratio_floor_bytes: int = 64 * 1024**2
    max_files: int = 10_000
    max_depth: int = 4  # archives within archives (the outer archive is depth 1)
    max_folder_depth: int = 32


DEFAULT_LIMITS = Limits()


# Every message about a shared limit carries this phrase, so that a later stage (triage) can tell
# "this ticket was cut short" from any other warning without parsing the rest.
LIMIT_REACHED = "limit reached"


class LimitReached(Exception):
    """A limit shared by the whole collection is exhausted: stop extracting anything more."""


class CorruptArchive(Exception):
    """A format module's own "this archive is damaged" (zipfile and tarfile have theirs)."""


def clean_member_name(raw: str) -> tuple[str | None, str | None]:
    """(safe relative name with '/' separators, None) or (None, why it is refused)."""
    name = raw.replace("\\", "/")
    if name.startswith("//"):
        return None, "absolute UNC path"
    if name.startswith("/"):
        return None, "absolute path"
    if _DRIVE.match(name):
        return None, "drive-letter path"
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None, "path traversal ('..')"
    if not parts:
        return None, "empty name"
    if any(":" in p for p in parts):
        return None, "':' in name (drive or alternate data stream)"
    # Control characters would reach terminals and logs; they never matter for the content.
    return CONTROL_CHARS.sub("\ufffd", "/".join(parts)), None


@dataclass
class Budget:
    """What has been spent of the limits so far; shared by one collection."""

    limits: Limits
    files: int = 0
    bytes: int = 0
    exhausted: str | None = None  # the reason, once a shared limit is hit

    def count_file(self) -> None:
        if self.files >= self.limits.max_files:
            self.exhausted = f"file-count {LIMIT_REACHED} ({self.limits.max_files} files)"
            raise LimitReached(self.exhausted)
        self.files += 1

    def add_bytes(self, n: int) -> None:
        self.bytes += n
        if self.bytes > self.limits.max_total_bytes:
            self.exhausted = (
                f"total extracted size {LIMIT_REACHED} ({self.limits.max_total_bytes} bytes)"
            )
            raise LimitReached(self.exhausted)


@dataclass
class ArchiveRun:
    """Per-archive state: where it is, how deep, and how much it has produced so far."""

    display: str
    local: Path
    depth: int
    size: int
    produced: int = 0
    members: list[InputFile] = field(default_factory=list)


class MemberSink(Protocol):
    """What a format module asks of the unpacker while it copies members out."""

    budget: Budget

    def say(self, level: Level, path: str, text: str) -> None: ...

    def refuse(self, run: ArchiveRun, raw: str, why: str) -> None: ...

    def new_local(self) -> Path: ...

    def check_member(self, run: ArchiveRun, written: int, packed: int | None) -> None: ...
