"""`client-protocol-36871`: Schannel 36871 with state 10013 for a *client* credential.

A local application opened an outgoing TLS connection asking only for protocols the machine's
hardening disabled (typically a .NET Framework application pinned to TLS 1.0/1.1). The server
side and its certificate are not involved, so this is an advisory, and its fix is in that
application (.NET: `SchUseStrongCrypto` / `SystemDefaultTlsVersions`, or not hard-coding the TLS
version), never the server's protocol settings.
"""

from __future__ import annotations

from analyzer.knowledge.eventfields import SCHANNEL
from analyzer.model import Confidence, Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import event_evidence
from analyzer.rulekit.registry import Rule, RuleContext, register
from analyzer.rulekit.sides import policy_events, side_of

DOTNET_KEYS = (
    r"HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319",
    r"HKLM\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319",
)


@register
class ClientProtocol36871(Rule):
    id = "client-protocol-36871"
    title = "A local client application asked for a disabled TLS protocol (36871, state 10013)"
    kind = Kind.ADVISORY
    fires_when = (
        "Schannel 36871 with ErrorState 10013 for a client credential (Type client in any language)"
    )
    references = (pages.DOTNET_TLS, pages.TLS_1_0_1_1_DISABLED)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        events = [
            e
            for e in policy_events(context.case.events_of(SCHANNEL, 36871))
            if side_of(e) == "client"
        ]
        if not events:
            return []
        processes = sorted({e.sspi_process for e in events if e.sspi_process})
        who = ", ".join(processes) if processes else "a process the events do not name"
        return [
            self.diagnosis(
                confidence=Confidence.HIGH,
                confidence_reason=(
                    f"{len(events)} Schannel 36871 event(s) with state 10013 for a client "
                    "credential: an outgoing connection of this machine, not the server's binding"
                ),
                events=tuple(e.source for e in events),
                evidence=event_evidence(events),
                plans=remedies.single(
                    remedies.manual(
                        f"Find the client application ({who}) and let it use the protocols the "
                        "OS offers: target .NET Framework 4.7 or later without a hard-coded "
                        "SslProtocols / ServicePointManager.SecurityProtocol.",
                        pages.DOTNET_TLS,
                    ),
                    *(
                        remedies.run(f'reg query "{key}" /v {value}', pages.REG_QUERY)
                        for value in ("SchUseStrongCrypto", "SystemDefaultTlsVersions")
                        for key in DOTNET_KEYS
                    ),
                    remedies.manual(
                        "For a .NET Framework application that cannot be changed, set "
                        "SchUseStrongCrypto = 1 and SystemDefaultTlsVersions = 1 (DWORD) under "
                        "both keys above and restart it. Leave the server's SCHANNEL\\Protocols "
                        "settings as they are.",
                        pages.DOTNET_TLS,
                    ),
                ),
                explains_events=False,
                summary=(
                    f"A client application on this machine ({who}) asked for a TLS protocol the "
                    "hardening disabled; the server's certificate and bindings are not involved."
                ),
            )
        ]
