"""Shared test helpers: where the project's fixtures and the workplace's real samples are."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED_SAMPLES = ROOT.parent / "shared" / "real-samples"

# The fixture writers live in fixtures/writers and are imported by tests and benchmarks.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def shared_samples(kind: str) -> Path:
    """``../shared/real-samples/<kind>``; skips the test when the folder is not beside the clone."""
    path = SHARED_SAMPLES / kind
    if not path.is_dir():
        pytest.skip(
            f"real samples not available at {path} (they live beside the clone in ../shared)"
        )
    return path
