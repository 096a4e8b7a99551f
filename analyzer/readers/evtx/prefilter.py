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

import bisect
import importlib
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial

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
    ask ``may_hold_boot``. ``boots`` None: the pass did not look (the native scan: a chunk is
    asked when the last-boot walk comes to it)."""

    findings: set[int]  # chunks that can hold a finding
    boots: set[int] | None  # chunks seen to hold a boot marker (Kernel-General 12, EventLog 6009)

    def may_hold_boot(self, buf: bytes, chunk: Chunk) -> bool:
        if self.boots is None:
            return holds(buf, chunk, BOOT_MARKERS)
        if chunk.index in self.boots:
            return True
        return chunk.index in self.findings and holds(buf, chunk, BOOT_MARKERS)


def chunks_with(buf: bytes, layout: Layout, search: FindingSearch) -> ChunkHits:
    """Physical indexes of chunks whose record area holds a finding's provider name, and of
    those that hold a boot marker: StringZilla's SIMD substring search where it is installed,
    else the regex pass (the same answer, tests/readers/test_evtx_scan.py)."""
    hits = native_chunks_with(buf, layout, search)
    return hits if hits is not None else regex_chunks_with(buf, layout, search)


@lru_cache(maxsize=1)
def native_find() -> Callable[..., int] | None:
    """``stringzilla.find(view, needle, start, end)``, or None when the optional `stringzilla`
    wheel is missing (a platform without one): the regex pass is used."""
    try:
        module = importlib.import_module("stringzilla")
        find: Callable[..., int] = module.find
        find(memoryview(b"ab\0"), b"b\0", 0, 3)  # a library that cannot run here fails now
    except Exception:  # ImportError, or a library that cannot run on this processor
        return None
    return find


@lru_cache(maxsize=8)
def _probes(search: FindingSearch) -> list[tuple[bytes, tuple[bytes, ...]]]:
    """The needles the native scan searches for the finding names: each name, but one shared
    prefix of at least 10 letters for names that have one (MSExchangeTransport and
    MSExchangeFrontEndTransport: one pass, the whole name checked at each hit). Names under
    ``Microsoft-Windows-`` keep their own needle: that prefix is in every manifest record."""
    manifest = MANIFEST_PREFIX.encode("utf-16-le")
    groups: dict[bytes, list[bytes]] = {}
    for name, boot in search.literals:
        if not boot:
            key = name if name.startswith(manifest) else name[:20]
            groups.setdefault(key, []).append(name)
    probes: list[tuple[bytes, tuple[bytes, ...]]] = []
    for names in groups.values():
        if len(names) == 1:
            probes.append((names[0], (names[0],)))
        else:
            probes.append((_common_prefix(names), tuple(names)))
    return probes


def _common_prefix(names: list[bytes]) -> bytes:
    size = 0
    while all(len(name) > size and name[size] == names[0][size] for name in names):
        size += 1
    return names[0][: size - size % 2]


def _named_at(view: memoryview, at: int, names: tuple[bytes, ...]) -> int:
    """The length of the name of ``names`` that starts at ``at``, or 0."""
    for name in names:
        if view[at : at + len(name)] == name:
            return len(name)
    return 0


def native_chunks_with(buf: bytes, layout: Layout, search: FindingSearch) -> ChunkHits | None:
    """``chunks_with`` by StringZilla, one needle at a time, hopping to the next chunk slot at
    each hit (so a log dense with findings costs at most one search per chunk and name); None
    when StringZilla is not there. A hit counts where the whole name starts in a chunk's record
    area (after the header, before the free-space offset), as in the regex pass; ``boots`` holds
    every chunk with a boot marker (``may_hold_boot`` gives the same answer as after the regex
    pass, which stops looking in a chunk at its first finding)."""
    find = native_find()
    if find is None or not search.literals:
        return None
    by_index = {chunk.index: chunk for chunk in layout.chunks}
    findings: set[int] = set()
    base = layout.base
    view = memoryview(buf)
    try:
        # The boot markers are asked chunk by chunk, newest first, by the last-boot walk.
        for name, names in _probes(search):
            at = find(view, name, base)
            while at >= 0:
                index = (at - base) // CHUNK_SIZE
                slot = base + index * CHUNK_SIZE
                if at - slot < CHUNK_HEADER_SIZE:  # in a chunk header: its record area next
                    at = find(view, name, slot + CHUNK_HEADER_SIZE)
                    continue
                if len(names) > 1 and not _named_at(view, at, names):
                    at = find(view, name, at + 2)
                    continue
                chunk = by_index.get(index)
                if chunk is not None and at - slot < chunk.end:
                    findings.add(index)
                # Found, slack past the free-space offset, or no chunk here: the next slot.
                at = find(view, name, slot + CHUNK_SIZE)
    finally:
        view.release()
    return ChunkHits(findings, None)


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


# A chunk with few finding names is read record by record: only the records that can hold a
# finding (and the one before each run of records left out, which the `evtx` engine must step
# over), and nothing after the last of them. With more names than this the names are all over
# the chunk and it is read whole.
MAX_PICK_HITS = 32
MAX_TRIM_HITS = 8  # more finding names: the chunk was read whole before (its boot events too)
# Binary XML template text: value text (token, type 0x01 string, length, text) and CDATA (token,
# length, text). Real logs do hold finding names so (HttpEvent, RemoteConnectionManager, CAPI2).
VALUE_TEXT_TOKENS = (0x05, 0x45)
CDATA_TOKENS = (0x07, 0x47)
_RECORD_HEAD = struct.Struct("<4sIQQ")
MAX_FILETIME = 2650467743999999999  # 9999-12-31T23:59:59.9999999Z
TEMPLATE_INSTANCE = 0x0C


# Names of the other wanted events' providers (the boot events; AD FS 2.0 and later, SQL Server,
# both read whole in their own logs), whose records a chunk's plan keeps too: the events of
# every record before the last finding are read, as when the chunk is read whole.
OTHER_WANTED = tuple(
    name.encode("utf-16-le") for name in ("EventLog", "Kernel-General", "AD FS", "MSSQL")
)


def finding_starts(buf: bytes, chunk: Chunk, search: FindingSearch, limit: int) -> list[int] | None:
    """Where each finding name starts in the record area of ``chunk`` (absolute offsets, in
    order), or None when there are more than ``limit``. StringZilla where installed, else the
    regex; the same answer (tests/readers/test_evtx_scan.py)."""
    start, end = chunk.offset + CHUNK_HEADER_SIZE, chunk.offset + chunk.end
    starts: list[int] = []
    find = native_find()
    if find is not None:
        view = memoryview(buf)
        try:
            for name, names in _probes(search):
                at = find(view, name, start, end)
                while at >= 0:
                    size = _named_at(view, at, names) if len(names) > 1 else len(name)
                    if size and at + size <= end:
                        starts.append(at)
                        if len(starts) > limit:
                            return None
                    at = find(view, name, at + (size or 2), end)
        finally:
            view.release()
        return sorted(starts)
    for match in search.pattern.finditer(buf, start, end):
        hit = None if search.is_boot(match) else search.name_start(buf, match)
        if hit is not None:
            starts.append(hit)
            if len(starts) > limit:
                return None
    return starts


def other_starts(buf: bytes, chunk: Chunk, until: int) -> list[int]:
    """Where the names of ``OTHER_WANTED`` start in the record area of ``chunk`` before
    absolute offset ``until``."""
    start, end = chunk.offset + CHUNK_HEADER_SIZE, min(chunk.offset + chunk.end, until)
    starts: list[int] = []
    find = native_find()
    view = memoryview(buf)
    try:
        for name in OTHER_WANTED:
            at = find(view, name, start, end) if find else buf.find(name, start, end)
            while at >= 0:
                starts.append(at)
                at = (
                    find(view, name, at + len(name), end)
                    if find
                    else buf.find(name, at + len(name), end)
                )
    finally:
        view.release()
    return starts


def _walk(buf: bytes, chunk: Chunk, upto: int) -> tuple[list[int], list[int]] | None:
    """(absolute offsets, ids) of the chunk's records, from the first to the one holding
    absolute offset ``upto`` (or to the last), the offsets followed by the end of the last
    record; None when a record on the way is damaged."""
    offsets: list[int] = []
    ids: list[int] = []
    at, end = chunk.offset + CHUNK_HEADER_SIZE, chunk.offset + chunk.end
    unpack = _RECORD_HEAD.unpack_from
    while at + RECORD_HEADER_SIZE <= end and at <= upto:
        magic, size, record_id, ticks = unpack(buf, at)
        if magic != RECORD_MAGIC or size < RECORD_HEADER_SIZE + 4 or at + size > end:
            return None
        if ticks > MAX_FILETIME:  # a time the `evtx` engine refuses: its failure is reported
            return None
        offsets.append(at)
        ids.append(record_id)
        at += size
    offsets.append(at)
    return offsets, ids


def _outer_template(buf: bytes, chunk: Chunk, at: int) -> tuple[int, int] | None:
    """The chunk-relative span of the template definition the record at ``at`` instantiates
    (its outer template: the one that holds the System element), or None when the record is
    not a template instance (a plain element tree) or the offset is implausible."""
    pos = at + RECORD_HEADER_SIZE
    if buf[pos] == 0x0F:  # fragment header
        pos += 4
    if buf[pos] & 0x0F != TEMPLATE_INSTANCE:
        return None
    template: int = struct.unpack_from("<I", buf, pos + 6)[0]
    if not CHUNK_HEADER_SIZE <= template <= chunk.end - 24:
        return None
    size: int = struct.unpack_from("<I", buf, chunk.offset + template + 20)[0]
    return template, template + 24 + size


def planned(buf: bytes, chunk: Chunk, search: FindingSearch, *, keep_last: bool = False) -> Chunk:
    """``chunk`` with the records the engines must parse: the records holding a finding name,
    and the records using a template whose text holds one (a manifest provider's name is template
    text, serving every later record of that template); nothing after the last of them
    (``trimmed``) and the records between them left out (``picks``, ``gaps``). ``keep_last``:
    the chunk's last record too (the newest chunk's gives the log's channel and computer).

    The chunk is read whole when that cannot be told: many names, a damaged record, a name in
    template text of a template that is not a record's outer one."""
    starts = finding_starts(buf, chunk, search, MAX_PICK_HITS)
    if starts is None or not (starts or keep_last):
        return chunk
    base = chunk.offset
    # The records read before: up to the one holding the last finding name, or all of them (a
    # name in template text, more than a few names, the newest chunk). Every wanted event of
    # those records is read now too, the boot events included.
    whole = (
        keep_last
        or len(starts) > MAX_TRIM_HITS
        or any(map(partial(_in_template_text, buf), starts))
    )
    upto = base + chunk.end if whole else starts[-1]
    starts = sorted(starts + other_starts(buf, chunk, upto + 1))
    if len(starts) > MAX_PICK_HITS:
        return chunk
    walked = _walk(buf, chunk, upto)
    if walked is None or not walked[1]:
        return chunk
    offsets, ids = walked
    picked: set[int] = set()
    named: set[int] = set()  # templates (chunk-relative offsets) whose text holds a name
    for name in starts:
        index = bisect.bisect_right(offsets, name) - 1
        if index < 0 or index >= len(ids):
            return chunk
        picked.add(index)
        template = _outer_template(buf, chunk, offsets[index])
        if template is not None and template[0] <= name - base < template[1]:
            named.add(template[0])
        elif _in_template_text(buf, name):
            return chunk
    if named:  # every later record using those templates
        walked = _walk(buf, chunk, base + chunk.end)
        if walked is None:
            return chunk
        offsets, ids = walked
        for index in range(min(picked) + 1, len(ids)):
            template = _outer_template(buf, chunk, offsets[index])
            if template is None:
                return chunk
            if template[0] in named:
                picked.add(index)
    if keep_last:
        if offsets[-1] != base + chunk.end or ids[-1] != chunk.last_id:
            return chunk
        picked.add(len(ids) - 1)
    return _with_picks(chunk, offsets, ids, sorted(picked))


def _with_picks(chunk: Chunk, offsets: list[int], ids: list[int], order: list[int]) -> Chunk:
    base = chunk.offset
    gaps = []
    before = 0  # index of the first record not yet accounted for
    for index in order:
        if index > before:
            start, end = offsets[before] - base, offsets[index] - base
            gaps.append((start, end, ids[before], ids[index - 1], index - before))
        before = index + 1
    last = order[-1]
    end = offsets[last + 1] - base
    if not gaps and end == chunk.end:
        return chunk
    return Chunk(
        chunk.index,
        chunk.offset,
        chunk.first_id,
        ids[last],
        end,
        offsets[last] - base,
        chunk.flags,
        chunk.truncated,
        trimmed=end != chunk.end,
        picks=tuple(offsets[index] - base for index in order) if gaps else None,
        gaps=tuple(gaps),
    )


def _in_template_text(buf: bytes, name: int) -> bool:
    value_text = name >= 4 and buf[name - 4] in VALUE_TEXT_TOKENS and buf[name - 3] == 0x01
    return value_text or (name >= 3 and buf[name - 3] in CDATA_TOKENS)


def holds(buf: bytes, chunk: Chunk, needles: Sequence[bytes]) -> bool:
    """Whether the record area of ``chunk`` holds any of ``needles`` (StringZilla where it is
    installed: ``bytes.find`` is slow on UTF-16 text, whose every other byte is NUL)."""
    start, end = chunk.offset + CHUNK_HEADER_SIZE, chunk.offset + chunk.end
    find = native_find()
    if find is None:
        return any(buf.find(needle, start, end) >= 0 for needle in needles)
    view = memoryview(buf)
    try:
        return any(find(view, needle, start, end) >= 0 for needle in needles)
    finally:
        view.release()


def sql_server_chunks(buf: bytes, layout: Layout) -> set[int]:
    """Physical indexes of the chunks whose record area names a SQL Server source."""
    return {chunk.index for chunk in layout.chunks if holds(buf, chunk, (SQL_SERVER_NEEDLE,))}
