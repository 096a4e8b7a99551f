"""Registry values as customers paste them: ``reg query`` output and ``Get-ItemProperty`` lists.

Used by every service whose configuration lives in the registry (Remote Desktop names its
certificate in ``...\\WinStations\\RDP-Tcp`` value ``SSLCertificateSHA1Hash``, REG_BINARY).

Shapes read:

- ``reg query <key> [/v <value> | /ve] [/s]`` ("reg query",
  https://learn.microsoft.com/windows-server/administration/windows-commands/reg-query): the key
  path at column 0, then one line per value, ``    <name>    <REG_TYPE>    <data>`` (four spaces
  between the columns; tabs once pasted through an editor). reg prints REG_BINARY as upper-case
  hex digits without spaces, REG_DWORD / REG_QWORD as ``0x...``, REG_MULTI_SZ with ``\\0``
  between the strings; the default value's name is ``(Default)`` in the system's language.
  ``/s`` repeats the block for every subkey, a blank line between blocks, and ends with
  ``End of search: N match(es) found.`` when ``/f`` was given. Registry Editor's (localized)
  ``Name  Type  Data`` header, prompts, markdown quotes and fences are skipped.
- ``Get-ItemProperty -Path HKLM:\\... [-Name ...]`` printed as a list: ``Name : value`` lines
  and the provider's ``PSPath : Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\...``
  naming the key. A REG_BINARY value prints as ``{154, 108, 2, 67...}``: Format-List shows
  only the first ``$FormatEnumerationLimit`` (4) items of an array ("about_Preference_Variables",
  https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_preference_variables),
  so such a value is kept as printed with no bytes, and a warning says how to print it whole.

A file holding nothing but ``MachineGuid`` values is the MachineGuid reader's
(`analyzer.readers.machineguid`): this reader does not claim it. In a file with other values
too, this reader keeps every value and a ``MachineGuid`` under the Cryptography key is also a
`MachineGuid` record, so that neither reader loses what the other reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analyzer.inputs.decode import split_lines
from analyzer.inputs.files import InputFile
from analyzer.model import (
    CRYPTOGRAPHY_KEY,
    MachineGuid,
    ReadResult,
    RecordType,
    RegistryValue,
    Source,
)
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import Cleaned, clean_line, read_text, sniff_lines
from analyzer.readers.records import MACHINE_GUIDS

# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "registry.too-many-values": "more registry values than are read",
    "registry.line-not-read": "a line that is not registry output: skipped",
    "registry.binary-not-hex": "binary data that is not whole bytes of hex: kept as text",
    "registry.command-error": "the pasted command reported an error",
    "registry.binary-cut": "a binary value cut after its first items by PowerShell",
    "registry.no-value": "no registry value found",
}

KIND = "registry"
# More values than any paste of a few keys holds (a `/s` of a large key): the rest is not read.
MAX_VALUES = 5000
MAX_KEY_CHARS = 1024

REGISTRY_VALUES = RecordType(
    RegistryValue,
    "registry_values",
    "registry values",
    "registry values (reg query, Get-ItemProperty): where services name their certificate "
    "(Remote Desktop's SSLCertificateSHA1Hash)",
)

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


REG_TYPES = (
    "REG_SZ",
    "REG_EXPAND_SZ",
    "REG_MULTI_SZ",
    "REG_BINARY",
    "REG_DWORD",
    "REG_DWORD_LITTLE_ENDIAN",
    "REG_DWORD_BIG_ENDIAN",
    "REG_QWORD",
    "REG_QWORD_LITTLE_ENDIAN",
    "REG_NONE",
    "REG_LINK",
    "REG_RESOURCE_LIST",
    "REG_FULL_RESOURCE_DESCRIPTOR",
    "REG_RESOURCE_REQUIREMENTS_LIST",
)
_TYPE_ALTERNATIVES = "|".join(sorted(REG_TYPES, key=len, reverse=True))
_VALUE = re.compile(
    rf"^\s*(?P<name>\S.*?)\s+(?P<type>{_TYPE_ALTERNATIVES})(?:\s+(?P<data>.*?))?\s*$"
)
_ROOTS = r"HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_CLASSES_ROOT|HKEY_USERS|HKEY_CURRENT_CONFIG"
_KEY = re.compile(rf"^\s*(?P<key>(?:{_ROOTS}|HKLM|HKCU|HKCR|HKU|HKCC)(?:\\.*?)?)\\?\s*$", re.I)
# Remote registry: reg query \\server\HKLM\... prints the key as \\server\HKEY_LOCAL_MACHINE\...
_REMOTE_KEY = re.compile(rf"^\s*\\\\[^\\\s]+\\(?P<key>(?:{_ROOTS})(?:\\.*?)?)\s*$", re.I)
_SHORT_ROOTS = {
    "hklm": "HKEY_LOCAL_MACHINE",
    "hkcu": "HKEY_CURRENT_USER",
    "hkcr": "HKEY_CLASSES_ROOT",
    "hku": "HKEY_USERS",
    "hkcc": "HKEY_CURRENT_CONFIG",
}
# The default value's name as reg prints it per language (data, not branches).
DEFAULT_NAMES = frozenset(
    {
        "(default)",
        "(standard)",
        "(par défaut)",
        "(predeterminado)",
        "(predefinito)",
        "(padrão)",
        "(standaard)",
        "(domyślna)",
        "(по умолчанию)",
    }
)
# reg's closing line with /f, per language: "End of search: 3 match(es) found."
_END_OF_SEARCH = re.compile(
    r"^\s*(?:End of search|Suche beendet|Fin de la recherche|Fin de la búsqueda|"
    r"Ricerca completata|Einde van de zoekopdracht)\b.*\d",
    re.I,
)
_FENCE = re.compile(r"^\s*(?:```|~~~)\S*\s*$")
# Get-ItemProperty's Format-List: `Name : value`; PSPath names the key.
_LIST_ITEM = re.compile(r"^(?P<name>[^\s:][^:]*?)\s*:(?:\s(?P<value>.*))?$")
_PS_PATH = re.compile(r"^\s*PSPath\s*:\s*\S*Registry::(?P<key>\S.*?)\s*$", re.I)
_PS_PROPERTIES = frozenset(
    {"pspath", "psparentpath", "pschildname", "psdrive", "psprovider", "psiscontainer"}
)
_BYTE_ARRAY = re.compile(
    r"^\{\s*(?P<items>\d{1,3}(?:\s*,\s*\d{1,3})*)\s*(?P<cut>,?\s*(?:\.\.\.|…))?\s*\}$"
)
_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")
_MACHINE_GUID = re.compile(
    r"^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$", re.I
)


def canonical_key(key: str) -> str:
    """``HKLM\\...`` spelled out as ``HKEY_LOCAL_MACHINE\\...``; no trailing backslash."""
    root, sep, rest = key.strip().rstrip("\\").partition("\\")
    root = _SHORT_ROOTS.get(root.lower(), root.upper())
    return root + sep + rest


def _value_line(text: str) -> re.Match[str] | None:
    match = _VALUE.match(text)
    if match is None or _KEY.match(text):
        return None
    return match


def _names(sample_lines: list[str]) -> tuple[set[str], bool]:
    """The value names the sample shows and whether it looks like a Get-ItemProperty list."""
    names: set[str] = set()
    listing = False
    list_names: set[str] = set()
    for line in sample_lines:
        if match := _value_line(line):
            names.add(match.group("name").strip().lower())
        elif _PS_PATH.match(line):
            listing = True
        elif match := _LIST_ITEM.match(line):
            list_names.add(match.group("name").strip().lower())
    if listing:
        names |= list_names - _PS_PROPERTIES
    return names, listing


def sniff_registry(sample: Sample) -> int:
    """Sure for reg query value lines, a little less for a Get-ItemProperty list of a registry
    key. Nothing for a file whose only values are MachineGuid: that reader's."""
    names, listing = _names(sniff_lines(sample.text))
    if not names or names <= {"machineguid"}:
        return 0
    return 85 if listing and not any(_value_line(x) for x in sniff_lines(sample.text)) else 95


@dataclass
class _Object:
    """The properties of one Get-ItemProperty object, kept until its PSPath shows that they are
    registry values (a `Name : value` line alone could be any text)."""

    values: list[RegistryValue] = field(default_factory=list)
    cut: list[int] = field(default_factory=list)  # lines of byte arrays Format-List cut


def read_registry(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    text = read_text(file, result).text
    cleaned = Cleaned([], [])
    values: list[RegistryValue] = []
    key: str | None = None
    pending = _Object()
    errors: list[str] = []
    cut_arrays: list[int] = []

    def add(value: RegistryValue) -> None:
        if len(values) == MAX_VALUES:
            result.warn(
                f"more than {MAX_VALUES} registry values; the rest is not read",
                code="registry.too-many-values",
            )
        if len(values) < MAX_VALUES:
            values.append(value)

    def drop_pending() -> None:
        for value in pending.values:
            result.warn(
                f"not registry output, skipped: {value.name[:120]!r}",
                value.source.line,
                code="registry.line-not-read",
            )

    for number, raw in enumerate(split_lines(text), start=1):
        line = clean_line(number, raw, result, cleaned)
        if line is None:
            continue
        body = line.text.strip()
        if _FENCE.match(body):
            continue
        if not body:  # a blank line ends reg's key block and Get-ItemProperty's object
            drop_pending()
            key, pending = None, _Object()
            continue
        if body.upper().startswith(ERROR_PREFIXES):
            errors.append(body)
            continue
        if tuple(body.lower().split()) in COLUMN_HEADERS or _END_OF_SEARCH.match(body):
            continue
        if match := (_KEY.match(body) or _REMOTE_KEY.match(body)):
            key = canonical_key(match.group("key")[:MAX_KEY_CHARS])
            continue
        if match := _value_line(line.text):
            add(_reg_value(match, key, Source(file.display, number), result))
            continue
        if match := _PS_PATH.match(body):
            found = canonical_key(match.group("key")[:MAX_KEY_CHARS])
            for value in pending.values:
                add(_with_key(value, found))
            cut_arrays += pending.cut
            pending = _Object()
            continue
        if (match := _LIST_ITEM.match(body)) and not line.text[:1].isspace():
            name = match.group("name").strip()
            if name.lower() not in _PS_PROPERTIES:
                pending.values.append(
                    _listed_value(name, match.group("value"), number, file, pending)
                )
            continue
        if line.text[:1].isspace() and pending.values:
            continue  # a long value wrapped by Format-List: the part on the first line is kept
        result.warn(
            f"not registry output, skipped: {body[:120]!r}", number, code="registry.line-not-read"
        )
    drop_pending()
    result.store.put(RegistryValue, values)
    result.store.put(MachineGuid, _machine_guids(values))
    _judge(result, values, errors, cut_arrays)
    return result


def _reg_value(
    match: re.Match[str], key: str | None, source: Source, result: ReadResult
) -> RegistryValue:
    name = match.group("name").strip()
    reg_type = match.group("type")
    data = (match.group("data") or "").strip()
    binary = None
    if reg_type in ("REG_BINARY", "REG_NONE") and data:
        if _HEX.match(data):
            binary = data.lower()
        else:
            result.warn(
                f"{name}: {reg_type} data {data[:60]!r} is not whole bytes of hex (cut or "
                "retyped?); kept as text",
                source.line,
                code="registry.binary-not-hex",
            )
    if name.lower() in DEFAULT_NAMES:
        name = ""
    return RegistryValue(key, name, reg_type, data, binary, "reg-query", source)


def _listed_value(
    name: str, text: str | None, number: int, file: InputFile, pending: _Object
) -> RegistryValue:
    data = (text or "").strip()
    binary = None
    if array := _BYTE_ARRAY.match(data):
        if array.group("cut"):
            pending.cut.append(number)
        else:
            items = [int(i) for i in re.split(r"\s*,\s*", array.group("items"))]
            if all(i < 256 for i in items):
                binary = bytes(items).hex()
    return RegistryValue(
        None, name, None, data, binary, "get-itemproperty", Source(file.display, number)
    )


def _with_key(value: RegistryValue, key: str) -> RegistryValue:
    return RegistryValue(
        key, value.name, value.type, value.data, value.binary, value.form, value.source
    )


def _machine_guids(values: list[RegistryValue]) -> list[MachineGuid]:
    """MachineGuid values under the Cryptography key, as the MachineGuid reader would record them."""
    out = []
    for value in values:
        if value.name.lower() != "machineguid" or value.type not in ("REG_SZ", None):
            continue
        if value.key is not None and value.key.lower() != CRYPTOGRAPHY_KEY.lower():
            continue
        match = _MACHINE_GUID.match(value.data)
        if match:
            form = "reg-query" if value.form == "reg-query" else "get-itemproperty"
            out.append(MachineGuid(match.group(1).lower(), value.key, form, value.source))
    return out


def _judge(
    result: ReadResult, values: list[RegistryValue], errors: list[str], cut_arrays: list[int]
) -> None:
    for error in errors:
        result.warn(f"the command reported: {error[:200]!r}", code="registry.command-error")
    for number in cut_arrays:
        result.warn(
            "a binary value is cut after its first items (PowerShell shows 4 by default): run "
            "`$FormatEnumerationLimit = -1` first, or send `reg query` output",
            number,
            code="registry.binary-cut",
        )
    if not values:
        result.fail(
            "no registry value found (expected `reg query <key> /v <value>` or "
            "Get-ItemProperty output)",
            code="registry.no-value",
        )


SPEC = register(
    ReaderSpec(
        KIND,
        sniff_registry,
        read_registry,
        "registry values: reg query (any value type, several keys, /s) and Get-ItemProperty lists",
        records=(REGISTRY_VALUES, MACHINE_GUIDS),
    )
)
