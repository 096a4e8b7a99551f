"""Event logs shaped unlike the writer's default, for the speed figures of bench_full.py.

Generated (fixtures/writers): 20 MB IIS System logs whose Schannel 36870 sit in about 1, 10, 50
or 100 % of the chunks, HttpEvent 15021 spread over 10 or 100 % of them, or a boot (EventLog
6005/6009, Kernel-General 12) in nearly every chunk. Reshaped from REAL records: the chunks of
the real System logs in ../shared/real-samples/evtx (none written by this project) cycled to
20 MB, alone or with chunks of the real Schannel-heavy DC log put in at 1 % or 10 % of the
places. Chunks are copied byte for byte; only record ids are renumbered (record and chunk
headers) and the two chunk checksums written again, so every reader sees one consistent log.

    python bench/evtx_layouts.py OUTDIR [--size 20000000]
"""

from __future__ import annotations

import argparse
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.readers.evtx.layout import (  # noqa: E402
    CHUNK_HEADER_SIZE,
    CHUNK_SIZE,
    FILE_HEADER_SIZE,
    RECORD_MAGIC,
    read_layout,
)
from fixtures.writers.evtx_events import (  # noqa: E402
    http_event,
    iis_system_events,
)
from fixtures.writers.evtx_writer import build_evtx  # noqa: E402

REAL = ROOT.parent / "shared" / "real-samples" / "evtx"
DC_LOG = REAL / "schannel_win2012r2_dc_stolenszechuan_System.evtx"
REAL_SYSTEM_LOGS = (
    "win10_19041_aptsimvm_System.evtx",
    "win10_19041_rathbunvm_System.evtx",
    "win11_22000_rathbunvm_System.evtx",
    "server2022_20348_aptsimvm_System.evtx",
    "win10_17763_belkasoftctf_System.evtx",
    "rustevtx_win10_15063_system.evtx",
    "pythonevtx_win7_7601_system.evtx",
)
EVENTS_PER_MB = 2080  # events of the writer's IIS mix in one MB of file


def _events_for(size: int) -> int:
    return max(int(size / 1e6 * EVENTS_PER_MB), 100)


def generated(name: str, size: int) -> bytes:
    count = _events_for(size)
    chunks = max(size // CHUNK_SIZE, 1)
    if name.startswith("gen-schannel-"):
        share = int(name.rsplit("-", 1)[1].removesuffix("pct"))
        # n 36870 spread evenly fall in about n distinct chunks (up to one per chunk).
        return build_evtx(
            iis_system_events(count, max(chunks * share // 100, 1) * (1 + share // 100))
        )
    if name.startswith("gen-http-"):
        share = int(name.rsplit("-", 1)[1].removesuffix("pct"))
        events = iis_system_events(count, 3)
        spots = max(chunks * share // 100, 1)
        step = max(len(events) // spots, 1)
        for at in range(step // 2, len(events), step):
            events[at] = http_event(15021, events[at].time, "0.0.0.0:443")
        return build_evtx(events)
    if name == "gen-boots-every-chunk":
        return build_evtx(iis_system_events(count, 3, boots=chunks))
    raise ValueError(name)


def _chunks_of(path: Path) -> list[bytes]:
    buf = path.read_bytes()
    layout = read_layout(buf)
    out = []
    for chunk in sorted(layout.chunks, key=lambda c: c.first_id):
        raw = buf[chunk.offset : chunk.offset + CHUNK_SIZE]
        if len(raw) == CHUNK_SIZE and not chunk.truncated:
            out.append(raw)
    return out


def _renumbered(raw: bytes, first_id: int) -> tuple[bytes, int]:
    """The chunk with record ids from ``first_id`` on, checksums written again."""
    chunk = bytearray(raw)
    free = struct.unpack_from("<I", chunk, 48)[0]
    at, record_id = CHUNK_HEADER_SIZE, first_id
    while at + 24 <= free and chunk[at : at + 4] == RECORD_MAGIC:
        size = struct.unpack_from("<I", chunk, at + 4)[0]
        if size < 28 or at + size > free:
            break
        struct.pack_into("<Q", chunk, at + 8, record_id)
        record_id += 1
        at += size
    last = record_id - 1
    struct.pack_into("<QQQQ", chunk, 8, first_id, last, first_id, last)
    struct.pack_into("<I", chunk, 52, zlib.crc32(chunk[CHUNK_HEADER_SIZE:free]))
    struct.pack_into("<I", chunk, 124, zlib.crc32(chunk[:120] + chunk[128:CHUNK_HEADER_SIZE]))
    return bytes(chunk), record_id


def _file(chunks: list[bytes], next_id: int) -> bytes:
    head = bytearray(FILE_HEADER_SIZE)
    head[:8] = b"ElfFile\x00"
    count = len(chunks)
    struct.pack_into("<QQQIHHHH", head, 8, 0, count - 1, next_id, 128, 1, 3, 4096, count)
    struct.pack_into("<I", head, 124, zlib.crc32(head[:120]))
    return bytes(head) + b"".join(chunks)


def reshaped(name: str, size: int) -> bytes:
    """Real chunks in a new order (see the module text); ``name``: real-systems,
    real-systems-dc-1pct, real-systems-dc-10pct."""
    base = [c for log in REAL_SYSTEM_LOGS if (REAL / log).is_file() for c in _chunks_of(REAL / log)]
    if not base:
        raise FileNotFoundError(f"no real System log in {REAL}")
    dc = _chunks_of(DC_LOG) if "dc" in name else []
    share = int(name.rsplit("-", 1)[1].removesuffix("pct")) if dc else 0
    wanted = max(size // CHUNK_SIZE, 1)
    every = 100 // share if share else 0
    picked = []
    for slot in range(wanted):
        if every and slot % every == every // 2:
            picked.append(dc[slot % len(dc)])
        else:
            picked.append(base[slot % len(base)])
    out, record_id = [], 1
    for raw in picked:
        chunk, record_id = _renumbered(raw, record_id)
        out.append(chunk)
    return _file(out, record_id)


GENERATED = (
    "gen-schannel-1pct",
    "gen-schannel-10pct",
    "gen-schannel-50pct",
    "gen-schannel-100pct",
    "gen-http-10pct",
    "gen-http-100pct",
    "gen-boots-every-chunk",
)
RESHAPED = ("real-systems", "real-systems-dc-1pct", "real-systems-dc-10pct")


def write_all(folder: Path, size: int, names: tuple[str, ...] | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names or GENERATED + RESHAPED:
        path = folder / f"{name}.evtx"
        if not path.is_file():
            data = reshaped(name, size) if name.startswith("real-") else generated(name, size)
            path.write_bytes(data)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", type=int, default=20_000_000)
    args = parser.parse_args()
    for path in write_all(args.out, args.size):
        print(f"{path}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
