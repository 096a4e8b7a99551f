"""`certtriage certutil FILE... [--json]`: the certificates and private keys of saved certutil
dumps, as one table per dump or as the `certtriage.certutil/1` JSON document."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from analyzer.cli.app import (
    EXIT_NO_INPUT,
    EXIT_OK,
    app,
    guarded,
    print_every_message,
    stderr,
    stdout,
)
from analyzer.model import Status
from analyzer.readers import ReadOptions
from analyzer.reading import CERTUTIL_DUMPS, read_paths
from analyzer.render.json import CertutilStream
from analyzer.render.terminal import certificate_tables
from analyzer.visible import visible


@app.command("certutil")
def certutil_command(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE...",
            help="Saved output of certutil [-v] [-user] -store (any encoding); folders and "
            "archives too.",
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the certtriage.certutil/1 JSON document, nothing else."),
    ] = False,
) -> None:
    """Read certutil -store / -repairstore / -exportPFX / -dump output: thumbprint, subject,
    provider, KeySpec, exportability and key state of every certificate."""
    if as_json:
        # Streamed: each dump's certificates are written once it is read, none kept (a dump
        # of any size in bounded memory; the same bytes as one document).
        document = CertutilStream(lambda text: typer.echo(text, nl=False))
        options = ReadOptions(certificates=document.add)
        results = guarded(", ".join(files), lambda: read_paths(files, options, CERTUTIL_DUMPS))
        document.finish(results)
        print_every_message(results)
        for result in results:
            if result.status is not Status.OK:
                stderr.print(
                    Text(
                        visible(
                            f"{result.path}: {result.status.value}, "
                            f"{len(result.messages)} message(s)"
                        )
                    )
                )
    else:
        results = guarded(
            ", ".join(files), lambda: read_paths(files, ReadOptions(), CERTUTIL_DUMPS)
        )
        for renderable in guarded("the certificate table", lambda: certificate_tables(results)):
            stdout.print(renderable)
    usable = any(r.status in (Status.OK, Status.PARTIAL) for r in results)
    raise typer.Exit(EXIT_OK if usable else EXIT_NO_INPUT)
