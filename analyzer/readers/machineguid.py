"""The machine's MachineGuid, as customers paste it: ``reg query`` or ``Get-ItemProperty`` output.

Why it matters: the unique container name of a CSP machine key is its file name under
``Crypto\\RSA\\MachineKeys`` (https://learn.microsoft.com/windows/win32/api/certenroll/nf-certenroll-ix509privatekey-get_uniquecontainername,
https://learn.microsoft.com/troubleshoot/windows-server/windows-security/default-permissions-machinekeys-folders),
and that name ends in ``_<MachineGuid>`` of the machine that created the key (seen on every
published dump; ../shared/docs/certutil-format.md §3). A key file whose suffix is not this
machine's MachineGuid came from another machine (a clone, a copied ``MachineKeys`` folder).
The value is ``HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MachineGuid`` (REG_SZ).

Shapes read (https://learn.microsoft.com/windows-server/administration/windows-commands/reg-query
for ``reg query``'s layout; ``Get-ItemProperty`` prints its object as a Format-List):

- ``reg query HKLM\\SOFTWARE\\Microsoft\\Cryptography /v MachineGuid``: the key path at column 0,
  then ``    MachineGuid    REG_SZ    <guid>``; pasted with prompts, quotes, tabs for spaces, or
  under Registry Editor's (localized) ``Name  Type  Data`` column header;
- ``Get-ItemProperty -Path HKLM:\\SOFTWARE\\Microsoft\\Cryptography -Name MachineGuid``:
  ``MachineGuid  : <guid>`` with ``PSPath : ...Registry::HKEY_LOCAL_MACHINE\\...`` in its block;
- ``(Get-ItemProperty ...).MachineGuid``: a bare GUID, taken only after a command (a prompt line
  or the command itself) that names MachineGuid.

This module is the whole reader: its `RecordType` (``machine_guids`` in the analysis document)
and its `ReaderSpec`; the registry finds it by scanning the package. The record class,
`analyzer.model.MachineGuid`, lives in the model because the `machineguid-mismatch` rule reads it.
"""

from __future__ import annotations

import re

from analyzer.inputs.decode import split_lines
from analyzer.inputs.files import InputFile
from analyzer.model import CRYPTOGRAPHY_KEY, MachineGuid, ReadResult, RecordType, Source
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import (
    Cleaned,
    clean_line,
    prompt_command,
    read_text,
    sniff_lines,
)

KIND = "machineguid"
# More values than any paste of one or two machines holds: the rest is not read.
MAX_VALUES = 64


MACHINE_GUIDS = RecordType(
    MachineGuid,
    "machine_guids",
    "MachineGuid values",
    "the machine's MachineGuid (reg query, Get-ItemProperty): the suffix of the key "
    "container names this machine creates",
)

_GUID = r"\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?"
_GUID_ONLY = re.compile(rf"^\s*(?P<guid>{_GUID})\s*$")
# `    MachineGuid    REG_SZ    <value>`: spaces, or tabs once pasted through an editor.
_REG_VALUE = re.compile(r"^\s*MachineGuid\s+(?P<type>REG_[A-Z_]+)\s+(?P<value>.*?)\s*$", re.I)
_REG_KEY = re.compile(r"^\s*(?P<key>(?:HKEY_LOCAL_MACHINE|HKLM)\\\S.*?)\s*$", re.I)
# Get-ItemProperty's Format-List: `MachineGuid  : <value>`, `PSPath       : ...::<key>`.
_LIST_VALUE = re.compile(r"^\s*MachineGuid\s*:\s*(?P<value>.*?)\s*$", re.I)
_PS_PATH = re.compile(r"^\s*PSPath\s*:\s*\S*Registry::(?P<key>\S.*?)\s*$", re.I)
# A command echoed without a prompt (a script pasted with its output).
_COMMAND = re.compile(r"\b(?:reg(?:\.exe)?\s+query|Get-ItemProperty(?:Value)?|gp)\b", re.I)
# Registry Editor's column header, as Windows prints it per language (data, not branches).
COLUMN_HEADERS: frozenset[tuple[str, ...]] = frozenset(
    {
        ("name", "type", "data"),
        ("name", "typ", "daten"),
        ("nom", "type", "données"),
        ("nombre", "tipo", "datos"),
        ("nome", "tipo", "dati"),
        ("nome", "tipo", "dados"),
        ("naam", "type", "gegevens"),
    }
)
# reg.exe's error prefix per language (`ERROR: The system was unable to find ...`).
ERROR_PREFIXES: tuple[str, ...] = ("ERROR:", "FEHLER:", "ERREUR:", "ERRORE:", "FOUT:")


def _guid(text: str) -> str | None:
    match = _GUID_ONLY.match(text)
    return match.group("guid").strip("{}").lower() if match else None


def _names_machine_guid(command: str) -> bool:
    return "machineguid" in command.lower()


def sniff_machine_guid(sample: Sample) -> int:
    """Sure for a value line holding a GUID; less for a bare GUID after its command; a little
    for a MachineGuid command whose output is only an error."""
    score = 0
    context = False
    for line in sniff_lines(sample.text):
        command = prompt_command(line)
        if command is not None or _COMMAND.search(line):
            context = _names_machine_guid(command if command is not None else line)
            if context:
                score = max(score, 30)
            continue
        value = _REG_VALUE.match(line) or _LIST_VALUE.match(line)
        if value and _guid(value.group("value")):
            return 90
        if value and _REG_VALUE.match(line):  # reg's layout, the value cut or retyped
            score = max(score, 60)
        if context and _guid(line):
            score = max(score, 80)
    return score


def read_machine_guid(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    text = read_text(file, result).text
    cleaned = Cleaned([], [])
    key: str | None = None  # the last key line of reg query output
    ps_block: list[int] = []  # indexes of the Get-ItemProperty records of the current block
    context = False  # the last command names MachineGuid
    errors: list[str] = []
    records: list[MachineGuid] = []

    def add(guid: str, record_key: str | None, form: str, number: int) -> None:
        if len(records) == MAX_VALUES:
            result.warn(f"more than {MAX_VALUES} MachineGuid values; the rest is not read", number)
        if len(records) < MAX_VALUES:
            records.append(MachineGuid(guid, record_key, form, Source(file.display, number)))

    def not_a_guid(value: str, number: int) -> None:
        result.warn(
            f"MachineGuid value {value[:60]!r} is not a GUID (cut or retyped?); skipped", number
        )

    for number, raw in enumerate(split_lines(text), start=1):
        commands = len(cleaned.commands)
        line = clean_line(number, raw, result, cleaned)
        if line is None:
            if len(cleaned.commands) > commands:  # a prompt line: a new command's output
                context, key, ps_block = _names_machine_guid(cleaned.commands[-1]), None, []
            continue
        body = line.text.strip()
        if not body:  # a blank line ends reg's key block and Get-ItemProperty's list
            key, ps_block = None, []
            continue
        if _COMMAND.search(body) and not (_REG_VALUE.match(body) or _LIST_VALUE.match(body)):
            context, key, ps_block = _names_machine_guid(body), None, []
            continue
        if body.upper().startswith(ERROR_PREFIXES):
            errors.append(body)
            continue
        if tuple(body.lower().split()) in COLUMN_HEADERS:
            continue
        if match := _REG_KEY.match(body):
            key = match.group("key").replace("HKLM\\", "HKEY_LOCAL_MACHINE\\", 1)
        elif match := _REG_VALUE.match(body):
            guid = _guid(match.group("value"))
            if guid is None:
                not_a_guid(match.group("value"), number)
            else:
                add(guid, key, "reg-query", number)
        elif match := _LIST_VALUE.match(body):
            guid = _guid(match.group("value"))
            if guid is None:
                not_a_guid(match.group("value"), number)
            else:
                ps_block.append(len(records))
                add(guid, None, "get-itemproperty", number)
        elif match := _PS_PATH.match(body):
            for index in ps_block:
                if index < len(records):
                    records[index] = _with_key(records[index], match.group("key"))
        elif context and (guid := _guid(body)) is not None:
            add(guid, None, "bare", number)
    result.store.put(MachineGuid, records)
    _judge(result, records, errors)
    return result


def _with_key(record: MachineGuid, key: str) -> MachineGuid:
    return MachineGuid(record.guid, key, record.form, record.source)


def _judge(result: ReadResult, records: list[MachineGuid], errors: list[str]) -> None:
    for error in errors:
        result.warn(f"the command reported: {error[:200]!r}")
    if not records:
        result.fail(
            "no MachineGuid value found (expected `reg query "
            "HKLM\\SOFTWARE\\Microsoft\\Cryptography /v MachineGuid` or Get-ItemProperty output)"
        )
        return
    for record in records:
        if record.key is not None and record.key.lower() != CRYPTOGRAPHY_KEY.lower():
            result.warn(
                f"MachineGuid read under {record.key}, not {CRYPTOGRAPHY_KEY}: not the value key "
                "container names are made from",
                line=record.source.line,
            )
    different = sorted({r.guid for r in records})
    if len(different) > 1:
        result.warn(
            f"{len(different)} different MachineGuid values ({', '.join(different[:4])}): the "
            "output of several machines in one file?"
        )


register(
    ReaderSpec(
        KIND,
        sniff_machine_guid,
        read_machine_guid,
        "MachineGuid: reg query HKLM\\SOFTWARE\\Microsoft\\Cryptography /v MachineGuid, or "
        "Get-ItemProperty (list or bare value)",
        records=(MACHINE_GUIDS,),
    )
)
