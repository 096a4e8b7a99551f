"""The console-script entry point: the list of commands, then the app.

Each command is one line below: its name and the module that registers it (with
``@app.command(name)``). The module is imported only when its command runs or `--help` lists
the commands, so that one command's start-up never pays for another's imports. Kept apart from
`app.py` so that the commands import the app and nothing imports back."""

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn

from analyzer.cli.app import app, command_module, stderr, stdout

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
    """The program: parse the command line, run the command; ends with SystemExit."""
    _widen_piped_output()
    app()


def run() -> NoReturn:
    """Console-script entry point (`certtriage`, `python -m analyzer`): `main`, then the process
    ends without taking every module and object apart one by one, which a small `analyze` pays
    about 40 ms of CPU for. The exit handlers run and the standard streams are flushed first, as
    at a normal exit; with another thread still running, the normal exit (which waits for it)
    is taken."""
    try:
        main()
        code: str | int | None = None
    except SystemExit as exit:
        code = exit.code
    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if threading.active_count() > 1 or run_handlers is None:
        sys.exit(code)
    status = _exit_status(code)
    run_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # a closed pipe, no stream
            if stream is sys.stdout and status == 0:
                status = 120  # what Python exits with when stdout cannot be flushed
    os._exit(status)


def _exit_status(code: str | int | None) -> int:
    """The status Python exits with for ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(f"{code}\n")
    return 1
