"""`icacls <folder>` (and `/t` over its files) output: one `AclEntry` per ACE, with its SID.

The shape: the first line of each object is ``<path> <account>:<perm>``; the next lines are
indented to the width of the path and hold one ``<account>:<perm>`` each; a summary line counts
processed and failed files in the machine's language; a file icacls cannot read prints
``<path>: Access is denied.`` (localized). `<perm>` is a run of parenthesised groups:
inheritance flags (OI)(CI)(IO)(NP)(I), (DENY), then a simple right (F, M, RX, R, W, D, N) or a
comma list of specific rights (RD,WD,AD,REA,...).
"""

from __future__ import annotations

import re

from analyzer.inputs.files import InputFile
from analyzer.knowledge.wellknown import known_account_suffix, sid_of
from analyzer.model import AclEntry, ReadResult, Source, Status
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import (
    Line,
    clean_lines,
    prose_lines,
    prose_parts,
    read_text,
    sniff_lines,
    unparsed,
)
from analyzer.readers.records import ACLS

KIND = "icacls"
INHERITANCE_FLAGS = frozenset({"OI", "CI", "IO", "NP", "I"})

_ACE = re.compile(r"^(?P<head>.*?):(?P<perm>(?:\([A-Za-z,]+\))+)\s*$")
_GROUP = re.compile(r"\(([A-Za-z,]+)\)")
_PATH_START = re.compile(r"^(?:[A-Za-z]:\\|\\\\|\.\\|\.$)")
_SUMMARY = re.compile(r"^\D*\d+\D+\d+\D*$")
_FAILURES = re.compile(r"\d+")
# Where an ACE starts (a path, or an account, then ":(" ): for ACEs joined by " - ".
_ACE_PREFIX = re.compile(r"^.*?:(?:\([A-Za-z,]+\))+")
_ACE_START = re.compile(r"(?:[A-Za-z]:\\)?[^:()]*:\(")
_CRYPTO_HINT = re.compile(r"\\(?:MachineKeys|Crypto\\Keys|Crypto\\RSA|SystemKeys)\b", re.I)


def _parse_perm(perm: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(rights, inheritance flags, allow) from ``(OI)(CI)(DENY)(R,W)``."""
    rights: list[str] = []
    flags: list[str] = []
    allow = True
    for group in _GROUP.findall(perm):
        tokens = [t.strip().upper() for t in group.split(",") if t.strip()]
        if tokens == ["DENY"]:
            allow = False
        elif len(tokens) == 1 and tokens[0] in INHERITANCE_FLAGS:
            flags.append(tokens[0])
        else:
            rights.extend(tokens)
    return tuple(rights), tuple(flags), allow


def _split_first(head: str, path_width: int | None) -> tuple[str, str]:
    """Split ``<path> <account>`` of a block's first line into path and account."""
    if path_width and 0 < path_width < len(head) and head[path_width] == " ":
        return head[:path_width].rstrip(), head[path_width:].strip()
    known = known_account_suffix(head)
    if known:
        return head[: len(head.rstrip()) - len(known)].rstrip(), known
    path, _, account = head.rstrip().rpartition(" ")
    return path.rstrip(), account


def _continuation_width(lines: list[Line], index: int) -> int | None:
    """Where the accounts start on the lines after a block's first line (the path's width)."""
    first = lines[index].text
    base = len(first) - len(first.lstrip())
    if index + 1 < len(lines):
        nxt = lines[index + 1].text
        indent = len(nxt) - len(nxt.lstrip())
        if indent > base + 1 and _ACE.match(nxt.strip()):
            return indent - base - 1  # the path, then one space, then the accounts
    return None


def _ace_in(part: str) -> str | None:
    """The ACE a piece of prose starts with (words may follow its rights)."""
    found = _ACE_PREFIX.match(part)
    return found.group(0) if found else None


def read_icacls(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    decoded = read_text(file, result)
    cleaned = clean_lines(decoded.text, result)
    # ACEs pasted into prose (code or emphasis marks, " - " joins) become lines of their own.
    pasted = prose_lines(cleaned.lines, _ACE_START, _ace_in)
    lines = [line for line in pasted if line.text.strip()]
    path: str | None = None
    for index, line in enumerate(lines):
        text = line.text
        stripped = text.strip()
        match = _ACE.match(stripped)
        if match is None:
            _non_ace_line(stripped, line, result)
            continue
        head = match.group("head")
        indented = text[:1].isspace()
        starts_path = bool(_PATH_START.match(head)) and (not indented or path is None)
        if starts_path or path is None:
            width = _continuation_width(lines, index)
            path, account = _split_first(head.strip(), width)
            if not path:
                result.warn(f"ACE without a path before it: {stripped[:120]!r}", line=line.number)
                path = None
                continue
        else:
            account = head.strip()
        rights, flags, allow = _parse_perm(match.group("perm"))
        if account.casefold().startswith(("mandatory label\\", "verbindliche bezeichnung\\")):
            continue  # an integrity label, not an access right
        result.acls.append(
            AclEntry(
                path=path,
                account=account,
                sid=sid_of(account),
                rights=rights,
                allow=allow,
                inherited="I" in flags,
                inheritance=tuple(f for f in flags if f != "I"),
                source=Source(file.display, line.number),
            )
        )
    if not result.acls and result.status is not Status.ERROR:
        result.fail("no icacls access entries (`<account>:(<rights>)`) found")
    elif not any(_CRYPTO_HINT.search(entry.path) for entry in result.acls):
        result.note("none of these paths is a key folder (RSA\\MachineKeys or Crypto\\Keys)")
    return result


def _non_ace_line(text: str, line: Line, result: ReadResult) -> None:
    """Summary lines, per-file errors and anything else between the ACEs."""
    if text.casefold().startswith(("icacls ", "icacls.exe ")):
        return  # the command, pasted without its prompt
    if _SUMMARY.match(text) and not _PATH_START.match(text):
        counts = [int(n) for n in _FAILURES.findall(text)]
        if len(counts) >= 2 and counts[-1] > 0:
            result.warn(f"icacls could not process {counts[-1]} file(s): {text}", line=line.number)
        return
    if _PATH_START.match(text) and ": " in text:
        # `C:\...\MachineKeys\<file>: Access is denied.` — icacls itself was refused this file.
        result.warn(f"icacls could not read this file's ACL: {text[:200]}", line=line.number)
        return
    unparsed(result, line, "not an icacls line")


def sniff_icacls(sample: Sample) -> int:
    lines = sniff_lines(sample.text)
    aces = sum(
        1 for line in lines for part in prose_parts(line.strip(), _ACE_START) if _ACE.match(part)
    )
    if aces == 0:
        return 0
    score = 40 + min(aces, 10) * 3
    if any(_CRYPTO_HINT.search(line) for line in lines[:50]):
        score += 25
    if any("icacls" in line.casefold() for line in lines[:20]):
        score += 10
    return min(score, 95)


SPEC = register(
    ReaderSpec(
        KIND,
        sniff_icacls,
        read_icacls,
        "icacls listing of the key folders (RSA\\MachineKeys, Crypto\\Keys) and key files",
        records=(ACLS,),
    )
)
