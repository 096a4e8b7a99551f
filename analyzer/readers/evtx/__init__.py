"""Binary `.evtx` event logs: two engines (Rust `evtx`, python-evtx), a chunk pre-filter, and
coverage of the whole file. See docs/evtx.md.

Registers the ``evtx`` reader: files that start with ``ElfFile`` (or with ``ElfChnk``, a chunk
carved out of a log).
"""

from __future__ import annotations

from analyzer.readers import ReaderSpec, Sample, register
from analyzer.readers.evtx.layout import CHUNK_MAGIC, FILE_MAGIC
from analyzer.readers.evtx.reader import default_engine, read_evtx, read_evtx_bytes
from analyzer.readers.records import EVENTS

__all__ = ["default_engine", "read_evtx", "read_evtx_bytes"]


def sniff(sample: Sample) -> int:
    if sample.head.startswith(FILE_MAGIC):
        return 100
    if sample.head.startswith(CHUNK_MAGIC):
        return 90
    return 0


register(
    ReaderSpec(
        kind="evtx",
        sniff=sniff,
        read=read_evtx,
        description="Windows binary event log (.evtx), read with the evtx or python-evtx engine",
        records=(EVENTS,),
        magic=(FILE_MAGIC,),
    )
)
