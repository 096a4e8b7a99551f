"""`non-exportable-broken-keyset` (scenario 1): a key that cannot be used, and nothing says that
the account that opens it (LocalSystem for HTTP.sys) is kept out of it.

What the evidence proves is that the private key cannot be used (a broken or missing keyset); the
title says only that. The likely cause, named in the text and not as a fact: importing a PFX in
IIS Manager with "Allow this certificate to be exported" unchecked can leave a broken keyset:
certutil opens the key (so it reports `Private key is NOT exportable`) and its test fails, or the
key errors with NTE_BAD_KEYSET. Without access evidence scenario 2 stays the runner-up (reported
by `machinekeys-permissions` at low confidence). A key the dump shows outside the machine keyset
is `key-in-user-profile` instead.
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
from analyzer.rulekit.keys import store_of
from analyzer.rulekit.registry import Need, Question, Rule, RuleContext, register


@register
class NonExportableBrokenKeyset(Rule):
    id = "non-exportable-broken-keyset"
    title = "The private key cannot be used: broken or missing keyset"
    kind = Kind.FAULT
    scenario = 1
    fires_when = (
        "a machine key that cannot be used (test FAILED, key error such as NTE_BAD_KEYSET, or "
        "`Missing stored keyset` in an elevated dump) with no evidence that the account that opens "
        "it (LocalSystem for HTTP.sys) is denied; no scenario-2 runner-up when the key's ACL lets "
        "that account read it"
    )
    needs = frozenset({Need.PFX, Need.ELEVATION})
    asks = frozenset({Question.KEY_ACLS, Question.CAPI2_LOG, Question.PROCMON})
    references = (pages.IIS_0X80070520, pages.SCHANNEL_EVENT_CAUSES, pages.CERTUTIL)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        out = []
        correlation = context.correlation
        events, event_evidence = failure_facts(correlation)
        for cert in candidate_certificates(context.case.certificates):
            verdict = classify(context.case, correlation, cert)
            if verdict is None or verdict.primary != 1 or cert.key is None or not cert.thumbprint:
                continue
            key = cert.key
            quotes = [q for q in (state_quote(key), *test_quotes(key)) if q]
            if key.exportable is False:
                quotes.insert(0, "Private key is NOT exportable")
            explains = correlation.explains((cert.thumbprint,))
            out.append(
                self.diagnosis(
                    label(cert),
                    confidence=verdict.confidence,
                    confidence_reason=verdict.reason
                    + (f". {TELL_APART}" if verdict.runner_up_confidence is not None else ""),
                    certificates=(cert.thumbprint,),
                    events=events if explains else (),
                    evidence=(
                        cert_evidence(cert, "the key cannot be used", "\n".join(quotes), "state"),
                        *(event_evidence if explains else ()),
                    ),
                    remediation=(
                        "If the PFX is still at hand: "
                        f"certutil -delstore {store_of(cert)} {cert.thumbprint}",
                        remedies.import_keyexchange(cert, "<original>.pfx")
                        + "   (certutil imports the key exportable; in IIS Manager keep "
                        '"Allow this certificate to be exported" checked)',
                        "Without the PFX, request a new certificate:",
                        *remedies.new_request(cert),
                    ),
                    explains_events=explains,
                    account=verdict.access.account,
                    summary=(
                        f"The private key of {label(cert)} cannot be used (a broken or missing "
                        f"keyset) and nothing shows that {verdict.access.account.name} is denied. "
                        'The likely cause is an import in IIS Manager with "Allow this '
                        'certificate to be exported" unchecked, which leaves a broken keyset '
                        "(scenario 1); "
                        + (
                            "MachineKeys permissions (scenario 2) is the runner-up."
                            if verdict.runner_up_confidence is not None
                            else "the key's own ACL lets that account read it, so MachineKeys "
                            "permissions (scenario 2) are ruled out."
                        )
                    ),
                )
            )
        return out
