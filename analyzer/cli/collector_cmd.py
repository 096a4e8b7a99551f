"""`certtriage collector [--out FILE] [--days N]`: write the PowerShell script that gathers, on
the customer's server, everything a verdict needs into one zip (docs/collector.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from analyzer.cli.app import EXIT_OK, EXIT_USAGE, app, stderr, stdout
from analyzer.collector import DEFAULT_DAYS, MAX_DAYS, RUN_LINE, SCRIPT_NAME, render_script


@app.command("collector")
def collector(
    out: Annotated[
        str,
        typer.Option(
            "--out", help=f"Write the script here ('-': stdout; default ./{SCRIPT_NAME})."
        ),
    ] = SCRIPT_NAME,
    days: Annotated[
        int,
        typer.Option(
            "--days",
            min=1,
            max=MAX_DAYS,
            help="Days of System and Application log the script exports by default.",
        ),
    ] = DEFAULT_DAYS,
) -> None:
    """Write the collector script to send to the customer: Windows PowerShell 4.0+ or
    PowerShell 7, nothing to install; it changes nothing and never collects private keys. Its
    zip is read by `certtriage analyze` as one ticket."""
    script = render_script(days).encode("ascii")
    if out == "-":
        sys.stdout.buffer.write(script)
        sys.stdout.flush()
        raise typer.Exit(EXIT_OK)
    target = Path(out)
    try:
        target.write_bytes(script)
    except OSError as exc:
        stderr.print(
            f"certtriage collector: cannot write --out {out}: {exc.strerror or exc}", markup=False
        )
        raise typer.Exit(EXIT_USAGE) from None
    stdout.print(f"wrote {target} (logs of the last {days} days by default)", markup=False)
    stdout.print(
        f"attach it to the reply; the customer runs, from an elevated prompt: {RUN_LINE}",
        markup=False,
    )
    stdout.print("then analyse the zip it names: certtriage analyze <zip>", markup=False)
