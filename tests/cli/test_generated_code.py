"""The dataclass methods compiled once per user (analyzer/cli/generated_code.py): the same classes
with and without the store, a changed class compiled anew, nothing installed without a cache
folder, a damaged store ignored, and the command line's output unchanged."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analyzer import __version__
from analyzer.cli import generated_code
from analyzer.resources import CACHE_VARIABLE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path))
    generated_code.uninstall()
    yield tmp_path
    generated_code.uninstall()


def _make(extra: str = "") -> type:
    namespace: dict[str, object] = {}
    exec(
        "from dataclasses import dataclass, field\n"
        "@dataclass(frozen=True)\n"
        "class Point:\n"
        "    x: int\n"
        "    y: int = 2\n"
        "    tags: tuple[str, ...] = field(default=(), compare=False)\n" + extra,
        namespace,
    )
    return namespace["Point"]  # type: ignore[return-value]


def _behaviour(cls: Any) -> tuple[object, ...]:
    a, b = cls(1), cls(1, 2, ("t",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.x = 3
    return (repr(a), a == b, hash(a) == hash(b), cls(1, 3) == a, cls.__init__.__defaults__)


def test_classes_behave_the_same_compiled_or_from_the_store(cache: Path) -> None:
    plain = _behaviour(_make())
    store = generated_code.cache_generated_code()
    assert store is not None and generated_code.cache_generated_code() is store  # once
    assert _behaviour(_make()) == plain
    assert store.new > 0
    store.save()
    [saved] = (cache / __version__ / "dataclasses").glob("*.marshal")
    generated_code.uninstall()

    again = generated_code.cache_generated_code()
    assert again is not None and again is not store
    assert _behaviour(_make()) == plain
    assert again.new == 0  # every method from the store
    _make("    z: int = 0\n")  # a changed class: its new source is compiled
    assert again.new > 0
    again.save()
    assert len(generated_code.GeneratedCode(saved).stored) > len(store.stored)


def test_nothing_installed_without_a_cache_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_VARIABLE, "")
    generated_code.uninstall()
    assert generated_code.cache_generated_code() is None
    assert "exec" not in dataclasses.__dict__


def test_a_damaged_store_is_ignored_and_replaced(cache: Path) -> None:
    path = generated_code.store_path()
    assert path is not None
    path.write_bytes(b"\x00not marshal")
    store = generated_code.cache_generated_code()
    assert store is not None and store.stored == {}
    assert _behaviour(_make())
    store.save()
    assert generated_code.GeneratedCode(path).stored


def test_the_command_line_prints_the_same_with_the_store(tmp_path: Path) -> None:
    dump = ROOT / "fixtures/real/certutil"
    first = str(sorted(dump.glob("*.txt"))[0])
    command = [sys.executable, "-m", "analyzer", "certutil", "--json", first]
    outputs = []
    for setting in ("", str(tmp_path), str(tmp_path)):  # off, then compiled and stored, then loaded
        env = {**os.environ, CACHE_VARIABLE: setting}
        outputs.append(subprocess.run(command, capture_output=True, env=env, cwd=ROOT).stdout)
    assert outputs[0] and outputs[0] == outputs[1] == outputs[2]
    assert list((tmp_path / __version__ / "dataclasses").glob("*.marshal"))
