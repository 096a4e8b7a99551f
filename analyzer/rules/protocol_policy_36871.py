"""`protocol-policy-36871`: Schannel 36871 with internal state 10013.

Credential creation failed because no enabled protocol or cipher suite fits (typically TLS 1.0/1.1
disabled for a client that needs them, or a policy that leaves none). Not a private-key problem.
"""

from __future__ import annotations

from analyzer.knowledge.eventfields import SCHANNEL
from analyzer.model import Confidence, Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit.evidence import event_evidence
from analyzer.rulekit.registry import Need, Rule, RuleContext, register

PROTOCOLS_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols"


@register
class ProtocolPolicy(Rule):
    id = "protocol-policy-36871"
    title = "TLS protocol or cipher policy leaves no usable protocol (36871, state 10013)"
    kind = Kind.FAULT
    fires_when = "Schannel 36871 with ErrorState 10013"
    needs = frozenset({Need.ELEVATION})  # HKLM protocol settings
    references = (pages.TLS_REGISTRY, pages.SCHANNEL_EVENT_CAUSES, pages.TLS_1_0_1_1_DISABLED)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        events = [
            e for e in context.case.events_of(SCHANNEL, 36871) if e.data.get("ErrorState") == 10013
        ]
        if not events:
            return []
        return [
            self.diagnosis(
                confidence=Confidence.HIGH,
                confidence_reason=(
                    f"{len(events)} Schannel 36871 event(s) with internal error state 10013, "
                    "the state Microsoft names for disabled protocols or cipher suites"
                ),
                events=tuple(e.source for e in events),
                evidence=event_evidence(events),
                remediation=(
                    f'reg query "{PROTOCOLS_KEY}" /s',
                    'reg query "HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration'
                    '\\SSL\\00010002"',
                    'powershell -Command "Get-TlsCipherSuite | Format-Table Name"',
                    "Enable TLS 1.2 for the server side (Server\\Enabled = 1, DisabledByDefault = 0 "
                    "under ...\\Protocols\\TLS 1.2\\Server) or re-enable the protocol the clients "
                    "need, then restart the server.",
                ),
                explains_events=False,
                summary=(
                    "Schannel could not create a credential because the protocol/cipher policy "
                    "leaves nothing usable: this is not a private-key problem."
                ),
            )
        ]
