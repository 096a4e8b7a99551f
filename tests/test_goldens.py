"""Every command's JSON for every fixture ticket and file equals its golden (`make bless`)."""

from __future__ import annotations

import difflib

import pytest

from tests.golden_outputs import GOLDENS, Golden, goldens, produce

ALL = goldens()


@pytest.mark.parametrize("golden", ALL, ids=lambda g: f"{g.command}:{g.input}")
def test_output_equals_golden(golden: Golden) -> None:
    assert golden.path.is_file(), f"no golden for {golden.input}: run `make bless`"
    expected = golden.path.read_text(encoding="utf-8")
    actual = produce(golden)
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                "golden",
                "now",
                n=1,
            )
        )
        pytest.fail(f"{golden.command} {golden.input} differs from its golden:\n{diff[:6000]}")


def test_no_stale_goldens() -> None:
    wanted = {g.path for g in ALL}
    stale = sorted(str(p.relative_to(GOLDENS)) for p in GOLDENS.rglob("*.json") if p not in wanted)
    assert not stale, f"goldens without a fixture (run `make bless`): {stale}"
