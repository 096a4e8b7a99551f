"""`service-cert-not-found`: a service is configured with a thumbprint that none of the stores it
takes its certificate from holds, in dumps that cover those stores.

The line with `binding-cert-missing`: that rule is the same fact for HTTP.sys bindings (netsh,
applicationHost.config: IIS, WinRM HTTPS, AD FS), whose store the binding names; this one is for
services that name their certificate elsewhere (Remote Desktop's ``SSLCertificateSHA1Hash``
under the RDP-Tcp listener key, taken from the machine's ``My`` store, the self-signed one from
``Remote Desktop``). A binding never reaches this rule and a registry value never reaches that one.

Remote Desktop does not stop when its configured certificate is missing: it logs 1051 ("no
usable certificate was found on the server. The default certificate will be used") and serves
its self-signed certificate, which clients that check the server's identity refuse ("Remote
Desktop Services Authentication and Encryption", Microsoft's event pages). Reported only when
every store is covered by a machine-store dump: a store nobody dumped proves nothing.
"""

from __future__ import annotations

from analyzer.knowledge.services import RDP, display
from analyzer.model import Confidence, Diagnosis, Evidence, FixPlan, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.registry import Need, Rule, RuleContext, register
from analyzer.rulekit.service_keys import restart_step, service_certificates, service_failure_events
from analyzer.servicemap import failure_events

# The services whose fallback and stores this rule describes: Remote Desktop.
FALLBACK_SERVICES = frozenset({RDP})


@register
class ServiceCertNotFound(Rule):
    id = "service-cert-not-found"
    title = "The service is configured with a certificate that is not in its stores"
    kind = Kind.FAULT
    fires_when = (
        "a service other than an HTTP.sys binding names a thumbprint (Remote Desktop: "
        "SSLCertificateSHA1Hash of RDP-Tcp) that the dumps of all its stores (My, Remote "
        "Desktop) lack; HTTP.sys bindings are `binding-cert-missing`"
    )
    needs = frozenset({Need.ELEVATION})
    references = (
        pages.SCHANNEL_EVENT_CAUSES,
        pages.RDS_AUTHENTICATION_EVENTS,
        pages.TS_GENERAL_SETTING,
        pages.CERTUTIL,
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        out = []
        for item in service_certificates(context.case):
            configured = item.configured
            if configured.service not in FALLBACK_SERVICES:
                continue  # its texts and plans are Remote Desktop's (AD FS, Exchange: not here)
            thumbprint = configured.thumbprint
            if item.found or thumbprint is None or len(item.covered) < len(configured.stores):
                continue
            service = configured.service
            stores = " and ".join(s.title() for s in configured.stores)
            own_failures = failure_events(context.case, service)
            evidence = [
                configured.evidence,
                Evidence(
                    f"the dumps of {stores} hold no certificate {thumbprint}",
                    configured.evidence.source,
                ),
            ]
            in_user = [c for c in context.case.certificates_with(thumbprint) if c.user_store]
            if in_user:
                evidence.append(
                    Evidence(f"{thumbprint} is in a `-user` dump only", in_user[0].source)
                )
            failures = service_failure_events(context.case, context.correlation, service)
            out.append(
                self.diagnosis(
                    thumbprint,
                    title=f"{display(service)} is configured with a certificate that is not in "
                    f"its stores: {thumbprint}",
                    confidence=Confidence.HIGH,
                    confidence_reason=f"machine-store dumps of {stores} do not hold {thumbprint}",
                    certificates=(thumbprint,),
                    events=tuple(e.source for e in own_failures[:10]),
                    evidence=tuple(evidence),
                    plans=_plans(thumbprint, service),
                    explains_events=bool(failures),
                    summary=(
                        f"{display(service)} is configured with certificate {thumbprint}, which "
                        f"none of {stores} holds: it falls back to its self-signed certificate."
                    ),
                    service=service,
                )
            )
        return out


def _plans(thumbprint: str, service: str) -> tuple[FixPlan, ...]:
    """Confirm the certificate is nowhere the service looks, then either put it there (the PFX)
    or point the service at one that is; both leave every certificate and key in place."""
    confirm = (
        remedies.check(
            f'certutil -v -store my {thumbprint} & certutil -v -store "Remote Desktop" '
            f"{thumbprint}   (confirm: not found in either)",
            pages.CERTUTIL,
        ),
        remedies.check(
            f"certutil -user -v -store my {thumbprint}   (imported into a user's store instead?)",
            pages.CERTUTIL,
        ),
    )
    value = (
        '"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp" '
        "/v SSLCertificateSHA1Hash"
    )
    return (
        remedies.plan(
            "Put the configured certificate into the machine's My store",
            "the PFX of that certificate is at hand",
            *confirm,
            remedies.run(
                f'certutil -p "{remedies.PFX_PASSWORD}" -importPFX my "{remedies.PFX_FILE}"',
                pages.CERTUTIL,
            ),
            restart_step(service),
        ),
        remedies.plan(
            "Configure a certificate that is in the machine's My store",
            "the configured certificate is gone for good",
            *confirm,
            remedies.check(f"reg query {value}   (keep the current value)", pages.REG_QUERY),
            remedies.run(
                f"reg add {value} /t REG_BINARY /d {remedies.NEW_THUMBPRINT} /f",
                pages.SCHANNEL_EVENT_CAUSES,
            ),
            restart_step(service),
        ),
    )
