"""Turn what the user named (files, folders, archives, nested) into a sorted list of input files.

Used by `analyze` (one ticket) and by `triage` (one ticket per queue entry). Folders are walked
without following links; archives are opened by `archives.Unpacker` into a private temp folder
that is removed when the `with` block ends, whatever happens inside it. Nothing is ever written
next to an input. Everything skipped is said in `messages`, never silently.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.inputs.archive_base import DEFAULT_LIMITS, LimitReached, Limits
from analyzer.inputs.archives import Unpacker
from analyzer.inputs.files import InputFile, display_path
from analyzer.model import Level, Message
from analyzer.visible import visible

# Windows: junctions and other reparse points are links too; never walk into them.
_REPARSE_POINT = getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0x400)


@dataclass
class Collected:
    """The files of one case, sorted by display path, and what happened while finding them."""

    files: list[InputFile] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    limit_reached: str | None = None  # set when a shared limit stopped the collection


def _is_link(entry: os.DirEntry[str]) -> bool:
    if entry.is_symlink():
        return True
    try:
        attrs = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
    except OSError:
        return False
    return bool(attrs & _REPARSE_POINT)


def _join(parent: str, name: str) -> str:
    name = visible(name)  # a file name from a customer's folder is shown, never acted on
    if parent in ("", "."):
        return name
    return f"{parent.rstrip('/')}/{name}"


class _Collector:
    def __init__(self, workdir: Path | Callable[[], Path], limits: Limits) -> None:
        self.limits = limits
        self.unpacker = Unpacker(workdir, limits)
        self.files: list[InputFile] = []
        self.messages = self.unpacker.messages  # one list, in the order things were found

    def say(self, level: Level, path: str, text: str, *, code: str) -> None:
        self.unpacker.say(level, path, text, code=code)

    def add_path(self, path: Path, display: str) -> None:
        """A path the user named: followed even when it is a link (the user chose it)."""
        try:
            info = path.stat()
        except FileNotFoundError:
            self.say(Level.ERROR, display, "not found", code="input.not-found")
            return
        except OSError as exc:
            self.say(
                Level.ERROR, display, f"cannot read: {exc.strerror or exc}", code="input.unreadable"
            )
            return
        if stat.S_ISDIR(info.st_mode):
            found_before = (len(self.files), len(self.messages))
            self.walk(path, display, 1)
            if (len(self.files), len(self.messages)) == found_before:
                self.say(
                    Level.WARNING,
                    display,
                    "empty folder: no files to read",
                    code="input.empty-folder",
                )
        elif stat.S_ISREG(info.st_mode):
            self.add_file(path, display, info.st_size)
        else:
            self.say(
                Level.WARNING,
                display,
                "skipped: not a regular file (device, fifo or socket)",
                code="input.not-a-file",
            )

    def add_file(self, path: Path, display: str, size: int) -> None:
        self.unpacker.budget.count_file()
        self.files.extend(self.unpacker.expand(InputFile(display, path, size)))

    def walk(self, folder: Path, display: str, depth: int) -> None:
        if depth > self.limits.max_folder_depth:
            self.say(
                Level.WARNING,
                display,
                f"folder not read: nested deeper than {self.limits.max_folder_depth} levels",
                code="input.folder-too-deep",
            )
            return
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self.say(
                Level.ERROR,
                display,
                f"cannot read folder: {exc.strerror or exc}",
                code="input.unreadable",
            )
            return
        for entry in entries:
            child = _join(display, entry.name)
            if _is_link(entry):
                self.say(
                    Level.WARNING,
                    child,
                    "skipped: symbolic link or junction (not followed)",
                    code="input.link-not-followed",
                )
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError as exc:
                self.say(
                    Level.ERROR,
                    child,
                    f"cannot read: {exc.strerror or exc}",
                    code="input.unreadable",
                )
                continue
            if stat.S_ISDIR(info.st_mode):
                self.walk(Path(entry.path), child, depth + 1)
            elif stat.S_ISREG(info.st_mode):
                self.add_file(Path(entry.path), child, info.st_size)
            else:
                self.say(
                    Level.WARNING,
                    child,
                    "skipped: not a regular file (device, fifo or socket)",
                    code="input.not-a-file",
                )


def _gather(paths: Sequence[str | Path], collector: _Collector, base: Path | None) -> Collected:
    for given in paths:
        display = display_path(given)
        if display not in ("/",) and display.endswith("/"):
            display = display.rstrip("/")
        local = base / given if base is not None else Path(given)
        try:
            collector.add_path(local, display)
        except LimitReached as exc:
            collector.say(
                Level.ERROR, display, f"collection stopped: {exc}", code="input.collection-stopped"
            )
            break
    unique: dict[str, InputFile] = {}
    for file in collector.files:
        first = unique.setdefault(file.display, file)  # the same file named twice is one input
        if first.local != file.local:  # two archive members with one name
            collector.say(
                Level.WARNING,
                file.display,
                "duplicate name: only the first is read",
                code="input.duplicate-name",
            )
    left_out = collector.unpacker.cap.summary()
    if left_out is not None:
        collector.messages.append(left_out)
    messages = sorted(collector.messages, key=lambda m: m.source.path)  # stable within a path
    return Collected(
        files=[unique[d] for d in sorted(unique)],
        messages=messages,
        limit_reached=collector.unpacker.budget.exhausted,
    )


@contextmanager
def collect_inputs(
    paths: Sequence[str | Path], limits: Limits = DEFAULT_LIMITS, base: str | Path | None = None
) -> Iterator[Collected]:
    """Collect the inputs of one case. Archive members live in a private temp folder that
    exists only inside the ``with`` block::

        with collect_inputs(["ticket.zip", "extra/"]) as collected:
            for file in collected.files: ...

    ``base``: relative paths are read from this folder but displayed as given, so that a
    queue's reports name ``T-1042.zip!/System.evtx`` wherever the queue is mounted.
    """
    made: list[Path] = []

    def workdir() -> Path:  # made when the first archive member is copied
        made.append(Path(tempfile.mkdtemp(prefix="certtriage-")))
        return made[-1]

    try:
        yield _gather(paths, _Collector(workdir, limits), Path(base) if base else None)
    finally:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
