"""What the CLI prints on a terminal: rich renderables and plain lines, built from records.

The commands only print these: `summary` (analyze), `certificate_tables` (certutil) and
`event_table` (events). Customer text is never rich markup here: it goes in `Text` or plain
lines that the CLI prints with markup off.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from analyzer.model import Analysis, Certificate, Event, ReadResult, Status
from analyzer.readers.records import event_sort_key
from analyzer.render.report_facts import account_text
from analyzer.render.wording import failure_wording
from analyzer.visible import visible

_STYLE = {"fault": "bold red", "advisory": "yellow", "alternative": "dim"}
_CERTIFICATE_COLUMNS = (
    "#",
    "thumbprint",
    "subject",
    "provider",
    "KeySpec",
    "exportable",
    "key state",
)


def summary(
    analysis: Analysis,
    report: str | None = None,
    note: str | None = None,
    every_message: bool = False,
) -> RenderableType:
    """The summary; an input that was not read shows its first message, or with
    ``every_message`` (-v) every input shows all of its messages."""
    parts: list[RenderableType] = []
    read = sum(1 for r in analysis.inputs if r.usable)
    failed = sum(1 for r in analysis.inputs if r.status is Status.ERROR)
    skipped = sum(1 for r in analysis.inputs if r.status is Status.SKIPPED)
    parts.append(Text(f"inputs: {read} read, {failed} failed, {skipped} skipped", style="dim"))
    if analysis.at and analysis.context.at_assumed_utc:
        parts.append(Text(f"--at {analysis.at}: given without an offset, taken as UTC"))
    failures = analysis.context.failures_total
    wording = failure_wording(analysis)
    if not wording.about_binding:
        parts.append(Text(visible(wording.title), style="bold"))
    if failures:
        parts.append(
            Text(visible(f"Schannel 36870: {failures}, service: {analysis.context.service}"))
        )
    logged = [(label, n) for label, n in wording.counts if label != "Schannel 36870"]
    if not wording.about_binding and (logged or not failures):
        counted = ", ".join(f"{label}: {n}" for label, n in logged) or "no failure logged"
        parts.append(Text(visible(f"{counted}, service: {wording.service_label}")))
    if analysis.diagnoses:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for column in ("kind", "confidence", "diagnosis", "certificates"):
            table.add_column(column, overflow="ellipsis", no_wrap=True)
        for diagnosis in analysis.diagnoses[:8]:
            tone = "alternative" if diagnosis.alternative_to is not None else diagnosis.kind
            table.add_row(
                Text(tone, style=_STYLE.get(tone, "")),
                diagnosis.confidence,
                Text(
                    diagnosis.id
                    + (f" (scenario {diagnosis.scenario})" if diagnosis.scenario else "")
                ),
                str(len(diagnosis.certificates)) if diagnosis.certificates else "",
            )
        if len(analysis.diagnoses) > 8:
            table.add_row("", "", Text(f"... {len(analysis.diagnoses) - 8} more"), "")
        verdict = analysis.diagnoses[0]
        headline = Text("verdict: ", style="bold")
        headline.append(verdict.id, style=_STYLE.get(verdict.kind, ""))
        headline.append(visible(f" ({verdict.confidence}): {verdict.title}"))
        parts.append(headline)
        parts += [Text(visible(f"  certificate: {t}")) for t in verdict.certificates[:3]]
        wanted = {t.lower() for t in verdict.certificates}
        for binding in analysis.bindings:
            if binding.hash_valid and (binding.certificate_hash or "").lower() in wanted:
                parts.append(
                    Text(
                        visible(
                            f"  binding: {binding.endpoint} -> {binding.certificate_hash} "
                            f"({binding.origin}, {binding.source})"
                        )
                    )
                )
        if verdict.account is not None:
            parts.append(Text(visible(f"  account: {account_text(verdict.account)}")))
        if verdict.kind == "fault" and verdict.remediation:
            # The first step of the first plan is the one to start with (never a destructive
            # one); the report and --markdown have every plan.
            first = verdict.remediation[0].splitlines()[0]
            parts.append(Text(visible(f"  first fix step: {first}")))
            plans = len(verdict.remediation_plans)
            if plans > 1:
                parts.append(Text(f"  {plans - 1} more plan(s) in the report, if this one fails"))
        for alternative in analysis.diagnoses[1:]:
            if alternative.alternative_to is not None:
                parts.append(Text(f"  alternative, not confirmed: {alternative.id}", style="dim"))
        parts.append(table)
    else:
        parts.append(Text("verdict: none", style="bold"))
    if every_message:
        messages = [m for r in analysis.inputs for m in r.messages]
    else:
        messages = [m for r in analysis.inputs if not r.usable for m in r.messages[:1]]
    for message in messages:
        parts.append(Text(visible(f"  {message}"), style="dim"))
    if report:
        parts.append(Text(visible(f"report: {report}"), style="bold"))
    if note:
        parts.append(Text(visible(note), style="dim"))
    return Group(*parts)


def _cell(value: object) -> Text:
    # Customer text is shown as is: no rich markup, no emoji codes.
    if value is None:
        return Text("-")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    return Text(visible(str(value)))


def _certificate_row(cert: Certificate) -> list[Text]:
    key = cert.key
    state = "no key" if key is None else key.state
    if key is not None and key.error is not None:
        state += f" ({key.error.code or ''} {key.error.name or ''})".replace("( ", "(").rstrip()
    provider = None
    if key is not None and key.provider:
        provider = key.provider + (f" [{key.provider_class}]" if key.provider_class else "")
    exportable: object = None if key is None else key.exportable
    if key is not None and key.export_policy == "encrypted-only":
        exportable = "yes (encrypted only)"
    return [
        _cell(cert.index),
        _cell(cert.thumbprint),
        _cell(cert.subject),
        _cell(provider),
        _cell(None if key is None else key.keyspec),
        _cell(exportable),
        _cell(state),
    ]


def certificate_tables(results: list[ReadResult]) -> list[RenderableType]:
    """`certtriage certutil`'s output: one table per dump, then the dump's messages."""
    out: list[RenderableType] = []
    for result in results:
        encoding = f", {result.encoding}" if result.encoding else ""
        title = f"{result.path} [{result.status.value}{encoding}]"
        if result.certificates:
            table = Table(title=Text(visible(title)), title_justify="left", show_lines=False)
            for column in _CERTIFICATE_COLUMNS:
                table.add_column(column, overflow="fold", no_wrap=column == "thumbprint")
            for cert in result.certificates:
                table.add_row(*_certificate_row(cert))
            out.append(table)
        else:
            out.append(Text(visible(f"{title}: no certificates")))
        for message in result.messages:
            out.append(Text(visible(f"  {message.level.value}: {message}")))
    return out


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


def _event_row(event: Event) -> tuple[str, ...]:
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


def event_table(results: list[ReadResult], limit: int) -> list[str]:
    """`certtriage events`' output as plain lines (customer text: the CLI prints them without
    markup): the events, a count per (provider, id), then each input's coverage and messages."""
    lines: list[str] = []
    say = lines.append
    events = sorted((e for r in results for e in r.events), key=event_sort_key)
    if events:
        shown = events if limit <= 0 else events[:limit]
        rows: list[tuple[str, ...]] = [
            ("time", "provider", "id", "role", "detail", "computer", "source")
        ]
        rows += [_event_row(e) for e in shown]
        widths = [min(max(len(r[i]) for r in rows), 48) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            say("  ".join([*cells, row[-1]]))
        if len(shown) < len(events):
            say(f"… {len(events) - len(shown):,} more events (use --limit 0 or --json for all)")
        counts = Counter((e.provider, e.event_id) for e in events)
        summary = ", ".join(f"{p} {i} × {n:,}" for (p, i), n in sorted(counts.items()))
        say(f"{len(events):,} relevant events: {summary}")
    else:
        say("no relevant events")
    say("")
    for result in results:
        say(coverage_line(result))
        for message in result.messages:
            say(f"  {message.level.value}: {message}")
    return lines
