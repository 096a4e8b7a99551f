"""The chunk pre-filter: which chunks can hold an event certtriage wants.

Every record names its provider in UTF-16LE inside its own chunk: as a substitution value of the
record (modern logs share one System template across providers) or as literal text of a
template defined in the same chunk (templates are chunk-relative). So a chunk whose record area
lacks every wanted provider name holds no wanted event and need not be parsed. A hit is only a
candidate (the engine decides); hits past a chunk's free-space offset are slack (stale bytes the
engines never read) and are ignored.

Provider names are searched over the whole buffer at C speed and hits mapped to chunk slots.
Boot events are wanted only for the LAST boot: the same pass marks the chunks that hold a boot
marker, and the reader visits those from the newest backwards, so the many EventLog chunks of a
long log (the daily 6013) cost nothing and a boot far back costs no extra scan.
"""

from __future__ import annotations

import importlib
import re
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from analyzer.readers.evtx.layout import (
    CHUNK_HEADER_SIZE,
    CHUNK_SIZE,
    RECORD_HEADER_SIZE,
    RECORD_MAGIC,
    Chunk,
    Layout,
)


def _needle(name: str) -> bytes:
    # Without the last NUL byte: a shorter needle ending in a letter searches faster, and still
    # cannot miss the UTF-16LE name.
    return name.encode("utf-16-le")[:-1]


def _utf16(name: str) -> bytes:
    return re.escape(name.encode("utf-16-le"))


# Provider names of the findings (see analyzer.knowledge.eventfields.WANTED). W3SVC logs as
# Microsoft-Windows-IIS-W3SVC (-WP), HttpEvent as Microsoft-Windows-HttpEvent (EventSourceName
# "HTTP" sits beside it).
SCHANNEL = "Schannel"
MANIFEST_PREFIX = "Microsoft-Windows-"
MANIFEST_PROVIDERS = ("HttpEvent", "IIS-W3SVC", "TerminalServices-RemoteConnectionManager", "ADFS")
# CAPI2 70 is written only to the CAPI2 Operational log, whose channel name every chunk holds.
CAPI2 = "CAPI2"
CAPI2_CHANNEL = _needle("Microsoft-Windows-CAPI2/Operational")
# Exchange's classic transport sources (Application log): "MSEx" before the pivot letter.
EXCHANGE_PROVIDERS = ("MSExchangeTransport", "MSExchangeFrontEndTransport")
EXCHANGE_HEAD = "MSEx"
# AD FS's own logs ("AD FS/Admin", AD FS 2.0's "AD FS 2.0/Admin") hold only AD FS events, under
# provider names without the pivot letter ("AD FS"): such a log is small and read whole.
WHOLE_LOG_CHANNELS: tuple[bytes, ...] = (_needle("AD FS/Admin"), _needle("AD FS 2.0/Admin"))

# SQL Server logs to the Application log under its service name, MSSQLSERVER or MSSQL$<instance>:
# no pivot letter, and no fixed name. Chunks of the Application log (its channel name is in the
# newest chunk) are searched for "MSSQL" on their own (`sql_server_chunks`); those chunks are read
# whole. A hit is only a candidate, as for the other names.
APPLICATION_CHANNEL = _needle("Application")
SQL_SERVER_NEEDLE = _needle("MSSQL")

# A boot writes Kernel-General 12 (Windows 7 / 2008 R2 on) and EventLog 6009, whose data
# carries the kernel type "Multiprocessor Free" / "Uniprocessor Free".
BOOT_MARKERS: tuple[bytes, ...] = (_needle("Kernel-General"), _needle("processor"))
# Other boot events (6005, 6008) come from EventLog, a few seconds after the marker.
BOOT_COMPANION = _needle("EventLog")


# All finding names are searched in ONE pass of the regular-expression engine: it scans at C
# speed only for a literal prefix (every other byte of a UTF-16 name is NUL, which defeats
# ``bytes.find``'s skipping, and an alternation without a common prefix is ten times slower).
# The names share no prefix, but "Schannel" and "Microsoft-Windows-" share the letter "c", so the
# pattern starts there and the letters before it ("S", "Mi") are checked at each hit (cheaper
# than a look-behind in the pattern; hits that fail are all but nonexistent).
PIVOT = "c"


@dataclass(frozen=True)
class FindingSearch:
    pattern: re.Pattern[bytes]
    heads: tuple[bytes, ...]  # per group of ``pattern``: the bytes that must precede the hit
    boot_groups: frozenset[int] = frozenset()  # groups that match a boot marker, not a finding
    # The same names whole, for the native scanner: (UTF-16LE name, is a boot marker).
    literals: tuple[tuple[bytes, bool], ...] = field(default=())

    def name_start(self, buf: bytes, match: re.Match[bytes]) -> int | None:
        """Where the whole name of ``match`` starts, or None when it is not a wanted name."""
        head = self.heads[(match.lastindex or 1) - 1]
        start = match.start() - len(head)
        return start if start >= 0 and buf[start : match.start()] == head else None

    def is_boot(self, match: re.Match[bytes]) -> bool:
        return match.lastindex in self.boot_groups


def _split(name: str) -> tuple[bytes, bytes]:
    """(UTF-16LE text before the pivot letter, pattern of the text after it)."""
    cut = name.index(PIVOT)
    return name[:cut].encode("utf-16-le"), _utf16(name[cut + 1 :])


# The boot markers ride on the same pass: Kernel-General 12's provider name and 6009's
# "...processor Free" both hold the pivot letter, so finding where the last boot is costs no
# second scan of the file (a log whose last boot is far back would otherwise pay one).
BOOT_PROVIDER = MANIFEST_PREFIX + "Kernel-General"
BOOT_DATA = "processor"


def finding_search(capi2_log: bool) -> FindingSearch:
    """The provider-name search (CAPI2's only in the CAPI2 Operational log), with the boot
    markers as their own groups. Kernel-General shares the "Microsoft-Windows-" branch, so that
    prefix is matched once per hit."""
    names = MANIFEST_PROVIDERS + ((CAPI2,) if capi2_log else ())
    schannel_head, schannel_tail = _split(SCHANNEL)
    manifest_head, manifest_tail = _split(MANIFEST_PREFIX)
    kernel = _utf16(BOOT_PROVIDER[len(MANIFEST_PREFIX) :])
    data_head, data_tail = _split(BOOT_DATA)
    pattern = (
        _utf16(PIVOT)
        + b"(?:("
        + schannel_tail
        + b")|"
        + manifest_tail
        + b"(?:("
        + b"|".join(map(_utf16, names))
        + b")|("
        + kernel
        + b"))|("
        + data_tail
        + b")|("
        + b"|".join(_utf16(name[len(EXCHANGE_HEAD) + 1 :]) for name in EXCHANGE_PROVIDERS)
        + b"))"
    )
    literals = (
        (SCHANNEL.encode("utf-16-le"), False),
        *((f"{MANIFEST_PREFIX}{name}".encode("utf-16-le"), False) for name in names),
        (BOOT_PROVIDER.encode("utf-16-le"), True),
        (BOOT_DATA.encode("utf-16-le"), True),
        *((name.encode("utf-16-le"), False) for name in EXCHANGE_PROVIDERS),
    )
    return FindingSearch(
        re.compile(pattern),
        (
            schannel_head,
            manifest_head,
            manifest_head,
            data_head,
            EXCHANGE_HEAD.encode("utf-16-le"),
        ),
        frozenset({3, 4}),
        literals,
    )


@dataclass(frozen=True)
class ChunkHits:
    """``boots`` holds the chunks where the pass saw a boot marker before any finding name; a
    finding chunk is skipped after its first finding, so a marker later in it is not seen:
    ask ``may_hold_boot``."""

    findings: set[int]  # chunks that can hold a finding
    boots: set[int]  # chunks seen to hold a boot marker (Kernel-General 12, EventLog 6009)

    def may_hold_boot(self, buf: bytes, chunk: Chunk) -> bool:
        if chunk.index in self.boots:
            return True
        return chunk.index in self.findings and holds(buf, chunk, BOOT_MARKERS)


def chunks_with(buf: bytes, layout: Layout, search: FindingSearch) -> ChunkHits:
    """Physical indexes of chunks whose record area holds a finding's provider name, and of
    those that hold a boot marker, from one pass over the buffer: Hyperscan's multi-literal
    scan where it is installed and the log is not dense with findings, else the regex pass."""
    hits = native_chunks_with(buf, layout, search)
    return hits if hits is not None else regex_chunks_with(buf, layout, search)


# Hyperscan calls back into Python on every hit: past this many finding hits per chunk scanned
# (a Schannel-heavy log has hundreds) the regex pass, which leaves a chunk at its first finding,
# is the faster one, and the scan stops.
NATIVE_MAX_HITS_PER_CHUNK = 4
NATIVE_MIN_HITS = 256
# Importing Hyperscan and compiling the names costs about 20 ms of CPU once per process; its pass
# saves about 0.35 ms per MB over the regex pass (bench/bench_full.py). Below this size a process
# that has not loaded it yet does better without it.
NATIVE_MIN_BYTES = 48 * 1024 * 1024


@lru_cache(maxsize=4)
def _native_database(literals: tuple[tuple[bytes, bool], ...]) -> tuple[Any, Any, Any] | None:
    """Hyperscan, a compiled database of ``literals`` and its scratch space, or None when the
    optional `hyperscan` wheel is missing (Windows, other machines): the regex pass is used."""
    try:
        hyperscan = importlib.import_module("hyperscan")
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        database.compile(
            expressions=[b"".join(b"\\x%02x" % byte for byte in name) for name, _ in literals],
            ids=list(range(len(literals))),
            elements=len(literals),
        )
        return hyperscan, database, hyperscan.Scratch(database)
    except Exception:  # ImportError, or a library that cannot run on this processor
        return None


def native_chunks_with(
    buf: bytes, layout: Layout, search: FindingSearch, min_bytes: int = NATIVE_MIN_BYTES
) -> ChunkHits | None:
    """``chunks_with`` by one Hyperscan pass over every hit of every name; None when Hyperscan
    is not there or the log is dense with findings. A hit counts where the whole name starts in
    a chunk's record area (after the header, before the free-space offset), as in the regex
    pass; a boot marker anywhere there marks the chunk (``may_hold_boot`` gives the same answer
    as after the regex pass, which stops looking in a chunk at its first finding). Used for a
    buffer of ``min_bytes`` or more, or once Hyperscan is loaded (a triage worker)."""
    if not search.literals or (len(buf) < min_bytes and "hyperscan" not in sys.modules):
        return None
    native = _native_database(search.literals)
    if native is None:
        return None
    hyperscan, database, scratch = native
    sizes = [len(name) for name, _ in search.literals]
    boot_ids = {i for i, (_, boot) in enumerate(search.literals) if boot}
    findings: list[int] = []  # start offsets of finding names
    boots: list[int] = []
    base = layout.base

    def on_hit(pattern: int, _start: int, end: int, _flags: int, _context: object) -> bool:
        if pattern in boot_ids:
            boots.append(end - sizes[pattern])
            return False
        findings.append(end - sizes[pattern])
        too_many = NATIVE_MIN_HITS + NATIVE_MAX_HITS_PER_CHUNK * ((end - base) // CHUNK_SIZE + 1)
        return len(findings) > too_many  # True stops the scan

    try:
        database.scan(buf, match_event_handler=on_hit, scratch=scratch)
    except hyperscan.ScanTerminated:  # dense with findings: the regex pass does better
        return None
    except hyperscan.error:  # any other failure of the native library: the regex pass
        return None
    by_index = {chunk.index: chunk for chunk in layout.chunks}

    def chunks_of(starts: list[int]) -> set[int]:
        out = set()
        for start in starts:
            index = (start - base) // CHUNK_SIZE
            chunk = by_index.get(index)
            if chunk is not None and CHUNK_HEADER_SIZE <= start - chunk.offset < chunk.end:
                out.add(index)
        return out

    return ChunkHits(chunks_of(findings), chunks_of(boots))


def regex_chunks_with(buf: bytes, layout: Layout, search: FindingSearch) -> ChunkHits:
    """``chunks_with`` by the regex pass (the pure-Python fallback, and dense logs)."""
    by_index = {chunk.index: chunk for chunk in layout.chunks}
    found: set[int] = set()
    boots: set[int] = set()
    pattern = search.pattern
    match = pattern.search(buf, layout.base)
    while match is not None:
        at = match.start()
        index = (at - layout.base) // CHUNK_SIZE
        slot = layout.base + index * CHUNK_SIZE
        chunk = by_index.get(index)
        if chunk is not None and at - slot < CHUNK_HEADER_SIZE:
            match = pattern.search(buf, slot + CHUNK_HEADER_SIZE)
            continue
        if chunk is not None and at - slot < chunk.end:
            if search.name_start(buf, match) is None:
                match = pattern.search(buf, at + 1)
                continue
            if search.is_boot(match):
                boots.add(index)
                if index not in found:  # a finding may still follow in this chunk
                    match = pattern.search(buf, match.end())
                    continue
            else:
                found.add(index)
        # Found, slack past the free-space offset, or no chunk here: on to the next slot.
        match = pattern.search(buf, slot + CHUNK_SIZE)
    return ChunkHits(found, boots)


# A chunk with few finding names is read only up to the record that holds the last of them:
# the engines render records one after another, so the records after it are work for nothing.
MAX_TRIM_HITS = 8  # more hits: the names are all over the chunk, there is little to leave out
# Binary XML template text: value text (token, type 0x01 string, length, text) and CDATA (token,
# length, text). Real logs do hold finding names so (HttpEvent, RemoteConnectionManager, CAPI2).
VALUE_TEXT_TOKENS = (0x05, 0x45)
CDATA_TOKENS = (0x07, 0x47)


def trimmed(buf: bytes, chunk: Chunk, search: FindingSearch) -> Chunk:
    """``chunk`` ending after the record that holds its last finding name, or ``chunk`` itself.

    Safe only when each name is a substitution value of the record it is in. A name in template
    text (a value-text token) may name the provider of later records using that template, so
    such a chunk is read whole; so is one whose records cannot be walked."""
    start, end = chunk.offset + CHUNK_HEADER_SIZE, chunk.offset + chunk.end
    last = -1
    findings = (m for m in search.pattern.finditer(buf, start, end) if not search.is_boot(m))
    for count, match in enumerate(findings):
        name = search.name_start(buf, match)
        if count == MAX_TRIM_HITS or (name is not None and _in_template_text(buf, name)):
            return chunk
        if name is not None:
            last = match.end()
    at = CHUNK_HEADER_SIZE
    while last >= 0 and at + RECORD_HEADER_SIZE <= chunk.end:
        size, record_id = struct.unpack_from("<IQ", buf, chunk.offset + at + 4)
        magic = buf[chunk.offset + at : chunk.offset + at + 4]
        if magic != RECORD_MAGIC or size < RECORD_HEADER_SIZE + 4 or at + size > chunk.end:
            return chunk
        if chunk.offset + at + size >= last:
            if at + size == chunk.end:  # the last record holds it: nothing to leave out
                return chunk
            return replace(chunk, end=at + size, last_record=at, last_id=record_id, trimmed=True)
        at += size
    return chunk


def _in_template_text(buf: bytes, name: int) -> bool:
    value_text = name >= 4 and buf[name - 4] in VALUE_TEXT_TOKENS and buf[name - 3] == 0x01
    return value_text or (name >= 3 and buf[name - 3] in CDATA_TOKENS)


def holds(buf: bytes, chunk: Chunk, needles: Sequence[bytes]) -> bool:
    start, end = chunk.offset + CHUNK_HEADER_SIZE, chunk.offset + chunk.end
    return any(buf.find(needle, start, end) >= 0 for needle in needles)


def sql_server_chunks(buf: bytes, layout: Layout) -> set[int]:
    """Physical indexes of the chunks whose record area names a SQL Server source."""
    return {chunk.index for chunk in layout.chunks if holds(buf, chunk, (SQL_SERVER_NEEDLE,))}
