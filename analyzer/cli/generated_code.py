"""Start-up: the methods `dataclasses` writes for each record class, compiled once per user.

For every dataclass, `dataclasses` writes the source of ``__init__``, ``__repr__``, ``__eq__``,
``__hash__`` (and for a frozen class ``__setattr__``/``__delattr__``) and compiles it with
``exec`` each run: about 600 small compilations for the package's 110 classes, a fifth of a small
`certtriage analyze` (about 70 ms of CPU). `cache_generated_code` gives the `dataclasses` module
an ``exec`` of its own that looks each source text up among the code objects compiled by an
earlier run (the text itself is the key, so a changed class is compiled anew) and runs that code,
which is what ``exec`` of the text does; new texts are stored when the process exits.

The store lives in the user's cache folder (`analyzer.resources.cache_dir`, never a shared temp
folder: it is code), one file per Python version (marshal's format and the bytecode are the
interpreter's own). Without the folder, or with ``CERTTRIAGE_CACHE_DIR`` set empty, nothing
changes. Only the command line installs it (`analyzer.cli.commands.main`), so a program that
imports `analyzer` as a library keeps the standard ``dataclasses``.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import dataclasses
import marshal
import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

from analyzer.resources import cache_dir

# Beyond this many texts the store keeps only those one run used (the union of every command's
# classes is about 700; a store that keeps growing means classes that keep changing).
LIMIT = 5000


class GeneratedCode:
    """Compiled source texts by text: ``exec`` for the `dataclasses` module, ``save`` at exit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stored: dict[str, CodeType] | None = None  # read when the first class is made
        self.used: dict[str, CodeType] = {}
        self.new = 0

    @property
    def stored(self) -> dict[str, CodeType]:
        if self._stored is None:
            self._stored = _load(self.path)
        return self._stored

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:
        if type(source) is str:
            code = self.stored.get(source)
            if code is None:
                # What exec(text) inside `dataclasses` compiles: no __future__ flag of this module.
                code = compile(source, "<string>", "exec", dont_inherit=True)
                self.stored[source] = code
                self.new += 1
            self.used[source] = code
            source = code
        builtins.exec(source, globals, locals)

    def save(self) -> None:
        """Write the store when this run compiled a text it did not hold (whole or not at all)."""
        if not self.new:
            return
        keep = self.stored if len(self.stored) <= LIMIT else self.used
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")
        try:
            partial.write_bytes(marshal.dumps(keep))
            os.replace(partial, self.path)
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                partial.unlink()


def _load(path: Path) -> dict[str, CodeType]:
    try:
        stored = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):  # none yet, unreadable, truncated
        return {}
    if not isinstance(stored, dict) or not all(
        type(text) is str and type(code) is CodeType for text, code in stored.items()
    ):
        return {}
    return stored


def store_path() -> Path | None:
    """This interpreter's store in the user's cache folder; None when there is none."""
    folder = cache_dir("dataclasses")
    if folder is None:
        return None
    return folder / f"{sys.implementation.cache_tag}-{sys.hexversion:x}.marshal"


def cache_generated_code() -> GeneratedCode | None:
    """Install the store's ``exec`` in `dataclasses` (once per process); None when there is no
    cache folder."""
    installed = dataclasses.__dict__.get("exec")
    if isinstance(getattr(installed, "__self__", None), GeneratedCode):
        return installed.__self__  # type: ignore[no-any-return, union-attr]
    path = store_path()
    if path is None:
        return None
    store = GeneratedCode(path)
    dataclasses.exec = store.exec  # type: ignore[attr-defined]
    atexit.register(store.save)
    return store


def uninstall() -> None:
    """Give `dataclasses` back the builtin ``exec`` (tests)."""
    dataclasses.__dict__.pop("exec", None)
