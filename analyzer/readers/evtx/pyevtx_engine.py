"""The python-evtx engine: pure Python, the default where the Rust `evtx` package is absent.

python-evtx's documented iteration trusts the file header's chunk count and renders XML
(``record.xml()``), which is slow and misses the unflushed chunks of "dirty" logs. This engine
walks the chunks it is given itself and does not render anything: python-evtx parses each
template once per chunk (``TemplateNode``), the template's own element tree says which
substitution index holds the provider, the event id, the time, ... and the EventData or
UserData values (real Windows templates put EventData in a nested binary-XML value, type 0x21,
with its own template). A record is then just its value array, and only wanted records have
their data values decoded.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from Evtx.Evtx import ChunkHeader
from Evtx.Nodes import (
    AttributeNode,
    ConditionalSubstitutionNode,
    NormalSubstitutionNode,
    OpenStartElementNode,
    TemplateNode,
    ValueNode,
)

from analyzer.readers.evtx.layout import (
    CHUNK_HEADER_SIZE,
    CHUNK_SIZE,
    RECORD_MAGIC,
    Chunk,
    next_record,
)
from analyzer.readers.evtx.plainxml import is_plain_element, read_element_tree
from analyzer.readers.evtx.values import (
    T_BINXML,
    RawEvent,
    XmlNode,
    common_value,
    decode_value,
    flatten_userdata,
)

ENGINE = "python-evtx"
MAX_DEPTH = 48  # elements nested deeper than any real template are a damaged file
MAX_VALUES = 4096
SYSTEM_FIELDS = {
    "Provider": "provider",
    "EventID": "event_id",
    "Level": "level",
    "TimeCreated": "time",
    "Channel": "channel",
    "Computer": "computer",
}


class _Chunk(ChunkHeader):  # type: ignore[misc]  # python-evtx ships no types
    """python-evtx's chunk whose name table walk survives a looping chain (damaged files)."""

    def _load_strings(self) -> None:
        if self._strings is None:
            self._strings: dict[int, Any] = {}
        seen: set[int] = set()
        for bucket in range(64):
            offset = self.unpack_dword(0x80 + bucket * 4)
            while CHUNK_HEADER_SIZE <= offset < CHUNK_SIZE and offset not in seen:
                seen.add(offset)
                offset = self.add_string(offset).next_offset()

    def _load_templates(self) -> None:
        # Templates are read where records point at them, never through the table's chains.
        if self._templates is None:
            self._templates: dict[int, Any] = {}


@dataclass(frozen=True)
class Spec:
    """Where a value comes from: substitution ``index`` (of declared ``vtype``) or literal text."""

    index: int | None = None
    text: str | None = None
    vtype: int = 0


@dataclass
class TemplateMap:
    fields: dict[str, Spec] = field(default_factory=dict)
    data: list[tuple[Spec | None, Spec]] = field(default_factory=list)  # (Name, value)
    user: XmlNode | None = None  # the UserData operation element, values as `Spec`
    # Binary-XML values (type 0x21) and the element path they sit in: their own fragment's
    # top elements continue that path (Event -> EventData/UserData, UserData -> operation).
    nested: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)


def _spec(node: Any) -> Spec | None:
    if isinstance(node, (NormalSubstitutionNode, ConditionalSubstitutionNode)):
        return Spec(index=node.index(), vtype=node.type())
    if isinstance(node, ValueNode):
        return Spec(text=node.value().string())
    return None


def _user_tree(elem: OpenStartElementNode, depth: int) -> XmlNode:
    if depth > MAX_DEPTH:
        raise ValueError("template nests elements too deeply")
    node = XmlNode(elem.tag_name())
    for child in elem.children():
        if isinstance(child, AttributeNode):
            spec = _spec(child.attribute_value())
            if spec is not None:
                node.attrs.append((child.attribute_name().string(), spec))
        elif isinstance(child, OpenStartElementNode):
            node.children.append(_user_tree(child, depth + 1))
        elif node.text is None:
            node.text = _spec(child)
    return node


def _element(elem: OpenStartElementNode, path: tuple[str, ...], tmap: TemplateMap) -> None:
    if len(path) > MAX_DEPTH:
        raise ValueError("template nests elements too deeply")
    if path[-1:] == ("UserData",):
        if tmap.user is None:
            tmap.user = _user_tree(elem, len(path))
        return
    name = elem.tag_name()
    here = (*path, name)
    attrs: dict[str, Spec] = {}
    content: list[Spec] = []
    for child in elem.children():
        if isinstance(child, AttributeNode):
            spec = _spec(child.attribute_value())
            if spec is not None:
                attrs[child.attribute_name().string()] = spec
        elif isinstance(child, OpenStartElementNode):
            _element(child, here, tmap)
        else:
            spec = _spec(child)
            if spec is not None:
                content.append(spec)
    for spec in content:
        if spec.vtype == T_BINXML and spec.index is not None:
            tmap.nested.append((spec.index, here))
    value = next((s for s in content if s.vtype != T_BINXML), Spec(text=""))
    if "System" in path:
        key = SYSTEM_FIELDS.get(name)
        if key == "provider" and "Name" in attrs:
            tmap.fields[key] = attrs["Name"]
        elif key == "time" and "SystemTime" in attrs:
            tmap.fields[key] = attrs["SystemTime"]
        elif key is not None and key not in ("provider", "time"):
            tmap.fields[key] = value
    elif name == "Data" and path[-1:] == ("EventData",):
        tmap.data.append((attrs.get("Name"), value))


def template_map(
    buf: bytes, chunk: _Chunk, offset: int, context: tuple[str, ...] = ()
) -> TemplateMap:
    """Where each field of the template at chunk ``offset`` comes from; ``context`` is the
    element path a nested template's fragment sits in."""
    node = TemplateNode(buf, chunk.offset() + offset, chunk, chunk)
    tmap = TemplateMap()
    for child in node.children():
        if isinstance(child, OpenStartElementNode):
            _element(child, context, tmap)
    return tmap


class _ChunkReader:
    def __init__(self, buf: bytes, chunk: Chunk) -> None:
        self.buf = buf
        self.chunk = chunk
        self.node = _Chunk(buf, chunk.offset)
        self.maps: dict[tuple[int, tuple[str, ...]], TemplateMap] = {}

    def fragment(
        self, pos: int, end: int, context: tuple[str, ...] = ()
    ) -> tuple[TemplateMap, list[tuple[int, int, int]]]:
        """Template map and (type, start, size) values of the binary-XML fragment at ``pos``."""
        buf, base = self.buf, self.chunk.offset
        if buf[pos] == 0x0F:
            pos += 4
        if buf[pos] & 0x0F != 0x0C:
            raise ValueError(f"no template instance at offset {pos - base:#x} of the chunk")
        template = struct.unpack_from("<I", buf, pos + 6)[0]
        instance = pos - base
        pos += 10
        if template > instance:  # the definition is resident: it follows the instance
            pos = base + template + 24 + struct.unpack_from("<I", buf, base + template + 20)[0]
        tmap = self.maps.get((template, context))
        if tmap is None:
            if not CHUNK_HEADER_SIZE <= template < CHUNK_SIZE:
                raise ValueError(f"template offset {template:#x} outside the chunk")
            tmap = template_map(buf, self.node, template, context)
            self.maps[(template, context)] = tmap
        count = struct.unpack_from("<I", buf, pos)[0]
        if count > MAX_VALUES or pos + 4 + 4 * count > end:
            raise ValueError(f"{count} substitution values do not fit the record")
        values = []
        at = pos + 4 + 4 * count
        for size, vtype, _ in struct.iter_unpack("<HBB", buf[pos + 4 : pos + 4 + 4 * count]):
            values.append((vtype, at, size))
            at += size
        if at > end:
            raise ValueError("substitution values run past the record")
        return tmap, values

    def value(self, spec: Any, values: list[tuple[int, int, int]]) -> Any:
        if not isinstance(spec, Spec):
            return None
        if spec.index is None:
            return spec.text
        if spec.index >= len(values):
            return None
        vtype, start, size = values[spec.index]
        return decode_value(vtype, self.buf[start : start + size])

    def resolve(self, node: XmlNode, values: list[tuple[int, int, int]]) -> list[XmlNode]:
        """The element with its values; an array value renders as repeated elements."""
        attrs = [(name, self.value(spec, values)) for name, spec in node.attrs]
        children = [one for child in node.children for one in self.resolve(child, values)]
        text = self.value(node.text, values)
        if isinstance(text, list):
            return [XmlNode(node.name, attrs, item, children) for item in text]
        return [XmlNode(node.name, attrs, text, children)]

    def data(
        self, tmap: TemplateMap, values: list[Any], end: int, depth: int = 0
    ) -> tuple[list[tuple[Any, Any]], XmlNode | None]:
        """(EventData items as (name, value), UserData operation) of a record, nested too."""
        items = [(self.value(n, values), common_value(self.value(v, values))) for n, v in tmap.data]
        user = self.resolve(tmap.user, values)[0] if tmap.user is not None else None
        for index, context in tmap.nested:
            if index < len(values) and values[index][2] and depth < 4:
                _, start, size = values[index]
                if context[-1:] == ("UserData",) and is_plain_element(self.buf, start):
                    limit = min(start + size, end)
                    user = user or read_element_tree(self.buf, start, limit, self.chunk.offset)
                    continue
                inner_map, inner = self.fragment(start, min(start + size, end), context)
                more_items, more_user = self.data(inner_map, inner, end, depth + 1)
                items += more_items
                user = user or more_user
        return items, user


def _assemble(items: list[tuple[Any, Any]], user: XmlNode | None) -> dict[Any, Any] | list[Any]:
    if items and all(isinstance(name, str) and name for name, _ in items):
        return {name: value for name, value in items}
    if items:
        flat: list[Any] = []
        for _, value in items:
            flat.extend(value if isinstance(value, list) else [value])
        return flat
    return flatten_userdata(user) if user is not None else {}


def read_chunks(
    buf: bytes,
    chunks: Sequence[Chunk],
    want: Callable[[str, int], bool],
    on_failure: Callable[[int | None, str], None],
    meta_record: int | None = None,
    after: dict[int, int] | None = None,
) -> tuple[list[RawEvent], dict[int, int], tuple[str | None, str | None]]:
    """Same contract as `rust_engine.read_chunks`; ``after`` (chunk index -> record id) skips
    the records up to that id in that chunk (the Rust engine read them before it stopped)."""
    events: list[RawEvent] = []
    counts: dict[int, int] = {}
    meta: tuple[str | None, str | None] = (None, None)
    for chunk in chunks:
        reader = _ChunkReader(buf, chunk)
        at, end, last_id = chunk.offset + CHUNK_HEADER_SIZE, chunk.offset + chunk.end, None
        skip_to = (after or {}).get(chunk.index)
        picks = None if chunk.picks is None else set(chunk.picks)
        while at + 24 <= end:
            damaged = None
            if buf[at : at + 4] != RECORD_MAGIC:
                damaged = (None if last_id is None else last_id + 1, "no record signature")
            else:
                size, record_id = struct.unpack_from("<IQ", buf, at + 4)
                if size < 28 or at + size > end:
                    damaged = (record_id, f"record size {size} does not fit the chunk")
            if damaged is not None:
                # Go on with the next whole record of the chunk rather than lose the rest.
                found = next_record(buf, at + 1, end)
                where = "" if found is None else f"; went on at offset {found - chunk.offset:#x}"
                on_failure(damaged[0], f"{damaged[1]} (chunk {chunk.index}){where}")
                if found is None:
                    break
                at = found
                continue
            if skip_to is not None and record_id <= skip_to:
                at += size  # read already (by the other engine, before it stopped)
                continue
            counts[chunk.index] = counts.get(chunk.index, 0) + 1
            if picks is not None and at - chunk.offset not in picks:
                at += size  # left out by the pre-filter: it cannot be wanted
                continue
            last_id = record_id
            try:
                event = _read_record(reader, at, at + size - 4, record_id, want)
                if meta == (None, None) or record_id == meta_record:
                    tmap, values = reader.fragment(at + 24, at + size - 4)
                    meta = (
                        reader.value(tmap.fields.get("channel"), values),
                        reader.value(tmap.fields.get("computer"), values),
                    )
            except Exception as exc:  # python-evtx raises anything on damaged bytes
                on_failure(record_id, f"{type(exc).__name__}: {str(exc)[:160]}")
                event = None
            if event is not None:
                events.append(event)
            at += size
    return events, counts, meta


def _read_record(
    reader: _ChunkReader, at: int, end: int, record_id: int, want: Callable[[str, int], bool]
) -> RawEvent | None:
    tmap, values = reader.fragment(at + 24, end)
    fields = tmap.fields
    provider = reader.value(fields.get("provider"), values)
    event_id = reader.value(fields.get("event_id"), values)
    if isinstance(event_id, str) and event_id.strip().isdigit():
        event_id = int(event_id)
    if not isinstance(provider, str) or not isinstance(event_id, int):
        return None
    if not want(provider, event_id):
        return None
    items, user = reader.data(tmap, values, end)
    level = reader.value(fields.get("level"), values)
    return RawEvent(
        provider=provider,
        event_id=event_id,
        record_id=record_id,
        time=reader.value(fields.get("time"), values),
        level=level if isinstance(level, int) else None,
        channel=reader.value(fields.get("channel"), values),
        computer=reader.value(fields.get("computer"), values),
        data=_assemble(items, user),
    )
