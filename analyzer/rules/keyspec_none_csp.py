"""`keyspec-none-csp`: a CSP key with KeySpec 0, a broken certificate-to-key association.

KeySpec 0 is normal for CNG (KSP) keys only; a CSP key always has KeySpec 1 or 2. Schannel then
fails to sign the key exchange (36888 alert 80, error state 1250/1051) or to open the key.
"""

from __future__ import annotations

from analyzer.knowledge.quoting import cmd_arg
from analyzer.model import Confidence, Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import (
    candidate_certificates,
    cert_evidence,
    failure_facts,
    key_quotes,
    label,
)
from analyzer.rulekit.keys import SCHANNEL_PROVIDER, is_csp, store_of
from analyzer.rulekit.registry import Need, Rule, RuleContext, register


@register
class KeySpecNoneCsp(Rule):
    id = "keyspec-none-csp"
    title = "CSP key with KeySpec 0: the certificate's link to its key is broken"
    kind = Kind.FAULT
    fires_when = "a server certificate whose CSP key (ProviderType not 0) shows `KeySpec = 0`"
    needs = frozenset({Need.ELEVATION})
    references = (pages.KEY_PROV_INFO, pages.ADFS_KEYSPEC, pages.CERTUTIL)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        out = []
        correlation = context.correlation
        events, event_evidence = failure_facts(correlation)
        for cert in candidate_certificates(context.case.certificates, unidentified=True):
            key = cert.key
            if key is None or key.keyspec != 0 or not is_csp(key):
                continue
            thumbprints = (cert.thumbprint,) if cert.thumbprint else ()
            explains = correlation.explains(thumbprints)
            store = store_of(cert)
            provider = key.provider or SCHANNEL_PROVIDER
            out.append(
                self.diagnosis(
                    label(cert),
                    confidence=Confidence.HIGH,
                    confidence_reason="the -v dump shows a CSP provider with KeySpec = 0",
                    certificates=thumbprints,
                    events=events if explains else (),
                    evidence=(
                        cert_evidence(
                            cert, "CSP key with KeySpec 0", "\n".join(key_quotes(key)), "keyspec"
                        ),
                        *(event_evidence if explains else ()),
                    ),
                    remediation=(
                        f"certutil -csp {cmd_arg(provider)} -repairstore {store} "
                        f"{remedies.cert_id(cert)}",
                        f"{remedies.verify(cert)}   (expect: KeySpec = 1 -- AT_KEYEXCHANGE; if it "
                        "shows 2, re-import the PFX with AT_KEYEXCHANGE:)",
                        remedies.import_keyexchange(cert, "<original>.pfx"),
                        remedies.REBIND,
                    ),
                    explains_events=explains,
                    summary=(
                        f"{label(cert)} has a CSP key registered with KeySpec 0, which only CNG "
                        "keys use; repair the association so that Schannel can open the key."
                    ),
                )
            )
        return out
