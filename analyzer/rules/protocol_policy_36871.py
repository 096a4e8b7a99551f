"""`protocol-policy-36871`: Schannel 36871 with internal state 10013 for a *server* credential.

Credential creation failed because no enabled protocol or cipher suite fits the server side
(typically TLS 1.0/1.1 disabled where a policy leaves nothing else, or no suite for the key
type). Not a private-key problem. The same event for a *client* credential is a local client
application asking for a disabled protocol: `client-protocol-36871`, an advisory. An event whose
side neither its `Type` field nor its text shows is read as the server's, at medium confidence.
"""

from __future__ import annotations

from analyzer.knowledge.eventfields import SCHANNEL
from analyzer.model import Confidence, Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import event_evidence
from analyzer.rulekit.registry import Need, Rule, RuleContext, register
from analyzer.rulekit.sides import policy_events, side_of

PROTOCOLS_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols"


@register
class ProtocolPolicy(Rule):
    id = "protocol-policy-36871"
    title = (
        "TLS protocol or cipher policy leaves the server no usable protocol (36871, state 10013)"
    )
    kind = Kind.FAULT
    fires_when = (
        "Schannel 36871 with ErrorState 10013 for a server credential (Type server in any "
        "language, or a Type the event does not show)"
    )
    needs = frozenset({Need.ELEVATION})  # HKLM protocol settings
    references = (pages.TLS_REGISTRY, pages.SCHANNEL_EVENT_CAUSES, pages.TLS_1_0_1_1_DISABLED)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        events = [
            e
            for e in policy_events(context.case.events_of(SCHANNEL, 36871))
            if side_of(e) != "client"
        ]
        if not events:
            return []
        unknown = sum(1 for e in events if side_of(e) is None)
        reason = (
            f"{len(events)} Schannel 36871 event(s) with internal error state 10013, the state "
            "Microsoft names for disabled protocols or cipher suites"
        )
        if unknown:
            reason += (
                f"; {unknown} of them show no Type (client or server), so they were read as the "
                "server's"
            )
        return [
            self.diagnosis(
                confidence=Confidence.MEDIUM if unknown == len(events) else Confidence.HIGH,
                confidence_reason=reason,
                events=tuple(e.source for e in events),
                evidence=event_evidence(events),
                plans=remedies.single(
                    remedies.run(f'reg query "{PROTOCOLS_KEY}" /s', pages.REG_QUERY),
                    remedies.run(
                        'reg query "HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography'
                        '\\Configuration\\SSL\\00010002"',
                        pages.REG_QUERY,
                    ),
                    remedies.check(
                        'powershell -Command "Get-TlsCipherSuite | Format-Table Name"   (expect: '
                        "the suites the server may use; send the three outputs with the ticket)",
                        pages.GET_TLS_CIPHER_SUITE,
                    ),
                    remedies.manual(
                        "Enable TLS 1.2 for the server side (Server\\Enabled = 1, "
                        "DisabledByDefault = 0 under ...\\Protocols\\TLS 1.2\\Server) or re-enable "
                        "the protocol the clients need, then restart the server.",
                        pages.TLS_REGISTRY,
                    ),
                ),
                explains_events=False,
                summary=(
                    "Schannel could not create a server credential because the protocol/cipher "
                    "policy leaves nothing usable: this is not a private-key problem."
                ),
            )
        ]
