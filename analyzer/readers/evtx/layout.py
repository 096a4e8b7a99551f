"""The physical layout of an `.evtx` file: file header, every 64 KiB chunk, record headers.

Read from raw bytes, never trusting the file header's chunk count (real logs are often "dirty":
the header is flushed less often than the chunks). Everything here is cheap (headers only), so
coverage can be told for the whole file even when the pre-filter leaves most chunks unparsed.
Layout per the libyal EVTX document (see ``../shared/docs/evtx-format-notes.md``).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

FILE_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
FILE_HEADER_SIZE = 4096
CHUNK_SIZE = 0x10000
CHUNK_HEADER_SIZE = 512
RECORD_MAGIC = b"\x2a\x2a\x00\x00"
RECORD_HEADER_SIZE = 24
FLAG_DIRTY, FLAG_FULL, FLAG_NO_CRC = 0x1, 0x2, 0x4
FILETIME_EPOCH = datetime(1601, 1, 1)


@dataclass(frozen=True)
class FileHeader:
    present: bool  # the file starts with ElfFile (else: a carved chunk or garbage)
    chunk_count: int = 0
    next_record_id: int = 0
    flags: int = 0
    version: str = ""
    crc_ok: bool = True

    @property
    def dirty(self) -> bool:
        return bool(self.flags & FLAG_DIRTY)

    @property
    def no_crc(self) -> bool:
        return bool(self.flags & FLAG_NO_CRC)


@dataclass(frozen=True)
class Chunk:
    """One chunk with a valid magic. ``end`` is where its records stop (free-space offset, or the
    end of the last whole record when the file is cut inside the chunk, or where the pre-filter
    trimmed it: ``trimmed``)."""

    index: int  # physical position: 0 = first chunk after the file header
    offset: int  # absolute offset in the file
    first_id: int
    last_id: int
    end: int  # chunk-relative offset where records stop
    last_record: int  # chunk-relative offset of the last record
    flags: int
    truncated: bool = False
    trimmed: bool = False
    # Set by the pre-filter's plan (prefilter.planned): the chunk-relative offsets of the only
    # records to parse, and the runs of records left out before them: (start, end, ids of the
    # first and the last record, how many records).
    picks: tuple[int, ...] | None = None
    gaps: tuple[tuple[int, int, int, int, int], ...] = ()

    @property
    def records(self) -> int:
        return max(self.last_id - self.first_id + 1, 0)


@dataclass
class Layout:
    header: FileHeader
    base: int  # offset of the first chunk slot
    chunks: list[Chunk] = field(default_factory=list)
    bad: list[int] = field(default_factory=list)  # non-empty slots without a chunk magic
    trailing: int = 0  # bytes after the last whole chunk slot

    def newest_first(self) -> list[Chunk]:
        return sorted(self.chunks, key=lambda c: (c.last_id, c.index), reverse=True)


def filetime_iso(ticks: int) -> str | None:
    """FILETIME -> UTC ISO 8601 with microseconds (truncated, as Windows exports print it)."""
    try:
        moment = FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
    except OverflowError:
        return None
    if ticks < 0:
        return None
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}Z"
    )


def read_file_header(buf: bytes) -> FileHeader:
    if len(buf) < 128 or buf[:8] != FILE_MAGIC:
        return FileHeader(present=False)
    _, _, next_id, _, minor, major, _, count = struct.unpack_from("<QQQIHHHH", buf, 8)
    flags, crc = struct.unpack_from("<II", buf, 120)
    crc_ok = zlib.crc32(buf[:120]) == crc
    return FileHeader(True, count, next_id, flags, f"{major}.{minor}", crc_ok)


def _walk_records(buf: bytes, offset: int, limit: int) -> tuple[int, int, int, int]:
    """Walk record headers of a cut chunk up to ``limit`` (chunk-relative): (end, last record
    offset, first id, last id) of the whole records found."""
    at, end, last, first_id, last_id = CHUNK_HEADER_SIZE, CHUNK_HEADER_SIZE, 0, 0, -1
    while at + RECORD_HEADER_SIZE <= limit:
        if buf[offset + at : offset + at + 4] != RECORD_MAGIC:
            break
        size, record_id = struct.unpack_from("<IQ", buf, offset + at + 4)
        if size < RECORD_HEADER_SIZE + 4 or at + size > limit:
            break
        if last_id < 0:
            first_id = record_id
        last, last_id, end = at, record_id, at + size
        at += size
    return end, last, first_id, last_id


# The chunk header fields read here, in one unpack per slot: magic, first and last record id,
# last record offset, free-space offset, flags.
_CHUNK_HEADER = struct.Struct("<8s16xQQ4xII68xI")


def _chunk_at(buf: bytes, index: int, offset: int, available: int) -> Chunk | None:
    """The chunk in the slot at ``offset``, or None when its magic is not there."""
    magic, first_id, last_id, last_record, free, flags = _CHUNK_HEADER.unpack_from(buf, offset)
    if magic != CHUNK_MAGIC:
        return None
    end = free if CHUNK_HEADER_SIZE <= free <= CHUNK_SIZE else CHUNK_SIZE
    truncated = available < CHUNK_SIZE
    if truncated or not CHUNK_HEADER_SIZE <= last_record < end or last_id < first_id:
        # Cut file or implausible header: believe only the whole records that are there.
        end, last_record, first_id, last_id = _walk_records(buf, offset, min(end, available))
    return Chunk(index, offset, first_id, last_id, end, last_record, flags, truncated)


def read_layout(buf: bytes) -> Layout:
    """Every chunk slot of the file, whatever the header says. A file that starts with a chunk
    (a carved chunk) is read as chunks from offset 0."""
    header = read_file_header(buf)
    base = FILE_HEADER_SIZE if header.present else 0
    layout = Layout(header, base, trailing=max(len(buf) - base, 0) % CHUNK_SIZE)
    size = len(buf)
    for index, at in enumerate(range(base, size - CHUNK_HEADER_SIZE + 1, CHUNK_SIZE)):
        available = min(CHUNK_SIZE, size - at)
        chunk = _chunk_at(buf, index, at, available)
        if chunk is not None:
            if chunk.records:  # (a chunk header without records has nothing to read)
                layout.chunks.append(chunk)
        elif available == CHUNK_SIZE and buf[at : at + available].count(0) != available:
            layout.bad.append(index)  # an all-zero slot is preallocated, never written: not bad
    return layout


def next_record(buf: bytes, at: int, end: int) -> int | None:
    """The offset of the first whole record at or after ``at`` and before ``end`` (absolute
    offsets): its signature, a size that fits, and the copy of the size at its end. Used to go
    on after a damaged record (a size of 0 or too large) instead of losing the rest of the
    chunk."""
    while True:
        at = buf.find(RECORD_MAGIC, at, end)
        if at < 0 or at + RECORD_HEADER_SIZE + 4 > end:
            return None
        size = struct.unpack_from("<I", buf, at + 4)[0]
        fits = size >= RECORD_HEADER_SIZE + 4 and at + size <= end
        if fits and struct.unpack_from("<I", buf, at + size - 4)[0] == size:
            return at
        at += 1


def record_time(buf: bytes, chunk: Chunk, relative: int) -> str | None:
    """The written time of the record at ``relative`` in ``chunk`` (from its header)."""
    at = chunk.offset + relative
    if buf[at : at + 4] != RECORD_MAGIC or at + RECORD_HEADER_SIZE > len(buf):
        return None
    return filetime_iso(struct.unpack_from("<Q", buf, at + 16)[0])


def header_crc_ok(buf: bytes, chunk: Chunk) -> bool:
    """CRC-32 of the chunk header (bytes 0-119 and 128-511; only checked for chunks we parse)."""
    at = chunk.offset
    stored: int = struct.unpack_from("<I", buf, at + 124)[0]
    return zlib.crc32(buf[at : at + 120] + buf[at + 128 : at + 512]) == stored


def data_crc_ok(buf: bytes, chunk: Chunk) -> bool:
    """CRC-32 of the chunk's records against its header (only checked for chunks we parse)."""
    stored: int = struct.unpack_from("<I", buf, chunk.offset + 52)[0]
    return zlib.crc32(buf[chunk.offset + CHUNK_HEADER_SIZE : chunk.offset + chunk.end]) == stored
