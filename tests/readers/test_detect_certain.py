"""Detection stops at the first reader certain of a file (score 100, the highest): a binary
event log is not scanned by every text sniffer (most of a triage ticket's CPU before), and the
reader chosen is the one the full scan chooses, since sniffers score 0..100."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer import readers
from analyzer.inputs.files import InputFile
from analyzer.readers import CERTAIN, ReaderSpec, Sample, detect, registry, sample_of
from tests.conftest import FIXTURES

SAMPLES = [p for p in sorted(FIXTURES.rglob("*")) if p.is_file() and "goldens" not in p.parts]


def _full_scan(file: InputFile) -> str | None:
    sample = sample_of(file)
    scores = [(spec.sniff(sample), kind) for kind, spec in sorted(registry().items())]
    best = max((score for score, _ in scores), default=0)
    return next((kind for score, kind in scores if score == best), None) if best > 0 else None


def test_every_sniffer_scores_from_0_to_certain_and_detect_picks_as_a_full_scan() -> None:
    assert len(SAMPLES) > 100
    for path in SAMPLES:
        file = InputFile.from_path(path)
        sample = sample_of(file)
        for kind, spec in registry().items():
            assert 0 <= spec.sniff(sample) <= CERTAIN, (kind, path)
        found = detect(file)
        assert (found.kind if found else None) == _full_scan(file), path


def test_no_sniffer_after_a_certain_one_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def never(sample: Sample) -> int:
        asked.append(sample.name)
        return 0

    late = ReaderSpec("zz-late", never, lambda file, options: readers.ReadResult(file.display, ""))
    monkeypatch.setattr(readers, "_REGISTRY", {**registry(), "zz-late": late})
    log = FIXTURES / "evtx" / "system_2008_6009.evtx"
    found = detect(InputFile.from_path(log))
    assert found is not None and found.kind == "evtx"
    assert asked == []
    detect(InputFile.from_path(Path(__file__)))  # a file no reader is certain of: all asked
    assert asked == [Path(__file__).name]


def test_a_declared_magic_is_what_its_sniffer_is_certain_of() -> None:
    declared = {kind: spec for kind, spec in registry().items() if spec.magic}
    assert "evtx" in declared
    matched = 0
    for path in SAMPLES:
        file = InputFile.from_path(path)
        sample = sample_of(file)
        for kind, spec in declared.items():
            if sample.head.startswith(spec.magic):
                matched += 1
                assert spec.sniff(sample) == CERTAIN, (kind, path)
                assert _full_scan(file) == kind, path
    assert matched > 10


def test_a_file_with_a_magic_is_taken_without_asking_a_sniffer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def early(sample: Sample) -> int:
        asked.append(sample.name)
        return 50

    first = ReaderSpec(
        "aa-early", early, lambda file, options: readers.ReadResult(file.display, "")
    )
    monkeypatch.setattr(readers, "_REGISTRY", {**registry(), "aa-early": first})
    found = detect(InputFile.from_path(FIXTURES / "evtx" / "system_2008_6009.evtx"))
    assert found is not None and found.kind == "evtx"
    assert asked == []
