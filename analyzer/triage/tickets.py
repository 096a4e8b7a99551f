"""A queue folder's entries as tickets, their output folder names and their content keys.

Every entry of the queue is one ticket: a folder, an archive or a single loose file. The key
of a ticket is a hash of everything analysis depends on (the bytes of every file under the
entry, their relative names, the certtriage version and the options), so that a re-run can
skip tickets whose inputs did not change and an upgrade re-analyses everything.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer import __version__

# Files certtriage writes at the top of OUTDIR; a ticket named like one gets a suffix.
RESERVED_NAMES = frozenset({"index.html", "summary.csv", "summary.json"})
HASH_CHUNK = 1024 * 1024
# Bounds on hashing a folder ticket: a queue entry with millions of files is not a ticket.
MAX_KEY_FILES = 100_000
MAX_KEY_DEPTH = 32
# What a Windows file name cannot hold or be, since OUTDIR may live on NTFS or an SMB share
# (https://learn.microsoft.com/windows/win32/fileio/naming-a-file): these characters, a
# trailing dot or space, and the device names, with or without an extension.
_WINDOWS_INVALID = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)}
)


@dataclass(frozen=True)
class Ticket:
    name: str  # the entry's full name in the queue folder ("T-1042.zip")
    kind: str  # "folder" | "file" | "link" | "special"
    # The ticket's output folder, unique in OUTDIR on any file system (see output_names).
    out_name: str = ""


def _windows_name(name: str) -> str:
    """``name`` made a valid Windows file name; unchanged when it already is one."""
    safe = _WINDOWS_INVALID.sub("_", name)
    if safe.endswith((".", " ")):
        safe += "_"
    if safe.split(".", 1)[0].rstrip(" ").casefold() in _WINDOWS_DEVICES:
        safe = "_" + safe
    return safe


def output_names(names: list[str]) -> dict[str, str]:
    """Each entry's output folder: its full name where that is a valid Windows name that no
    other ticket (compared case-insensitively, as NTFS and APFS do) and no OUTDIR file takes;
    otherwise that name with ``~ticket`` (``~ticket2``, ...) appended. Entries in sorted order
    claim their names first, so the same queue always gives the same folders."""
    taken = set(RESERVED_NAMES)
    out: dict[str, str] = {}
    wanted = {name: _windows_name(name) for name in sorted(names)}
    for name, safe in wanted.items():  # first pass: every name that can stay as it is
        if safe.casefold() not in taken:
            taken.add(safe.casefold())
            out[name] = safe
    for name, safe in wanted.items():
        if name in out:
            continue
        number = 1
        while (candidate := f"{safe}~ticket{number if number > 1 else ''}").casefold() in taken:
            number += 1
        taken.add(candidate.casefold())
        out[name] = candidate
    return out


def list_tickets(queue: Path, exclude: Path | None = None) -> list[Ticket]:
    """The queue's entries, sorted by name, with their output folders; ``exclude`` (the output
    folder) is left out."""
    skip = exclude.resolve() if exclude is not None else None
    found: list[tuple[str, str]] = []
    with os.scandir(queue) as entries:
        for entry in entries:
            if skip is not None and Path(entry.path).resolve() == skip:
                continue
            if entry.is_symlink():
                kind = "link"
            elif entry.is_dir(follow_symlinks=False):
                kind = "folder"
            elif entry.is_file(follow_symlinks=False):
                kind = "file"
            else:
                kind = "special"
            found.append((entry.name, kind))
    folders = output_names([name for name, _ in found])
    return sorted((Ticket(name, kind, folders[name]) for name, kind in found), key=lambda t: t.name)


def _hash_file(digest: Any, path: Path) -> None:
    with path.open("rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)


def _hash_folder(digest: Any, root: Path, rel: str, depth: int, count: list[int]) -> None:
    if depth > MAX_KEY_DEPTH:
        digest.update(f"deep:{rel}\0".encode())
        return
    with os.scandir(root) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        count[0] += 1
        if count[0] > MAX_KEY_FILES:
            raise OSError(f"more than {MAX_KEY_FILES} entries")
        child = f"{rel}/{entry.name}"
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode) and not entry.is_symlink():
            digest.update(f"dir:{child}\0".encode())
            _hash_folder(digest, Path(entry.path), child, depth + 1, count)
        elif stat.S_ISREG(info.st_mode):
            digest.update(f"file:{child}:{info.st_size}\0".encode())
            _hash_file(digest, Path(entry.path))
        else:  # links and special files are not read by collection either; their names count
            digest.update(f"other:{child}\0".encode())


def content_key(path: Path, options: str) -> str:
    """sha256 over the certtriage version, the analysis options and the entry's content."""
    digest = hashlib.sha256(f"certtriage {__version__}\0{options}\0".encode())
    if path.is_dir() and not path.is_symlink():
        _hash_folder(digest, path, "", 0, [0])
    else:
        _hash_file(digest, path)
    return digest.hexdigest()
