"""The console-script entry point: import every command module (each registers itself on the
app), then run the app. Kept apart from `app.py` so that the commands import the app and
nothing imports back."""

import os
import sys

from analyzer.cli import (
    analyze_cmd,  # noqa: F401
    certutil_cmd,  # noqa: F401
    collector_cmd,  # noqa: F401
    events_cmd,  # noqa: F401
    serve_cmd,  # noqa: F401
    triage_cmd,  # noqa: F401
)
from analyzer.cli.app import app, stderr, stdout


def _widen_piped_output() -> None:
    """Piped or redirected output (a ticket note, a file) gets a wide page instead of rich's
    80-column default, so that 40-digit thumbprints and subjects stay on one line."""
    if os.environ.get("COLUMNS"):
        return
    for console, stream in ((stdout, sys.stdout), (stderr, sys.stderr)):
        if not stream.isatty():
            console.width = 160


def main() -> None:
    """Console-script entry point (`certtriage`, `python -m analyzer`)."""
    _widen_piped_output()
    app()
