"""A ticket reply in Markdown: the verdict, its evidence, the fix steps and what else to send.

Customer text is quoted in code spans or fenced blocks so that it cannot turn into Markdown
(links, headings, HTML) in the ticket system.
"""

from __future__ import annotations

import re

from analyzer import __version__
from analyzer.model import Analysis, Diagnosis
from analyzer.visible import visible

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


def render_markdown(analysis: Analysis) -> str:
    lines: list[str] = ["## certtriage: SSL binding failure (0x80070520 / Schannel 36870)", ""]
    faults = [d for d in analysis.diagnoses if d.kind == "fault"]
    if not any(r.usable for r in analysis.inputs):
        lines += ["**Verdict:** none of the attached files could be read.", ""]
    elif faults:
        lines += [f"**Verdict:** {_headline(faults[0])}", ""]
    else:
        lines += ["**Verdict:** no fault found that explains the failure.", ""]
    context = analysis.context
    if context.get("failures_total"):
        lines.append(
            f"- Schannel 36870 events: {context['failures_total']}"
            + (f", service: {context.get('service')}" if context.get("service") else "")
        )
    if analysis.thumbprint:
        lines.append(f"- Certificate selected in IIS: {code(analysis.thumbprint)}")
    if analysis.at:
        assumed = " (given without offset, taken as UTC)" if context.get("at_assumed_utc") else ""
        lines.append(f"- Time of the attempt: {prose(analysis.at)}{assumed}")
    if lines[-1] != "":
        lines.append("")
    for number, diagnosis in enumerate(faults or analysis.diagnoses[:1], start=1):
        lines += _diagnosis(number, diagnosis)
    advisories = [d for d in analysis.diagnoses if d.kind == "advisory"]
    if faults and advisories:
        lines += ["### Also worth fixing", ""]
        lines += [f"- {prose(d.title)}" for d in advisories]
        lines.append("")
    if analysis.ask_for:
        lines += ["### Please send", "", "From an elevated command prompt:", ""]
        for item in analysis.ask_for:
            if item.command.startswith("("):  # a question, not a command
                lines += [f"- {item.what} ({item.why}) {item.command}", ""]
            else:
                lines += [f"- {item.what} ({item.why}):", "", *block(item.command, "bat"), ""]
    lines.append(f"_Analysed by certtriage {__version__}._")
    return "\n".join(lines) + "\n"


def _headline(diagnosis: Diagnosis) -> str:
    scenario = f" ({SCENARIO_NAMES[diagnosis.scenario]})" if diagnosis.scenario else ""
    return f"{prose(diagnosis.title)}{scenario}, confidence {diagnosis.confidence}."


def _diagnosis(number: int, diagnosis: Diagnosis) -> list[str]:
    lines = [f"### {number}. {prose(diagnosis.title)}", ""]
    if diagnosis.summary:
        lines += [prose(diagnosis.summary), ""]
    reason = prose(diagnosis.confidence_reason)
    lines += [f"Confidence: **{diagnosis.confidence}** ({reason})", ""]
    if diagnosis.evidence:
        lines += ["Evidence:", ""]
        for item in diagnosis.evidence:
            lines.append(f"- {prose(item.text)} ({code(str(item.source))})")
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
