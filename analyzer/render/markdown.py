"""A ticket reply in Markdown: the verdict, its evidence, the fix steps and what else to send.

Customer text is quoted in code spans or fenced blocks so that it cannot turn into Markdown
(links, headings, HTML) in the ticket system.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

from analyzer import __version__
from analyzer.knowledge.eventfields import SCHANNEL
from analyzer.model import Analysis, Collection, Diagnosis, Level, ReadResult, Source
from analyzer.visible import visible

NO_KNOWN_CAUSE = "no-known-cause"  # the closing rule's id: its reply is said in prose
SCENARIO_NAMES = {
    1: "scenario 1: broken keyset after a non-exportable import",
    2: "scenario 2: MachineKeys permissions",
    3: "scenario 3: KeySpec 2 (AT_SIGNATURE)",
}


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def code(text: str) -> str:
    """Inline code that survives any run of backticks inside the text."""
    text = visible(text)
    longest = _longest_backtick_run(text)
    if not longest:
        return f"`{text}`"
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def block(text: str, lang: str = "") -> list[str]:
    lines = [visible(line) for line in text.split("\n")]
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return [f"{fence}{lang}", *lines, fence]


# Prose that carries customer text (subjects, paths in titles and summaries): brackets, `<` and
# `*` would make links, images, HTML or emphasis, and a backslash before punctuation would undo
# an escape. Backticks stay: the rules' own text uses code spans, which are inert.
_MARKDOWN_ACTIVE = re.compile(r"([\[\]<*]|\\(?=[!-/:-@\[-`{-~]))")


def prose(text: str) -> str:
    """Customer-derived prose, inert in Markdown; Windows paths keep their single backslashes."""
    return _MARKDOWN_ACTIVE.sub(r"\\\1", visible(text))


COMMANDS = ("certutil", "certreq", "icacls", "netsh", "reg ", "powershell", "wevtutil", "procmon")


def step_text(step: str) -> str:
    """A fix step: commands in code spans, prose as prose, a trailing `(expect: ...)` note kept
    out of the command so that the command copies cleanly."""
    note = ""
    if "   (" in step:
        step, note = step.split("   (", 1)
        note = f" ({note}"
    lead, sep, tail = step.partition(": ")
    if sep and tail.startswith(COMMANDS):
        return f"{visible(lead)}: {code(tail)}{visible(note)}"
    if step.startswith(COMMANDS):
        return f"{code(step)}{visible(note)}"
    return visible(f"{step}{note}")


# What the rules look at, said once for a customer (the rule ids stay in the HTML report).
CHECKED_CAUSES = (
    "the private key's type and KeySpec, a missing or broken key, the key's permissions, the "
    "certificate's validity and purpose, the SSL binding and the TLS protocol settings"
)
MAX_LISTED = 20  # unreadable files named one by one in a reply; the rest are counted


class CustomerNames:
    """Input paths as the customer knows them: the engineer's folders in front of the ticket's
    files are dropped (``/home/eng/T-1/logs/System.evtx`` -> ``logs/System.evtx``); archive
    members keep their path inside the archive (``T-1.zip!/logs/System.evtx``)."""

    def __init__(self, paths: Iterable[str]) -> None:
        outers = [PurePosixPath(p.split("!/", 1)[0]).parent for p in paths]
        common: tuple[str, ...] = ()
        if outers:
            first = outers[0].parts
            length = min(len(o.parts) for o in outers)
            size = next(
                (i for i in range(length) if any(o.parts[i] != first[i] for o in outers)), length
            )
            common = first[:size]
        if common and not (len(common) == 1 and _is_root(common[0])):
            folders = {str(PurePosixPath(*common))}
        else:  # inputs from unrelated folders: each keeps its own name only
            folders = {str(o) for o in outers if o.parts}
        prefixes = sorted((f.rstrip("/") + "/" for f in folders if f != "."), key=len, reverse=True)
        variants = {v for f in prefixes for v in (f, f.replace("/", "\\"))}
        self.prefixes = prefixes
        self.pattern = (
            re.compile(
                r"(?<![\w.~-])(?:"
                + "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
                + ")"
            )
            if variants
            else None
        )

    def path(self, path: str) -> str:
        return next((path[len(p) :] for p in self.prefixes if path.startswith(p)), path)

    def source(self, source: Source) -> str:
        return str(Source(self.path(source.path), source.line, source.record))

    def text(self, text: str) -> str:
        """Any text that may quote an input path (a message, a title), without those folders."""
        return self.pattern.sub("", text) if self.pattern else text


def _is_root(part: str) -> bool:
    return part in ("/", "//") or part.endswith(":")


class Reply:
    """The facts a reply states about one analysis, in the customer's terms."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.names = CustomerNames(r.path for r in analysis.inputs)
        literals = {c.thumbprint for c in analysis.certificates if c.thumbprint}
        literals |= {t for d in analysis.diagnoses for t in d.certificates}
        literals |= {c.subject for c in analysis.certificates if c.subject}
        if analysis.thumbprint:
            literals.add(analysis.thumbprint)
        # Longest first, so that a subject is quoted whole before any shorter one inside it.
        self.literals = sorted((x for x in literals if len(x) >= 4), key=len, reverse=True)

    def prose(self, text: str) -> str:
        """Prose in which thumbprints and subjects become code spans and input paths lose the
        engineer's folders."""
        return quoted_prose(self.names.text(text), self.literals)

    def file(self, path: str) -> str:
        return code(self.names.path(path))


def quoted_prose(text: str, literals: Sequence[str]) -> str:
    """``prose(text)`` with each of ``literals`` (thumbprints, subjects) in its own code span,
    except inside a code span the text already has."""
    if not literals:
        return prose(text)
    found = list(re.finditer("|".join(re.escape(x) for x in literals), text))
    if not found:
        return prose(text)
    masked = list(text)  # literals blanked out, so that their backticks open no code span
    for match in found:
        masked[match.start() : match.end()] = "x" * (match.end() - match.start())
    spans = [m.span() for m in _CODE_SPAN.finditer("".join(masked))]
    out, at = [], 0
    for match in found:
        if any(start <= match.start() < end for start, end in spans):
            continue
        out += [prose(text[at : match.start()]), code(match.group())]
        at = match.end()
    out.append(prose(text[at:]))
    return "".join(out)


_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)")


def render_markdown(analysis: Analysis) -> str:
    reply = Reply(analysis)
    lines: list[str] = ["## certtriage: SSL binding failure (0x80070520 / Schannel 36870)", ""]
    faults = [d for d in analysis.diagnoses if d.kind == "fault"]
    advisories = [d for d in analysis.diagnoses if d.kind == "advisory" and d.id != NO_KNOWN_CAUSE]
    usable = any(r.usable for r in analysis.inputs)
    if not usable:
        lines += ["**Verdict:** none of the attached files could be read.", ""]
    elif faults:
        lines += [f"**Verdict:** {_headline(reply, faults[0])}", ""]
    else:
        lines += ["**Verdict:** no fault found that explains the failure.", ""]
    lines += _facts(reply, faults[0] if faults else advisories[0] if advisories else None)
    if not usable:
        lines += _unreadable(reply)
    elif faults:
        for number, diagnosis in enumerate(faults, start=1):
            lines += _diagnosis(reply, number, diagnosis)
        if advisories:
            lines += ["### Also worth fixing", ""]
            lines += [f"- {reply.prose(d.title)}" for d in advisories]
            lines.append("")
    else:
        lines += _checked(reply)
        for number, diagnosis in enumerate(advisories, start=1):
            lines += _diagnosis(reply, number, diagnosis)
    lines += _please_send(analysis)
    lines.append(f"_Analysed by certtriage {__version__}._")
    return "\n".join(lines) + "\n"


def _facts(reply: Reply, verdict: Diagnosis | None) -> list[str]:
    analysis, lines = reply.analysis, []
    thumbprint = verdict.certificates[0] if verdict and verdict.certificates else None
    if thumbprint:
        subject = next(
            (c.subject for c in analysis.certificates if c.thumbprint == thumbprint and c.subject),
            None,
        )
        lines.append(
            f"- Certificate: {code(subject)}, thumbprint {code(thumbprint)}"
            if subject
            else f"- Certificate: thumbprint {code(thumbprint)}"
        )
    context = analysis.context
    if context.get("failures_total"):
        service = context.get("service")
        lines.append(
            f"- Schannel 36870 events: {context['failures_total']}"
            + (f", service: {prose(str(service))}" if service else "")
        )
    if analysis.thumbprint and analysis.thumbprint != thumbprint:
        lines.append(f"- Certificate selected in IIS: {code(analysis.thumbprint)}")
    if analysis.at:
        assumed = " (given without offset, taken as UTC)" if context.get("at_assumed_utc") else ""
        lines.append(f"- Time of the attempt: {prose(analysis.at)}{assumed}")
    for run in analysis.records(Collection):  # certtriage collector zips (docs/collector.md)
        elevated = (
            "elevation?" if run.elevated is None else "elevated" if run.elevated else "NOT elevated"
        )
        where = f"{code(run.host or '?')} at {prose(run.collected_at or '?')}"
        lines.append(f"- Collected by the certtriage collector on {where} ({elevated})")
    lines += _log_windows(reply)
    return [*lines, ""] if lines else []


def _day(text: str | None) -> str | None:
    return text[:10] if text and re.match(r"\d{4}-\d\d-\d\d", text) else None


def _log_windows(reply: Reply) -> list[str]:
    """One line per event log read: which days it covers and how many 36870 it holds, so the
    customer sees what "no 36870" rests on."""
    lines = []
    for result in reply.analysis.inputs:
        coverage = result.coverage
        if coverage is None or not result.usable:
            continue
        log = f"{prose(coverage.channel)} log" if coverage.channel else "Event log"
        first, last = _day(coverage.first), _day(coverage.last)
        window = (f" {first} → {last}" if first != last else f" {first}") if first and last else ""
        failures = sum(e.provider == SCHANNEL and e.event_id == 36870 for e in result.events)
        found = f"{failures} Schannel 36870 in it" if failures else "no 36870 in it"
        if not coverage.records:
            found = "no event records in it"
        damaged = (
            f" ({coverage.chunks_bad} damaged part(s) could not be read)"
            if coverage.chunks_bad
            else ""
        )
        lines.append(f"- {log}{window} ({reply.file(result.path)}): {found}{damaged}")
    return lines


def _unreadable(reply: Reply) -> list[str]:
    lines = ["What we received, and why it could not be read:", ""]
    inputs = reply.analysis.inputs
    for result in inputs[:MAX_LISTED]:
        reason = first_reason(result)
        lines.append(
            f"- {reply.file(result.path)}" + (f": {reply.prose(reason)}" if reason else "")
        )
    if len(inputs) > MAX_LISTED:
        lines.append(f"- and {len(inputs) - MAX_LISTED} more")
    if not inputs:
        lines.append("- the ticket holds no file")
    return [*lines, ""]


def first_reason(result: ReadResult) -> str | None:
    """The message that best says why an input was not read: an error, else a warning, else a
    note."""
    for level in (Level.ERROR, Level.WARNING, Level.INFO):
        message = next((m for m in result.messages if m.level is level), None)
        if message is not None:
            return message.text
    return None


def _checked(reply: Reply) -> list[str]:
    """The "no known cause" reply: what was checked and what comes next, in a few sentences."""
    analysis = reply.analysis
    read = [r for r in analysis.inputs if r.usable]
    files = _enumerate([reply.file(r.path) for r in read[:5]])
    more = f" and {len(read) - 5} more file(s)" if len(read) > 5 else ""
    certificates = len(analysis.certificates)
    what = f"{certificates} certificate(s) and " if certificates else ""
    failures = analysis.context.get("failures", 0)
    events = (
        f"The {failures} Schannel 36870 failure(s) in the logs are not explained yet."
        if failures
        else "The logs we have show no Schannel 36870 failure."
    )
    nxt = (
        "The items below would show what is still open; please send them and we will look again."
        if analysis.ask_for
        else "Please export the System log right after the next failed attempt and send it."
    )
    return [
        "### What we checked",
        "",
        f"We read {files}{more} and checked {what}the events in them for every known cause of "
        f"this failure ({CHECKED_CAUSES}); none of them matches. {events} {nxt}",
        "",
    ]


def _enumerate(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _please_send(analysis: Analysis) -> list[str]:
    if not analysis.ask_for:
        return []
    lines = [
        "### Please send",
        "",
        'Run the commands in a command prompt opened with "Run as administrator"; paste each '
        "block as it is.",
        "",
    ]
    for item in analysis.ask_for:
        if item.command.startswith("("):  # a question, not a command
            lines += [f"- {item.what} ({item.why}) {item.command}", ""]
            continue
        lines += [f"- {item.what} ({item.why}):", ""]
        for kind, text in paste_blocks(item.command):
            lines += [*block(text, "bat"), ""] if kind == "commands" else [text, ""]
    return lines


def paste_blocks(command: str) -> list[tuple[str, str]]:
    """A multi-line command split where a person must act: ``("commands", text)`` blocks that
    are safe to paste whole, and ``("step", text)`` for each ``rem`` line between them (a manual
    step inside a block would be skipped by the paste and run what follows too early)."""
    parts: list[tuple[str, str]] = []
    run: list[str] = []
    for line in command.split("\n"):
        remark = re.match(r"\s*rem(?:\s+|$)(.*)", line, re.IGNORECASE)
        if remark is None:
            run.append(line)
            continue
        if run:
            parts.append(("commands", "\n".join(run)))
            run = []
        step = remark.group(1).strip()
        if step:
            parts.append(("step", prose(step[:1].upper() + step[1:])))
    if run:
        parts.append(("commands", "\n".join(run)))
    return parts


def _headline(reply: Reply, diagnosis: Diagnosis) -> str:
    scenario = f" ({SCENARIO_NAMES[diagnosis.scenario]})" if diagnosis.scenario else ""
    return f"{reply.prose(diagnosis.title)}{scenario}, confidence {diagnosis.confidence}."


def _diagnosis(reply: Reply, number: int, diagnosis: Diagnosis) -> list[str]:
    lines = [f"### {number}. {reply.prose(diagnosis.title)}", ""]
    if diagnosis.summary:
        lines += [reply.prose(diagnosis.summary), ""]
    reason = reply.prose(diagnosis.confidence_reason)
    lines += [f"Confidence: **{diagnosis.confidence}** ({reason})", ""]
    if diagnosis.evidence:
        lines += ["Evidence:", ""]
        for item in diagnosis.evidence:
            lines.append(f"- {reply.prose(item.text)} ({code(reply.names.source(item.source))})")
            if item.quote:
                lines += ["", *("  " + q for q in block(item.quote)), ""]
        lines.append("")
    if diagnosis.remediation:
        lines += ["Fix (elevated prompt, in this order):", ""]
        for step_number, step in enumerate(diagnosis.remediation, start=1):
            if "\n" in step:
                head, body = step.split("\n", 1)
                lines += [
                    f"{step_number}. {visible(head)}",
                    "",
                    *("   " + b for b in block(body)),
                    "",
                ]
            else:
                lines.append(f"{step_number}. {step_text(step)}")
        lines.append("")
    if diagnosis.references:
        lines += ["References: " + ", ".join(diagnosis.references), ""]
    return lines
