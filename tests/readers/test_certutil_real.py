"""Every real certutil sample against the values a careful reading of it gives
(fixtures/real/certutil/expected.json, written from the text before the parser read it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.inputs.files import InputFile
from analyzer.model import Level, Status
from analyzer.readers import ReadOptions, detect
from analyzer.readers.certutil import read_certutil
from analyzer.render.json import plain
from tests.conftest import FIXTURES, shared_samples

REAL = FIXTURES / "real" / "certutil"
EXPECTED: dict[str, dict] = {
    k: v
    for k, v in json.loads((REAL / "expected.json").read_text(encoding="utf-8")).items()
    if k != "_about"
}


def _read(path: Path):
    return read_certutil(InputFile.from_path(path), ReadOptions())


def _subset(actual: dict, expected: dict, where: str) -> None:
    for key, want in expected.items():
        assert key in actual, f"{where}: no field {key}"
        if isinstance(want, dict) and actual[key] is not None:
            _subset(actual[key], want, f"{where}.{key}")
        else:
            assert actual[key] == want, f"{where}.{key}: {actual[key]!r} != {want!r}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_sample_matches_reading(name: str) -> None:
    expected = EXPECTED[name]
    result = _read(REAL / name)
    assert len(result.certificates) == expected["count"]
    for i, (cert, want) in enumerate(
        zip(result.certificates, expected["certificates"], strict=True)
    ):
        _subset(plain(cert), want, f"{name}[{i}]")
    warnings = [m for m in result.messages if m.level is Level.WARNING]
    assert len(warnings) == len(expected["warnings"]), [str(m) for m in warnings]
    for message, (line, keyword) in zip(warnings, expected["warnings"], strict=True):
        assert message.source.line == line and keyword in message.text, str(message)
    assert result.status is (Status.PARTIAL if expected["warnings"] else Status.OK)
    assert result.encoding == "utf-8"


def test_fixture_copies_are_the_shared_samples_unchanged() -> None:
    shared = shared_samples("certutil")
    names = sorted(p.name for p in shared.glob("*.txt"))
    assert names == sorted(EXPECTED)
    for name in names:
        assert (REAL / name).read_bytes() == (shared / name).read_bytes(), name


def test_shared_samples_give_the_same_records_as_the_copies() -> None:
    shared = shared_samples("certutil")
    for path in sorted(shared.glob("*.txt")):
        assert _read(path).certificates == _read(REAL / path.name).certificates


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_registry_detects_every_real_sample_as_certutil(name: str) -> None:
    spec = detect(InputFile.from_path(REAL / name))
    assert spec is not None and spec.kind == "certutil"
