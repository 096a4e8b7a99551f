"""Find the grammar and report templates, in a source checkout and in an installed wheel; the
user's cache folder for what is compiled from them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from analyzer import __version__

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """``grammars``, ``reports`` or ``collector``: shipped inside the wheel as ``analyzer/_data/<name>``,
    found beside the package in a source checkout."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"certtriage resource folder {name!r} is missing from the installation")


def grammar_path(filename: str) -> Path:
    return data_dir("grammars") / filename


def reports_dir() -> Path:
    return data_dir("reports")


CACHE_VARIABLE = "CERTTRIAGE_CACHE_DIR"


def cache_dir(name: str) -> Path | None:
    """The user's own folder for ``name``'s compiled artefacts (the report templates' bytecode,
    the certutil parser tables), made on first use; None when it cannot be made (the caller then
    compiles every run). Never a shared temp folder: what is loaded from here is code.
    ``CERTTRIAGE_CACHE_DIR`` moves it; set to an empty value it turns the cache off."""
    base = os.environ.get(CACHE_VARIABLE)
    if base == "":
        return None
    try:
        if base is None:
            if sys.platform == "win32":
                root = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
            else:
                root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
            base = str(Path(root) / "certtriage")
        folder = Path(base) / __version__ / name
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # no home folder, read-only, a file in the way
        return None
    return folder
