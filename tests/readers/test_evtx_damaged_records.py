"""A damaged record costs only itself: a record timed in the year 30828 (FILETIME
0x7fffffffffffffff) no longer ends its chunk for the Rust `evtx` engine (python-evtx reads the
rest of that chunk), and a record whose size is 0 or larger than its chunk is skipped by
scanning for the next record signature in the same chunk. Both engines give the same events."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from analyzer.inputs.files import InputFile
from analyzer.model import Event, ReadResult
from analyzer.readers import ReadOptions
from analyzer.readers.evtx.reader import read_evtx
from analyzer.readers.evtx.rust_engine import available as rust_available
from fixtures.writers.make_evtx_fixtures import FIXTURE_DIR

ENGINES = [
    pytest.param(
        "evtx", marks=pytest.mark.skipif(not rust_available(), reason="evtx not installed")
    ),
    "python-evtx",
]
AFTER_DAMAGE = [163, 326, 489]  # the 36870 right after each damaged record, in its chunk


def read(name: str, engine: str) -> ReadResult:
    path = FIXTURE_DIR / name
    return read_evtx(InputFile.from_path(Path(path)), ReadOptions(engine=engine))


def schannel_ids(result: ReadResult) -> list[int | None]:
    return [e.record_id for e in result.events if e.event_id == 36870]


def comparable(events: list[Event]) -> list[Event]:
    return [replace(e, time=e.time[:23] if e.time else None) for e in events]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_record_timed_in_30828_does_not_end_its_chunk(engine: str) -> None:
    result = read("system_record_time_30828.evtx", engine)
    assert schannel_ids(result) == AFTER_DAMAGE
    # Every record of every chunk was read (python-evtx reads the damaged one too).
    assert not [m.text for m in result.messages if "records," in m.text and "were read" in m.text]


@pytest.mark.parametrize("engine", ENGINES)
def test_records_of_size_0_or_too_large_are_skipped_to_the_next_signature(engine: str) -> None:
    result = read("system_record_sizes_damaged.evtx", engine)
    assert schannel_ids(result) == AFTER_DAMAGE
    went_on = [m.text for m in result.messages if "went on at offset" in m.text]
    assert [text.split(":")[0] for text in went_on] == ["record 488", "record 162", "record 325"]
    assert any("record size 0 does not fit the chunk (chunk 1)" in text for text in went_on)
    assert any("record size 2147483647 does not fit" in text for text in went_on)


@pytest.mark.skipif(not rust_available(), reason="evtx not installed")
@pytest.mark.parametrize(
    "name", ["system_record_time_30828.evtx", "system_record_sizes_damaged.evtx"]
)
def test_both_engines_give_the_same_events(name: str) -> None:
    rust, python = read(name, "evtx"), read(name, "python-evtx")
    assert comparable(rust.events) == comparable(python.events)
    assert len(rust.events) >= 3
