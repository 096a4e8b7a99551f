"""`certtriage analyze PATH...`: one ticket, one verdict, a report, and an exit code.

Exit codes (precedence in this order): 2 usage error; 3 no usable input; 1 at least one fault;
4 Schannel 36870 present but no rule explains it; 0 otherwise; 70 internal error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analyzer.case import normalise_thumbprint, parse_at
from analyzer.cli.app import (
    ENGINE_CHOICES,
    EXIT_FAULT,
    EXIT_NO_INPUT,
    EXIT_OK,
    EXIT_UNEXPLAINED,
    EXIT_USAGE,
    State,
    app,
    engine_option,
    guarded,
    stderr,
    stdout,
)
from analyzer.errors import UsageError
from analyzer.model import Analysis
from analyzer.pipeline import AnalysisOptions, run_analysis
from analyzer.render.json import analysis_document, dumps
from analyzer.render.markdown import render_markdown
from analyzer.render.output import write_atomic
from analyzer.render.terminal import summary
from analyzer.visible import visible

REPORT_NAME = "certtriage-report.html"


def exit_code(analysis: Analysis) -> int:
    if not any(r.usable for r in analysis.inputs):
        return EXIT_NO_INPUT
    if any(d.kind == "fault" for d in analysis.diagnoses):
        return EXIT_FAULT
    if analysis.context.get("failures") and not any(d.explains_events for d in analysis.diagnoses):
        return EXIT_UNEXPLAINED
    return EXIT_OK


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def default_report(paths: list[Path], cwd: Path) -> tuple[Path, str | None]:
    """``./certtriage-report.html``, unless the current folder is inside an input folder: then
    beside that folder, named after it, and the note says so."""
    for given in paths:
        if given.is_dir() and _inside(cwd, given):
            folder = given.resolve()
            target = folder.parent / f"{folder.name}-{REPORT_NAME}"
            return target, (
                f"the current folder is inside the input folder {given}; the report was "
                f"written beside it, not into it"
            )
    return cwd / REPORT_NAME, None


def check_target(target: Path, paths: list[Path], option: str) -> None:
    """Refuse any output inside an input folder or over an input file or archive."""
    for given in paths:
        if given.is_dir() and _inside(target, given):
            raise UsageError(f"{option} {target} is inside the input folder {given}")
        if given.exists() and not given.is_dir() and target.resolve() == given.resolve():
            raise UsageError(f"{option} {target} would overwrite the input {given}")


def _write(option: str, target: Path, text: str) -> None:
    """Write one output; a target that cannot be written (a folder, no permission, a full
    disk) is the user's to fix: one line naming the option and the file, exit 2."""
    try:
        write_atomic(target, text)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if isinstance(exc, FileExistsError) and not target.parent.is_dir():
            reason = f"{target.parent} is a file, not a folder"
        stderr.print(
            visible(f"certtriage analyze: cannot write {option} {target}: {reason}"), markup=False
        )
        raise typer.Exit(EXIT_USAGE) from None


@app.command("analyze")
def analyze(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Files, folders or archives (zip, 7z, tar, tar.gz) of one ticket."),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help=f"Folder for the HTML report ({REPORT_NAME}).")
    ] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML report here.")] = None,
    json_out: Annotated[
        str | None,
        typer.Option("--json", help="Write the certtriage.analysis/1 JSON here ('-': stdout)."),
    ] = None,
    markdown: Annotated[
        str | None,
        typer.Option("--markdown", help="Write a ticket reply in Markdown here ('-': stdout)."),
    ] = None,
    thumbprint: Annotated[
        str | None,
        typer.Option(
            "--thumbprint",
            help="The certificate selected in IIS (spaces, colons, upper case and the invisible "
            "marks the certificate dialog adds are fine).",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="When the binding failed, ISO 8601 (UTC when it has no offset), "
            "e.g. 2024-05-01T10:00:00+02:00.",
        ),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option("--engine", help=f"evtx engine: {ENGINE_CHOICES} (default: fastest)."),
    ] = None,
) -> None:
    """Analyse one ticket: which scenario broke the SSL binding, on which certificate, the
    evidence and the fix. Exit codes: 0 no fault, 1 fault found, 2 usage error, 3 no usable
    input, 4 36870 present but unexplained, 70 internal error."""
    try:
        options = _options(paths, thumbprint, at, engine)
        if json_out == "-" and markdown == "-":
            raise UsageError("--json - and --markdown - cannot both use stdout")
        cwd = Path.cwd()
        note = None
        if html is not None:
            report = html
        elif out is not None:
            report = out / REPORT_NAME
        else:
            report, note = default_report(paths, cwd)
        for option, target in (
            ("--html/--out", report),
            ("--json", json_out),
            ("--markdown", markdown),
        ):
            if target is not None and target != "-":
                check_target(Path(target), paths, option)
    except UsageError as exc:
        stderr.print(visible(f"certtriage analyze: {exc}"), markup=False)
        raise typer.Exit(EXIT_USAGE) from None

    analysis = guarded(", ".join(str(p) for p in paths), lambda: run_analysis(paths, options))
    console = stderr if "-" in (json_out, markdown) else stdout
    written = guarded("the report", lambda: _write_outputs(analysis, report, json_out, markdown))
    console.print(summary(analysis, written, note, every_message=State.verbose))
    raise typer.Exit(exit_code(analysis))


def _options(
    paths: list[Path], thumbprint: str | None, at: str | None, engine: str | None
) -> AnalysisOptions:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    at_utc, assumed = parse_at(at) if at else (None, False)
    return AnalysisOptions(
        thumbprint=normalise_thumbprint(thumbprint) if thumbprint else None,
        at=at_utc,
        at_assumed_utc=assumed,
        engine=engine_option(engine),
    )


def _write_outputs(
    analysis: Analysis, report: Path, json_out: str | None, markdown: str | None
) -> str | None:
    """Write the requested documents; return the HTML report's path (None when not written)."""
    if json_out is not None:
        text = dumps(analysis_document(analysis))
        if json_out == "-":
            typer.echo(text, nl=False)
        else:
            _write("--json", Path(json_out), text)
    if markdown is not None:
        text = render_markdown(analysis)
        if markdown == "-":
            typer.echo(text, nl=False)
        else:
            _write("--markdown", Path(markdown), text)
    from analyzer.render.html import render_report

    _write("--html/--out", report, render_report(analysis))
    return str(report)
