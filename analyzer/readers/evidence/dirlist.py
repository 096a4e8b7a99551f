"""Folder listings of the key folders: cmd `dir` and PowerShell `Get-ChildItem` (`ls`, `gci`).

One `FolderListing` per folder block, so that a rule can tell that a key file is absent.
Shapes (labels are localized, the layout is not):

- `dir`: a header ``Directory of C:\\...\\MachineKeys`` (``Verzeichnis von``, ``Répertoire de``...:
  words, then an absolute path), then one line per entry ``<date> <time> [AM|PM] <size|<DIR>>
  <name>`` and a summary ``N File(s) ... bytes`` (localized).
- `Get-ChildItem`: a header ``Directory: C:\\...`` (``Verzeichnis:``), a ``Mode ... Name`` column
  line and its dashes, then ``<mode> <date> <time> [AM|PM] [<length>] <name>``.
- `dir /b /s`, `Get-ChildItem | Select -Expand FullName`: one absolute path per line.

A listing whose command (on a pasted prompt line) names a wildcard or -Filter/-Include is marked
`filtered`: a file it does not show may still exist.
"""

from __future__ import annotations

import re

from analyzer.inputs.files import InputFile
from analyzer.model import FolderListing, ReadResult, RecordType, Source, Status
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import Line, clean_lines, read_text, sniff_lines

KIND = "dir-listing"
MAX_FILES_PER_FOLDER = 100_000

_PATH = r"(?P<path>(?:[A-Za-z]:\\|\\\\)[^<>|\"*?\r\n]*)"
# "Directory of C:\x", "Verzeichnis von C:\x", "    Directory: C:\x", "Verzeichnis: C:\x"
_HEADER = re.compile(r"^\s*[^\W\d][^:\\]{0,40}?(?::\s*|\s)" + _PATH + r"\s*$")
_DATE_TIME = r"\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?"
# dir: date time size-or-<DIR> name; sizes use the locale's grouping (1,234 / 1.234 / 1 234).
_DIR_ENTRY = re.compile(
    r"^\s*"
    + _DATE_TIME
    + r"\s+(?P<size><[^>]+>|\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+|\d+)\s+(?P<name>\S.*?)\s*$"
)
# Get-ChildItem: mode, date time, optional length, name.
_GCI_ENTRY = re.compile(
    r"^\s*(?P<mode>[dlarhs\-]{5,6})\s+"
    + _DATE_TIME
    + r"\s+(?:(?P<size>\d+)\s+)?(?P<name>\S.*?)\s*$"
)
_FULL_PATH = re.compile(r"^\s*" + _PATH + r"\s*$")
_COLUMNS = re.compile(r"^\s*Mode\s+\S+\s+", re.IGNORECASE)
_DASHES = re.compile(r"^[\s\-]+$")
_SUMMARY = re.compile(r"^\s*\d[\d,.\u00a0\u202f ]*\s+\D+")
_KEY_FOLDER = re.compile(r"\\(?:RSA\\MachineKeys|Crypto\\Keys|Crypto\\RSA\\S-1-[\d-]+)\\?$", re.I)
_LISTING_COMMAND = re.compile(r"^(?:dir|ls|gci|get-childitem)\b", re.IGNORECASE)
_FILTERED = re.compile(r"[*?]|-(?:filter|include)\b", re.IGNORECASE)


# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "dirlist.too-many-files": "more files in one folder than are kept",
    "dirlist.no-listing": "no `dir` or Get-ChildItem listing found",
    "dirlist.no-key-folder": "none of the folders listed is a key folder",
    "dirlist.filtered": (
        "the listing command names a pattern or filter: files it does not show may exist"
    ),
    "dirlist.entry-without-folder": "a file entry before any folder header",
    "dirlist.line-not-read": "a line that is not part of a folder listing",
}


def _folder_of(path: str) -> str:
    return path.rstrip().rstrip("\\")


def _filtered(commands: list[str]) -> bool:
    listing = [c for c in commands if _LISTING_COMMAND.match(c.strip())]
    return any(_FILTERED.search(c) for c in listing)


class _Blocks:
    """Folder -> files, in the order the listing shows them."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.files: dict[str, list[str]] = {}
        self.lines: dict[str, int] = {}

    def folder(self, name: str, line: int) -> str:
        self.files.setdefault(name, [])
        self.lines.setdefault(name, line)
        return name

    def add(self, folder: str, name: str, line: int, result: ReadResult) -> None:
        names = self.files.setdefault(folder, [])
        self.lines.setdefault(folder, line)
        if len(names) >= MAX_FILES_PER_FOLDER:
            if len(names) == MAX_FILES_PER_FOLDER:
                result.warn(
                    f"more than {MAX_FILES_PER_FOLDER} files in {folder}; the rest skipped",
                    line,
                    code="dirlist.too-many-files",
                )
                names.append("")
            return
        names.append(name)


def read_dirlist(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    cleaned = clean_lines(read_text(file, result).text, result)
    blocks = _Blocks(file.display)
    folder: str | None = None
    for line in cleaned.lines:
        folder = _line(line, folder, blocks, result)
    filtered = _filtered(cleaned.commands)
    for name, files in blocks.files.items():
        result.add(
            FolderListing(
                folder=name,
                files=tuple(f for f in files if f),
                filtered=filtered,
                source=Source(file.display, blocks.lines[name]),
            )
        )
    if not result.records(FolderListing) and result.status is not Status.ERROR:
        result.fail(
            "no folder listing (a `dir` or Get-ChildItem header with its entries) found",
            code="dirlist.no-listing",
        )
    elif not any(_KEY_FOLDER.search(listing.folder) for listing in result.records(FolderListing)):
        result.note(
            "none of these folders is a key folder (RSA\\MachineKeys or Crypto\\Keys)",
            code="dirlist.no-key-folder",
        )
    if filtered:
        result.note(
            "the listing command names a pattern or filter: files it does not show may exist",
            code="dirlist.filtered",
        )
    return result


def _line(line: Line, folder: str | None, blocks: _Blocks, result: ReadResult) -> str | None:
    text = line.text
    if not text.strip() or _COLUMNS.match(text) or _DASHES.match(text):
        return folder
    entry = _GCI_ENTRY.match(text) or _DIR_ENTRY.match(text)
    if entry is not None:
        if folder is None:
            result.warn(
                f"entry before any folder header: {text.strip()[:120]!r}",
                line.number,
                code="dirlist.entry-without-folder",
            )
            return folder
        if not _is_folder(entry) and entry.group("name") not in (".", ".."):
            blocks.add(folder, entry.group("name"), line.number, result)
        return folder
    full = _FULL_PATH.match(text)
    if full is not None and _KEY_FOLDER.search(full.group("path").rsplit("\\", 1)[0]):
        parent, _, name = _folder_of(full.group("path")).rpartition("\\")
        if name:
            blocks.add(parent, name, line.number, result)
        return folder
    header = _HEADER.match(text)
    if header is not None:
        return blocks.folder(_folder_of(header.group("path")), line.number)
    if _SUMMARY.match(text) or "volume" in text.casefold() or text.strip().startswith("Volume"):
        return folder  # "5 File(s) 12,780 bytes", "Volume Serial Number is ..." (localized)
    result.note(
        f"line {line.number} is not part of a folder listing, skipped", code="dirlist.line-not-read"
    )
    return folder


def _is_folder(entry: re.Match[str]) -> bool:
    mode = entry.groupdict().get("mode")
    if mode:
        return mode.lower().startswith("d")
    return (entry.group("size") or "").startswith("<")


def sniff_dirlist(sample: Sample) -> int:
    lines = sniff_lines(sample.text)
    headers = sum(1 for line in lines[:100] if _HEADER.match(line) and not _DIR_ENTRY.match(line))
    entries = sum(1 for line in lines if _GCI_ENTRY.match(line) or _DIR_ENTRY.match(line))
    if not headers or not entries:
        return 0
    score = 40 + min(entries, 10) * 2
    if any(_KEY_FOLDER.search(line.strip()) for line in lines[:100]):
        score += 25
    if any(":(" in line for line in lines[:100]):
        score -= 40  # icacls permissions: not a listing
    return max(0, min(score, 90))


FOLDER_LISTINGS = RecordType(
    FolderListing,
    "folder_listings",
    "folder listings",
    "the files a dir / Get-ChildItem listing shows in a key folder (a key file that is absent)",
)

SPEC = register(
    ReaderSpec(
        KIND,
        sniff_dirlist,
        read_dirlist,
        "dir / Get-ChildItem listing of the key folders (RSA\\MachineKeys, Crypto\\Keys)",
        records=(FOLDER_LISTINGS,),
    )
)
