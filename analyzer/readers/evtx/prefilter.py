"""The chunk pre-filter: which chunks can hold an event certtriage wants.

Every record names its provider in UTF-16LE inside its own chunk: as a substitution value of the
record (modern logs share one System template across providers) or as literal text of a
template defined in the same chunk (templates are chunk-relative). So a chunk whose record area
lacks every wanted provider name holds no wanted event and need not be parsed. A hit is only a
candidate (the engine decides); hits past a chunk's free-space offset are slack (stale bytes the
engines never read) and are ignored.

Finding needles are searched over the whole buffer with ``bytes.find`` (C speed) and hits mapped
to chunk slots. Boot events are wanted only for the LAST boot, found by looking at chunks from
the newest backwards, so the many EventLog chunks of a long log (the daily 6013) cost nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from analyzer.readers.evtx.layout import CHUNK_HEADER_SIZE, CHUNK_SIZE, Chunk, Layout


def _needle(name: str) -> bytes:
    # Without the last NUL byte: a shorter needle ending in a letter searches faster, and still
    # cannot miss the UTF-16LE name.
    return name.encode("utf-16-le")[:-1]


# Provider names of the findings (see analyzer.readers.eventfields.WANTED). Long, distinctive
# spellings: W3SVC logs as Microsoft-Windows-IIS-W3SVC(-WP), HttpEvent as
# Microsoft-Windows-HttpEvent (EventSourceName "HTTP" sits beside it).
FINDING_NEEDLES: dict[str, bytes] = {
    "Schannel": _needle("Schannel"),
    "HttpEvent": _needle("Microsoft-Windows-HttpEvent"),
    "W3SVC": _needle("Microsoft-Windows-IIS-W3SVC"),
    "RDP": _needle("TerminalServices-RemoteConnectionManager"),
    "CAPI2": _needle("Microsoft-Windows-CAPI2"),
}
# CAPI2 70 is written only to the CAPI2 Operational log, whose channel name every chunk holds.
CAPI2_CHANNEL = _needle("Microsoft-Windows-CAPI2/Operational")

# A boot writes Kernel-General 12 (Windows 7 / 2008 R2 on) and EventLog 6009, whose data
# carries the kernel type "Multiprocessor Free" / "Uniprocessor Free".
BOOT_MARKERS: tuple[bytes, ...] = (_needle("Kernel-General"), _needle("processor"))
# Other boot events (6005, 6008) come from EventLog, a few seconds after the marker.
BOOT_COMPANION = _needle("EventLog")


def needles_for(capi2_log: bool) -> list[bytes]:
    """The finding needles worth searching: CAPI2's only in the CAPI2 Operational log."""
    return [needle for key, needle in FINDING_NEEDLES.items() if key != "CAPI2" or capi2_log]


def _finder(needle: bytes) -> Callable[[bytes, int], int]:
    """``find(buf, start)`` for one needle, by the faster CPython primitive for its length: a
    long needle skips ahead in ``bytes.find``; for a short UTF-16 one (every other byte NUL, which
    defeats that skip) the regular-expression engine's literal scan is faster."""
    if len(needle) >= 24:
        return lambda buf, start: buf.find(needle, start)
    pattern = re.compile(re.escape(needle))

    def find(buf: bytes, start: int) -> int:
        match = pattern.search(buf, start)
        return match.start() if match else -1

    return find


def chunks_with(buf: bytes, layout: Layout, needles: Iterable[bytes]) -> set[int]:
    """Physical indexes of chunks whose record area holds any of ``needles``."""
    by_index = {chunk.index: chunk for chunk in layout.chunks}
    found: set[int] = set()
    for needle in needles:
        find = _finder(needle)
        at = find(buf, layout.base)
        while at >= 0:
            index = (at - layout.base) // CHUNK_SIZE
            slot = layout.base + index * CHUNK_SIZE
            chunk = by_index.get(index)
            if chunk is not None and index not in found:
                if at - slot < CHUNK_HEADER_SIZE:
                    at = find(buf, slot + CHUNK_HEADER_SIZE)
                    continue
                if at - slot < chunk.end:
                    found.add(index)
            # Found, slack past the free-space offset, or no chunk here: on to the next slot.
            at = find(buf, slot + CHUNK_SIZE)
    return found


def holds(buf: bytes, chunk: Chunk, needles: Sequence[bytes]) -> bool:
    start, end = chunk.offset + CHUNK_HEADER_SIZE, chunk.offset + chunk.end
    return any(buf.find(needle, start, end) >= 0 for needle in needles)
