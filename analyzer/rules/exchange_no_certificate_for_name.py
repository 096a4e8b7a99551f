"""`exchange-no-certificate-for-name`: a transport 12014 names a domain that no certificate of
the server holds: the first meaning of 12014, not a key that cannot be read.

12014's text covers two causes: "Microsoft Exchange could not find a certificate that contains
the domain name <name> in the personal store on the local computer ... Verify the connector
configuration and the installed certificates to make sure that there is a certificate with a
domain name for that FQDN. If this certificate exists, run Enable-ExchangeCertificate -Services
SMTP to make sure that the Microsoft Exchange Transport service has access to the certificate
key." When a listed or dumped certificate holds the name, the key is the question
(`machinekeys-permissions`, service ``exchange``). When none does, this rule says so, and only
when ``Get-ExchangeCertificate`` was attached: it lists every certificate of the server's
personal store, so "none holds it" is then a fact and not a gap in what was sent.
"""

from __future__ import annotations

from analyzer.knowledge.quoting import ps_literal
from analyzer.knowledge.services import EXCHANGE
from analyzer.model import (
    Confidence,
    Diagnosis,
    Event,
    Evidence,
    ExchangeCertificate,
    FixPlan,
    Kind,
)
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.registry import Rule, RuleContext, register
from analyzer.rulekit.service_keys import restart_step
from analyzer.servicemap.exchange import uncovered_fqdns


@register
class ExchangeNoCertificateForName(Rule):
    id = "exchange-no-certificate-for-name"
    title = "Exchange has no certificate for the name a connector uses (12014)"
    kind = Kind.FAULT
    fires_when = (
        "an MSExchangeTransport / MSExchangeFrontEndTransport 12014 names a domain that no "
        "certificate Get-ExchangeCertificate lists (CertificateDomains) or a dump holds (SAN, CN; "
        "`*.` one label deep) holds; without a Get-ExchangeCertificate listing it is not said"
    )
    references = (
        pages.EXCHANGE_12013,
        pages.ENABLE_EXCHANGE_CERTIFICATE,
        pages.GET_RECEIVE_CONNECTOR,
        pages.SET_RECEIVE_CONNECTOR,
        pages.EXCHANGE_SERVICES,
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        listings = context.case.records(ExchangeCertificate)
        if not listings:
            return []
        by_name: dict[str, list[Event]] = {}
        for fqdn, event in uncovered_fqdns(context.case):
            by_name.setdefault(fqdn, []).append(event)
        out = []
        for fqdn, events in sorted(by_name.items()):
            first = events[0]
            connector = first.data.get("Connector")
            evidence = (
                Evidence(
                    f"{first.provider} 12014: no certificate contains the domain name {fqdn}"
                    + (f" (connector {connector})" if isinstance(connector, str) else ""),
                    first.source,
                    (first.message or "; ".join(f"{k}: {v}" for k, v in first.data.items()))[:400],
                ),
                Evidence(
                    f"none of the {len({c.thumbprint for c in listings})} certificates "
                    f"Get-ExchangeCertificate lists holds {fqdn} (CertificateDomains), nor does "
                    "any dumped certificate (SAN, CN)",
                    listings[0].source,
                ),
            )
            out.append(
                self.diagnosis(
                    fqdn,
                    title=f"Exchange has no certificate for {fqdn} (12014)",
                    confidence=Confidence.MEDIUM,
                    confidence_reason=(
                        "Get-ExchangeCertificate lists the server's certificates and none holds "
                        f"{fqdn}: the 12014 is its first meaning, not a key that cannot be read"
                    ),
                    events=tuple(e.source for e in events[:10]),
                    evidence=evidence,
                    plans=_plans(fqdn),
                    explains_events=True,
                    summary=(
                        f"The transport service looks for a certificate holding {fqdn} (the "
                        "connector's FQDN) and the server has none: STARTTLS is not offered on "
                        "that connector."
                    ),
                    service=EXCHANGE,
                )
            )
        return out


def _plans(fqdn: str) -> tuple[FixPlan, ...]:
    """Find the connector, then give it a certificate that holds its name or a name a
    certificate holds; nothing is removed."""
    name = ps_literal(fqdn, "host name")
    look = remedies.manual(
        "In the Exchange Management Shell: Get-ReceiveConnector | Where-Object { $_.Fqdn -eq "
        f"{name} }} | Format-List Identity,Fqdn   (and Get-SendConnector the same way: the "
        "connectors that use this name)",
        pages.GET_RECEIVE_CONNECTOR,
    )
    return (
        remedies.plan(
            "Enable a certificate that holds the name for SMTP",
            f"a certificate for {fqdn} is wanted (import or request one first)",
            look,
            remedies.manual(
                "In the Exchange Management Shell: Enable-ExchangeCertificate -Thumbprint "
                f"'{remedies.NEW_THUMBPRINT}' -Services SMTP   (the certificate that holds "
                f"{fqdn})",
                pages.ENABLE_EXCHANGE_CERTIFICATE,
            ),
            restart_step(EXCHANGE),
        ),
        remedies.plan(
            "Give the connector a name a certificate holds",
            "the connector's FQDN is a mistake",
            look,
            remedies.manual(
                "In the Exchange Management Shell: Set-ReceiveConnector -Identity "
                f"'{remedies.CONNECTOR}' -Fqdn '{remedies.HOST_NAME}'   (a name "
                "Get-ExchangeCertificate shows in the SMTP certificate's CertificateDomains)",
                pages.SET_RECEIVE_CONNECTOR,
            ),
            restart_step(EXCHANGE),
        ),
    )
