"""Byte mutations of every export fixture and the real text copy: reading never raises anything
but the project's own error type, and never loses the file name in its messages."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.errors import CerttriageError
from analyzer.inputs.files import InputFile
from analyzer.readers import ReadOptions, detect
from analyzer.readers.exports import EVENT_EXPORT_KINDS
from tests.conftest import FIXTURES, SHARED_SAMPLES

SEEDS = sorted(p for p in (FIXTURES / "exports").iterdir() if p.is_file())
REAL = SHARED_SAMPLES / "evtx" / "exports" / "36870_servicefabric_tsg_eventviewer_copy.txt"
if REAL.is_file():
    SEEDS.append(REAL)


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(("flip", "insert", "delete", "cut", "splice")))
        if action == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif action == "cut":
            del data[at:]
        else:
            piece = draw(st.sampled_from((b"<Event>", b"</Event>", b'"', b"\r\n", b"\t", b"\x00")))
            data[at:at] = piece
    return bytes(data)


def read_any(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.bin"
        path.write_bytes(data)
        file = InputFile.from_path(path)
        spec = detect(file, only=EVENT_EXPORT_KINDS)
        if spec is None:
            return
        try:
            result = spec.read(file, ReadOptions())
        except CerttriageError as exc:
            assert file.display in str(exc)
            return
        for message in result.messages:
            assert message.source.path == file.display


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_exports_never_crash(seed: Path, data: st.DataObject) -> None:
    read_any(data.draw(mutated(seed.read_bytes())))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes(text: str) -> None:
    read_any(text.encode("utf-8"))
