"""`certtriage events FILE...`: the relevant events of event logs and exports, as a table or as
`certtriage.events/1` JSON, with what each input covers."""

from __future__ import annotations

from typing import Annotated

import typer

from analyzer.cli.app import (
    ENGINE_CHOICES,
    EXIT_NO_INPUT,
    EXIT_OK,
    EXIT_USAGE,
    app,
    engine_option,
    guarded,
    print_every_message,
    stderr,
    stdout,
)
from analyzer.errors import UsageError
from analyzer.model import Status
from analyzer.readers import ReadOptions
from analyzer.reading import EVENT_INPUTS, read_paths
from analyzer.render.json import dumps, events_document
from analyzer.render.terminal import event_table
from analyzer.visible import visible


@app.command("events")
def events_command(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE...",
            help="Event logs (.evtx) or exports (XML, text, CSV); folders and archives too.",
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the certtriage.events/1 JSON document, nothing else."),
    ] = False,
    engine: Annotated[
        str | None,
        typer.Option("--engine", help=f"Binary .evtx engine: {ENGINE_CHOICES} (default: fastest)."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", min=0, help="Table rows to show (0 = all); --json has all."),
    ] = 200,
) -> None:
    """List the events that bear on a private-key failure (Schannel 36867-36889, HttpEvent,
    IIS, CAPI2 70, RDP 1057/1058, boot events) and what part of each log was read."""
    try:
        options = ReadOptions(engine=engine_option(engine))
    except UsageError as exc:
        stderr.print(visible(f"certtriage events: {exc}"), markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    results = guarded(", ".join(files), lambda: read_paths(files, options, EVENT_INPUTS))
    results.sort(key=lambda r: r.path)
    if as_json:
        typer.echo(dumps(events_document(results)), nl=False)
        print_every_message(results)
    else:
        for line in guarded("the event table", lambda: event_table(results, limit)):
            # Customer text is printed as is: no markup, no emoji codes.
            stdout.print(visible(line), markup=False, emoji=False, highlight=False)
    usable = any(r.status in (Status.OK, Status.PARTIAL) for r in results)
    raise typer.Exit(EXIT_OK if usable else EXIT_NO_INPUT)
