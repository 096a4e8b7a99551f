"""PowerShell `Get-Acl <path> | Format-List` (also over `MachineKeys\\*`): the same `AclEntry`
records as icacls, plus the owner icacls does not print.

Each object is a block of ``Path``, ``Owner``, ``Group``, ``Access`` (one ACE a line:
``<account> Allow|Deny  <rights>``), ``Audit`` and ``Sddl``. Property names, ``Allow``/``Deny``
and the rights names are .NET names, never localized; accounts are. The ``Sddl`` line is exact
(SIDs, inheritance, rights masks) and is preferred when the paste kept it whole; the ``Access``
lines are the fallback.
"""

from __future__ import annotations

import re

from analyzer.inputs.files import InputFile
from analyzer.knowledge.sddl import ACE_FLAGS, NON_ACCESS_TYPES, parse_sddl
from analyzer.knowledge.wellknown import display_name, sid_of
from analyzer.model import AclEntry, ReadResult, Source
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import Line, clean_lines, read_text, sniff_lines, unparsed
from analyzer.readers.records import ACLS

KIND = "get-acl"

_PROP = re.compile(r"^(?P<name>Path|Owner|Group|Access|Audit|Sddl)\s*:\s?(?P<value>.*)$")
_ACCESS = re.compile(r"^(?P<account>.+?)\s+(?P<type>Allow|Deny)\s+(?P<rights>\S.*)$")
_INHERITANCE_FLAGS = ("OI", "CI", "IO", "NP")  # the SDDL flags icacls shows as (OI) ...

# .NET FileSystemRights names -> icacls rights.
RIGHT_NAMES = {
    "fullcontrol": "F",
    "modify": "M",
    "readandexecute": "RX",
    "read": "R",
    "write": "W",
    "synchronize": "S",
    "readdata": "RD",
    "listdirectory": "RD",
    "writedata": "WD",
    "createfiles": "WD",
    "appenddata": "AD",
    "createdirectories": "AD",
    "readextendedattributes": "REA",
    "writeextendedattributes": "WEA",
    "executefile": "X",
    "traverse": "X",
    "deletesubdirectoriesandfiles": "DC",
    "readattributes": "RA",
    "writeattributes": "WA",
    "delete": "D",
    "readpermissions": "RC",
    "changepermissions": "WDAC",
    "takeownership": "WO",
}
# Whole masks icacls prints as one simple right, then single bits.
SIMPLE_MASKS = {
    0x1F01FF: ("F",),
    0x1301BF: ("M",),
    0x1200A9: ("RX",),
    0x120089: ("R",),
    0x100116: ("W",),
    0x12019F: ("R", "W"),
}
MASK_BITS = (
    (0x10000000, "GA"),
    (0x80000000, "GR"),
    (0x40000000, "GW"),
    (0x20000000, "GE"),
    (0x1, "RD"),
    (0x2, "WD"),
    (0x4, "AD"),
    (0x8, "REA"),
    (0x10, "WEA"),
    (0x20, "X"),
    (0x40, "DC"),
    (0x80, "RA"),
    (0x100, "WA"),
    (0x10000, "D"),
    (0x20000, "RC"),
    (0x40000, "WDAC"),
    (0x80000, "WO"),
    (0x100000, "S"),
    (0x1000000, "AS"),
    (0x2000000, "MA"),
)
_NAMED_BITS = sum(bit for bit, _ in MASK_BITS)


# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "getacl.ace-not-plain": "an ACE that is not a plain allow or deny: access through it is not known",
    "getacl.block-without-path": "a Get-Acl block without a Path: skipped",
    "getacl.line-not-read": "a line that is not Get-Acl output: skipped",
    "getacl.no-entries": "no access entries found in the Get-Acl listing",
}


def mask_rights(mask: int) -> tuple[str, ...]:
    """An access mask in icacls' spelling: one simple right where icacls prints one, else the
    specific rights, and any bit icacls has no name for as a hex mask (never dropped)."""
    mask &= 0xFFFFFFFF
    if mask in SIMPLE_MASKS:
        return SIMPLE_MASKS[mask]
    named = tuple(name for bit, name in MASK_BITS if mask & bit)
    rest = mask & ~_NAMED_BITS
    return (*named, f"0x{rest:x}") if rest else named


def _rights_text(text: str) -> tuple[str, ...] | None:
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return mask_rights(int(text))
    out: list[str] = []
    for name in text.split(","):
        right = RIGHT_NAMES.get(name.strip().casefold())
        if right is None:
            return None
        out.append(right)
    return tuple(out)


def _sddl_entries(
    path: str, sddl: str, owner: str | None, source: Source, result: ReadResult
) -> list[AclEntry]:
    """The DACL of the ``Sddl`` line as icacls-spelled entries, in stored order. SDDL right
    letters are not icacls letters (SDDL ``WD`` is WRITE_DAC, icacls ``WD`` write data): the mask
    is read by the project's SDDL parser and spelled as icacls prints it. An ACE that no icacls
    spelling can express (conditional, object-type, unreadable) keeps its SDDL text as its
    rights, which the access check reads as an ACE it cannot evaluate, never as a grant."""
    out = []
    for ace in parse_sddl(sddl).aces:
        if ace.type in NON_ACCESS_TYPES:
            continue  # audit, label and other ACEs take no part in an access check
        plain = ace.type in ("A", "D") and ace.mask is not None and set(ace.flags) <= ACE_FLAGS
        if not plain:
            result.note(
                f"line {source.line}: ACE {ace.index} {ace.text[:80]!r} is not a plain allow or "
                "deny ACE; access through it is not known",
                code="getacl.ace-not-plain",
            )
        out.append(
            AclEntry(
                path,
                display_name(ace.sid) if ace.sid else ace.trustee,
                ace.sid,
                mask_rights(ace.mask) if plain and ace.mask is not None else (ace.text[:200],),
                allow=ace.type in ("A", "OA", "XA", "ZA"),
                inherited=ace.inherited,
                inheritance=tuple(f for f in ace.flags if f in _INHERITANCE_FLAGS),
                owner=owner,
                source=source,
            )
        )
    return out


def _flush(block: dict[str, list[Line]], result: ReadResult) -> None:
    if "Path" not in block:
        if block:
            result.warn(
                "Get-Acl block without a Path, skipped",
                line=min(ls[0].number for ls in block.values()),
                code="getacl.block-without-path",
            )
        return
    path_line = block["Path"][0]
    path = path_line.text.split("::", 1)[-1].strip()
    owner = block["Owner"][0].text.strip() if "Owner" in block else None
    sddl = "".join(line.text.strip() for line in block.get("Sddl", []))
    if sddl and "D:" in sddl and sddl.rstrip().endswith(")"):
        entries = _sddl_entries(
            path, sddl, owner or None, Source(result.path, block["Sddl"][0].number), result
        )
        if entries:
            result.acls.extend(entries)
            return
    for line in block.get("Access", []):
        match = _ACCESS.match(line.text.strip())
        rights = _rights_text(match["rights"]) if match else None
        if match is None or rights is None:
            unparsed(result, line, "not a Get-Acl access line", code="getacl.line-not-read")
            continue
        account = match["account"].strip()
        result.acls.append(
            AclEntry(
                path,
                account,
                sid_of(account),
                rights,
                allow=match["type"] == "Allow",
                owner=owner or None,
                source=Source(result.path, line.number),
            )
        )


def read_get_acl(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    cleaned = clean_lines(read_text(file, result).text, result)
    block: dict[str, list[Line]] = {}
    current: str | None = None
    for line in cleaned.lines:
        if not line.text.strip():
            continue
        match = _PROP.match(line.text.strip())
        if match:
            current = match["name"]
            if current == "Path" and block:
                _flush(block, result)
                block = {}
            value = match["value"]
            block.setdefault(current, [])
            if value.strip():
                block[current].append(Line(line.number, value, line.verbose))
        elif current is not None and (line.text[:1].isspace() or current == "Access"):
            block[current].append(Line(line.number, line.text.strip(), line.verbose))
        else:
            unparsed(result, line, "not a Get-Acl line", code="getacl.line-not-read")
    _flush(block, result)
    if not result.acls:
        result.fail("no access entries found in this Get-Acl listing", code="getacl.no-entries")
    return result


def sniff_get_acl(sample: Sample) -> int:
    names = {
        m["name"] for line in sniff_lines(sample.text, 200) if (m := _PROP.match(line.strip()))
    }
    if {"Path", "Access"} <= names and names & {"Owner", "Sddl"}:
        return 85
    return 0


SPEC = register(
    ReaderSpec(
        KIND,
        sniff_get_acl,
        read_get_acl,
        "PowerShell Get-Acl | Format-List of the key folders and files",
        records=(ACLS,),
    )
)
