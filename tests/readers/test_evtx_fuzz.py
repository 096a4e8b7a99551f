"""Byte mutations of real logs and fixtures: the reader returns a `ReadResult` (maybe `error`)
and never raises anything but the project's own error type."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.errors import CerttriageError
from analyzer.model import ReadResult, Status
from analyzer.readers.evtx import read_evtx_bytes
from analyzer.readers.evtx.rust_engine import available as rust_available
from fixtures.writers.make_evtx_fixtures import FIXTURE_DIR
from tests.conftest import FIXTURES

SMALL = [
    FIXTURE_DIR / "carved_chunk.evtx",
    FIXTURE_DIR / "system_no_crc.evtx",
    FIXTURES / "real" / "evtx" / "pythonevtx_dns_log_malformed.evtx",
    FIXTURES / "real" / "evtx" / "rustevtx_Application_no_crc32.evtx",
    FIXTURES / "real" / "evtx" / "plaso_System2_truncated_200000B_actually_Security.evtx",
]
ENGINES = ["python-evtx", *(["evtx"] if rust_available() else [])]
# Where damage hurts most: the file header, chunk headers and tables, the first records.
HOT_SPOTS = [0, 40, 120, 4096, 4096 + 8, 4096 + 44, 4096 + 384, 4096 + 512, 4096 + 600]


def _mutate(data: bytes, edits: list[tuple[int, int, bool]], cut: int | None) -> bytes:
    out = bytearray(data)
    for position, value, near_hot_spot in edits:
        at = HOT_SPOTS[position % len(HOT_SPOTS)] + value % 64 if near_hot_spot else position
        if out:
            out[at % len(out)] = value
    return bytes(out[:cut] if cut is not None else out)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", SMALL, ids=[p.name for p in SMALL])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 1 << 22), st.integers(0, 255), st.booleans()), max_size=24
    ),
    cut=st.none() | st.integers(0, 300_000),
)
def test_mutated_logs_never_crash(path: Path, engine: str, edits, cut) -> None:
    data = _mutate(path.read_bytes(), edits, cut)
    result = ReadResult(str(path), "evtx", engine=engine)
    try:
        read_evtx_bytes(data, result, engine)
    except CerttriageError:
        return
    assert result.status in (Status.OK, Status.PARTIAL, Status.ERROR)
    for event in result.events:
        assert event.record_id is not None and isinstance(event.data, (dict, list))
    if result.status is not Status.ERROR:
        assert result.coverage is not None
