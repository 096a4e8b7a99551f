"""The `evtx` engine: the Rust `evtx` package (PyO3 bindings), fed only the chunks we want.

`evtx` is declared for Linux only (its import package collides with python-evtx's ``Evtx`` on
case-insensitive file systems), so it is imported lazily and its absence is normal.

The parser reads a file-like object, so the planned chunks are handed over as a small in-memory
EVTX: the original file header (its chunk count fixed, dirty flag cleared) followed by just
those chunks. Records keep their own ids, so nothing is renumbered. A chunk cut by a truncated
file is given a corrected free-space offset and zero padding, so its whole records are read; a
chunk trimmed by the pre-filter only a corrected header.
"""

from __future__ import annotations

import bisect
import importlib
import io
import json
import re
import struct
from collections.abc import Callable, Sequence
from typing import Any

from analyzer.readers.evtx.layout import (
    CHUNK_SIZE,
    FILE_HEADER_SIZE,
    FILE_MAGIC,
    Chunk,
)
from analyzer.readers.evtx.values import RawEvent, XmlNode, common_value, flatten_userdata

ENGINE = "evtx"
_REPEATED = re.compile(r"(.+)_\d+")
_DIGITS = re.compile(r"\d+")
_DECODER = json.JSONDecoder()
_PROVIDER_NAME = '"Provider":{"#attributes":{"Name":"'


def available() -> bool:
    try:
        importlib.import_module("evtx")
    except Exception:  # ImportError, or the package's own refusal beside python-evtx
        return False
    return True


def _header(count: int) -> bytes:
    head = bytearray(FILE_HEADER_SIZE)
    head[:8] = FILE_MAGIC
    struct.pack_into("<QQQIHHHH", head, 8, 0, max(count - 1, 0), 0, 128, 1, 3, 4096, count)
    return bytes(head)


def _image(buf: bytes, chunks: Sequence[Chunk]) -> bytearray:
    """A small EVTX of ``chunks``: a file header, then each chunk (copied once, into place)."""
    image = bytearray(FILE_HEADER_SIZE + CHUNK_SIZE * len(chunks))
    image[:FILE_HEADER_SIZE] = _header(len(chunks))
    view = memoryview(buf)
    try:
        for position, chunk in enumerate(chunks):
            at = FILE_HEADER_SIZE + position * CHUNK_SIZE
            size = chunk.end if chunk.truncated else min(CHUNK_SIZE, len(buf) - chunk.offset)
            image[at : at + size] = view[chunk.offset : chunk.offset + size]
            if chunk.truncated or chunk.trimmed or chunk.gaps:
                _fix(image, at, chunk)
    finally:
        view.release()
    return image


class _ImageFile(io.RawIOBase):
    """The in-memory log as a file the parser reads, without ``io.BytesIO``'s copy of it."""

    def __init__(self, image: bytearray) -> None:
        super().__init__()
        self.image = image
        self.at = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        count = max(min(len(target), len(self.image) - self.at), 0)
        target[:count] = self.image[self.at : self.at + count]
        self.at += count
        return count

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.at, io.SEEK_END: len(self.image)}[whence]
        self.at = max(base + offset, 0)
        return self.at

    def tell(self) -> int:
        return self.at


def _fix(image: bytearray, at: int, chunk: Chunk) -> None:
    """The header of a chunk cut by the file's end (zero padding after its whole records) or
    trimmed by the pre-filter (only the header says the records end earlier: templates past
    that point stay intact)."""
    struct.pack_into("<QQ", image, at + 24, chunk.first_id, chunk.last_id)
    struct.pack_into("<II", image, at + 44, chunk.last_record, chunk.end)
    # Records the pre-filter leaves out: the first of each run is given the size of the whole
    # run, so the parser steps over the run after that one record (which it still parses: the
    # bytes after its end-of-stream token are not looked at). Nothing else moves: templates and
    # names defined in the records left out stay where later records point at them.
    for start, end, _, _, _ in chunk.gaps:
        struct.pack_into("<I", image, at + start + 4, end - start)


def _data_of(event: dict[str, Any]) -> dict[str, Any] | list[Any]:
    """EventData (named or positional) or UserData, flattened to leaf values."""
    data = event.get("EventData")
    if isinstance(data, dict):
        if set(data) <= {"Data", "Binary", "#attributes"} and "Data" in data:
            items = data["Data"]
            if isinstance(items, dict):
                items = items.get("#text", [])
            items = items if isinstance(items, list) else [items]
            return [item if type(item) is int else common_value(item) for item in items]
        return {
            key: value if type(value) is int else common_value(value)
            for key, value in data.items()
            if key not in ("#attributes", "Binary") and not isinstance(value, dict)
        }
    user = event.get("UserData")
    if isinstance(user, dict):
        operation = next((key for key in user if key != "#attributes"), None)
        if operation is not None:
            return flatten_userdata(_xml_node(operation, user[operation]))
    return {}


def _xml_node(name: str, value: Any) -> XmlNode:
    """rust JSON of one element (attributes under ``#attributes``, text under ``#text``)."""
    node = XmlNode(name)
    if not isinstance(value, dict):
        node.text = value
        return node
    for key, item in value.items():
        if key == "#attributes" and isinstance(item, dict):
            node.attrs = list(item.items())
        elif key == "#text":
            node.text = item
        else:
            # evtx spells repeated elements (an array value) Name, Name_1, Name_2 ...
            repeated = _REPEATED.fullmatch(key)
            name = repeated.group(1) if repeated and repeated.group(1) in value else key
            for one in item if isinstance(item, list) else [item]:
                node.children.append(_xml_node(name, one))
    return node


def _head(text: str) -> tuple[str, int] | None:
    """Provider name and event id from evtx's JSON text without parsing it (str.find is far
    cheaper than json.loads); None when the text is not in the expected shape."""
    at = text.find(_PROVIDER_NAME)
    if at < 0:
        return None
    start = at + len(_PROVIDER_NAME)
    end = text.find('"', start)
    name = text[start:end]
    if end < 0 or "\\" in name:
        return None
    at = text.find('"EventID":', end)
    if at < 0:
        return None
    at += 10
    if text.startswith("{", at):
        at = text.find('"#text":', at)
        if at < 0:
            return None
        at += 8
    digits = _DIGITS.match(text, at)
    return (name, int(digits.group())) if digits else None


def _attr(node: Any, name: str) -> Any:
    if isinstance(node, dict):
        attrs = node.get("#attributes")
        if isinstance(attrs, dict):
            return attrs.get(name)
    return None


def _text(node: Any) -> Any:
    return node.get("#text") if isinstance(node, dict) else node


def read_chunks(
    buf: bytes,
    chunks: Sequence[Chunk],
    want: Callable[[str, int], bool],
    on_failure: Callable[[int | None, str], None],
    meta_record: int | None = None,
) -> tuple[list[RawEvent], dict[int, int], tuple[str | None, str | None]]:
    """Wanted events of ``chunks``; records read per chunk index; (channel, computer) of record
    ``meta_record`` (else of the first record). A record the parser rejects is reported through
    ``on_failure`` with the id after the last good record; the rest of its chunk is read by
    python-evtx."""
    evtx = importlib.import_module("evtx")
    parser = evtx.PyEvtxParser(_ImageFile(_image(buf, chunks)), number_of_threads=1)
    ranges = sorted((chunk.first_id, chunk.last_id, chunk.index) for chunk in chunks)
    firsts = [first for first, _, _ in ranges]
    current = (1, 0, -1)  # (first id, last id, chunk index) of the chunk being read
    counts: dict[int, int] = {}
    events: list[RawEvent] = []
    meta: tuple[str | None, str | None] = (None, None)
    last_id: int | None = None
    last_read: dict[int, int] = {}  # chunk index -> the last record id read in it
    records = parser.records_json()
    decided: dict[tuple[str, int], bool] = {}
    shapes: dict[tuple[str, int, str, str], RawEvent] = {}
    # (chunk index, id of the first record of a run left out) -> (records in it, last id)
    runs = {
        (chunk.index, first): (count, last)
        for chunk in chunks
        for _, _, first, last, count in chunk.gaps
    }
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except Exception as exc:  # the parser's own errors (RuntimeError) for one record
            on_failure(None if last_id is None else last_id + 1, str(exc).splitlines()[0][:200])
            continue
        record_id = record["event_record_id"]
        last_id = record_id
        if not current[0] <= record_id <= current[1]:  # records come chunk by chunk
            at = bisect.bisect_right(firsts, record_id) - 1
            current = ranges[at] if at >= 0 and record_id <= ranges[at][1] else (1, 0, -1)
        run = runs.get((current[2], record_id)) if runs else None
        if run is not None:  # stands for a run of records the pre-filter left out
            counts[current[2]] = counts.get(current[2], 0) + run[0]
            last_read[current[2]] = last_id = run[1]
            if meta == (None, None):
                system = json.loads(record["data"])["Event"]["System"]
                meta = (system.get("Channel"), system.get("Computer"))
            continue
        counts[current[2]] = counts.get(current[2], 0) + 1
        last_read[current[2]] = record_id
        text = record["data"]
        # Cheap look at provider and id first: most records of a chunk are not wanted.
        event: dict[str, Any] | None = None
        head = _head(text)
        if head is None:
            event = json.loads(text)["Event"]
            name = str(_attr(event["System"].get("Provider"), "Name") or "")
            number = _text(event["System"].get("EventID"))
            if not isinstance(number, int):
                continue
        else:
            name, number = head
        if meta == (None, None) or record_id == meta_record:
            event = event or json.loads(text)["Event"]
            meta = (event["System"].get("Channel"), event["System"].get("Computer"))
        wanted = decided.get((name, number))
        if wanted is None:
            wanted = decided[(name, number)] = want(name, number)
        if not wanted:
            continue
        raw = None if event else _fast_event(text, name, number, record_id, shapes)
        if raw is None:
            event = event or json.loads(text)["Event"]
            system = event["System"]
            raw = RawEvent(
                provider=name,
                event_id=number,
                record_id=record_id,
                time=_attr(system.get("TimeCreated"), "SystemTime"),
                level=_text(system.get("Level")),
                channel=system.get("Channel"),
                computer=system.get("Computer"),
                data=_data_of(event),
            )
        events.append(raw)
    # The crate ends a chunk at the first record it cannot read (a time out of its range, such as
    # year 30828; a size of 0 or past the chunk) and loses every later record of that chunk.
    # python-evtx reads the rest of such a chunk, going on after a damaged record.
    short = [chunk for chunk in chunks if counts.get(chunk.index, 0) < chunk.records]
    if short:
        from analyzer.readers.evtx import pyevtx_engine  # only then: it loads python-evtx

        after = {c.index: last_read[c.index] for c in short if c.index in last_read}

        def said_by_python_evtx(record_id: int | None, text: str) -> None:
            on_failure(record_id, f"{text} (python-evtx, reading the rest of the chunk)")

        more, more_counts, more_meta = pyevtx_engine.read_chunks(
            buf, short, want, said_by_python_evtx, meta_record, after
        )
        events.extend(more)
        for index, count in more_counts.items():
            counts[index] = counts.get(index, 0) + count
        if meta == (None, None):
            meta = more_meta
    return events, counts, meta


# Wanted records of one kind repeat their System part but for the time, the record id and the
# process: a Schannel-heavy log has tens of thousands of them. Up to this many kinds are kept.
MAX_SHAPES = 4096


def _fast_event(
    text: str,
    name: str,
    number: int,
    record_id: int,
    shapes: dict[tuple[str, int, str, str], RawEvent] | None = None,
) -> RawEvent | None:
    """A wanted record without decoding its System part: the few System values are read with
    ``str.find`` and only the EventData / UserData value is decoded (a Schannel-heavy log has
    ~60,000 wanted records, so this is written flat). A record whose text from ``Level`` to the
    time and from ``Channel`` to its end is one seen before (``shapes``) shares that record's
    values and data (the same object: nobody changes it). None when the text is not in the
    expected shape."""
    time = text.find('"SystemTime":"')
    level = text.find('"Level":')
    channel = text.find('"Channel":"')
    # Level and SystemTime belong to System, which comes first and ends after Channel.
    if channel < 0 or not 0 <= time < channel or not 0 <= level < channel:
        return None
    time += 14
    time_end = text.find('"', time)
    when = text[time:time_end]
    if "\\" in when:
        return None
    key = (name, number, text[level:time], text[channel:])
    seen = shapes.get(key) if shapes is not None else None
    if seen is not None:
        return RawEvent(
            name, number, record_id, when, seen.level, seen.channel, seen.computer, seen.data
        )
    channel += 11
    channel_end = text.find('"', channel)
    computer = text.find('"Computer":"', channel_end)
    if computer < 0:
        return None
    computer += 12
    computer_end = text.find('"', computer)
    level_digits = _DIGITS.match(text, level + 8)
    strings = text[channel:channel_end], text[computer:computer_end]
    if level_digits is None or "\\" in "".join(strings):
        return None
    event: dict[str, Any] = {}
    for part in ("EventData", "UserData"):
        at = text.find(f',"{part}":', computer_end)
        if at >= 0:
            try:
                event[part] = _DECODER.raw_decode(text, at + len(part) + 4)[0]
            except ValueError:
                return None
            break
    raw = RawEvent(
        name,
        number,
        record_id,
        when,
        int(level_digits.group()),
        strings[0],
        strings[1],
        _data_of(event),
    )
    if shapes is not None and len(shapes) < MAX_SHAPES:
        shapes[key] = raw
    return raw
