"""`no-known-cause`: no rule found a fault; say so and list what was checked.

A closing rule: it runs after every other rule and fires when none of them reported a fault.
"""

from __future__ import annotations

from analyzer.model import Diagnosis, Evidence, Source
from analyzer.rules.common import event_evidence
from analyzer.rules.registry import Rule, RuleContext, register, rule_classes


@register
class NoKnownCause(Rule):
    id = "no-known-cause"
    title = "No known cause found"
    kind = "advisory"
    scenario = None
    fires_when = "no other rule reported a fault (lists what was checked)"
    closing = True

    def check(self, context: RuleContext) -> list[Diagnosis]:
        if not context.case.usable or any(d.kind == "fault" for d in context.found):
            return []
        case, correlation = context.case, context.correlation
        checked = sorted(cls.id for cls in rule_classes().values() if not cls.closing)
        inputs = [
            Evidence(f"read as {r.kind} ({r.status.value})", Source(r.path))
            for r in case.inputs
            if r.usable
        ]
        failures = len(correlation.failures)
        return [
            Diagnosis(
                id=self.id,
                kind=self.kind,
                scenario=None,
                title=self.title
                + (f" for {failures} Schannel 36870 failure(s)" if failures else ""),
                confidence="low",
                confidence_reason=(
                    f"none of the {len(checked)} rules matched the evidence; "
                    f"{len(case.certificates)} certificate(s) and {len(case.events)} event(s) "
                    "were checked"
                ),
                events=tuple(e.source for e in correlation.failures),
                evidence=(*event_evidence(correlation.failures), *inputs[:10]),
                remediation=(
                    "Collect what the 'what to ask for' list names and run certtriage again.",
                ),
                explains_events=False,
                summary=(
                    "No rule explains the failure with the evidence at hand. Checked: "
                    + ", ".join(checked)
                    + "."
                ),
            )
        ]
