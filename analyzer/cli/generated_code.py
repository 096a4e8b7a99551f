"""Start-up: what Python compiles anew every run from the package's own code, compiled once per user.

Two things cost a small `certtriage analyze` about a third of its CPU time before any input is
read, and both give the same result from the same text every time:

- the methods `dataclasses` writes for each record class (``__init__``, ``__repr__``,
  ``__eq__``, ``__hash__``, a frozen class's ``__setattr__``/``__delattr__``): about 600 small
  source texts for the package's 110 classes, each compiled with ``exec`` (about 70 ms);
- the regular expressions compiled when the modules are imported (about 250; about 45 ms):
  `re` parses each pattern and turns it into the matcher's code in Python.

`cache_generated_code` keeps both in the user's cache folder (`analyzer.resources.cache_dir`,
never a shared temp folder: what is loaded is code), one store each per Python version (the
bytecode, the matcher's code and marshal's format are the interpreter's own): `dataclasses` gets
an ``exec`` of its own that runs the code object compiled from the same text by an earlier run;
`re`'s compiler step returns the pattern made from the matcher code an earlier run computed for
the same (pattern, flags) while a module was imported (a pattern a function makes from the data
it reads is compiled as usual, never stored). The text is the key, so an edited class or pattern is compiled anew;
what a run compiled is added to its store when the process exits. Without the folder, or with
``CERTTRIAGE_CACHE_DIR`` set empty, nothing changes. Only the command line installs it
(`analyzer.cli.commands.main`): a program that imports `analyzer` as a library keeps the standard
`dataclasses` and `re`.
"""

from __future__ import annotations

import _sre
import atexit
import builtins
import contextlib
import dataclasses
import importlib
import marshal
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any

from analyzer.resources import cache_dir

if TYPE_CHECKING:
    from analyzer.triage.job import TicketJob, TicketOutcome

# `re`'s compiler step: re._compiler from Python 3.11, sre_compile before.
_re_compiler: Any = importlib.import_module(
    "re._compiler" if sys.version_info >= (3, 11) else "sre_compile"
)
_parse: Any = getattr(_re_compiler, "_parser", None) or _re_compiler.sre_parse

# Beyond this many entries a store keeps only those one run used (every command's classes and
# patterns together are about 1,000; a store that keeps growing holds edited ones).
LIMIT = 5000


class Store:
    """One store: compiled artefacts by source key, read on first use, written at exit when a
    run added one (whole or not at all)."""

    def __init__(self, path: Path, valid: Callable[[object, object], bool]) -> None:
        self.path = path
        self.valid = valid
        self._stored: dict[Any, Any] | None = None
        self.used: dict[Any, Any] = {}
        self.new = 0

    @property
    def stored(self) -> dict[Any, Any]:
        if self._stored is None:
            self._stored = self._load()
        return self._stored

    def get(self, key: Any) -> Any:
        value = self.stored.get(key)
        if value is not None:
            self.used[key] = value
        return value

    def put(self, key: Any, value: Any) -> None:
        self.stored[key] = self.used[key] = value
        self.new += 1

    def _load(self) -> dict[Any, Any]:
        try:
            stored = marshal.loads(self.path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):  # none yet, unreadable, truncated
            return {}
        if not isinstance(stored, dict) or not all(self.valid(k, v) for k, v in stored.items()):
            return {}
        return stored

    def save(self) -> None:
        if not self.new:
            return
        # Another process (a triage worker, a second command) may have written the store since
        # this one read it: keep what it added too.
        keep = {**self._load(), **self.stored}
        if len(keep) > LIMIT:
            keep = self.used
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")
        try:
            partial.write_bytes(marshal.dumps(keep))
            os.replace(partial, self.path)
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                partial.unlink()


class GeneratedCode:
    """``exec`` for the `dataclasses` module: a source text's code object from the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:
        if type(source) is str:
            code = self.store.get(source)
            if code is None:
                # What exec(text) inside `dataclasses` compiles: no __future__ flag of this module.
                code = compile(source, "<string>", "exec", dont_inherit=True)
                self.store.put(source, code)
            source = code
        builtins.exec(source, globals, locals)


def _valid_code(key: object, value: object) -> bool:
    return type(key) is str and type(value) is CodeType


class CompiledPatterns:
    """`re`'s compiler step (``re._compiler.compile``): the matcher code of a (pattern, flags)
    from the store, handed to ``_sre.compile`` as the standard step hands it."""

    def __init__(self, store: Store, standard: Callable[..., Any]) -> None:
        self.store = store
        self.standard = standard

    def compile(self, pattern: Any, flags: Any = 0) -> Any:
        kind = type(pattern)
        if (kind is not str and kind is not bytes) or flags & _re_compiler.SRE_FLAG_DEBUG:
            return self.standard(pattern, flags)
        key = (pattern, int(flags))
        made = self.store.get(key)
        if made is None:
            if not _in_module_body():  # a pattern made from data: compiled, never stored
                return self.standard(pattern, flags)
            parsed = _parse.parse(pattern, flags)
            code = _re_compiler._code(parsed, flags)
            groupindex = dict(parsed.state.groupdict)
            indexgroup: list[str | None] = [None] * parsed.state.groups
            for name, index in groupindex.items():
                indexgroup[index] = name
            made = (
                int(flags | parsed.state.flags),
                [int(op) for op in code],  # opcodes are int subclasses: marshal wants int
                parsed.state.groups - 1,
                groupindex,
                tuple(indexgroup),
            )
            self.store.put(key, made)
        final, code, groups, groupindex, indexgroup = made
        return _sre.compile(pattern, final, code, groups, groupindex, indexgroup)


def _in_module_body(depth: int = 6) -> bool:
    """Whether a module's body (an import) is among the few callers above: what is compiled
    there is the same every run, unlike a pattern a function builds from the data it reads
    (paths, names, the keys of a set in the order of this run's hashes)."""
    frame: FrameType | None = sys._getframe(2)
    for _ in range(depth):
        if frame is None:
            return False
        if frame.f_code.co_name == "<module>":
            return frame.f_globals.get("__name__") != "__main__"
        frame = frame.f_back
    return False


def _valid_pattern(key: object, value: object) -> bool:
    return (
        type(key) is tuple
        and len(key) == 2
        and type(key[0]) in (str, bytes)
        and type(key[1]) is int
        and type(value) is tuple
        and len(value) == 5
        and type(value[0]) is int
        and type(value[1]) is list
        and type(value[2]) is int
        and type(value[3]) is dict
        and type(value[4]) is tuple
    )


def store_path(name: str) -> Path | None:
    """This interpreter's store ``name`` in the user's cache folder; None when there is none."""
    folder = cache_dir(name)
    if folder is None:
        return None
    return folder / f"{sys.implementation.cache_tag}-{sys.hexversion:x}.marshal"


# What a CPython whose `re` compiler step differs from the one above does not get.
_PATTERNS_KNOWN = sys.implementation.name == "cpython" and hasattr(_re_compiler, "_code")


def cache_generated_code() -> tuple[GeneratedCode, CompiledPatterns | None] | None:
    """Install both stores (once per process); None when there is no cache folder."""
    installed = dataclasses.__dict__.get("exec")
    if isinstance(getattr(installed, "__self__", None), GeneratedCode):
        patterns = getattr(_re_compiler.compile, "__self__", None)
        return installed.__self__, patterns  # type: ignore[union-attr]
    classes_path, patterns_path = store_path("dataclasses"), store_path("patterns")
    if classes_path is None or patterns_path is None:
        return None
    classes = GeneratedCode(Store(classes_path, _valid_code))
    dataclasses.exec = classes.exec  # type: ignore[attr-defined]
    atexit.register(classes.store.save)
    patterns = None
    if _PATTERNS_KNOWN:
        patterns = CompiledPatterns(Store(patterns_path, _valid_pattern), _re_compiler.compile)
        _re_compiler.compile = patterns.compile
        atexit.register(patterns.store.save)
    return classes, patterns


def uninstall() -> None:
    """Give `dataclasses` and `re` back their own steps (tests)."""
    dataclasses.__dict__.pop("exec", None)
    patterns = getattr(_re_compiler.compile, "__self__", None)
    if isinstance(patterns, CompiledPatterns):
        _re_compiler.compile = patterns.standard


def run_ticket(job: TicketJob) -> TicketOutcome:
    """`certtriage triage`'s job in a worker process (`analyzer.triage.job.run_ticket`), with the
    stores installed first: a worker imports the readers, rules and renderers for its first
    ticket."""
    cache_generated_code()
    from analyzer.triage.job import run_ticket as run

    return run(job)
