"""`sql-cng-key`: SQL Server is configured with a certificate whose private key is a CNG (KSP) key.

"Certificate requirements for SQL Server" says: "The certificate must be created using the
KeySpec option of AT_KEYEXCHANGE. This requires a certificate that uses a legacy Cryptographic
Storage Provider to store the private key." A Key Storage Provider key is not such a key. Whether
a given SQL Server version loads one anyway is not said by that page (nor by another Microsoft
page at hand), so this is an advisory, never a fault: of medium confidence when SQL Server logged
a failure to load that certificate (26014 / 33565 naming its hash), low otherwise, and not said
at all when its ERRORLOG shows the certificate loaded (26013): then this version uses it.
"""

from __future__ import annotations

from dataclasses import replace

from analyzer.case import Case
from analyzer.knowledge import services as known
from analyzer.model import (
    Certificate,
    Confidence,
    Diagnosis,
    FixPlan,
    Key,
    Kind,
    SqlCertificateEvent,
)
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import cert_evidence, key_quotes, label
from analyzer.rulekit.keys import is_ksp
from analyzer.rulekit.registry import Need, Rule, RuleContext, register
from analyzer.rulekit.service_keys import service_label, sql_finish_steps
from analyzer.servicemap import configured_certificates, failure_events

LOAD_FAILURES = (26014, 33565)


def logged(case: Case, thumbprint: str, number: int) -> list[SqlCertificateEvent]:
    return [
        line
        for line in case.records(SqlCertificateEvent)
        if line.number == number and line.thumbprint == thumbprint
    ]


def _csp_plans(case: Case, cert: Certificate, key: Key) -> tuple[FixPlan, ...]:
    """Move the key into the legacy Schannel CSP as AT_KEYEXCHANGE (export and re-import when
    it is exportable, else the PFX, else a new request), then restart the instance."""
    plans: list[FixPlan] = []
    if key.exportable is True:
        plans.append(
            remedies.plan(
                "Export the key and import it back into the legacy CSP as AT_KEYEXCHANGE",
                "the key is exportable (the dump says so)",
                *remedies.export_reimport(cert),
                remedies.rebind(),
            )
        )
    plans.append(remedies.with_pfx_plan(cert, "the original PFX and its password are at hand"))
    plans.append(remedies.new_certificate_plan(cert, "no PFX, and the key is not exportable"))
    out = []
    for plan in plans:
        new = any(
            step.text.startswith("In IIS Manager") and "new" in step.text for step in plan.steps
        )
        finish = sql_finish_steps(case, cert, new) or []
        kept = [s for s in plan.steps if not s.text.startswith("In IIS Manager")]
        out.append(replace(plan, steps=(*kept, *finish)))
    return tuple(out)


@register
class SqlCngKey(Rule):
    id = "sql-cng-key"
    title = "SQL Server's certificate has a CNG (KSP) key, not the legacy CSP key its requirements ask for"
    kind = Kind.ADVISORY
    fires_when = (
        "the certificate an SQL Server instance is configured with (SuperSocketNetLib "
        "Certificate, ERRORLOG 26014 / 33565) has a Key Storage Provider key in the My dump, and "
        "no ERRORLOG 26013 shows that instance loading it (medium when a 26014 / 33565 names it, "
        "else low)"
    )
    needs = frozenset({Need.ELEVATION})
    references = (
        pages.SQL_CERTIFICATE_REQUIREMENTS,
        pages.CERTUTIL,
        pages.SQL_CONFIGURE_ENCRYPTION,
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        case = context.case
        out = []
        seen: set[str] = set()
        for configured in configured_certificates(case):
            thumbprint = configured.thumbprint
            if configured.service != known.SQL_SERVER or thumbprint is None or thumbprint in seen:
                continue
            seen.add(thumbprint)
            if logged(case, thumbprint, 26013):
                continue  # this version loaded it
            for cert in case.certificates_with(thumbprint)[:1]:
                key = cert.key
                if key is None or cert.user_store is True or not is_ksp(key):
                    continue
                failures = [line for n in LOAD_FAILURES for line in logged(case, thumbprint, n)]
                named = [
                    e
                    for e in failure_events(case, known.SQL_SERVER)
                    if str(e.data.get("CertHash", "")).strip().lower() == thumbprint
                ]
                sources = (*(f.source for f in failures), *(e.source for e in named))
                name = service_label(known.SQL_SERVER, configured.instance)
                reason = (
                    f"{name} is configured with it and its key's provider is a Key Storage "
                    "Provider; the requirements page asks for a legacy CSP key (AT_KEYEXCHANGE) "
                    "and no Microsoft page says which versions load a CNG key"
                )
                if sources:
                    reason += "; SQL Server logged a failure to load this certificate"
                out.append(
                    self.diagnosis(
                        label(cert),
                        confidence=Confidence.MEDIUM if sources else Confidence.LOW,
                        confidence_reason=reason,
                        certificates=(thumbprint,),
                        events=sources[:10],
                        evidence=(
                            configured.evidence,
                            cert_evidence(
                                cert, "a CNG (KSP) key", "\n".join(key_quotes(key)), "provider"
                            ),
                        ),
                        plans=_csp_plans(case, cert, key),
                        explains_events=False,
                        summary=(
                            f"{name} is configured with {label(cert)}, whose private key is a "
                            "CNG (KSP) key; Microsoft's requirements for SQL Server ask for a "
                            "legacy CSP key created as AT_KEYEXCHANGE."
                        ),
                        service=known.SQL_SERVER,
                    )
                )
        return out
