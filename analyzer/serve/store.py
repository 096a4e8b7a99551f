"""Where uploads and reports live on the server's disk, and for how long.

Each upload is copied into its own private folder (created by `tempfile.mkdtemp`, so only this
user can read it) and deleted as soon as its analysis is over. A report is kept under an
unguessable id for `--keep-days`, then deleted: expired reports are purged when the server
starts, before every new analysis, and when one is asked for.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from analyzer.inputs.archive_base import clean_member_name

REPORT_HTML = "report.html"
REPORT_JSON = "analysis.json"
_REPORT_ID = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)
_PARTIAL = ".partial-"
# Names Windows gives to devices whatever the extension, and characters it refuses in names:
# https://learn.microsoft.com/en-us/windows/win32/fileio/naming-a-file
_DEVICE_NAMES = {"CON", "PRN", "AUX", "NUL"} | {
    f"{d}{n}" for d in ("COM", "LPT") for n in range(10)
}
_WINDOWS_FORBIDDEN = re.compile(r'[<>"|?*]')
MAX_NAME_CHARS = 200
STALE_UPLOAD_SECONDS = 24 * 3600


class Refused(Exception):
    """An upload the server will not analyse; the text says why (one line, for the client)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def upload_name(raw: str) -> str:
    """The relative path an uploaded file is stored under: the client's own name when it is safe
    on every platform, otherwise Refused naming it. The archive module's rules for member names
    (no absolute path, drive, '..' or ':') apply, plus Windows' device names and characters."""
    shown = repr(raw[:MAX_NAME_CHARS])  # repr: control characters shown escaped, not sent
    name, why = clean_member_name(raw)
    if name is None:
        raise Refused(f"file name {shown} refused: {why}")
    for part in name.split("/"):
        if len(part) > MAX_NAME_CHARS:
            raise Refused(f"file name {shown} refused: longer than {MAX_NAME_CHARS} characters")
        if _WINDOWS_FORBIDDEN.search(part) or part != part.rstrip(". "):
            raise Refused(f"file name {shown} refused: not a valid Windows file name")
        if part.split(".")[0].upper() in _DEVICE_NAMES:
            raise Refused(f"file name {shown} refused: a Windows device name")
    return name


def private_folder(parent: Path) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="upload-", dir=parent))


@contextlib.contextmanager
def upload_folder(parent: Path) -> Iterator[Path]:
    """A private folder for one upload, deleted with everything in it afterwards."""
    folder = private_folder(parent)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_stale_uploads(parent: Path, now: float | None = None) -> None:
    """Upload folders a stopped server left behind (it was killed mid-analysis)."""
    now = time.time() if now is None else now
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        with contextlib.suppress(OSError):
            if now - entry.stat().st_mtime > STALE_UPLOAD_SECONDS:
                shutil.rmtree(entry, ignore_errors=True)


class ReportStore:
    def __init__(self, root: Path, keep_days: float) -> None:
        self.root = root
        self.keep_seconds = keep_days * 86400

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(16)

    def save(self, report_id: str, document: str, html: str) -> None:
        """Write both files under a temporary name, then rename: a report is whole or absent."""
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.root / f"{_PARTIAL}{report_id}"
        partial.mkdir(mode=0o700)
        (partial / REPORT_JSON).write_text(document, encoding="utf-8", newline="\n")
        (partial / REPORT_HTML).write_text(html, encoding="utf-8", newline="\n")
        partial.replace(self.root / report_id)

    def _expired(self, folder: Path, now: float) -> bool:
        try:
            return now - folder.stat().st_mtime > self.keep_seconds
        except OSError:
            return True

    def find(self, report_id: str, name: str) -> Path | None:
        """One file of a report that exists and has not expired; None otherwise (a malformed id
        included: it never reaches the file system)."""
        if not _REPORT_ID.fullmatch(report_id):
            return None
        folder = self.root / report_id
        if not folder.is_dir():
            return None
        if self._expired(folder, time.time()):
            shutil.rmtree(folder, ignore_errors=True)
            return None
        path = folder / name
        return path if path.is_file() else None

    def purge(self, now: float | None = None) -> int:
        """Delete expired reports (and partial ones older than that); returns how many."""
        now = time.time() if now is None else now
        if not self.root.is_dir():
            return 0
        removed = 0
        for folder in self.root.iterdir():
            if folder.is_dir() and self._expired(folder, now):
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed
