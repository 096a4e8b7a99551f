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


Start-up: a command's module is imported only when that command runs (or `--help` lists the
commands), and rich only when something is printed through it, so `certtriage --version` and a
`--json` run load neither the other commands nor the readers they need (docs/architecture.md).
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import typer
from typer.core import TyperGroup

from analyzer import __version__
from analyzer.errors import UsageError
from analyzer.visible import visible

if TYPE_CHECKING:
    from rich.console import Console

    from analyzer.model import ReadResult

EXIT_OK = 0
EXIT_FAULT = 1
EXIT_USAGE = 2
EXIT_NO_INPUT = 3
EXIT_UNEXPLAINED = 4
EXIT_TICKETS_FAILED = 5
EXIT_INTERNAL = 70


class LazyCommandGroup(TyperGroup):
    """The command group: besides the commands already registered on ``app``, every command
    named with `command_module` is listed, and its module imported (it registers itself with
    ``@app.command(name)``) only when the command is looked up."""

    modules: ClassVar[dict[str, str]] = {}  # command name -> module that registers it

    def list_commands(self, ctx: Any) -> list[str]:
        """The declared commands in their order, then any registered by an import alone."""
        return list(self.modules) + [n for n in super().list_commands(ctx) if n not in self.modules]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in self.modules:
            importlib.import_module(self.modules[cmd_name])
            for info in app.registered_commands:
                if info.name == cmd_name:
                    self.commands[cmd_name] = typer.main.get_command_from_info(
                        info,
                        pretty_exceptions_short=app.pretty_exceptions_short,
                        rich_markup_mode=app.rich_markup_mode,
                    )
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and args[0] not in self.modules:
            # A name that is no command: typer's "did you mean" looks among the loaded ones.
            for name in self.modules:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


def command_module(name: str, module: str) -> None:
    """Declare the command ``name``, registered by ``module`` when it is first needed."""
    LazyCommandGroup.modules[name] = module


app = typer.Typer(
    cls=LazyCommandGroup,
    name="certtriage",
    help=(
        "Offline triage of Windows services that cannot use their TLS certificate's private key "
        "(IIS / HTTP.sys: HRESULT 0x80070520, Schannel 36870; Remote Desktop, SQL Server, WinRM "
        "HTTPS, AD FS, Exchange) from certutil dumps, event logs and related evidence."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help paragraphs are reflowed (docstrings are wrapped at the code's width, not the screen's).
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


class _ConsoleOnFirstUse:
    """A rich Console made when first used (importing rich costs about 25 ms a run); attributes
    set before that (the width of piped output) are applied when it is made."""

    def __init__(self, **options: Any) -> None:
        object.__setattr__(self, "_options", options)
        object.__setattr__(self, "_console", None)

    def _made(self) -> Console:
        console = object.__getattribute__(self, "_console")
        if console is None:
            from rich.console import Console

            console = Console(**object.__getattribute__(self, "_options"))
            object.__setattr__(self, "_console", console)
        return cast("Console", console)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._made(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if object.__getattribute__(self, "_console") is None:
            object.__getattribute__(self, "_options")[name] = value
        else:
            setattr(self._made(), name, value)


stdout = cast("Console", _ConsoleOnFirstUse(soft_wrap=True, highlight=False))
stderr = cast("Console", _ConsoleOnFirstUse(stderr=True, soft_wrap=True, highlight=False))


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


def __getattr__(name: str) -> str:
    """``ENGINE_CHOICES``: the evtx engines --engine takes (analyze, events, triage), from the
    evtx reader's own list, read when a command that has the option is imported (the reader is
    not loaded for --version or the other commands)."""
    if name == "ENGINE_CHOICES":
        from analyzer.readers.evtx.reader import ENGINES

        return " or ".join(ENGINES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def engine_option(engine: str | None) -> str | None:
    """--engine, checked against the evtx reader's engines (a usage error otherwise)."""
    from analyzer.readers.evtx.reader import ENGINES

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
