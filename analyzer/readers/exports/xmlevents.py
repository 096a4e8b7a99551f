"""Event XML as wevtutil, Event Viewer and `Get-WinEvent ... ToXml()` write it.

One `<Event>`, many, or an `<Events>` root, with the events namespace or without. Each event is
parsed on its own, so a truncated or damaged event costs only itself. Parsing goes through
defusedxml: a document that declares entities (billion laughs) or refers to external ones is
refused as a whole, with a message, and nothing is ever expanded or fetched.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analyzer.errors import InputError
from analyzer.knowledge.eventfields import is_wanted
from analyzer.readers.exports.common import RawRecord

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

# defusedxml (and the expat parser under it) is imported when an event is parsed, not when the
# reader registry asks the sniffers (tests/readers/test_reader_imports.py).

EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
_EVENT_START = re.compile(r"<(?:[\w.-]+:)?Event(?=[\s>/])")
_EVENT_END = re.compile(r"</(?:[\w.-]+:)?Event\s*>")
_DECLARATIONS = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
MAX_USERDATA_FIELDS = 200
_TAG = r"<(?:[\w.-]+:)?"
_SKIM_PROVIDER = re.compile(_TAG + r"Provider\s[^>]*?\bName=(['\"])(.*?)\1")
_SKIM_EVENT_ID = re.compile(_TAG + r"EventID(?:\s[^>]*)?>\s*(\d{1,10})\s*<")
_SKIM_TIME = re.compile(_TAG + r"TimeCreated\s[^>]*?\bSystemTime=(['\"])(.*?)\1")
_SKIM_RECORD_ID = re.compile(_TAG + r"EventRecordID>\s*(\d{1,20})\s*<")
_SKIM_COMPUTER = re.compile(_TAG + r"Computer>([^<]*)<")
_SKIM_CHANNEL = re.compile(_TAG + r"Channel>([^<]*)<")
CUT_OFF = "the event is cut off (no </Event>)"


@dataclass(frozen=True)
class XmlEvent:
    """One `<Event>` found in a text: where it is and what it says (None when unreadable)."""

    start: int
    end: int
    line: int
    record: RawRecord | None
    problem: str | None = None


def _unescape(text: str) -> str:
    """``xml.sax.saxutils.unescape`` (the three entities, ``&amp;`` last), without importing
    xml.sax, which pulls urllib.request, http.client and email in at start-up."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(parent: Element | None, name: str) -> Element | None:
    if parent is None:
        return None
    for child in parent:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip()


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    try:
        return int(value, 16) if value.lower().startswith("0x") else int(value)
    except ValueError:
        return None


# An XML *view* (Event Viewer's "XML View" tab, a browser showing an .xml file) puts "- " (or
# "+ " when collapsed) before every element that has children; copying it keeps the marks.
_VIEW_MARK = re.compile(r"^([ \t]*)([-+]) (?=<)", re.MULTILINE)


def strip_view_marks(text: str) -> tuple[str, int]:
    """``text`` without the expand/collapse marks of an XML view (each replaced by spaces, so
    that offsets and line numbers stay), and how many elements were shown collapsed (``+``):
    a collapsed element's children were not on screen, so they are not in the copy."""
    if "- <" not in text and "+ <" not in text:
        return text, 0
    collapsed = 0

    def blank(match: re.Match[str]) -> str:
        nonlocal collapsed
        collapsed += match.group(2) == "+"
        return match.group(1) + "  "

    return _VIEW_MARK.sub(blank, text), collapsed


def refuse_declarations(text: str, path: str) -> None:
    """A DTD or entity declaration never occurs in a real event export: let defusedxml judge the
    document and refuse it with a clear message when it declares or references entities."""
    if not _DECLARATIONS.search(text):
        return
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as safe_et
    from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden

    try:
        safe_et.fromstring(text.encode("utf-8"), forbid_dtd=False)
    except EntitiesForbidden as exc:
        raise InputError(
            f"{path}: XML refused: it declares entities ({exc.name}); they are never expanded",
            code="export.xml-refused",
        ) from None
    except DTDForbidden:
        raise InputError(
            f"{path}: XML refused: it carries a document type declaration",
            code="export.xml-refused",
        ) from None
    except DefusedXmlException as exc:
        raise InputError(
            f"{path}: XML refused: {type(exc).__name__} ({exc})", code="export.xml-refused"
        ) from None
    except ParseError:
        # A damaged document with a declaration: refuse rather than guess what it meant.
        raise InputError(
            f"{path}: XML refused: it has a document type declaration and does not parse",
            code="export.xml-refused",
        ) from None


def _event_data(event: Element) -> dict[str, Any] | list[Any]:
    data = _child(event, "EventData")
    if data is not None:
        values = [(d.get("Name"), d.text or "") for d in data if _local(d.tag) == "Data"]
        if values and all(name for name, _ in values):
            return {name: value for name, value in values if name}
        if any(name for name, _ in values):
            return {name or f"param{i + 1}": value for i, (name, value) in enumerate(values)}
        return [value for _, value in values]
    user = _child(event, "UserData")
    operation = next(iter(user), None) if user is not None else None
    if operation is None:
        return {}
    flat: dict[str, Any] = {"Operation": _local(operation.tag)}

    def walk(element: Element, prefix: str) -> None:
        for name, value in sorted(element.attrib.items()):
            if len(flat) < MAX_USERDATA_FIELDS:
                flat[f"{prefix}.{_local(name)}" if prefix else _local(name)] = value
        if prefix and element.text and element.text.strip() and len(flat) < MAX_USERDATA_FIELDS:
            flat[prefix] = element.text.strip()
        for child in element:
            key = f"{prefix}.{_local(child.tag)}" if prefix else _local(child.tag)
            while key in flat:
                key += "_"
            walk(child, key)

    walk(operation, "")
    return flat


def record_of(event: Element, line: int | None) -> RawRecord:
    """The fields of one parsed `<Event>` element; raises ValueError when it has no id."""
    system = _child(event, "System")
    provider_el = _child(system, "Provider")
    provider = ""
    if provider_el is not None:
        provider = provider_el.get("Name") or provider_el.get("EventSourceName") or ""
    event_id = _int(_text(_child(system, "EventID")))
    if event_id is None or not provider:
        raise ValueError("the event has no provider name or no numeric EventID")
    created = _child(system, "TimeCreated")
    rendering = _child(event, "RenderingInfo")
    message = _text(_child(rendering, "Message"))
    return RawRecord(
        provider=provider,
        event_id=event_id,
        line=line,
        time=created.get("SystemTime") if created is not None else None,
        record_id=_int(_text(_child(system, "EventRecordID"))),
        computer=_text(_child(system, "Computer")),
        channel=_text(_child(system, "Channel")),
        level=_int(_text(_child(system, "Level"))),
        data=_event_data(event),
        message=message or None,
    )


def _skim(segment: str, line: int) -> RawRecord | None:
    """The System fields of an event no reader keeps, read without building a tree (most of a
    System log is such events); None when the event is wanted or does not look plain."""
    provider = _SKIM_PROVIDER.search(segment)
    event_id = _SKIM_EVENT_ID.search(segment)
    if not provider or not event_id:
        return None
    name = _unescape(provider.group(2))
    if not name or is_wanted(name, int(event_id.group(1))):
        return None

    def field(pattern: re.Pattern[str]) -> str | None:
        found = pattern.search(segment)
        return _unescape(found.group(found.lastindex or 0)).strip() if found else None

    record_id = field(_SKIM_RECORD_ID)
    return RawRecord(
        provider=name,
        event_id=int(event_id.group(1)),
        line=line,
        time=field(_SKIM_TIME),
        record_id=int(record_id) if record_id else None,
        computer=field(_SKIM_COMPUTER) or None,
        channel=field(_SKIM_CHANNEL) or None,
    )


def _parse(segment: str, start: int, end: int, line: int) -> XmlEvent:
    skimmed = _skim(segment, line)
    if skimmed is not None:
        return XmlEvent(start, end, line, skimmed)
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as safe_et
    from defusedxml import DefusedXmlException

    try:
        element = safe_et.fromstring(segment.encode("utf-8"))
        return XmlEvent(start, end, line, record_of(element, line))
    except ParseError as exc:
        return XmlEvent(start, end, line, None, f"bad XML: {exc}")
    except DefusedXmlException as exc:
        return XmlEvent(start, end, line, None, f"XML refused: {exc}")
    except ValueError as exc:
        return XmlEvent(start, end, line, None, str(exc))


def find_events(text: str, first_line: int = 1) -> Iterator[XmlEvent]:
    """Every `<Event>...</Event>` in ``text`` (an XML file or the XML part of a text copy).

    Each end tag closes the last start tag before it; earlier unclosed starts are cut-off
    events. Every search moves forward, so the walk is linear in the text."""
    position = 0
    line = first_line
    counted_to = 0

    def line_at(offset: int) -> int:
        nonlocal line, counted_to
        line += text.count("\n", counted_to, offset)
        counted_to = offset
        return line

    while True:
        start = _EVENT_START.search(text, position)
        if not start:
            return
        end = _EVENT_END.search(text, start.end())
        if not end:
            yield XmlEvent(start.start(), len(text), line_at(start.start()), None, CUT_OFF)
            return
        starts = [start, *_EVENT_START.finditer(text, start.end(), end.start())]
        for unclosed, following in itertools.pairwise(starts):
            yield XmlEvent(
                unclosed.start(), following.start(), line_at(unclosed.start()), None, CUT_OFF
            )
        last = starts[-1]
        yield _parse(text[last.start() : end.end()], last.start(), end.end(), line_at(last.start()))
        position = end.end()
