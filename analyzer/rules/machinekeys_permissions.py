"""`machinekeys-permissions` (scenario 2): the key exists but SYSTEM cannot open it.

Evidence: the key's SDDL without SYSTEM (from `certutil -v`), an icacls deviation on the key
folder or key file, or a Process Monitor ACCESS DENIED on the key file. Without such evidence it
is only the runner-up of scenario 1 (low confidence), with what would tell them apart.
"""

from __future__ import annotations

from analyzer.model import Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import (
    candidate_certificates,
    cert_evidence,
    failure_facts,
    label,
    state_quote,
    test_quotes,
)
from analyzer.rulekit.key_access import TELL_APART, classify
from analyzer.rulekit.keys import key_folder
from analyzer.rulekit.registry import Need, Question, Rule, RuleContext, register
from analyzer.rulekit.runner_up import contradicted


@register
class MachineKeysPermissions(Rule):
    id = "machinekeys-permissions"
    title = "SYSTEM cannot open the private key (MachineKeys / Crypto\\Keys permissions)"
    kind = Kind.FAULT
    scenario = 2
    fires_when = (
        "the key SDDL lacks SYSTEM, icacls shows a deny or no SYSTEM grant on the key folder or "
        "file, or procmon shows ACCESS DENIED on the key file; low-confidence runner-up of "
        "`non-exportable-broken-keyset`"
    )
    needs = frozenset({Need.ELEVATION})
    asks = frozenset({Question.KEY_ACLS, Question.CAPI2_LOG, Question.PROCMON})
    references = (
        pages.MACHINEKEYS_DEFAULTS,
        pages.KEY_STORAGE,
        pages.ICACLS,
        pages.IIS_0X80070520,
        pages.SCHANNEL_EVENT_CAUSES,
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        out = []
        correlation = context.correlation
        events, event_evidence = failure_facts(correlation)
        for cert in candidate_certificates(context.case.certificates):
            verdict = classify(context.case, correlation, cert)
            key = cert.key
            if verdict is None or key is None or not cert.thumbprint:
                continue
            alternative_to = None
            if verdict.primary == 2:
                confidence, reason = verdict.confidence, verdict.reason
                evidence = verdict.denied
                summary = (
                    f"SYSTEM cannot open the private key of {label(cert)} in {key_folder(key)}: "
                    "HTTP.sys runs as SYSTEM and fails with 0x8009030d (36870)."
                )
            elif verdict.runner_up_confidence is not None and not contradicted(context.case, key):
                alternative_to = "non-exportable-broken-keyset"
                confidence = verdict.runner_up_confidence
                reason = f"runner-up of scenario 1: no evidence about access yet. {TELL_APART}"
                quotes = [q for q in (state_quote(key), *test_quotes(key)) if q]
                evidence = (
                    cert_evidence(cert, "the key cannot be used", "\n".join(quotes), "state"),
                )
                summary = (
                    f"The key of {label(cert)} cannot be opened; wrong permissions on "
                    f"{key_folder(key)} would look the same until icacls or procmon show otherwise."
                )
            else:
                continue
            explains = correlation.explains((cert.thumbprint,))
            out.append(
                self.diagnosis(
                    label(cert),
                    confidence=confidence,
                    confidence_reason=reason,
                    certificates=(cert.thumbprint,),
                    events=events if explains else (),
                    evidence=(*evidence, *(event_evidence if explains else ())),
                    plans=remedies.fix_key_permissions(context.case, cert, key),
                    alternative_to=alternative_to,
                    explains_events=explains,
                    summary=summary,
                )
            )
        return out
