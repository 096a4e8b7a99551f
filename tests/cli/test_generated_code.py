"""The dataclass methods and regular expressions compiled once per user
(analyzer/cli/generated_code.py): the same classes and patterns with and without the stores, a
changed class compiled anew, nothing installed without a cache folder, a damaged store ignored,
and the command line's output unchanged."""

from __future__ import annotations

import dataclasses
import os
import re
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


def _install() -> tuple[generated_code.GeneratedCode, generated_code.CompiledPatterns]:
    installed = generated_code.cache_generated_code()
    assert installed is not None
    classes, patterns = installed
    assert patterns is not None
    return classes, patterns


def test_classes_behave_the_same_compiled_or_from_the_store(cache: Path) -> None:
    plain = _behaviour(_make())
    classes, _ = _install()
    assert generated_code.cache_generated_code() == (classes, _install()[1])  # once
    assert _behaviour(_make()) == plain
    assert classes.store.new > 0
    classes.store.save()
    [saved] = (cache / __version__ / "dataclasses").glob("*.marshal")
    generated_code.uninstall()

    again, _ = _install()
    assert again is not classes
    assert _behaviour(_make()) == plain
    assert again.store.new == 0  # every method from the store
    _make("    z: int = 0\n")  # a changed class: its new source is compiled
    assert again.store.new > 0
    again.store.save()
    reread = generated_code.Store(saved, generated_code._valid_code)
    assert len(reread.stored) > len(classes.store.stored) - classes.store.new


PATTERNS: list[tuple[str | bytes, int]] = [
    (r"(?P<thumb>[0-9a-f]{40})\s+(?:KeySpec|Schlüsselspezifikation) = (\d)", 0),
    (r"^\s*(?P<name>[^:]+):\s*(?P<value>.*)$", re.MULTILINE | re.IGNORECASE),
    (rb"\x00(?P<magic>ElfChnk)\x00", 0),
    (r"(?x) a (?# comment ) [bc]+ | (?P<d>d)\1?", 0),
]
SUBJECTS: list[str | bytes] = [
    "dee0dade9e4d9adafa53f1204efeb7bb9325bb6d   KeySpec = 2",
    "  Provider : Microsoft\n  Subject: CN=x\n",
    b"..\x00ElfChnk\x00..",
    "abcbd dd",
]


def _patterns_behaviour() -> list[object]:
    """Each pattern compiled as a module's body compiles it (at import), then used."""
    seen: list[object] = []
    re.purge()  # re's own cache of compiled patterns: every one made again below
    module: dict[str, object] = {"__name__": "analyzer.some_reader", "re": re}
    for (text, flags), subject in zip(PATTERNS, SUBJECTS, strict=True):
        exec(f"compiled = re.compile({text!r}, {int(flags)})", module)
        compiled = module["compiled"]
        assert isinstance(compiled, re.Pattern)
        seen.append((compiled.pattern, compiled.flags, compiled.groups, compiled.groupindex))
        seen.append([m.groupdict() or m.group(0) for m in compiled.finditer(subject)])
    return seen


def test_patterns_are_the_same_compiled_or_from_the_store(cache: Path) -> None:
    plain = _patterns_behaviour()
    _, patterns = _install()
    assert _patterns_behaviour() == plain
    assert patterns.store.new == len(PATTERNS)
    patterns.store.save()
    generated_code.uninstall()
    _, again = _install()
    assert _patterns_behaviour() == plain
    assert again.store.new == 0 and len(again.store.used) == len(PATTERNS)
    with pytest.raises(re.error):
        re.compile("(unclosed")


def test_a_pattern_made_from_data_is_not_stored(cache: Path) -> None:
    _, patterns = _install()
    names = ["www.contoso.com", "rdp.contoso.com"]
    found = re.compile("|".join(re.escape(n) for n in names)).findall("rdp.contoso.com!")
    assert found == ["rdp.contoso.com"]
    assert patterns.store.new == 0


def test_nothing_installed_without_a_cache_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_VARIABLE, "")
    generated_code.uninstall()
    standard = generated_code._re_compiler.compile
    assert generated_code.cache_generated_code() is None
    assert "exec" not in dataclasses.__dict__
    assert generated_code._re_compiler.compile is standard


def test_a_damaged_store_is_ignored_and_replaced(cache: Path) -> None:
    path = generated_code.store_path("dataclasses")
    assert path is not None
    path.write_bytes(b"\x00not marshal")
    classes, _ = _install()
    assert classes.store.stored == {}
    assert _behaviour(_make())
    classes.store.save()
    assert generated_code.Store(path, generated_code._valid_code).stored


def test_the_command_line_prints_the_same_with_the_store(tmp_path: Path) -> None:
    """A whole analyze: the same JSON with the stores off, filling and read; a second run with
    the stores adds nothing to them (a class or import-time pattern whose text changes from run
    to run, such as one joined from a set in hash order, would grow them every run)."""
    cache = tmp_path / "cache"
    ticket = "fixtures/tickets/demo-keyspec2"
    command = [sys.executable, "-m", "analyzer", "analyze", ticket, "--json", "-"]
    outputs, stores = [], []
    for run, setting in enumerate(("", str(cache), str(cache), str(cache))):
        env = {**os.environ, CACHE_VARIABLE: setting}
        out = ["--out", str(tmp_path / f"out{run}")]
        outputs.append(subprocess.run(command + out, capture_output=True, env=env, cwd=ROOT).stdout)
        stores.append(sorted((p.name, p.read_bytes()) for p in cache.rglob("*.marshal")))
    assert outputs[0] and outputs[0] == outputs[1] == outputs[2] == outputs[3]
    name = f"{sys.implementation.cache_tag}-{sys.hexversion:x}.marshal"
    assert {stored for stored, _ in stores[1]} == {name}
    assert len(stores[1]) == 2  # dataclasses and patterns
    assert stores[2] == stores[3]


def test_two_processes_saving_keep_what_both_added(tmp_path: Path) -> None:
    path = tmp_path / "store.marshal"
    first = generated_code.Store(path, generated_code._valid_code)
    second = generated_code.Store(path, generated_code._valid_code)
    assert first.stored == second.stored == {}  # both read before either wrote
    first.put("x = 1", compile("x = 1", "<string>", "exec"))
    second.put("y = 2", compile("y = 2", "<string>", "exec"))
    first.save()
    second.save()
    assert set(generated_code.Store(path, generated_code._valid_code).stored) == {"x = 1", "y = 2"}
