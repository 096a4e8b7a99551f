"""Process Monitor: the CSV export (kept rows become `FileAccess`) and the native PML capture.

The CSV columns are ``"Time of Day","Process Name","PID","Operation","Path","Result","Detail"``
by default; customers add columns, drop some with `awk` (then the header says which are left,
or is gone and the values say what they are), or paste a single row from the window onto one
line. We keep every row on a key path (``Crypto\\RSA\\MachineKeys``, ``Crypto\\Keys``,
``SystemKeys``) and every non-success row on a key path or an ``ACCESS DENIED`` elsewhere (so
that a near miss on a registry key is visible but never taken for a key file).
"""

from __future__ import annotations

import csv
import io
import re

from analyzer.inputs.files import InputFile
from analyzer.model import FileAccess, ReadResult, Source
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import (
    Cleaned,
    prose_parts,
    sniff_lines,
    stream_lines,
    unparsed,
)
from analyzer.readers.records import FILE_ACCESS

KIND_CSV = "procmon-csv"
KIND_PML = "procmon-pml"
PML_MAGIC = b"PML_"
EXPORT_HINT = (
    "export it as CSV: File > Save... > Events displayed using current filter, "
    "Format: Comma-Separated Values (CSV)"
)
MAX_KEPT_ROWS = 2000

COLUMNS: dict[str, str] = {
    "time of day": "time",
    "date & time": "time",
    "process name": "process",
    "pid": "pid",
    "operation": "operation",
    "path": "path",
    "result": "result",
    "detail": "detail",
}
RESULTS = (
    "ACCESS DENIED",
    "NAME NOT FOUND",
    "PATH NOT FOUND",
    "SHARING VIOLATION",
    "NAME COLLISION",
    "BUFFER OVERFLOW",
    "NO MORE ENTRIES",
    "NO SUCH FILE",
    "END OF FILE",
    "REPARSE",
    "NOT REPARSE POINT",
    "FILE LOCKED WITH ONLY READERS",
    "IS DIRECTORY",
    "SUCCESS",
)
KEY_PATH = re.compile(r"\\Microsoft\\Crypto\\(?:RSA\\MachineKeys|Keys|SystemKeys|RSA\\S-1-)", re.I)

_PREFILTER = re.compile(r"ACCESS DENIED|\\Microsoft\\Crypto\\", re.I)
_TIME = re.compile(r"^\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:\s?[AP]M)?$", re.I)
_TIME_START = re.compile(r"\d{1,2}:\d{2}:\d{2}")  # where a row starts, for rows joined by " - "
_ROW = re.compile(
    r"(?P<time>\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:\s?[AP]M)?)\s+"
    r"(?P<process>\S.*?\.exe|System|Idle)\s+(?P<pid>\d+)\s+(?P<operation>[A-Za-z_]+)\s+"
    r"(?P<path>(?:[A-Za-z]:\\|\\|HK[A-Z_]+\\?).*?)\s+(?P<result>" + "|".join(RESULTS) + r")\b"
    r"(?:\s+(?P<detail>.*))?$",
    re.I,
)


def _keep(row: dict[str, str]) -> bool:
    path = row.get("path", "")
    result = row.get("result", "").upper()
    return bool(KEY_PATH.search(path)) or result == "ACCESS DENIED"


def _guess_columns(cells: list[str]) -> dict[int, str]:
    """Name headerless columns from their values (after `awk` removed the header too)."""
    names: dict[int, str] = {}
    for index, cell in enumerate(c.strip() for c in cells):
        upper = cell.upper()
        if _TIME.match(cell) and "time" not in names.values():
            names[index] = "time"
        elif upper in RESULTS and "result" not in names.values():
            names[index] = "result"
        elif re.match(r"^(?:[A-Za-z]:\\|\\\\|HK[A-Z_]+)", cell) and "path" not in names.values():
            names[index] = "path"
        elif upper.endswith(".EXE") or upper in ("SYSTEM", "IDLE"):
            names.setdefault(index, "process")
        elif cell.isdigit() and "pid" not in names.values():
            names[index] = "pid"
        elif re.match(r"^(?:Create|Read|Write|Query|Set|Close|Reg|Lock|Unlock|IRP_)", cell):
            names.setdefault(index, "operation")
    return names


def _row_record(row: dict[str, str], source: Source) -> FileAccess:
    pid = row.get("pid", "").strip()
    return FileAccess(
        time=row.get("time") or None,
        process=row.get("process") or None,
        pid=int(pid) if pid.isdigit() else None,
        operation=row.get("operation") or None,
        path=row.get("path", ""),
        result=row.get("result", "").upper(),
        detail=row.get("detail") or None,
        source=source,
    )


def _may_keep(text: str) -> bool:
    """A cheap look at the raw line before any CSV parsing (a capture has millions of rows)."""
    return _PREFILTER.search(text) is not None


def _is_header(cells: list[str]) -> bool:
    return sum(1 for c in cells if c.strip().casefold() in COLUMNS) >= 2


def read_procmon_csv(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND_CSV)
    columns: dict[int, str] | None = None
    rows = 0
    dropped = 0
    for line in stream_lines(file, result, Cleaned([], [])):
        text = line.text.strip()
        if not text:
            continue
        if columns is not None and not _may_keep(text):
            rows += 1  # most of a capture: neither a key path nor ACCESS DENIED, not parsed
            dropped += 1
            continue
        # Rows pasted into prose: inside code or emphasis marks, several joined by " - ".
        found = [
            row
            for part in prose_parts(text, _TIME_START)
            if (row := _row_from_line(part, columns)) is not None
        ]
        if not found:
            cells = _cells(text)
            if _is_header(cells):
                columns = {
                    i: COLUMNS[c.strip().casefold()]
                    for i, c in enumerate(cells)
                    if c.strip().casefold() in COLUMNS
                }
                missing = {"path", "result"} - set(columns.values())
                if missing:
                    result.warn(
                        "the CSV has no " + " or ".join(sorted(missing)) + " column",
                        line=line.number,
                    )
                continue
            unparsed(result, line, "not a Process Monitor row")
            continue
        for row in found:
            rows += 1
            if not row.get("path") or not row.get("result"):
                result.warn("row without a path or a result, skipped", line=line.number)
                continue
            if not _keep(row):
                dropped += 1
                continue
            if len(result.file_access) >= MAX_KEPT_ROWS:
                break
            result.file_access.append(_row_record(row, Source(file.display, line.number)))
        if len(result.file_access) >= MAX_KEPT_ROWS:
            result.warn(
                f"more than {MAX_KEPT_ROWS} rows on key paths; the rest were not kept",
                line=line.number,
            )
            break
    if rows == 0:
        result.fail("no Process Monitor rows found")
    else:
        result.note(
            f"{rows} rows read, {len(result.file_access)} kept (key paths and ACCESS "
            f"DENIED), {dropped} others ignored"
        )
    return result


def _cells(text: str) -> list[str]:
    delimiter = "\t" if text.count("\t") >= 2 else ","
    try:
        return next(csv.reader(io.StringIO(text), delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []


def _row_from_line(text: str, columns: dict[int, str] | None) -> dict[str, str] | None:
    """One row as column name -> value, from CSV (with or without a header) or a pasted line."""
    cells = _cells(text)
    if len(cells) >= 2 and not _is_header(cells):
        names = columns if columns is not None else _guess_columns(cells)
        row = {name: cells[i].strip() for i, name in names.items() if i < len(cells)}
        if row.get("result", "").upper() in RESULTS or (row.get("result") and row.get("path")):
            return row
    match = _ROW.search(text)
    if match:
        return {k: (v or "").strip() for k, v in match.groupdict().items()}
    return None


def sniff_procmon_csv(sample: Sample) -> int:
    lines = sniff_lines(sample.text, limit=200)
    if not lines:
        return 0
    header = any(
        _is_header(_cells(line)) and "process name" in line.casefold() for line in lines[:5]
    )
    rows = sum(
        1
        for line in lines
        if any(_row_from_line(part, None) for part in prose_parts(line.strip(), _TIME_START))
    )
    if header:
        return 90
    if rows:
        return 50 + min(rows, 20)
    return 0


def read_procmon_pml(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND_PML)
    result.skip(f"native Process Monitor capture (PML), not read: {EXPORT_HINT}")
    return result


def sniff_procmon_pml(sample: Sample) -> int:
    return 100 if sample.head.startswith(PML_MAGIC) else 0


SPEC_CSV = register(
    ReaderSpec(
        KIND_CSV,
        sniff_procmon_csv,
        read_procmon_csv,
        "Process Monitor CSV export (rows on key paths and ACCESS DENIED)",
        records=(FILE_ACCESS,),
    )
)
SPEC_PML = register(
    ReaderSpec(
        KIND_PML,
        sniff_procmon_pml,
        read_procmon_pml,
        "native Process Monitor capture (recognised; asks for a CSV export)",
    )
)
