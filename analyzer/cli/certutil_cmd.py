"""`certtriage certutil FILE... [--json]`: the certificates and private keys of saved certutil
dumps, as one table per dump or as the `certtriage.certutil/1` JSON document."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer
from rich.table import Table
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
from analyzer.errors import CerttriageError
from analyzer.inputs.files import InputFile, display_path
from analyzer.model import Certificate, ReadResult, Status
from analyzer.readers import ReadOptions
from analyzer.readers.certutil import KIND, read_certutil
from analyzer.render.json import certutil_document, dumps
from analyzer.visible import visible

_COLUMNS = ("#", "thumbprint", "subject", "provider", "KeySpec", "exportable", "key state")


def read_certutil_input(argument: str) -> ReadResult:
    """Read one argument; an unreadable file becomes an `error` result naming it."""
    display = display_path(argument)
    try:
        file = InputFile.from_path(argument)
        return read_certutil(file, ReadOptions())
    except OSError as exc:
        result = ReadResult(display, KIND)
        result.fail(f"cannot open: {exc.strerror or exc}")
        return result
    except CerttriageError as exc:
        result = ReadResult(display, KIND)
        result.fail(str(exc).removeprefix(f"{display}: "))
        return result


def _cell(value: object) -> Text:
    # Customer text is shown as is: no rich markup, no emoji codes.
    if value is None:
        return Text("-")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    return Text(visible(str(value)))


def _row(cert: Certificate) -> list[Text]:
    key = cert.key
    state = "no key" if key is None else key.state
    if key is not None and key.error is not None:
        state += f" ({key.error.code or ''} {key.error.name or ''})".replace("( ", "(").rstrip()
    exportable: object = None if key is None else key.exportable
    if key is not None and key.export_policy == "encrypted-only":
        exportable = "yes (encrypted only)"
    provider = None
    if key is not None and key.provider:
        provider = key.provider + (f" [{key.provider_class}]" if key.provider_class else "")
    return [
        _cell(cert.index),
        _cell(cert.thumbprint),
        _cell(cert.subject),
        _cell(provider),
        _cell(None if key is None else key.keyspec),
        _cell(exportable),
        _cell(state),
    ]


def _print_tables(results: list[ReadResult]) -> None:
    for result in results:
        encoding = f", {result.encoding}" if result.encoding else ""
        title = f"{result.path} [{result.status.value}{encoding}]"
        if result.certificates:
            table = Table(title=Text(visible(title)), title_justify="left", show_lines=False)
            for column in _COLUMNS:
                table.add_column(column, overflow="fold", no_wrap=column == "thumbprint")
            for cert in result.certificates:
                table.add_row(*_row(cert))
            stdout.print(table)
        else:
            stdout.print(Text(visible(f"{title}: no certificates")))
        for message in result.messages:
            stdout.print(Text(visible(f"  {message.level.value}: {message}")))


@app.command("certutil")
def certutil_command(
    files: Annotated[
        list[str],
        typer.Argument(
            metavar="FILE...", help="Saved output of certutil [-v] [-user] -store (any encoding)."
        ),
    ],
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the certtriage.certutil/1 JSON document, nothing else."),
    ] = False,
) -> None:
    """Read certutil -store / -repairstore / -exportPFX / -dump output: thumbprint, subject,
    provider, KeySpec, exportability and key state of every certificate."""
    results = [guarded(path, partial(read_certutil_input, path)) for path in files]
    if as_json:
        typer.echo(dumps(certutil_document(results)), nl=False)
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
        guarded("the certificate table", lambda: _print_tables(results))
    usable = any(r.status in (Status.OK, Status.PARTIAL) for r in results)
    raise typer.Exit(EXIT_OK if usable else EXIT_NO_INPUT)
