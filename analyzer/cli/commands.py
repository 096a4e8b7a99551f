"""The console-script entry point: the list of commands, then the app.

Each command is one line below: its name and the module that registers it (with
``@app.command(name)``). The module is imported only when its command runs or `--help` lists
the commands, so that one command's start-up never pays for another's imports. Kept apart from
`app.py` so that the commands import the app and nothing imports back."""

import os
import sys

from analyzer.cli.app import app, command_module, stderr, stdout
from analyzer.cli.generated_code import cache_generated_code

command_module("analyze", "analyzer.cli.analyze_cmd")
command_module("certutil", "analyzer.cli.certutil_cmd")
command_module("collector", "analyzer.cli.collector_cmd")
command_module("events", "analyzer.cli.events_cmd")
command_module("serve", "analyzer.cli.serve_cmd")
command_module("triage", "analyzer.cli.triage_cmd")


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
    cache_generated_code()
    app()
