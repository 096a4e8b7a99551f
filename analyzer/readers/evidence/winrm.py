"""WinRM listeners and the faults of ``winrm`` commands, as customers paste them.

Listeners (``WinRmListener``), in the shapes Microsoft's "Installation and configuration for
Windows Remote Management" page names (https://learn.microsoft.com/windows/win32/winrm/
installation-and-configuration-for-windows-remote-management: Address, Transport, Port, Hostname,
Enabled, URLPrefix, CertificateThumbprint, ListeningOn):

- ``winrm enumerate winrm/config/listener`` / ``winrm e winrm/config/listener`` / ``winrm get
  winrm/config/listener?Address=*+Transport=HTTPS``: a ``Listener`` line (``Listener
  [Source="GPO"]`` when a policy made it), then indented ``Name = value`` lines (an empty value
  prints the name alone); the console wraps a long ``ListeningOn`` at its width, the rest of the
  line starting at column 0;
- ``Get-WSManInstance winrm/config/listener -Enumerate``: PowerShell's list, one ``Name : value``
  block per listener (cfg, xsi, lang, Address, Transport, ...);
- the ``WSMan:`` drive: ``Get-ChildItem WSMan:\\localhost\\Listener`` (a ``Type Keys Name`` table
  whose Keys are ``{Transport=HTTPS, Address=*}``: no thumbprint) and ``Get-ChildItem
  WSMan:\\localhost\\Listener\\Listener_<n>`` (a ``Type Name SourceOfValue Value`` table under a
  ``WSManConfig: ...\\Listener\\Listener_<n>`` header; ``ListeningOn_<n>`` rows). A container row
  with a detail table of its own in the file is superseded by that table.

Configuration names (Address, CertificateThumbprint, ...) are not translated; the WSManConfig
header, the table headers and the fault's labels may be.

Faults (``WinRmCommandError``): ``winrm quickconfig -transport:https`` and ``winrm create`` print a
``WSManFault`` with its ``Message = ...`` and an ``Error number:  -2144108267 0x80338115`` line
(the label is translated: the decimal / hex pair is what is read); PowerShell's
``Set-WSManQuickConfig`` / ``New-Item WSMan:`` print ``<f:WSManFault ... Code="2150858773" ...>``
with the code in unsigned decimal. 0x80338115 is ERROR_WSMAN_QUICK_CONFIG_FAILED_CERT_REQUIRED
("How to configure WINRM for HTTPS",
https://learn.microsoft.com/troubleshoot/windows-client/system-management-components/configure-winrm-for-https).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analyzer.inputs.decode import split_lines
from analyzer.inputs.files import InputFile
from analyzer.model import ReadResult, RecordType, Source, WinRmCommandError, WinRmListener
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.evidence.paste import Cleaned, Line, clean_line, read_text, sniff_lines
from analyzer.readers.evidence.values import normalise_hash

KIND = "winrm"
MAX_LISTENERS = 200  # a machine has a handful
MAX_ERRORS = 200
MAX_MESSAGE_CHARS = 1000

# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "winrm.none": "no WinRM listener and no winrm fault found",
    "winrm.too-many": "more listeners or faults than are read",
    "winrm.bad-thumbprint": (
        "a CertificateThumbprint that is not 40 hex digits: matched to no certificate"
    ),
    "winrm.listener-without-transport": "a listener shown without its Transport: skipped",
}

LISTENERS = RecordType(
    WinRmListener,
    "winrm_listeners",
    "WinRM listeners",
    "WinRM listeners (winrm enumerate / winrm e / winrm get winrm/config/listener, "
    "Get-WSManInstance, the WSMan: drive): transport, port, host name and the HTTPS "
    "listener's CertificateThumbprint",
)
COMMAND_ERRORS = RecordType(
    WinRmCommandError,
    "winrm_errors",
    "winrm faults",
    "the WSManFault of a pasted winrm command (winrm quickconfig -transport:https, winrm create, "
    "Set-WSManQuickConfig): error number, message, host name",
)

# The listener configuration's names (WinRM's own, never translated), folded -> field.
_FIELDS = {
    "address": "address",
    "transport": "transport",
    "port": "port",
    "hostname": "hostname",
    "enabled": "enabled",
    "urlprefix": "urlprefix",
    "certificatethumbprint": "thumbprint",
    "listeningon": "listening_on",
    "source": "origin",
}
_LISTENER = re.compile(r'^\s*Listener\s*(?:\[\s*Source\s*=\s*"(?P<origin>[^"]*)"\s*\])?\s*$')
_WINRM_FIELD = re.compile(r"^\s+(?P<name>[A-Za-z_]+)(?:\s*=\s?(?P<value>.*))?$")
_LIST_ITEM = re.compile(r"^(?P<name>[A-Za-z_]+)\s*:\s?(?P<value>.*)$")
_WSMAN_HEADER = re.compile(
    r"^\s*WSManConfig\s*:\s*Microsoft\.WSMan\.Management\\WSMan::(?P<path>\S+)\s*$", re.I
)
_DASHES = re.compile(r"^[\s-]*-[\s-]*$")
_CONTAINER_ROW = re.compile(
    r"^\s*Container\s+\{(?P<keys>[^}]*)\}\s+(?P<name>Listener_\d+)\s*$", re.I
)
_DETAIL_PATH = re.compile(r"\\Listener\\(?P<name>Listener_\d+)$", re.I)
# `Error number:  -2144108267 0x80338115` in any language: the decimal and hex pair.
_ERROR_NUMBER = re.compile(r"(?P<decimal>-\d{9,10})\s+(?P<hex>0x[0-9A-Fa-f]{8})\b")
_XML_CODE = re.compile(r'<f:WSManFault\b[^>]*\bCode="(?P<code>\d{9,10})"', re.I)
_XML_MESSAGE = re.compile(r"<f:Message>(?P<text>.*?)(?:</f:Message>|$)", re.I)
_FAULT_MESSAGE = re.compile(r"^\s*Message\s*=\s*(?P<text>.+)$")
_HOSTNAME_ARG = re.compile(r'Hostname\s*=\s*"(?P<host>[^"]{1,255})"', re.I)
WSMAN_FACILITY = 0x8033  # WinRM's HRESULTs: 0x8033xxxx


def sniff_winrm(sample: Sample) -> int:
    lines = sniff_lines(sample.text)
    for index, line in enumerate(lines):
        if _LISTENER.match(line):
            following = lines[index + 1] if index + 1 < len(lines) else ""
            match = _WINRM_FIELD.match(following)
            if match and match.group("name").lower() in _FIELDS:
                return 90
        if _WSMAN_HEADER.match(line) and "listener" in line.lower():
            return 90
        if _CONTAINER_ROW.match(line):
            return 80
        if "wbem/wsman/1/config/listener" in line.lower():
            return 85
        if _hresult(line) is not None or _XML_CODE.search(line):
            return 85
    return 0


def _hresult(text: str) -> str | None:
    match = _ERROR_NUMBER.search(text)
    if match is None:
        return None
    code = match.group("hex").lower()
    # The two spell one number (the decimal is the signed 32-bit value): else not an error number.
    if int(match.group("decimal")) & 0xFFFFFFFF != int(code, 16):
        return None
    if int(code, 16) >> 16 != WSMAN_FACILITY:
        return None
    return code


@dataclass
class _Reading:
    file: InputFile
    result: ReadResult
    listeners: list[WinRmListener] = field(default_factory=list)
    errors: list[WinRmCommandError] = field(default_factory=list)
    # Listener_<n> names shown by a container row (index into listeners) and by a detail table.
    containers: dict[str, int] = field(default_factory=dict)
    detailed: set[str] = field(default_factory=set)
    command: str | None = None  # the last winrm command a prompt line showed


def read_winrm(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    text = read_text(file, result).text
    reading = _Reading(file, result)
    cleaned = Cleaned([], [])
    lines: list[tuple[Line, str | None]] = []  # each line with the command before it
    for number, raw in enumerate(split_lines(text), start=1):
        before = len(cleaned.commands)
        line = clean_line(number, raw, result, cleaned)
        if len(cleaned.commands) > before:
            reading.command = cleaned.commands[-1][:300]
        if line is not None:
            lines.append((line, reading.command))
    _read_lines(reading, lines)
    listeners = [
        listener
        for name_index, listener in enumerate(reading.listeners)
        if not any(
            index == name_index and name in reading.detailed
            for name, index in reading.containers.items()
        )
    ]
    result.store.put(WinRmListener, listeners)
    result.store.put(WinRmCommandError, reading.errors)
    if not listeners and not reading.errors:
        result.fail(
            "no WinRM listener and no winrm fault found (expected `winrm enumerate "
            "winrm/config/listener`, `Get-ChildItem WSMan:\\localhost\\Listener\\<name>` or the "
            "output of `winrm quickconfig -transport:https`)",
            code="winrm.none",
        )
    return result


def _read_lines(reading: _Reading, lines: list[tuple[Line, str | None]]) -> None:
    index = 0
    while index < len(lines):
        if len(reading.listeners) >= MAX_LISTENERS or len(reading.errors) >= MAX_ERRORS:
            reading.result.warn(
                f"more than {MAX_LISTENERS} listeners or {MAX_ERRORS} faults; the rest is not read",
                code="winrm.too-many",
            )
            return
        line, command = lines[index]
        text = line.text
        if match := _LISTENER.match(text):
            index = _winrm_block(reading, lines, index, match.group("origin"))
        elif match := _WSMAN_HEADER.match(text):
            index = _wsman_table(reading, lines, index, match.group("path"))
        elif (item := _LIST_ITEM.match(text.strip())) and item.group("name").lower() in (
            "cfg",
            "address",
            "transport",
        ):
            index = _list_block(reading, lines, index)
        elif (code := _hresult(text)) is not None:
            _error(reading, lines, index, code, command)
            index += 1
        elif xml := _XML_CODE.search(text):
            _xml_error(reading, lines, index, int(xml.group("code")), command)
            index += 1
        else:
            index += 1


# --------------------------------------------------------------------------- listeners


def _winrm_block(
    reading: _Reading, lines: list[tuple[Line, str | None]], index: int, origin: str | None
) -> int:
    start = lines[index][0].number
    values: dict[str, str] = {}
    at: dict[str, int] = {}
    last: str | None = None
    index += 1
    while index < len(lines):
        line = lines[index][0]
        text = line.text
        if not text.strip() or _LISTENER.match(text):
            break
        match = _WINRM_FIELD.match(text)
        if match and match.group("name").lower() in _FIELDS:
            last = _FIELDS[match.group("name").lower()]
            values[last] = (match.group("value") or "").strip()
            at[last] = line.number
        elif last is not None and not text[:1].isspace():
            values[last] += text.strip()  # the console wrapped the value at its width
        else:
            break
        index += 1
    _add_listener(reading, values, at, start, origin or None, "winrm")
    return index


def _list_block(reading: _Reading, lines: list[tuple[Line, str | None]], index: int) -> int:
    start = lines[index][0].number
    values: dict[str, str] = {}
    at: dict[str, int] = {}
    last: str | None = None
    while index < len(lines) and lines[index][0].text.strip():
        line = lines[index][0]
        match = _LIST_ITEM.match(line.text.strip())
        name = match.group("name").lower() if match else ""
        if match and (name in _FIELDS or name in ("cfg", "xsi", "lang")):
            last = _FIELDS.get(name)
            if last is not None:
                values[last] = match.group("value").strip()
                at[last] = line.number
        elif last is not None and line.text[:1].isspace():
            values[last] += " " + line.text.strip()  # PowerShell's list wraps with indentation
        index += 1
    if "transport" in values or "thumbprint" in values:
        listening = values.get("listening_on", "").strip().strip("{}")
        values["listening_on"] = listening
        _add_listener(reading, values, at, start, values.pop("origin", None), "get-wsmaninstance")
    return index


def _wsman_table(
    reading: _Reading, lines: list[tuple[Line, str | None]], index: int, path: str
) -> int:
    """A ``WSManConfig:`` header and its table: container rows of ...\\Listener, or the
    Name / Value rows of one ...\\Listener\\Listener_<n>."""
    start = lines[index][0].number
    detail = _DETAIL_PATH.search(path)
    index += 1
    # The header row follows blank lines, and maybe PowerShell's `WARNING: column "Type" does not
    # fit into the display and was removed.` (localized): the first row naming Name.
    skipped = 0
    while index < len(lines) and skipped < 6:
        words = {w.lower() for w in lines[index][0].text.split()}
        if "name" in words:
            break
        index += 1
        skipped += 1
    if index >= len(lines) or skipped >= 6:
        return index
    header = lines[index][0].text
    columns = [(m.group(0).lower(), m.start()) for m in re.finditer(r"\S+", header)]
    index += 1
    if index < len(lines) and _DASHES.match(lines[index][0].text):
        dashes = [m.start() for m in re.finditer(r"-+", lines[index][0].text)]
        if len(dashes) == len(columns):
            columns = [(name, at) for (name, _), at in zip(columns, dashes, strict=True)]
        index += 1
    values: dict[str, str] = {}
    at: dict[str, int] = {}
    listening: list[str] = []
    while index < len(lines) and lines[index][0].text.strip():
        line = lines[index][0]
        if _WSMAN_HEADER.match(line.text):
            break
        if detail is None:
            row = _CONTAINER_ROW.match(line.text)
            if row:
                keys = dict(
                    (k.strip().lower(), v.strip())
                    for k, _, v in (p.partition("=") for p in row.group("keys").split(","))
                )
                reading.containers[row.group("name")] = len(reading.listeners)
                _add_listener(
                    reading,
                    {"transport": keys.get("transport", ""), "address": keys.get("address", "")},
                    {"transport": line.number},
                    line.number,
                    None,
                    "wsman-drive",
                )
        else:
            cells = _cells(line.text, columns)
            name = cells.get("name", "")
            value = cells.get("value", "")
            folded = name.lower()
            if folded.startswith("listeningon_"):
                listening.append(value)
            elif folded in _FIELDS:
                values[_FIELDS[folded]] = value
                at[_FIELDS[folded]] = line.number
        index += 1
    if detail is not None:
        reading.detailed.add(detail.group("name"))
        values["listening_on"] = ", ".join(listening)
        _add_listener(reading, values, at, start, None, "wsman-drive")
    return index


def _cells(text: str, columns: list[tuple[str, int]]) -> dict[str, str]:
    out = {}
    for position, (name, start) in enumerate(columns):
        end = columns[position + 1][1] if position + 1 < len(columns) else None
        out[name] = (text[start:end] if end is not None else text[start:]).strip()
    return out


def _add_listener(
    reading: _Reading,
    values: dict[str, str],
    at: dict[str, int],
    start: int,
    origin: str | None,
    form: str,
) -> None:
    result = reading.result
    transport = values.get("transport", "").strip().upper() or None
    if transport is None:
        result.warn(
            "a listener shown without its Transport (cut?), skipped",
            start,
            code="winrm.listener-without-transport",
        )
        return
    thumbprint: str | None = None
    shown: str | None = None
    raw = values.get("thumbprint", "").strip()
    if raw:
        thumbprint, valid = normalise_hash(raw)
        if not valid:
            result.warn(
                f"CertificateThumbprint {raw[:80]!r} is not 40 hex digits (cut or retyped?): "
                "it is matched to no certificate",
                at.get("thumbprint", start),
                code="winrm.bad-thumbprint",
            )
            thumbprint, shown = None, raw[:200]
    port_text = values.get("port", "").strip()
    enabled = values.get("enabled", "").strip().lower()
    listening = tuple(
        part.strip() for part in values.get("listening_on", "").split(",") if part.strip()
    )
    reading.listeners.append(
        WinRmListener(
            address=values.get("address", "").strip() or None,
            transport=transport,
            port=int(port_text) if port_text.isdigit() and len(port_text) <= 5 else None,
            hostname=values.get("hostname", "").strip()[:255] or None,
            enabled=True if enabled == "true" else False if enabled == "false" else None,
            certificate_thumbprint=thumbprint,
            thumbprint_text=shown,
            listening_on=listening[:64],
            origin=(origin or "").strip()[:60] or None,
            form=form,
            source=Source(reading.file.display, at.get("thumbprint", start)),
        )
    )


# --------------------------------------------------------------------------- faults


def _error(
    reading: _Reading,
    lines: list[tuple[Line, str | None]],
    index: int,
    code: str,
    command: str | None,
) -> None:
    """An ``Error number: <decimal> <hex>`` line: the message is the fault's ``Message = `` text
    above it (joined over its wrapped lines), else the lines below it up to a blank one."""
    message = _fault_message(lines, index)
    if message is None:
        below = []
        for line, _ in lines[index + 1 : index + 8]:
            if not line.text.strip():
                break
            below.append(line.text.strip())
        message = " ".join(below) or None
    _add_error(reading, code, message, command, lines[index][0].number)


def _fault_message(lines: list[tuple[Line, str | None]], index: int) -> str | None:
    """The ``Message = ...`` of the WSManFault printed just above line ``index``."""
    blank = 0
    for back in range(index - 1, max(index - 25, -1), -1):
        text = lines[back][0].text
        blank += not text.strip()
        if blank > 1 or _hresult(text) is not None:
            return None  # past the fault this error number ends: another one's message
        match = _FAULT_MESSAGE.match(text)
        if match is None:
            continue
        parts = [match.group("text").strip()]
        for line, _ in lines[back + 1 : index]:
            if not line.text.strip():
                break
            parts.append(line.text.strip())
        return " ".join(parts)
    return None


def _xml_error(
    reading: _Reading,
    lines: list[tuple[Line, str | None]],
    index: int,
    code: int,
    command: str | None,
) -> None:
    if code >> 16 != WSMAN_FACILITY:
        return
    text = " ".join(line.text.strip() for line, _ in lines[index : index + 6])
    match = _XML_MESSAGE.search(text)
    message = re.sub(r"<[^>]*>", "", match.group("text")).strip() if match else None
    _add_error(reading, f"0x{code:08x}", message, command, lines[index][0].number)


def _add_error(
    reading: _Reading, code: str, message: str | None, command: str | None, line: int
) -> None:
    message = re.sub(r"\s+", " ", message)[:MAX_MESSAGE_CHARS] if message else None
    hostname = None
    if command and (match := _HOSTNAME_ARG.search(command)):
        hostname = match.group("host").strip()
    reading.errors.append(
        WinRmCommandError(code, message, command, hostname, Source(reading.file.display, line))
    )


SPEC = register(
    ReaderSpec(
        KIND,
        sniff_winrm,
        read_winrm,
        "WinRM listeners (winrm enumerate / e / get, Get-WSManInstance, the WSMan: drive) and "
        "the WSManFault of winrm quickconfig -transport:https / winrm create",
        records=(LISTENERS, COMMAND_ERRORS),
    )
)
