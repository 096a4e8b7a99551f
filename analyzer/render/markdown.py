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
from analyzer.model import (
    Analysis,
    Binding,
    Collection,
    Diagnosis,
    FixPlan,
    Level,
    ReadResult,
    Source,
    StepAction,
)
from analyzer.render.report_facts import account_text
from analyzer.render.wording import FailureWording, failure_wording, is_powershell
from analyzer.rulekit import references
from analyzer.rulekit.references import Page
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
# The same for a service that names its certificate in its own configuration.
CHECKED_CAUSES_SERVICE = (
    "the private key's type and KeySpec, a missing or broken key, the key's permissions for the "
    "service's account, the certificate's validity and purpose, and the certificate the service "
    "is configured with"
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
    wording = failure_wording(analysis)
    lines: list[str] = [f"## certtriage: {prose(wording.title)}", ""]
    # A runner-up is an alternative, not confirmed: never a second fault, its fixes after.
    faults = [d for d in analysis.diagnoses if d.kind == "fault" and d.alternative_to is None]
    alternatives = [d for d in analysis.diagnoses if d.alternative_to is not None]
    advisories = [d for d in analysis.diagnoses if d.kind == "advisory" and d.id != NO_KNOWN_CAUSE]
    usable = any(r.usable for r in analysis.inputs)
    if not usable:
        lines += ["**Verdict:** none of the attached files could be read.", ""]
    elif faults:
        lines += [f"**Verdict:** {_headline(reply, faults[0])}", ""]
    else:
        lines += ["**Verdict:** no fault found that explains the failure.", ""]
    lines += _facts(reply, faults[0] if faults else advisories[0] if advisories else None, wording)
    if not usable:
        lines += _unreadable(reply)
    elif faults:
        for number, diagnosis in enumerate(faults, start=1):
            lines += _diagnosis(reply, number, diagnosis)
        for diagnosis in alternatives:
            lines += _alternative(reply, diagnosis)
        if advisories:
            lines += ["### Also worth fixing", ""]
            lines += [f"- {reply.prose(d.title)}" for d in advisories]
            lines.append("")
    else:
        lines += _checked(reply, wording)
        for number, diagnosis in enumerate(advisories, start=1):
            lines += _diagnosis(reply, number, diagnosis)
    lines += _please_send(analysis, wording)
    lines.append(f"_Analysed by certtriage {__version__}._")
    return "\n".join(lines) + "\n"


def _facts(reply: Reply, verdict: Diagnosis | None, wording: FailureWording) -> list[str]:
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
    if verdict is not None and verdict.account is not None:
        lines.append(f"- Account that must read the key: {prose(account_text(verdict.account))}")
    context = analysis.context
    if context.failures_total:
        service = context.service
        lines.append(
            f"- Schannel 36870 events: {context.failures_total}"
            + (f", service: {prose(str(service))}" if service else "")
        )
    if not wording.about_binding:
        logged = [(label, n) for label, n in wording.counts if label != "Schannel 36870"]
        if logged:
            counted = ", ".join(f"{code(label)}: {n}" for label, n in logged)
            lines.append(f"- Failures in the files: {counted}")
        lines.append(f"- Service: {prose(wording.service_label)}")
    for binding in bindings_naming(analysis.bindings, verdict.certificates if verdict else ()):
        lines.append(
            f"- Binding: {code(binding.endpoint)} → {code(binding.certificate_hash or '')} "
            f"({binding.origin}, {code(reply.names.source(binding.source))})"
        )
    if analysis.thumbprint and analysis.thumbprint != thumbprint:
        lines.append(f"- {wording.selected}: {code(analysis.thumbprint)}")
    if analysis.at:
        assumed = " (given without offset, taken as UTC)" if context.at_assumed_utc else ""
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


def _checked(reply: Reply, wording: FailureWording) -> list[str]:
    """The "no known cause" reply: what was checked and what comes next, in a few sentences."""
    analysis = reply.analysis
    read = [r for r in analysis.inputs if r.usable]
    files = _enumerate([reply.file(r.path) for r in read[:5]])
    more = f" and {len(read) - 5} more file(s)" if len(read) > 5 else ""
    certificates = len(analysis.certificates)
    what = f"{certificates} certificate(s) and " if certificates else ""
    failures = analysis.context.failures
    events = (
        f"The {failures} Schannel 36870 failure(s) in the logs are not explained yet."
        if failures
        else "The logs we have show no Schannel 36870 failure."
    )
    logged = sum(n for label, n in wording.counts if label != "Schannel 36870")
    if not wording.about_binding and logged:
        events = (
            f"The {logged} failure(s) {prose(wording.service_names)} logged are not explained yet."
            + (f" Nor are the {failures} Schannel 36870 failure(s)." if failures else "")
        )
    causes = CHECKED_CAUSES if wording.about_binding else CHECKED_CAUSES_SERVICE
    nxt = (
        "The items below would show what is still open; please send them and we will look again."
        if analysis.ask_for
        else "Please export the System log right after the next failed attempt and send it."
    )
    return [
        "### What we checked",
        "",
        f"We read {files}{more} and checked {what}the events in them for every known cause of "
        f"this failure ({causes}); none of them matches. {events} {nxt}",
        "",
    ]


def _enumerate(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _please_send(analysis: Analysis, wording: FailureWording) -> list[str]:
    if not analysis.ask_for:
        return []
    powershell = any(is_powershell(item.command) for item in analysis.ask_for)
    lines = [
        "### Please send",
        "",
        'Run the commands in a command prompt opened with "Run as administrator"; paste each '
        "block as it is."
        if not powershell
        else 'Run the commands in a prompt opened with "Run as administrator": the `powershell` '
        "blocks in Windows PowerShell (or the shell the item names), the others in a command "
        "prompt; paste each block as it is.",
        "",
    ]
    for item in analysis.ask_for:
        if item.command.startswith("("):  # a question, not a command
            lines += [f"- {item.what} ({item.why}) {item.command}", ""]
            continue
        lines += [f"- {item.what} ({item.why}):", ""]
        lang = "powershell" if is_powershell(item.command) else "bat"
        for kind, text in paste_blocks(item.command):
            lines += [*block(text, lang), ""] if kind == "commands" else [text, ""]
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
    lines += _fix(reply, diagnosis)
    if diagnosis.references:
        lines += ["References: " + ", ".join(diagnosis.references), ""]
    return lines


def bindings_naming(bindings: Sequence[Binding], thumbprints: Sequence[str]) -> list[Binding]:
    """The bindings whose certificate hash is one of ``thumbprints``."""
    wanted = {t.lower() for t in thumbprints}
    return [b for b in bindings if b.hash_valid and (b.certificate_hash or "").lower() in wanted]


def _alternative(reply: Reply, diagnosis: Diagnosis) -> list[str]:
    """A runner-up: said as an alternative the evidence does not confirm yet, its fix for then."""
    lines = [f"### Alternative, not confirmed: {reply.prose(diagnosis.title)}", ""]
    if diagnosis.summary:
        lines += [reply.prose(diagnosis.summary), ""]
    lines += [f"Why it is not ruled out: {reply.prose(diagnosis.confidence_reason)}", ""]
    lines += _fix(reply, diagnosis, "Only if the evidence confirms it")
    return lines


PLAN_LETTERS = "ABCDEFGH"


def _fix(reply: Reply, diagnosis: Diagnosis, lead: str = "Fix") -> list[str]:
    """The fix plans: commands that may be pasted at once in one block, each step done by hand
    or output to read said between the blocks, with the Microsoft page each step rests on."""
    plans = diagnosis.remediation_plans
    if not plans:
        return _plain_steps(diagnosis.remediation)
    lines = [f"{lead} (elevated prompt):", ""]
    if len(plans) > 1:
        lines += [
            f"{len(plans)} alternative plans: try them in this order; each says when it applies.",
            "",
        ]
    for number, plan in enumerate(plans):
        letter = PLAN_LETTERS[number] if number < len(PLAN_LETTERS) else str(number + 1)
        head = f"**Plan {letter}: {reply.prose(plan.title)}**" if len(plans) > 1 else ""
        when = f"When: {reply.prose(plan.when)}" if plan.when else ""
        if head or when:
            lines += [" ".join(part for part in (head, when) if part), ""]
        lines += _plan(reply, plan)
    return lines


def _plan(reply: Reply, plan: FixPlan) -> list[str]:
    lines: list[str] = []
    run: list[str] = []
    notes: list[str] = []

    def flush() -> None:
        if run:
            lines.extend([*block("\n".join(run), "bat"), ""])
            lines.extend(notes)
            if notes:
                lines.append("")
        run.clear()
        notes.clear()

    for step in plan.steps:
        page = _page_link(step.reference)
        if step.action is StepAction.MANUAL:
            flush()
            head, newline, body = step.text.partition("\n")
            lines.append(f"By hand: {reply.prose(head)} ({page})")
            lines.append("")
            if newline:
                lines += [*block(body), ""]
            continue
        command, _, note = step.text.partition("   (")
        run.append(command)
        said = f": {reply.prose(note.removesuffix(')'))}" if note else ""
        read = " Read the output before going on." if step.action is StepAction.CHECK else ""
        notes.append(f"- {code(command)}{said}{'' if said.endswith('.') else '.'}{read} ({page})")
        if step.action is StepAction.CHECK:
            flush()
    flush()
    return lines


_PAGE_TITLES = {
    page.url: page.title for page in vars(references).values() if isinstance(page, Page)
}


def _page_link(url: str) -> str:
    title = _PAGE_TITLES.get(url)
    if title is None or not url.startswith("https://"):
        return "Microsoft page: " + code(url)
    return f"Microsoft: [{prose(title)}]({url})"


def _plain_steps(steps: Sequence[str]) -> list[str]:
    if not steps:
        return []
    lines = ["Fix (elevated prompt, in this order):", ""]
    for step_number, step in enumerate(steps, start=1):
        if "\n" in step:
            head, body = step.split("\n", 1)
            lines += [f"{step_number}. {head}", "", *("   " + b for b in block(body)), ""]
        else:
            lines.append(f"{step_number}. {step_text(step)}")
    return [*lines, ""]
