"""The versioned JSON contracts, in one place, deterministic to the byte.

Records are turned into plain data here (enums to their values, tuples to lists, `Source` to
``{"path", "line"|"record"}``); keys are sorted so that the same inputs always give the same bytes.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
from collections.abc import Callable
from enum import Enum
from typing import Any

from analyzer import __version__
from analyzer.gcpause import gc_paused
from analyzer.model import Analysis, Message, ReadResult, Source
from analyzer.readers import record_types
from analyzer.readers.records import event_sort_key

CERTUTIL_SCHEMA = "certtriage.certutil/1"
EVENTS_SCHEMA = "certtriage.events/1"
ANALYSIS_SCHEMA = "certtriage.analysis/1"

TOOL = {"name": "certtriage", "version": __version__}
# Characters `json.dumps(ensure_ascii=False)` leaves raw that a terminal acts on (DEL, C1
# controls) or that reorder or break displayed lines; inside a JSON string, ``\uXXXX`` is the
# same value.
_RAW_CONTROLS = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


_SCALARS = (str, int, bool, type(None))


class _Float(float):
    """A float of a record. The fast encoder refuses float subclasses, so an item holding one is
    written by the standard encoder: the two spell some floats differently (1e-05, NaN)."""


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


_CONVERTERS: dict[type, Callable[[Any], dict[str, Any]]] = {}
_SCALAR_TYPES = frozenset(_SCALARS)


def _converter(cls: type) -> Callable[[Any], dict[str, Any]]:
    """``plain()`` of one record class, made once per class: a function that reads each field
    and keeps a scalar as it is (no call per field: tens of thousands of events), turns a
    `Source` into its object and a dict of scalars into a copy, and hands anything else to
    ``plain``. The same data as the generic walk, field by field."""
    convert = _CONVERTERS.get(cls)
    if convert is not None:
        return convert
    names = _field_names(cls)
    lines = ["def convert(record):"]
    for number, name in enumerate(names):
        value = f"v{number}"
        lines.append(f"    {value} = record.{name}")
        lines.append(
            f"    if type({value}) not in scalars: {value} = source({value}) "
            f"if type({value}) is Source else flat({value}) if type({value}) is dict "
            f"else plain({value})"
        )
    items = ", ".join(f"{name!r}: v{number}" for number, name in enumerate(names))
    lines.append(f"    return {{{items}}}")
    scope: dict[str, Any] = {
        "scalars": _SCALAR_TYPES,
        "Source": Source,
        "source": _source,
        "flat": _flat,
        "plain": plain,
    }
    # Code made from the class's own field names (identifiers), nothing from input data.
    exec("\n".join(lines), scope)
    made: Callable[[Any], dict[str, Any]] = scope["convert"]
    _CONVERTERS[cls] = made
    return made


def _source(value: Source) -> dict[str, Any]:
    out: dict[str, Any] = {"path": value.path}
    if value.line is not None:
        out["line"] = value.line
    if value.record is not None:
        out["record"] = value.record
    return out


def _flat(value: dict[Any, Any]) -> dict[str, Any]:
    """``plain()`` of a dict: a copy when its keys are text and its values scalars."""
    for key, item in value.items():
        if type(key) is not str or type(item) not in _SCALAR_TYPES:
            return {str(k): plain(v) for k, v in value.items()}
    return dict(value)


def plain(value: Any) -> Any:
    """Turn records into JSON-ready data."""
    # Exact type checks first: this runs once per field of tens of thousands of events, and
    # str-based enums must still go through `.value` below.
    if type(value) in _SCALARS:
        return value
    if type(value) is float:
        return _Float(value)
    if isinstance(value, Source):
        return _source(value)
    if isinstance(value, Message):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _converter(type(value))(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def diagnostic(message: Message) -> dict[str, Any]:
    """One `diagnostics[]` item: the message of the same index in `messages`, as data."""
    return {
        "level": message.level.value,
        "code": message.code,
        "text": message.text,
        "source": plain(message.source),
    }


def input_entry(result: ReadResult) -> dict[str, Any]:
    """The `inputs[]` entry shared by every contract."""
    entry: dict[str, Any] = {
        "path": result.path,
        "kind": result.kind,
        "status": result.status.value,
        "messages": [str(m) for m in result.messages],
        "diagnostics": [diagnostic(m) for m in result.messages],
    }
    if result.encoding is not None:
        entry["encoding"] = result.encoding
    if result.engine is not None:
        entry["engine"] = result.engine
    if result.coverage is not None:
        entry["coverage"] = plain(result.coverage)
    return entry


def _stdlib_compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _fast_encoder() -> Any:
    try:
        return importlib.import_module("orjson")
    except ImportError:  # optional: the standard encoder gives the same bytes, slower
        return None


_ORJSON = _fast_encoder()
# In what orjson writes, the only spellings that can differ from json.dumps: a float near zero
# (orjson 0.00001 or 1e-7, json 1e-05 or 1e-07). Either substring sends the item to json.dumps
# (in text it costs only that item a slower encoding).
_FLOAT_SPELLINGS = (b"e-", b"0.0000")


def _compact(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``, to the
    byte, by orjson where it is installed. What orjson refuses (a float of a record: see _Float;
    an integer beyond 64 bits, a lone surrogate, a key that is not a string) and what it might
    spell otherwise goes to json.dumps. A float that does not come through ``plain()`` is
    written by orjson: a NaN or infinity there would be ``null`` (json.dumps: ``NaN``)."""
    if _ORJSON is not None:
        try:
            out = _ORJSON.dumps(value, option=_ORJSON.OPT_SORT_KEYS)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            return _stdlib_compact(value)
        if _FLOAT_SPELLINGS[0] not in out and _FLOAT_SPELLINGS[1] not in out:
            return str(out, "utf-8")
    return _stdlib_compact(value)


def dumps(document: dict[str, Any]) -> str:
    """Sorted keys, one top-level member per line and one record per line inside the top-level
    lists: readable and greppable, and fast (``indent=`` would switch json to its slow
    pure-Python encoder, seconds on a 60,000-event log)."""
    members = []
    for key in sorted(document):
        value = document[key]
        # Escaped piece by piece (the same as the whole: one character at a time), so that one
        # record with a non-ASCII character costs the escape pass only that record.
        if isinstance(value, list) and value:
            items = ",\n".join(_escaped(_compact(item)) for item in value)
            members.append(f"{_escaped(_compact(key))}:[\n{items}\n]")
        else:
            members.append(f"{_escaped(_compact(key))}:{_escaped(_compact(value))}")
    return "{\n" + ",\n".join(members) + "\n}\n"


def _escaped(text: str) -> str:
    """json escapes C0 controls itself; the rest of what a terminal would act on is escaped
    here (one character at a time: any piece of a document can be escaped on its own)."""
    if text.isascii() and "\x7f" not in text:  # the common case, at C speed
        return text
    return _RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class CertutilStream:
    """`dumps(certutil_document(results))`, to the byte, written as the certificates come (a
    reader's ``ReadOptions.certificates``): "certificates" is the document's first member, so
    each batch goes out at once and only the other members wait for the end (`finish`)."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self.count = 0

    def add(self, certificates: list[Any]) -> None:
        if not certificates:
            return
        items = _escaped(",\n".join(_compact(plain(c)) for c in certificates))
        self.write(('{\n"certificates":[\n' if self.count == 0 else ",\n") + items)
        self.count += len(certificates)

    def finish(self, results: list[ReadResult]) -> None:
        """The rest of the document; certificates left on ``results`` (not streamed) too."""
        for result in results:
            self.add(result.certificates)
        document = certutil_document(results)
        del document["certificates"]
        assert all(key > "certificates" for key in document)
        head = '{\n"certificates":[]' if self.count == 0 else "\n]"
        self.write(head + ",\n" + dumps(document).removeprefix("{\n"))


def certutil_document(results: list[ReadResult]) -> dict[str, Any]:
    return {
        "schema": CERTUTIL_SCHEMA,
        "tool": TOOL,
        "inputs": [input_entry(r) for r in results],
        "certificates": [plain(c) for r in results for c in r.certificates],
    }


def events_document(results: list[ReadResult]) -> dict[str, Any]:
    events = sorted((e for r in results for e in r.events), key=event_sort_key)
    with gc_paused():  # tens of thousands of small dicts, none in a cycle
        return {
            "schema": EVENTS_SCHEMA,
            "tool": TOOL,
            "inputs": [input_entry(r) for r in results],
            "events": [plain(e) for e in events],
        }


# The analysis document's own members; a record type's json_key may be none of these.
ANALYSIS_MEMBERS = frozenset(
    [
        *("schema", "tool", "options", "verdict", "inputs"),
        *("diagnoses", "not_checked", "ask_for", "correlation"),
    ]
)


def analysis_document(analysis: Analysis) -> dict[str, Any]:
    """`certtriage.analysis/1`: diagnoses in verdict order (the first is the verdict), then one
    list per record type the readers declare, under its ``json_key`` (docs/readers.md)."""
    document: dict[str, Any] = {
        "schema": ANALYSIS_SCHEMA,
        "tool": TOOL,
        "options": {"thumbprint": analysis.thumbprint, "at": analysis.at},
        "verdict": analysis.diagnoses[0].id if analysis.diagnoses else None,
        "inputs": [input_entry(r) for r in sorted(analysis.inputs, key=lambda r: r.path)],
        "diagnoses": [plain(d) for d in analysis.diagnoses],
        "not_checked": [plain(n) for n in analysis.not_checked],
        "ask_for": [plain(a) for a in analysis.ask_for],
        "correlation": plain(analysis.context),
    }
    for record_type in record_types():
        if record_type.json_key in ANALYSIS_MEMBERS:
            raise ValueError(f"record key {record_type.json_key!r} is an analysis member")
        records: list[Any] = analysis.records(record_type.cls)
        if records or record_type.json_when_empty:
            if record_type.json_order is not None:
                records = sorted(records, key=record_type.json_order)
            document[record_type.json_key] = [plain(r) for r in records]
    return document
