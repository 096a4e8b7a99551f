"""The short terminal summary of an analysis: a rich renderable the CLI prints."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from analyzer.model import Analysis, Status
from analyzer.visible import visible

_STYLE = {"fault": "bold red", "advisory": "yellow"}


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
    if analysis.at and analysis.context.get("at_assumed_utc"):
        parts.append(Text(f"--at {analysis.at}: given without an offset, taken as UTC"))
    failures = analysis.context.get("failures_total", 0)
    if failures:
        parts.append(
            Text(visible(f"Schannel 36870: {failures}, service: {analysis.context.get('service')}"))
        )
    if analysis.diagnoses:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for column in ("kind", "confidence", "diagnosis", "certificates"):
            table.add_column(column, overflow="ellipsis", no_wrap=True)
        for diagnosis in analysis.diagnoses[:8]:
            table.add_row(
                Text(diagnosis.kind, style=_STYLE.get(diagnosis.kind, "")),
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
        if verdict.kind == "fault" and verdict.remediation:
            # The first step is the one to start with; the report and --markdown have them all.
            first = verdict.remediation[0].splitlines()[0]
            parts.append(Text(visible(f"  first fix step: {first}")))
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
