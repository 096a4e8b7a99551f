"""`binding-add-failed`: netsh reported error 1312 on adding a binding, so the bindings it lists
still show the previous certificate (or none), not the one the customer selected."""

from __future__ import annotations

from analyzer.model import Confidence, Diagnosis, Evidence, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.bindings import ADD_FAILED
from analyzer.rulekit.registry import Rule, RuleContext, register


@register
class BindingAddFailed(Rule):
    id = "binding-add-failed"
    title = (
        "netsh could not add the binding (error 1312, 0x80070520): the bindings shown may still "
        "hold the previous certificate"
    )
    kind = Kind.ADVISORY
    fires_when = "a netsh listing reports error 1312 on `netsh http add sslcert`"
    references = (pages.NETSH_HTTP, pages.IIS_0X80070520, pages.SYSTEM_ERRORS_1300)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        case = context.case
        reports = [
            m for r in case.inputs_of("netsh-sslcert") for m in r.messages if ADD_FAILED in m.text
        ]
        if not reports:
            return []
        selected = case.options.thumbprint
        steps = []
        if not selected:
            steps.append(
                remedies.manual(
                    "Ask which certificate was selected in IIS and when; its thumbprint goes into "
                    "the next step, and certtriage can be run again with --thumbprint and --at.",
                    pages.NETSH_HTTP,
                )
            )
        steps.append(
            remedies.check(
                f"certutil -v -store my {selected or remedies.THUMBPRINT}   (expect: its key, "
                "KeySpec and ACL: send the output with the ticket)",
                pages.CERTUTIL,
            )
        )
        return [
            self.diagnosis(
                confidence=Confidence.HIGH,
                confidence_reason="netsh printed error 1312 (a specified logon session does not exist)",
                evidence=tuple(Evidence(m.text, m.source) for m in reports),
                plans=remedies.single(*steps, title="Find the certificate selected in IIS"),
                summary=(
                    "After a failed add, HTTP.sys keeps the old certificate or none: the bindings "
                    "listed do not show the certificate the customer selected, whose private key "
                    "could not be used."
                ),
            )
        ]
