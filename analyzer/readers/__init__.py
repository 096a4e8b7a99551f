"""Readers: one module per input kind; bytes in, typed records and messages out.

Each reader module registers a `ReaderSpec` (its kind, sniffer, read function and the
`RecordType`s it produces). Every module and package of ``analyzer/readers/`` is imported
when the registry is first asked for, so a new reader is one new file and no list to edit.
`detect()` asks every registered reader how sure it is that a file is its kind (from content;
the file name is only a tie-breaker) and picks the surest. Readers never print and never raise
for a bad line or record: they record a `Message` and go on; they raise `CerttriageError` only
when a whole input is unusable.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from analyzer.inputs.decode import DecodedText, decode_bytes
from analyzer.inputs.files import InputFile
from analyzer.model import Certificate, ReadResult, RecordType

SNIFF_BYTES = 65536
CERTAIN = 100  # the highest sniff score: the first kind that gives it wins


@dataclass(frozen=True)
class Sample:
    """What a sniffer sees: the first bytes, their decoding when they look like text, the name."""

    head: bytes
    text: DecodedText | None
    name: str
    size: int


@dataclass(frozen=True)
class ReadOptions:
    """Choices the user makes that readers honour."""

    engine: str | None = None  # evtx engine: "evtx" | "python-evtx" | None (the default)
    # Where a reader that can hand its certificates over as it reads puts them (in batches, once
    # each file is read whole) instead of keeping them on the result: `certutil --json` streams
    # them out with bounded memory (readers/certutil/stream.py). None: on the result.
    certificates: Callable[[list[Certificate]], None] | None = None


@dataclass(frozen=True)
class ReaderSpec:
    kind: str  # "certutil", "evtx", "evtx-xml", ...
    sniff: Callable[[Sample], int]  # 0 = not mine .. 100 = certainly mine
    read: Callable[[InputFile, ReadOptions], ReadResult]
    description: str = ""
    records: tuple[RecordType, ...] = ()  # the record types its results hold
    # A check across one ticket's inputs, run while the files' bytes still exist (a collector
    # manifest's SHA-256 of each file beside it): (every result, every file) -> None.
    check_inputs: Callable[[list[ReadResult], Sequence[InputFile]], None] | None = None
    # Leading bytes that make a file certainly this kind (its sniffer gives CERTAIN for them):
    # such a file is taken without its head being decoded as text or any sniffer being asked
    # (a binary event log decodes as UTF-16-like garbage that text sniffers would scan).
    magic: tuple[bytes, ...] = ()


_REGISTRY: dict[str, ReaderSpec] = {}
_loaded = False


def register(spec: ReaderSpec) -> ReaderSpec:
    """Add a reader; a kind registered twice, or a record type declared two ways (one class
    under two keys, one key for two classes), is a programming error."""
    if spec.kind in _REGISTRY and _REGISTRY[spec.kind] is not spec:
        raise ValueError(f"reader kind {spec.kind!r} is registered twice")
    for declared in spec.records:
        for other in (r for s in _REGISTRY.values() for r in s.records):
            if (other.cls is declared.cls or other.json_key == declared.json_key) and (
                other != declared
            ):
                raise ValueError(
                    f"record type {declared.cls.__name__} ({declared.json_key!r}) of reader "
                    f"{spec.kind!r} conflicts with {other.cls.__name__} ({other.json_key!r})"
                )
    _REGISTRY[spec.kind] = spec
    return spec


def reader_modules() -> list[str]:
    """Every module and package directly inside ``analyzer/readers/``, by name."""
    return sorted(f"{__name__}.{info.name}" for info in pkgutil.iter_modules(__path__))


def registry() -> dict[str, ReaderSpec]:
    global _loaded
    if not _loaded:
        for module in reader_modules():
            importlib.import_module(module)
        _loaded = True
    return dict(_REGISTRY)


def record_types() -> tuple[RecordType, ...]:
    """Every record type a registered reader declares, once each, in the order of the reader
    kinds' names (the order of the report's counts; JSON keys are sorted anyway)."""
    found: dict[type, RecordType] = {}
    for _, spec in sorted(registry().items()):
        for record_type in spec.records:
            found.setdefault(record_type.cls, record_type)
    return tuple(found.values())


def kinds_reading(cls: type) -> frozenset[str]:
    """The reader kinds whose results can hold ``cls`` records."""
    return frozenset(
        kind for kind, spec in registry().items() if any(r.cls is cls for r in spec.records)
    )


def _looks_binary(head: bytes) -> bool:
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return False
    sample = head[:4096]
    nul = sample.count(0)
    # UTF-16 text has NULs in every other byte and nearly nowhere else.
    if nul and (
        sample[1::2].count(0) > len(sample) * 0.4 or sample[0::2].count(0) > len(sample) * 0.4
    ):
        return False
    return nul > 0


def sample_of(file: InputFile, head: bytes | None = None) -> Sample:
    head = file.head(SNIFF_BYTES) if head is None else head
    text = None if _looks_binary(head) else decode_bytes(head)
    return Sample(head, text, file.display.rsplit("/", 1)[-1], file.size)


def detect(file: InputFile, only: tuple[str, ...] | None = None) -> ReaderSpec | None:
    """The reader surest that ``file`` is its kind, or None when none claims it."""
    head = file.head(SNIFF_BYTES)
    specs = registry()
    kinds = [kind for kind in sorted(specs) if only is None or kind in only]
    for kind in kinds:
        if specs[kind].magic and head.startswith(specs[kind].magic):
            return specs[kind]
    sample = sample_of(file, head)
    best: tuple[int, str] | None = None
    for kind in kinds:
        spec = specs[kind]
        score = spec.sniff(sample)
        if score > 0 and (best is None or score > best[0]):
            best = (score, kind)
            if score >= CERTAIN:
                break  # no later kind can be surer: a binary log is not scanned as text
    return specs[best[1]] if best else None
