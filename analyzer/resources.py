"""Find the grammar and report templates, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

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
