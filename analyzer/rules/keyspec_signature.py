"""`keyspec-signature` (scenario 3): a server certificate whose key is registered as AT_SIGNATURE.

Schannel needs a key-exchange key: a CSP key created or imported with KeySpec 2 (AT_SIGNATURE)
cannot be used for TLS. A `-v` dump shows ``KeySpec = 2``; a non-verbose dump shows only the
tests, and a CSP key whose only test is ``Signature test passed`` is the same tell (lower
confidence). KSP keys normally pass only a signature test: that is not this fault.

SQL Server states the same requirement for the certificate an instance is configured with: "The
certificate must be created using the KeySpec option of AT_KEYEXCHANGE" ("Certificate
requirements for SQL Server"); a certificate only SQL Server uses gets that page and fixes that
end by restarting the instance (or selecting the new certificate for it), and its ERRORLOG 26014
/ 33565 / 26013 naming the certificate, or SQL Server's failure events, are what it explains.
Whether newer versions load a CNG (KSP) key is not said by that page: a KSP key stays the KSP
repair's, as for any service.
"""

from __future__ import annotations

from dataclasses import replace

from analyzer.case import Case
from analyzer.knowledge.services import ADFS
from analyzer.model import Certificate, Confidence, Diagnosis, FixPlan, FixStep, Key, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import (
    candidate_certificates,
    cert_evidence,
    failure_facts,
    key_quotes,
    label,
    test_quotes,
)
from analyzer.rulekit.keys import is_csp, is_ksp
from analyzer.rulekit.registry import Need, Rule, RuleContext, register
from analyzer.rulekit.service_keys import sql_finish_steps, sql_instance_of
from analyzer.servicemap import failure_events, logged_failures
from analyzer.servicemap.adfs import event_thumbprints
from analyzer.servicemap.adfs import roles_of as adfs_roles

# AD FS roles whose certificate wants a CSP key with KeySpec 1 ("AD FS and certificate KeySpec
# property information": KeySpec 0 is "SSL certificate only"); AD FS-generated (auto-rollover)
# certificates are not in the machine store's dumps as the administrator's own.
ADFS_CSP_ROLES = frozenset({"Token-Signing", "Token-Decrypting", "Service-Communications"})


def signature_only(key: Key) -> bool:
    return "signature-passed" in key.tests and not any(
        t.startswith("encryption") for t in key.tests
    )


def for_service(case: Case, cert: Certificate, plans: tuple[FixPlan, ...]) -> tuple[FixPlan, ...]:
    """A certificate only SQL Server uses: each plan ends at SQL Server (select the new
    certificate, restart the instance), not at an IIS binding."""
    out = []
    for plan in plans:
        new = any("new certificate" in step.text for step in plan.steps if _is_rebind(step))
        finish = sql_finish_steps(case, cert, new)
        if finish is None:
            return plans
        kept = [step for step in plan.steps if not _is_rebind(step)]
        out.append(replace(plan, steps=(*kept, *finish)))
    return tuple(out)


def _is_rebind(step: FixStep) -> bool:
    return step.text.startswith("In IIS Manager, edit the site's https binding")


def plans(cert: Certificate, key: Key, csp_only: bool = False) -> tuple[FixPlan, ...]:
    """``csp_only``: the key must end in a legacy CSP as AT_KEYEXCHANGE (SQL Server's
    requirements page), so a KSP key is not repaired in place to KeySpec 0 (a CNG key)."""
    if is_ksp(key) and not csp_only:
        return remedies.single(
            *remedies.repair_ksp_keyspec(cert, key),
            remedies.rebind(),
            title="Rewrite the KeySpec of the certificate's link to 0",
            when="a CNG (KSP) key: KeySpec is only a property of the link, the key stays",
        )
    out = []
    if key.exportable is True:
        out.append(
            remedies.plan(
                "Export the key, remove the certificate, import it back as AT_KEYEXCHANGE",
                "the key is exportable (the dump says so)",
                *remedies.export_reimport(cert),
                remedies.rebind(),
            )
        )
    out.append(remedies.with_pfx_plan(cert, "the original PFX and its password are at hand"))
    out.append(
        remedies.new_certificate_plan(
            cert,
            "no PFX, and the key is "
            + ("not exportable" if key.exportable is False else "not known to be exportable"),
        )
    )
    return tuple(out)


@register
class KeySpecSignature(Rule):
    id = "keyspec-signature"
    title = "Certificate key is AT_SIGNATURE (KeySpec 2): Schannel cannot use it"
    kind = Kind.FAULT
    scenario = 3
    fires_when = (
        "a server certificate (Server Authentication EKU or none) with `KeySpec = 2`; or, without "
        "-v, a CSP key whose only test is `Signature test passed` (medium); not for a "
        "certificate AD FS uses only for token signing (AD FS's KeySpec page); an AD FS "
        "token-signing, token-decrypting or service-communications certificate (service `adfs`) "
        "whose key is a CNG key, KeySpec 0 (medium; high with an AD FS event naming it)"
    )
    needs = frozenset({Need.PFX, Need.ELEVATION})
    references = (
        pages.IIS_0X80070520,
        pages.KEY_PROV_INFO,
        pages.ADFS_KEYSPEC,
        pages.KSP_KEYSPEC_REPAIR,
        pages.CERTUTIL,
        pages.SQL_CERTIFICATE_REQUIREMENTS,
        pages.SQL_CONFIGURE_ENCRYPTION,
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        out = []
        correlation = context.correlation
        events, event_evidence = failure_facts(correlation)
        for cert in candidate_certificates(context.case.certificates, unidentified=True):
            key = cert.key
            if key is None:
                continue
            roles = set(adfs_roles(context.case, cert.thumbprint)) if cert.thumbprint else set()
            if roles == {"Token-Signing"}:
                # AD FS's KeySpec page: "using a value of 2 for a certificate other than the
                # token signing certificate" is the misconfiguration; a signing-only key signs.
                continue
            if key.keyspec == 2:
                confidence = Confidence.HIGH
                reason = "the -v dump shows KeySpec = 2 (AT_SIGNATURE) for this key"
                quotes = key_quotes(key)
            elif key.keyspec is None and is_csp(key) and signature_only(key):
                confidence = Confidence.MEDIUM
                reason = (
                    "non-verbose dump: a CSP key whose only test is `Signature test passed` "
                    "is the tell of KeySpec 2; a `certutil -v -store` dump would show it"
                )
                quotes = [*key_quotes(key), *test_quotes(key)]
            else:
                continue
            thumbprints = (cert.thumbprint,) if cert.thumbprint else ()
            sql_only, _ = sql_instance_of(context.case, cert.thumbprint)
            explains = correlation.explains(thumbprints)
            if explains:
                reason += "; the 36870 failures point at this certificate"
            sql, _ = sql_instance_of(context.case, cert.thumbprint)
            sql_lines = [
                line
                for line in logged_failures(context.case)
                if sql and line.thumbprint in (None, cert.thumbprint)
            ]
            sql_events = tuple(line.source for line in sql_lines)
            if sql_lines:
                explains = True
                reason += (
                    "; SQL Server is configured with this certificate and its ERRORLOG says it "
                    "could not load it"
                )
            out.append(
                self.diagnosis(
                    label(cert),
                    confidence=confidence,
                    confidence_reason=reason,
                    certificates=thumbprints,
                    events=(*(events if correlation.explains(thumbprints) else ()), *sql_events),
                    evidence=(
                        cert_evidence(
                            cert, "key registered for signature only", "\n".join(quotes), "keyspec"
                        ),
                        *(event_evidence if correlation.explains(thumbprints) else ()),
                    ),
                    plans=for_service(context.case, cert, plans(cert, key, sql_only)),
                    references=(
                        *((pages.SQL_CERTIFICATE_REQUIREMENTS,) if sql else ()),
                        pages.IIS_0X80070520,
                        pages.KEY_PROV_INFO,
                        pages.ADFS_KEYSPEC,
                        pages.KSP_KEYSPEC_REPAIR
                        if is_ksp(key) and not sql_only
                        else pages.CERTUTIL,
                        *((pages.SQL_CONFIGURE_ENCRYPTION,) if sql else ()),
                    ),
                    explains_events=explains,
                    summary=(
                        f"The private key of {label(cert)} is registered with KeySpec 2 "
                        "(AT_SIGNATURE); "
                        + (
                            "SQL Server needs AT_KEYEXCHANGE (KeySpec 1) in a legacy CSP."
                            if sql_only
                            else "Schannel needs a key-exchange key (KeySpec 1, or 0 for a CNG "
                            "key)."
                        )
                    ),
                )
            )
        out.extend(self.adfs_cng(context))
        return out

    def adfs_cng(self, context: RuleContext) -> list[Diagnosis]:
        """AD FS's KeySpec page: KeySpec 0 (a CNG key) is the recommended use for the SSL
        certificate only; the token-signing, token-decrypting and service-communications
        certificates want a CSP key with KeySpec 1. AD FS-generated (auto-rollover)
        certificates are AD FS's own and are not judged."""
        out = []
        for cert in context.case.certificates:
            key = cert.key
            if key is None or not cert.thumbprint or cert.user_store is True or not is_ksp(key):
                continue
            roles = sorted(set(adfs_roles(context.case, cert.thumbprint)) & ADFS_CSP_ROLES)
            if not roles:
                continue
            events = [
                e
                for e in failure_events(context.case, ADFS)
                if cert.thumbprint in event_thumbprints(e)
            ]
            quotes = key_quotes(key)
            reason = (
                "AD FS's KeySpec page recommends KeySpec 0 (a CNG key) for the SSL certificate "
                f"only; this {', '.join(roles)} certificate's key is a KSP (CNG) key"
            ) + (
                f"; AD FS {events[0].event_id} says it could not use this certificate's key"
                if events
                else "; no AD FS event in the case names it"
            )
            out.append(
                self.diagnosis(
                    label(cert),
                    title=f"AD FS {', '.join(roles)} certificate with a CNG key: {label(cert)}",
                    confidence=Confidence.HIGH if events else Confidence.MEDIUM,
                    confidence_reason=reason,
                    certificates=(cert.thumbprint,),
                    events=tuple(e.source for e in events[:10]),
                    evidence=(
                        cert_evidence(
                            cert, "a CNG (KSP) key, KeySpec 0", "\n".join(quotes), "keyspec"
                        ),
                    ),
                    plans=(
                        remedies.with_pfx_plan(
                            cert, "the original PFX and its password are at hand"
                        ),
                        remedies.new_certificate_plan(cert, "no PFX: a new certificate, CSP key"),
                    ),
                    references=(pages.ADFS_KEYSPEC, pages.KEY_PROV_INFO, pages.CERTUTIL),
                    explains_events=bool(events),
                    summary=(
                        f"{label(cert)} is AD FS's {', '.join(roles)} certificate and its key is "
                        "a CNG key (KeySpec 0); AD FS's KeySpec page wants KeySpec 1 (a CSP key, "
                        "AT_KEYEXCHANGE) for every AD FS certificate but the SSL one."
                    ),
                    service=ADFS,
                )
            )
        return out
