"""Which account a Windows service logs on as: ``sc qc <service>`` and ``Win32_Service`` listings.

The account that must open a service's private key is the one the service runs as; customers
show it with:

- ``sc qc <service>`` ("Sc qc",
  https://learn.microsoft.com/previous-versions/windows/it-pro/windows-server-2012-R2-and-2012/cc742055(v=ws.11)):
  ``[SC] QueryServiceConfig SUCCESS``, then ``SERVICE_NAME: <name>`` and the indented fields
  TYPE, START_TYPE, ERROR_CONTROL, BINARY_PATH_NAME, LOAD_ORDER_GROUP, TAG, DISPLAY_NAME,
  DEPENDENCIES (further dependencies on lines with an empty label) and SERVICE_START_NAME, always
  in that order (they are the members of QUERY_SERVICE_CONFIG,
  https://learn.microsoft.com/windows/win32/api/winsvc/ns-winsvc-query_service_configw). The
  success word and some labels follow the system's language, so a label this module does not
  know is placed by its position: the fourth field is the binary path, the seventh the display
  name, the last the start name.
- ``Get-CimInstance Win32_Service | Select Name, StartName`` (or ``Get-WmiObject``; any other
  columns too) as PowerShell's table (header, dashes, rows: columns placed by the dashes) or list
  (``Name : ...`` / ``StartName : ...`` blocks), and ``wmic service get Name,StartName`` (a
  header without dashes). ``StartName`` is the Win32_Service property holding the account
  ("Win32_Service class", https://learn.microsoft.com/windows/win32/cimwin32prov/win32-service).
"""

from __future__ import annotations

import re

from analyzer.inputs.files import InputFile
from analyzer.model import ReadResult, RecordType, ServiceConfig, Source
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import Line, clean_lines, read_text, sniff_lines

# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "services.too-many": "more services than are read",
    "services.command-error": "sc reported an error",
    "services.none": "no service configuration found",
    "services.no-start-name": "a service listed without its logon account: its account is not known",
    "services.row-without-name": "a table row without a service name: skipped",
    "services.start-name-cut": "a StartName cut by the table: its account is not known",
}

KIND = "service-config"
MAX_SERVICES = 2000  # a listing of every service of a machine holds a few hundred

SERVICE_CONFIGS = RecordType(
    ServiceConfig,
    "service_configs",
    "service configurations",
    "the account a service runs as (sc qc, Win32_Service via Get-CimInstance / Get-WmiObject "
    "/ wmic): the account that must read the key",
)

# sc qc: the header line, then `SERVICE_NAME: name` at column 0.
_SC_HEADER = re.compile(r"^\s*\[SC\]\s*QueryServiceConfig\b", re.I)
_SC_FAILED = re.compile(r"^\s*\[SC\]\s*OpenService\b.*?(?P<code>\d+)\s*:?\s*$", re.I)
_SC_NAME = re.compile(r"^(?P<label>[^\s:][^:]*?)\s*:\s*(?P<name>\S.*?)\s*$")
_SC_FIELD = re.compile(r"^\s+(?P<label>[^:]*?)\s*:\s?(?P<value>.*?)\s*$")
# sc qc's English labels; a label in another language is placed by its position instead.
SC_LABELS: dict[str, str] = {
    "service_name": "name",
    "binary_path_name": "binary_path",
    "display_name": "display_name",
    "service_start_name": "start_name",
}
SC_FIELD_COUNT = 9  # TYPE .. SERVICE_START_NAME, dependency continuations not counted
_SC_POSITIONS = {3: "binary_path", 6: "display_name", SC_FIELD_COUNT - 1: "start_name"}

# Win32_Service properties a listing may show (the class's own names, never localized).
WIN32_PROPERTIES = frozenset(
    {
        "name",
        "startname",
        "displayname",
        "pathname",
        "state",
        "startmode",
        "status",
        "processid",
        "servicetype",
        "description",
        "started",
        "exitcode",
        "caption",
        "systemname",
    }
)
_DASHES = re.compile(r"^[\s-]*-[\s-]*$")
_LIST_ITEM = re.compile(r"^(?P<name>[A-Za-z]+)\s*:\s?(?P<value>.*?)\s*$")
_CUT = ("...", "…")


def sniff_service_config(sample: Sample) -> int:
    lines = sniff_lines(sample.text)
    labels = {m.group("label").strip().lower() for x in lines if (m := _SC_NAME.match(x.strip()))}
    if any(_SC_HEADER.match(x) for x in lines) or {"service_name", "service_start_name"} <= labels:
        return 90
    for index, line in enumerate(lines):
        words = [w.lower() for w in line.split()]
        if {"name", "startname"} <= set(words) and set(words) <= WIN32_PROPERTIES:
            following = lines[index + 1] if index + 1 < len(lines) else ""
            return 85 if _DASHES.match(following) else 70
    names = [m.group("name").lower() for x in lines if (m := _LIST_ITEM.match(x))]
    if "startname" in names and "name" in names:
        return 75
    return 0


def read_service_config(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    lines = clean_lines(read_text(file, result).text, result).lines
    records: list[ServiceConfig] = []
    failures: list[str] = []
    index = 0
    while index < len(lines) and len(records) < MAX_SERVICES:
        line = lines[index]
        body = line.text.strip()
        if _SC_FAILED.match(body):
            failures.append(f"{body[:160]} (line {line.number})")
            index += 1
        elif (match := _SC_NAME.match(line.text)) and _is_sc_name(match, lines, index):
            index = _read_sc_block(file, lines, index, match.group("name"), records, result)
        elif header := _table_header(line.text):
            index = _read_table(file, lines, index, header, records, result)
        elif (match := _LIST_ITEM.match(body)) and match.group("name").lower() in WIN32_PROPERTIES:
            index = _read_list(file, lines, index, records, result)
        else:
            index += 1
    if len(records) >= MAX_SERVICES:
        result.warn(
            f"more than {MAX_SERVICES} services; the rest is not read", code="services.too-many"
        )
    result.store.put(ServiceConfig, records)
    for failure in failures:
        result.warn(f"sc reported: {failure}", code="services.command-error")
    if not records:
        result.fail(
            "no service configuration found (expected `sc qc <service>` or "
            "`Get-CimInstance Win32_Service | Select Name, StartName` output)",
            code="services.none",
        )
    return result


def _is_sc_name(match: re.Match[str], lines: list[Line], index: int) -> bool:
    """``SERVICE_NAME: x`` at column 0 followed by indented ``LABEL : value`` fields."""
    if match.group("label").strip().lower() == "service_name":
        return True
    following = lines[index + 1].text if index + 1 < len(lines) else ""
    back = index - 1
    while back >= 0 and not lines[back].text.strip():
        back -= 1
    previous = lines[back].text if back >= 0 else ""
    return bool(_SC_FIELD.match(following)) and bool(_SC_HEADER.match(previous))


def _read_sc_block(
    file: InputFile,
    lines: list[Line],
    index: int,
    name: str,
    records: list[ServiceConfig],
    result: ReadResult,
) -> int:
    start = lines[index].number
    fields: list[tuple[str, str, int]] = []  # (folded label, value, line) in order
    index += 1
    while index < len(lines):
        match = _SC_FIELD.match(lines[index].text)
        if not match:
            break
        label = match.group("label").strip().lower().replace(" ", "_")
        if label:  # an empty label continues DEPENDENCIES
            fields.append((label, match.group("value"), lines[index].number))
        index += 1
    found: dict[str, tuple[str, int]] = {}
    for position, (label, value, number) in enumerate(fields):
        key = SC_LABELS.get(label) or (
            _SC_POSITIONS.get(position) if len(fields) == SC_FIELD_COUNT else None
        )
        if key and key not in found:
            found[key] = (value, number)
    if "start_name" not in found:
        result.warn(
            f"sc qc output for {name} without SERVICE_START_NAME (cut?): its account is not known",
            start,
            code="services.no-start-name",
        )
    start_name, start_line = found.get("start_name", ("", start))
    records.append(
        ServiceConfig(
            name.strip(),
            start_name.strip() or None,
            (found.get("display_name", ("", 0))[0]).strip() or None,
            (found.get("binary_path", ("", 0))[0]).strip() or None,
            "sc-qc",
            Source(file.display, start_line),
        )
    )
    return index


def _table_header(text: str) -> list[tuple[str, int]] | None:
    """The columns (property, start offset) of a Win32_Service table header, or None."""
    words = [(m.group(0).lower(), m.start()) for m in re.finditer(r"\S+", text)]
    names = {w for w, _ in words}
    if {"name", "startname"} <= names and names <= WIN32_PROPERTIES:
        return words
    return None


def _read_table(
    file: InputFile,
    lines: list[Line],
    index: int,
    header: list[tuple[str, int]],
    records: list[ServiceConfig],
    result: ReadResult,
) -> int:
    columns = header
    index += 1
    if index < len(lines) and _DASHES.match(lines[index].text):
        # PowerShell's dashes give each column's start; values are left-aligned under them.
        dashes = [m.start() for m in re.finditer(r"-+", lines[index].text)]
        if len(dashes) == len(header):
            columns = [(name, start) for (name, _), start in zip(header, dashes, strict=True)]
        index += 1
    while index < len(lines) and lines[index].text.strip() and len(records) < MAX_SERVICES:
        line = lines[index]
        row = _cells(line.text, columns)
        name, start_name = row.get("name", ""), row.get("startname", "")
        if not name:
            result.warn(
                f"table row without a service name, skipped: {line.text[:120]!r}",
                line.number,
                code="services.row-without-name",
            )
        else:
            if start_name.endswith(_CUT):
                result.warn(
                    f"the StartName of {name} is cut by the table ({start_name!r}): its account "
                    "is not known (use Format-List)",
                    line.number,
                    code="services.start-name-cut",
                )
                start_name = ""
            form = "win32-service-table"
            records.append(
                ServiceConfig(
                    name,
                    start_name or None,
                    row.get("displayname") or None,
                    row.get("pathname") or None,
                    form,
                    Source(file.display, line.number),
                )
            )
        index += 1
    return index


def _cells(text: str, columns: list[tuple[str, int]]) -> dict[str, str]:
    out = {}
    for position, (name, start) in enumerate(columns):
        end = columns[position + 1][1] if position + 1 < len(columns) else None
        out[name] = text[start:end].strip() if end is not None else text[start:].strip()
    return out


def _read_list(
    file: InputFile,
    lines: list[Line],
    index: int,
    records: list[ServiceConfig],
    result: ReadResult,
) -> int:
    values: dict[str, tuple[str, int]] = {}
    while index < len(lines) and lines[index].text.strip():
        match = _LIST_ITEM.match(lines[index].text.strip())
        if match and match.group("name").lower() in WIN32_PROPERTIES:
            values.setdefault(
                match.group("name").lower(), (match.group("value"), lines[index].number)
            )
        index += 1
    if "name" in values and "startname" in values:
        start_name, number = values["startname"]
        records.append(
            ServiceConfig(
                values["name"][0],
                start_name or None,
                values.get("displayname", ("", 0))[0] or None,
                values.get("pathname", ("", 0))[0] or None,
                "win32-service-list",
                Source(file.display, number),
            )
        )
    elif "name" in values:
        result.warn(
            f"service {values['name'][0]!r} listed without StartName: its account is not known",
            values["name"][1],
            code="services.no-start-name",
        )
    return index


SPEC = register(
    ReaderSpec(
        KIND,
        sniff_service_config,
        read_service_config,
        "service accounts: sc qc, Win32_Service (Get-CimInstance / Get-WmiObject table or list, wmic)",
        records=(SERVICE_CONFIGS,),
    )
)
