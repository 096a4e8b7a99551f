"""Every command: the version flag, help text for each, and an entry in the README."""

from __future__ import annotations

import subprocess
import sys

from analyzer import __version__


def test_version_flag_prints_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "analyzer", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"certtriage {__version__}"


def test_every_command_has_help_and_is_documented_in_the_readme() -> None:
    """A new command without help text or a README entry fails here (sqlite-utils style)."""
    from pathlib import Path

    import analyzer.cli.commands  # noqa: F401  (registers the commands)
    from analyzer.cli.app import app

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    names = []
    for command in app.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        names.append(name)
        help_text = command.help or (command.callback.__doc__ or "")
        assert len(help_text.strip()) > 20, f"{name}: no help text"
        assert f"certtriage {name}" in readme, f"{name}: not in README.md"
    assert sorted(names) == ["analyze", "certutil", "collector", "events", "serve", "triage"]
