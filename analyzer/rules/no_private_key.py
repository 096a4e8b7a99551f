"""`no-private-key`: the certificate in use has no private key (36869, `No key provider information`).

A certificate imported from a `.cer` (not the `.pfx`), or whose request was never completed on
this machine, has no CERT_KEY_PROV_INFO: Schannel logs 36869 and the binding cannot work.
"""

from __future__ import annotations

from analyzer.correlate import validity_at
from analyzer.knowledge.eventfields import SCHANNEL
from analyzer.model import Certificate, Confidence, Diagnosis, FixPlan, FixStep, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import candidate_certificates, cert_evidence, event_evidence, label
from analyzer.rulekit.registry import Need, Rule, RuleContext, register


def keyless(cert: Certificate) -> bool:
    return cert.key is None or cert.key.state == "no-key-info"


@register
class NoPrivateKey(Rule):
    id = "no-private-key"
    title = "The certificate has no private key"
    kind = Kind.FAULT
    fires_when = (
        "Schannel 36869, or the certificate in use (--thumbprint or a binding) shows `No key "
        "provider information`, or 36870 with only key-less server certificates valid"
    )
    needs = frozenset({Need.PFX, Need.ELEVATION})
    references = (pages.IIS_0X80070520, pages.KEY_PROV_INFO, pages.CERTUTIL)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        case, correlation = context.case, context.correlation
        no_key_events = case.events_of(SCHANNEL, 36869)
        certs = candidate_certificates(case.certificates)
        in_use = [c for c in certs if c.thumbprint in correlation.in_use]
        when = correlation.reference_moment
        valid_keyless = [
            c for c in certs if keyless(c) and validity_at(c, when).state in ("valid", "unknown")
        ]
        if in_use:
            suspects = [c for c in in_use if keyless(c)]
            if not suspects:
                return []
            confidence = Confidence.HIGH
            reason = f"the certificate named by {correlation.in_use_from} has no key information"
        elif no_key_events:
            suspects = valid_keyless
            confidence = Confidence.HIGH if suspects else Confidence.MEDIUM
            reason = "Schannel 36869: the credential's certificate has no private key property"
        elif correlation.failures and not correlation.in_scope and valid_keyless:
            suspects = valid_keyless
            confidence = Confidence.MEDIUM
            reason = "36870 failed and the only valid server certificates have no private key"
        else:
            return []
        thumbprints = tuple(c.thumbprint for c in suspects if c.thumbprint)
        explains = bool(no_key_events) or correlation.explains(thumbprints)
        events = tuple(e.source for e in no_key_events) or tuple(
            e.source for e in correlation.failures
        )
        return [
            self.diagnosis(
                label(suspects[0]) if len(suspects) == 1 else None,
                confidence=confidence,
                confidence_reason=reason,
                certificates=thumbprints,
                events=events,
                evidence=(
                    *(
                        cert_evidence(
                            c, f"{label(c)} has no key", "No key provider information", "state"
                        )
                        for c in suspects[:5]
                    ),
                    *event_evidence(no_key_events or list(correlation.failures)),
                ),
                plans=self._plans(suspects),
                explains_events=explains,
                summary=(
                    "The certificate Schannel was given has no private key: import the PFX "
                    "(with its key) or repair the link to an existing key."
                ),
            )
        ]

    @staticmethod
    def _plans(suspects: list[Certificate]) -> tuple[FixPlan, ...]:
        if suspects:
            importing = remedies.run(
                remedies.import_keyexchange(suspects[0], remedies.PFX_FILE)
                + "   (the PFX, with its private key; not the .cer)",
                pages.CERTUTIL,
            )
        else:
            importing = remedies.run(
                f'certutil -p "{remedies.PFX_PASSWORD}" -importPFX my "{remedies.PFX_FILE}"   '
                "(the PFX, with its private key; not the .cer)",
                pages.CERTUTIL,
            )
        relink: list[FixStep] = []
        for cert in suspects[:3]:
            relink += [
                remedies.repair_link(cert),
                remedies.verify_step(
                    cert, "a key test that passed, no `No key provider information`"
                ),
            ]
        out = []
        if relink:
            out.append(
                remedies.plan(
                    "Re-link the certificate to its key",
                    "first: the key may still be on the machine; this changes nothing else",
                    *relink,
                    remedies.rebind(),
                )
            )
        out += [
            remedies.plan(
                "Import the PFX",
                "the PFX (certificate and private key) and its password are at hand",
                importing,
                *(remedies.verify_step(c, "`Encryption test passed`") for c in suspects[:1]),
                remedies.rebind(),
            ),
            remedies.plan(
                "Complete the pending request",
                "the certificate was requested on this machine and its key is still there",
                remedies.run(f'certreq -accept "{remedies.ISSUED_CERTIFICATE}"', pages.CERTREQ),
                remedies.rebind(),
            ),
        ]
        return tuple(out)
