"""`certtriage events FILE...`: the relevant events of event logs and exports, as a table or as
`certtriage.events/1` JSON, with what each input covers."""

from __future__ import annotations

import functools
from collections import Counter
from enum import Enum
from typing import Annotated, Optional

import typer

from analyzer.cli.app import (
    EXIT_NO_INPUT,
    EXIT_OK,
    EXIT_USAGE,
    app,
    guarded,
    print_every_message,
    stderr,
    stdout,
)
from analyzer.errors import CerttriageError, UsageError
from analyzer.inputs.collect import collect_inputs
from analyzer.inputs.files import EMPTY_FILE, InputFile
from analyzer.inputs.refusals import fold_skipped
from analyzer.model import Event, Level, Message, ReadResult, Status
from analyzer.readers import ReadOptions, detect
from analyzer.readers.exports import EVENT_EXPORT_KINDS
from analyzer.render.json import dumps, event_sort_key, events_document
from analyzer.visible import visible

EVENT_KINDS: tuple[str, ...] = ("evtx", *EVENT_EXPORT_KINDS)
EVTX_MAGIC = b"ElfFile\x00"


class Engine(str, Enum):
    evtx = "evtx"
    python_evtx = "python-evtx"


def read_event_input(file: InputFile, options: ReadOptions) -> ReadResult:
    """Detect and read one input; a whole unusable input becomes an `error` result."""
    try:
        if file.size == 0 and not file.head(1):  # (a size of 0 alone: also /proc-like files)
            result = ReadResult(file.display, "unknown")
            result.skip(EMPTY_FILE)
            return result
        spec = detect(file, only=EVENT_KINDS)
    except OSError as exc:
        result = ReadResult(file.display, "unknown")
        result.fail(f"cannot read: {exc.strerror or exc}")
        return result
    if spec is None:
        result = ReadResult(file.display, "unknown")
        if file.head(8) == EVTX_MAGIC:
            result.fail("binary .evtx file, but no .evtx reader is available in this installation")
        else:
            result.skip("not an event log or event export; skipped")
        return result
    try:
        return spec.read(file, options)
    except UsageError:
        raise
    except CerttriageError as exc:
        result = ReadResult(file.display, spec.kind)
        result.fail(str(exc).removeprefix(f"{file.display}: "))
        return result


def collection_results(messages: list[Message]) -> list[ReadResult]:
    """What collecting the inputs said (not found, link not followed, archive refused), as
    results of their own so that they show in the table, the JSON and the exit code."""
    by_path: dict[str, ReadResult] = {}
    for message in messages:
        result = by_path.setdefault(message.source.path, ReadResult(message.source.path, "unknown"))
        result.messages.append(message)
        if message.level is Level.ERROR:
            result.status = Status.ERROR
        elif result.status is Status.OK:
            result.status = Status.SKIPPED
    return list(by_path.values())


def read_all(paths: list[str], options: ReadOptions) -> list[ReadResult]:
    """Every file named, found in folders or inside archives, read by its event reader."""
    with collect_inputs(paths) as collected:
        results = collection_results(collected.messages)
        for file in collected.files:
            results.append(
                guarded(file.display, functools.partial(read_event_input, file, options))
            )
    return sorted(fold_skipped(results), key=lambda r: r.path)


def _detail(event: Event) -> str:
    """The few values a reader of the table needs: codes and states, endpoint, version."""
    data = event.data
    parts = []
    for key in ("ErrorCode", "ErrorStatus", "ErrorState", "AlertDesc", "Protocol", "Endpoint"):
        if key in data and data[key] not in ("", None):
            parts.append(f"{key}={data[key]}")
    if event.event_id == 6009 and "Version" in data:
        parts.append(f"{data['Version']} {data.get('Build', '')}".strip())
    if "BuildVersion" in data:
        parts.append(
            f"{data.get('MajorVersion')}.{data.get('MinorVersion')}.{data['BuildVersion']}"
        )
    if "UrlPrefix" in data:
        parts.append(f"{data['UrlPrefix']} site {data.get('SiteId', '?')}")
    if not parts:
        parts = [f"{k}={v}" for k, v in data.items() if v not in ("", None)][:3]
    if event.sspi_process:
        parts.append(f"SSPI {event.sspi_process}")
    return ", ".join(parts)


def _where(event: Event) -> str:
    source = event.source
    if source.record is not None:
        return f"{source.path}#{source.record}"
    if source.line is not None:
        return f"{source.path}:{source.line}"
    return source.path


def coverage_line(result: ReadResult) -> str:
    """``System log, 2014-03-21 → 2020-09-19, 60,189 records, 0 × 36870`` and what else is known."""
    coverage = result.coverage
    head = f"{result.path} [{result.kind}, {result.status.value}]"
    if coverage is None:
        return head
    count = sum(1 for e in result.events if e.provider == "Schannel" and e.event_id == 36870)
    parts = [f"{coverage.channel} log" if coverage.channel else "log name not in the export"]
    if coverage.first and coverage.last:
        local = "" if coverage.first.endswith("Z") else " (local time)"
        parts.append(f"{coverage.first[:10]} → {coverage.last[:10]}{local}")
    parts.append(f"{coverage.records:,} record{'' if coverage.records == 1 else 's'}")
    parts.append(f"{count} × 36870")
    if coverage.computer:
        parts.append(f"computer {coverage.computer}")
    if coverage.os:
        parts.append(f"OS {coverage.os.version} build {coverage.os.build}")
    if coverage.chunks_read or coverage.chunks_prefiltered or coverage.chunks_bad:
        parts.append(
            f"chunks {coverage.chunks_read} read, {coverage.chunks_prefiltered} skipped by "
            f"pre-filter, {coverage.chunks_bad} bad"
        )
    if coverage.record_gaps:
        parts.append(f"{len(coverage.record_gaps)} record-id gap(s)")
    return f"{head}: " + ", ".join(parts)


def _short_time(event: Event) -> str:
    if event.time is None:
        return "?"
    if event.time_is_local:
        return event.time[:19].replace("T", " ") + " local"
    return event.time[:19].replace("T", " ") + "Z"


def _row(event: Event) -> tuple[str, ...]:
    provider = event.provider.removeprefix("Microsoft-Windows-")
    return (
        _short_time(event),
        provider,
        str(event.event_id),
        event.role or "-",
        _detail(event) or "-",
        event.computer or "-",
        _where(event),
    )


def _say(text: str = "") -> None:
    # Customer text is printed as is: no markup, no emoji codes.
    stdout.print(visible(text), markup=False, emoji=False, highlight=False)


def _print_table(results: list[ReadResult], limit: int) -> None:
    events = sorted((e for r in results for e in r.events), key=event_sort_key)
    if events:
        shown = events if limit <= 0 else events[:limit]
        rows: list[tuple[str, ...]] = [
            ("time", "provider", "id", "role", "detail", "computer", "source")
        ]
        rows += [_row(e) for e in shown]
        widths = [min(max(len(r[i]) for r in rows), 48) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            _say("  ".join([*cells, row[-1]]))
        if len(shown) < len(events):
            _say(f"… {len(events) - len(shown):,} more events (use --limit 0 or --json for all)")
        counts = Counter((e.provider, e.event_id) for e in events)
        summary = ", ".join(f"{p} {i} × {n:,}" for (p, i), n in sorted(counts.items()))
        _say(f"{len(events):,} relevant events: {summary}")
    else:
        _say("no relevant events")
    _say()
    for result in results:
        _say(coverage_line(result))
        for message in result.messages:
            _say(f"  {message.level.value}: {message}")


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
        Optional[Engine],  # noqa: UP045 - typer reads the annotation at runtime (Python 3.10)
        typer.Option("--engine", help="Binary .evtx engine (default: evtx where installed)."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", min=0, help="Table rows to show (0 = all); --json has all."),
    ] = 200,
) -> None:
    """List the events that bear on a private-key failure (Schannel 36867-36889, HttpEvent,
    IIS, CAPI2 70, RDP 1057/1058, boot events) and what part of each log was read."""
    options = ReadOptions(engine=engine.value if engine else None)
    try:
        results = read_all(files, options)
    except UsageError as exc:
        stderr.print(visible(f"certtriage: {exc}"), markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    if as_json:
        typer.echo(dumps(events_document(results)), nl=False)
        print_every_message(results)
    else:
        guarded("the event table", lambda: _print_table(results, limit))
    usable = any(r.status in (Status.OK, Status.PARTIAL) for r in results)
    raise typer.Exit(EXIT_OK if usable else EXIT_NO_INPUT)
