"""Process listings that name each process's account: `tasklist /v` and PowerShell
`Get-Process -IncludeUserName`. One `ProcessOwner` per process whose account is shown, so that an
event's "The SSPI client process is NAME (PID: N)" can be mapped to the account whose token opens
the key (analyzer/rulekit/accounts.py).

Shapes (tasklist's column titles are localized, its column order is not; PowerShell's property
names are never localized):

- `tasklist /v` (table): a localized title line, a ``=====`` rule whose groups give the column
  widths, then one line per process: image name, PID, session name, session#, memory, status,
  **user name**, CPU time, window title ("tasklist", learn.microsoft.com/windows-server/
  administration/windows-commands/tasklist). Without `/v` there is no user column: nothing to read.
- `tasklist /v /fo csv` (with or without `/nh`) and `/fo list`: the same nine fields in the same
  order.
- `Get-Process -IncludeUserName` (learn.microsoft.com/powershell/module/microsoft.powershell.
  management/get-process): the default table ``Handles WS(K) CPU(s) Id UserName ProcessName``
  with a dashes rule, `| Format-List` (``Id : 2210``, ``UserName : ...``), or `Export-Csv`.

A user shown as ``N/A`` (tasklist prints it, localized, for processes a non-elevated prompt may
not query) or left empty is no mapping and is skipped.
"""

from __future__ import annotations

import csv
import re

from analyzer.inputs.files import InputFile
from analyzer.knowledge.wellknown import sid_of
from analyzer.model import ProcessOwner, ReadResult, RecordType, Source, Status
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import Line, clean_lines, read_text, sniff_lines

# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "processes.no-pid": "a process row without a process id: skipped",
    "processes.too-many": "more processes than are read",
    "processes.none": "no process with its user name found",
    "processes.no-user": "processes shown without a user name (not elevated)",
}

KIND = "process-list"
MAX_PROCESSES = 100_000

# tasklist /v: nine columns; these are the positions of PID and user name.
TASKLIST_COLUMNS = 9
TASKLIST_PID, TASKLIST_USER = 1, 6
_RULE = re.compile(r"^\s*(?:=+\s+){2,}=+\s*$|^\s*(?:-+\s+){2,}-+\s*$")
_LIST_LINE = re.compile(r"^(?P<name>[^:]{1,40}?)\s*:\s?(?P<value>.*)$")
_PID = re.compile(r"^\d{1,10}$")
# PowerShell property names (never localized).
_PS_PID = ("id",)
_PS_USER = ("username",)
_PS_NAME = ("processname", "name")


def _spans(rule: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[=-]+", rule)]


def _cells(line: str, spans: list[tuple[int, int]]) -> list[str]:
    """The text of each left-aligned column: from its start to the next one's (the last to the
    end of the line)."""
    out = []
    for index, (start, _end) in enumerate(spans):
        stop = spans[index + 1][0] if index + 1 < len(spans) else len(line)
        out.append(line[start:stop].strip())
    return out


def _right_cell(line: str, spans: list[tuple[int, int]], index: int) -> str:
    """A right-aligned (numeric) column: PowerShell's rule is as wide as the title, so a value
    may start left of it; it ends where the rule ends, after the previous column's end."""
    start = spans[index - 1][1] if index > 0 else 0
    return line[start : spans[index][1]].strip()


def _user(text: str) -> str | None:
    """A user as a listing shows it, or None for N/A, empty, or a placeholder."""
    user = text.strip()
    if not user or len(user) > 256:
        return None
    return user if "\\" in user or "@" in user or sid_of(user) else None


class _Listing:
    def __init__(self, result: ReadResult) -> None:
        self.result = result
        self.seen = 0
        self.without_user = 0

    def add(self, name: str, pid_text: str, user_text: str, line: int) -> None:
        pid_text = pid_text.strip()
        if not _PID.match(pid_text):
            self.result.note(f"line {line}: no process id, skipped", code="processes.no-pid")
            return
        user = _user(user_text)
        if user is None:
            self.without_user += 1
            return
        if self.seen >= MAX_PROCESSES:
            if self.seen == MAX_PROCESSES:
                self.result.warn(
                    f"more than {MAX_PROCESSES} processes; the rest skipped",
                    line,
                    code="processes.too-many",
                )
                self.seen += 1
            return
        self.seen += 1
        self.result.add(
            ProcessOwner(name.strip()[:260], int(pid_text), user, Source(self.result.path, line))
        )


def _ps_columns(names: list[str]) -> tuple[int, int, int] | None:
    """(pid, user, name) positions of PowerShell property names, or None."""
    folded = [n.strip().strip('"').casefold() for n in names]

    def find(options: tuple[str, ...]) -> int | None:
        return next((i for i, n in enumerate(folded) if n in options), None)

    pid, user, name = find(_PS_PID), find(_PS_USER), find(_PS_NAME)
    if pid is None or user is None:
        return None
    return pid, user, name if name is not None else pid


def _read_csv(lines: list[Line], listing: _Listing) -> None:
    columns: tuple[int, int, int] | None = None
    for line in lines:
        text = line.text.strip()
        if not text.startswith('"'):
            continue
        fields = next(csv.reader([text]), [])
        ps = _ps_columns(fields)
        if ps is not None:
            columns = ps
            continue
        if columns is not None and len(fields) > max(columns):
            pid, user, name = columns
            listing.add(fields[name], fields[pid], fields[user], line.number)
        elif len(fields) == TASKLIST_COLUMNS and _PID.match(fields[TASKLIST_PID].strip()):
            listing.add(fields[0], fields[TASKLIST_PID], fields[TASKLIST_USER], line.number)


def _read_tables(lines: list[Line], listing: _Listing) -> None:
    spans: list[tuple[int, int]] | None = None
    ps: tuple[int, int, int] | None = None
    for index, line in enumerate(lines):
        text = line.text.rstrip()
        if not text.strip():
            spans = None
            continue
        if _RULE.match(text):
            spans = _spans(text)
            ps = None
            if "-" in text and index > 0:
                ps = _ps_columns(_cells(lines[index - 1].text, spans))
                if ps is None:
                    spans = None  # a dashes table that is not Get-Process
            elif len(spans) != TASKLIST_COLUMNS:
                spans = None  # tasklist without /v: no user column
            continue
        if spans is None:
            continue
        cells = _cells(text, spans)
        pid, user, name = ps if ps is not None else (TASKLIST_PID, TASKLIST_USER, 0)
        listing.add(cells[name], _right_cell(text, spans, pid), cells[user], line.number)


def _read_lists(lines: list[Line], listing: _Listing) -> None:
    block: list[tuple[str, str, int]] = []
    for line in [*lines, Line(0, "")]:
        match = _LIST_LINE.match(line.text.strip())
        if match and line.text.strip():
            block.append((match["name"].strip(), match["value"].strip(), line.number))
            continue
        if block:
            ps = _ps_columns([name for name, _, _ in block])
            if ps is not None:
                pid, user, name = ps
                listing.add(block[name][1], block[pid][1], block[user][1], block[pid][2])
            elif len(block) == TASKLIST_COLUMNS and _PID.match(block[TASKLIST_PID][1]):
                first = block[0]
                listing.add(first[1], block[TASKLIST_PID][1], block[TASKLIST_USER][1], first[2])
        block = []


def read_processes(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    lines = clean_lines(read_text(file, result).text, result).lines
    listing = _Listing(result)
    if any(line.text.lstrip().startswith('"') for line in lines[:50]):
        _read_csv(lines, listing)
    elif any(_RULE.match(line.text) for line in lines):
        _read_tables(lines, listing)
    else:
        _read_lists(lines, listing)
    if not result.records(ProcessOwner) and result.status is not Status.ERROR:
        result.fail(
            "no process with its user name found (`tasklist /v` or "
            "`Get-Process -IncludeUserName` shows them)",
            code="processes.none",
        )
    elif listing.without_user:
        result.note(
            f"{listing.without_user} processes show no user name (N/A): an elevated prompt "
            "shows them all",
            code="processes.no-user",
        )
    return result


def sniff_processes(sample: Sample) -> int:
    lines = sniff_lines(sample.text, 200)
    joined = "\n".join(lines[:60]).casefold()
    if "username" in joined and re.search(r"\bid\b", joined) and "processname" in joined:
        return 80
    for index, line in enumerate(lines[:60]):
        if _RULE.match(line) and "=" in line and len(_spans(line)) == TASKLIST_COLUMNS:
            rows = lines[index + 1 : index + 6]
            spans = _spans(line)
            if rows and all(_PID.match(_right_cell(r, spans, TASKLIST_PID)) for r in rows if r):
                return 80
    csv_rows = [next(csv.reader([x.strip()]), []) for x in lines[:20] if x.strip().startswith('"')]
    tasklist_rows = [
        r for r in csv_rows if len(r) == TASKLIST_COLUMNS and _PID.match(r[TASKLIST_PID].strip())
    ]
    if len(tasklist_rows) >= 2:
        return 60
    return 0


PROCESS_OWNERS = RecordType(
    ProcessOwner,
    "process_owners",
    "processes with their account",
    "the account each process runs as (tasklist /v, Get-Process -IncludeUserName): maps an "
    "event's SSPI client process to the account that must read the key",
)

SPEC = register(
    ReaderSpec(
        KIND,
        sniff_processes,
        read_processes,
        "tasklist /v or Get-Process -IncludeUserName: the account of each process",
        records=(PROCESS_OWNERS,),
    )
)
