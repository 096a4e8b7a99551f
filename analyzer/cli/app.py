"""The `certtriage` Typer application, its global options and its exit codes.

Exit codes, shared by every command that reads inputs:
  0  at least one input was read (`ok` or `partial`)       (analyze: and no fault found)
  1  analyze only: at least one `fault` diagnosis
  2  usage error
  3  no usable input
  4  analyze only: failure events of a known service (Schannel 36870, Remote Desktop
     1057/1058) present but no rule explains them
  5  triage only: some tickets could not be analysed
  70 internal error (one line; the traceback only with -v)
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable
from typing import TypeVar

import typer
from rich.console import Console

from analyzer import __version__
from analyzer.errors import UsageError
from analyzer.model import ReadResult
from analyzer.readers.evtx.reader import ENGINES
from analyzer.visible import visible

EXIT_OK = 0
EXIT_FAULT = 1
EXIT_USAGE = 2
EXIT_NO_INPUT = 3
EXIT_UNEXPLAINED = 4
EXIT_TICKETS_FAILED = 5
EXIT_INTERNAL = 70

app = typer.Typer(
    name="certtriage",
    help=(
        "Offline triage of IIS SSL-binding failures (HRESULT 0x80070520, Schannel 36870) "
        "from certutil dumps, event logs and related evidence."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help paragraphs are reflowed (docstrings are wrapped at the code's width, not the screen's).
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)

# The evtx engines --engine takes (analyze, events, triage), from the evtx reader's own list.
ENGINE_CHOICES = " or ".join(ENGINES)

stdout = Console(soft_wrap=True, highlight=False)
stderr = Console(stderr=True, soft_wrap=True, highlight=False)


class State:
    verbose: bool = False


def _version(value: bool) -> None:
    if value:
        typer.echo(f"certtriage {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Show tracebacks of internal errors and every message."
    ),
) -> None:
    """certtriage: which scenario broke the SSL binding, on which certificate, and the fix."""
    State.verbose = verbose


def print_every_message(results: Iterable[ReadResult]) -> None:
    """With -v, every message of every input on stderr (a --json run's stdout stays pure)."""
    if State.verbose:
        for result in results:
            for message in result.messages:
                stderr.print(visible(f"{message.level.value}: {message}"), markup=False)


def engine_option(engine: str | None) -> str | None:
    """--engine, checked against the evtx reader's engines (a usage error otherwise)."""
    if engine is not None and engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    return engine


T = TypeVar("T")


def guarded(what: str, action: Callable[[], T]) -> T:
    """Run one step; an unexpected exception becomes one line naming ``what`` and exit 70."""
    try:
        return action()
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        stderr.print("certtriage: interrupted")
        raise typer.Exit(130) from None
    except Exception as exc:  # the one place that turns crashes into exit 70
        if State.verbose:
            traceback.print_exc(file=sys.stderr)
        stderr.print(
            visible(
                f"certtriage: internal error while processing {what}: {type(exc).__name__}: {exc}"
            ),
            markup=False,
        )
        raise typer.Exit(EXIT_INTERNAL) from None
