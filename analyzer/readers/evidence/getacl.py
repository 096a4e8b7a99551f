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
from analyzer.knowledge.wellknown import display_name, sid_of
from analyzer.model import AclEntry, ReadResult, Source
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import Line, clean_lines, read_text, sniff_lines, unparsed
from analyzer.readers.records import ACLS

KIND = "get-acl"

_PROP = re.compile(r"^(?P<name>Path|Owner|Group|Access|Audit|Sddl)\s*:\s?(?P<value>.*)$")
_ACCESS = re.compile(r"^(?P<account>.+?)\s+(?P<type>Allow|Deny)\s+(?P<rights>\S.*)$")
_SDDL_ACE = re.compile(
    r"\((?P<type>[A-Z]{1,2});(?P<flags>[A-Z]*);(?P<rights>[^;]*);[^;]*;[^;]*;(?P<sid>[^;)]+)\)"
)

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
)
SDDL_RIGHTS = {
    "FA": ("F",),
    "FR": ("R",),
    "FW": ("W",),
    "FX": ("RX",),
    "GA": ("GA",),
    "GR": ("GR",),
    "GW": ("GW",),
    "GX": ("GE",),
}
SDDL_SIDS = {
    "WD": "S-1-1-0",
    "SY": "S-1-5-18",
    "BA": "S-1-5-32-544",
    "BU": "S-1-5-32-545",
    "AU": "S-1-5-11",
    "CO": "S-1-3-0",
    "LS": "S-1-5-19",
    "NS": "S-1-5-20",
    "IS": "S-1-5-32-568",
}
SDDL_FLAGS = {"OI": "OI", "CI": "CI", "IO": "IO", "NP": "NP"}


# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "getacl.block-without-path": "a Get-Acl block without a Path: skipped",
    "getacl.line-not-read": "a line that is not Get-Acl output: skipped",
    "getacl.no-entries": "no access entries found in the Get-Acl listing",
}


def mask_rights(mask: int) -> tuple[str, ...]:
    mask &= 0xFFFFFFFF
    if mask in SIMPLE_MASKS:
        return SIMPLE_MASKS[mask]
    return tuple(name for bit, name in MASK_BITS if mask & bit)


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


def _sddl_entries(path: str, sddl: str, owner: str | None, source: Source) -> list[AclEntry]:
    dacl = sddl.split("D:", 1)[1].split("S:", 1)[0] if "D:" in sddl else ""
    out = []
    for ace in _SDDL_ACE.finditer(dacl):
        if ace["type"] not in ("A", "D"):
            continue
        sid = SDDL_SIDS.get(ace["sid"], ace["sid"]).upper()
        rights_text = ace["rights"]
        if rights_text.lower().startswith("0x"):
            rights = mask_rights(int(rights_text, 16))
        else:
            rights = tuple(
                r
                for i in range(0, len(rights_text), 2)
                for r in SDDL_RIGHTS.get(rights_text[i : i + 2], (rights_text[i : i + 2],))
            )
        flags = [ace["flags"][i : i + 2] for i in range(0, len(ace["flags"]), 2)]
        out.append(
            AclEntry(
                path,
                display_name(sid),
                sid,
                rights,
                allow=ace["type"] == "A",
                inherited="ID" in flags,
                inheritance=tuple(SDDL_FLAGS[f] for f in flags if f in SDDL_FLAGS),
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
            path, sddl, owner or None, Source(result.path, block["Sddl"][0].number)
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
