"""Binary-XML value types as plain Python values, spelled the same whichever engine read them.

The two engines render values differently (see ``../shared/docs/evtx-format-notes.md`` §3):
GUID case and braces, hex padding, binary as hex or base64, FILETIME precision. Both engines
pass their values through here so that the same record gives the same `Event`.
"""

from __future__ import annotations

import re
import struct
import uuid
from dataclasses import dataclass, field
from typing import Any

from analyzer.readers.evtx.layout import filetime_iso

T_NULL, T_WSTRING, T_STRING = 0x00, 0x01, 0x02
T_BINARY, T_GUID, T_SIZE, T_FILETIME, T_SYSTEMTIME, T_SID = 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13
T_HEX32, T_HEX64, T_BINXML, T_WSTRING_ARRAY = 0x14, 0x15, 0x21, 0x81
_FIXED: dict[int, str] = {
    0x03: "<b",
    0x04: "<B",
    0x05: "<h",
    0x06: "<H",
    0x07: "<i",
    0x08: "<I",
    0x09: "<q",
    0x0A: "<Q",
    0x0B: "<f",
    0x0C: "<d",
}
_GUID_TEXT = re.compile(
    r"\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?"
)


@dataclass(slots=True)
class RawEvent:
    """One wanted record as an engine read it, before `build_event` normalises it."""

    provider: str
    event_id: int
    record_id: int
    time: str | None
    level: int | None = None
    channel: str | None = None
    computer: str | None = None
    data: dict[str, Any] | list[Any] = field(default_factory=dict)


def guid_text(raw: bytes) -> str:
    return "{" + str(uuid.UUID(bytes_le=raw)).upper() + "}"


def sid_text(raw: bytes) -> str:
    revision, count = raw[0], raw[1]
    authority = int.from_bytes(raw[2:8], "big")
    subs = struct.unpack_from(f"<{count}I", raw, 8)
    return "S-" + "-".join(str(part) for part in (revision, authority, *subs))


def systemtime_text(raw: bytes) -> str:
    year, month, _, day, hour, minute, second, milli = struct.unpack("<8H", raw[:16])
    return (
        f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{milli * 1000:06d}Z"
    )


def _utf16(raw: bytes) -> str:
    return raw.decode("utf-16-le", "replace").rstrip("\x00")


def decode_value(vtype: int, raw: bytes) -> Any:
    """The Python value of one substitution (``T_BINXML`` is handled by the engine)."""
    if vtype == T_NULL or (not raw and vtype != T_WSTRING):
        return None
    if vtype == T_WSTRING:
        return _utf16(raw)
    if vtype == T_STRING:
        return raw.decode("cp1252", "replace").rstrip("\x00")
    fmt = _FIXED.get(vtype)
    if fmt is not None:
        return struct.unpack_from(fmt, raw)[0]
    if vtype == 0x0D:
        return bool(struct.unpack_from("<I", raw)[0])
    if vtype == T_BINARY:
        return raw.hex().upper()
    if vtype == T_GUID:
        return guid_text(raw[:16])
    if vtype == T_SIZE:
        return int.from_bytes(raw, "little")
    if vtype == T_FILETIME:
        return filetime_iso(struct.unpack_from("<Q", raw)[0])
    if vtype == T_SYSTEMTIME:
        return systemtime_text(raw)
    if vtype == T_SID:
        return sid_text(raw)
    if vtype in (T_HEX32, T_HEX64):
        return f"0x{int.from_bytes(raw, 'little'):x}"
    if vtype == T_WSTRING_ARRAY:
        text = raw.decode("utf-16-le", "replace")
        return text[:-1].split("\x00") if text.endswith("\x00") else text.split("\x00")
    if vtype & 0x80 and (vtype & 0x7F) in _FIXED:
        fmt = _FIXED[vtype & 0x7F]
        size = struct.calcsize(fmt)
        return [struct.unpack_from(fmt, raw, i)[0] for i in range(0, len(raw) - size + 1, size)]
    return raw.hex().upper()


def common_value(value: Any) -> Any:
    """A value in the spelling both engines share: GUIDs upper case in braces, None as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        match = _GUID_TEXT.fullmatch(value)
        return "{" + match.group(1).upper() + "}" if match else value
    if isinstance(value, list):
        return [common_value(item) for item in value]
    return value


MAX_USERDATA_FIELDS = 200  # as the XML export reader: a huge UserData is not evidence


@dataclass
class XmlNode:
    """A UserData element with its values, the same shape from either engine."""

    name: str
    attrs: list[tuple[str, Any]] = field(default_factory=list)
    text: Any = None
    children: list[XmlNode] = field(default_factory=list)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(common_value(value))


def flatten_userdata(operation: XmlNode) -> dict[str, Any]:
    """UserData as the XML export reader flattens it: ``Operation`` is the first element's name,
    attributes and texts under dotted paths, repeated siblings suffixed with ``_``; values text."""
    flat: dict[str, Any] = {"Operation": operation.name}

    def walk(node: XmlNode, prefix: str, depth: int) -> None:
        for name, value in sorted(node.attrs, key=lambda item: item[0]):
            if name == "xmlns" or name.startswith("xmlns:"):
                continue  # namespace declarations, not data (an XML parser drops them too)
            if len(flat) < MAX_USERDATA_FIELDS:
                flat[f"{prefix}.{name}" if prefix else name] = _as_text(value)
        text = _as_text(node.text).strip()
        if prefix and text and len(flat) < MAX_USERDATA_FIELDS:
            flat[prefix] = text
        for child in node.children if depth < 32 else ():
            key = f"{prefix}.{child.name}" if prefix else child.name
            while key in flat:
                key += "_"
            walk(child, key, depth + 1)

    walk(operation, "", 0)
    return flat
