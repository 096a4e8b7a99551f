"""`no-known-cause`: no rule found a fault; say so and list what was checked.

A closing rule: it runs after every other rule and fires when none of them reported a fault.
"""

from __future__ import annotations

from analyzer.model import Confidence, Diagnosis, Evidence, Kind, Source
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import event_evidence
from analyzer.rulekit.registry import Question, Rule, RuleContext, register, rule_classes


@register
class NoKnownCause(Rule):
    id = "no-known-cause"
    title = "No known cause found"
    kind = Kind.ADVISORY
    fires_when = "no other rule reported a fault (lists what was checked)"
    # What would show a cause the case does not: the key's permissions and the exact key error,
    # and the other store IIS binds from.
    asks = frozenset(
        {Question.KEY_ACLS, Question.CAPI2_LOG, Question.PROCMON, Question.WEBHOSTING_DUMP}
    )
    # Microsoft's list of what 36870 0x8009030D and 36871 10013 mean, to check by hand.
    references = (pages.SCHANNEL_EVENT_CAUSES, pages.IIS_0X80070520)
    closing = True

    def check(self, context: RuleContext) -> list[Diagnosis]:
        if not context.case.usable or any(d.kind == Kind.FAULT for d in context.found):
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
            self.diagnosis(
                title=self.title
                + (f" for {failures} Schannel 36870 failure(s)" if failures else ""),
                confidence=Confidence.LOW,
                confidence_reason=(
                    f"none of the {len(checked)} rules matched the evidence; "
                    f"{len(case.certificates)} certificate(s) and {len(case.events)} event(s) "
                    "were checked"
                ),
                events=tuple(e.source for e in correlation.failures),
                evidence=(*event_evidence(correlation.failures), *inputs[:10]),
                plans=remedies.single(
                    remedies.manual(
                        "Collect what the 'what to ask for' list names and run certtriage again.",
                        pages.SCHANNEL_EVENT_CAUSES,
                    ),
                    title="Collect more evidence",
                ),
                explains_events=False,
                summary=(
                    "No rule explains the failure with the evidence at hand. Checked: "
                    + ", ".join(checked)
                    + "."
                ),
            )
        ]
