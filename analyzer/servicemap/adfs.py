"""AD FS (``adfssrv``): the certificates it is configured with and the events that say it could
not use one.

- Its SSL certificate is an HTTP.sys binding (``Get-AdfsSslCertificate``: fs.contoso.com:443,
  localhost:443, fs.contoso.com:49443; netsh shows AD FS's application id on them,
  `analyzer.servicemap.httpsys`): HTTP.sys opens that key as LocalSystem.
- Its token-signing, token-decrypting and service-communications certificates
  (``Get-AdfsCertificate``) are opened by the AD FS service itself, as the account it runs as
  (often a gMSA): "Ensure that the AD FS service account has read permission to the private key
  of all configured certificates" (event 387, "AD FS troubleshooting - certificates",
  https://learn.microsoft.com/windows-server/identity/ad-fs/troubleshooting/ad-fs-tshoot-certs).
- With AutoCertificateRollover on, AD FS generates and renews the token-signing and
  token-decrypting certificates itself ("Obtain and configure TS and TD certificates for AD FS",
  https://learn.microsoft.com/windows-server/identity/ad-fs/operations/configure-ts-td-certs-ad-fs)
  and keeps them in its configuration, not as a certificate with a key file in the machine's My
  store: the key ACL reasoning does not apply to them, and what is not checked says so.

Failure events (AD FS/Admin): 133 (the private key of the certificate configured for an element
such as ``signingToken`` could not be accessed; its text lists the thumbprint), 387 (a
configured certificate was not accessible to the service account), and AD FS 1.x's 601.
"""

from __future__ import annotations

import re

from analyzer.case import Case
from analyzer.knowledge import services as known
from analyzer.knowledge.eventfields import ADFS, ADFS_1, ADFS_2
from analyzer.model import AdfsCertificate, AdfsProperty, AdfsSslCertificate, Event, Evidence
from analyzer.servicemap.base import ConfiguredCertificate

FAILURE_EVENTS: dict[str, tuple[tuple[str, int], ...]] = {
    known.ADFS: ((ADFS, 133), (ADFS, 387), (ADFS_2, 133), (ADFS_2, 387), (ADFS_1, 601)),
}
# The roles AutoCertificateRollover manages (the service-communications certificate is always
# the administrator's, in the machine store).
ROLLOVER_ROLES = frozenset({"token-signing", "token-decrypting", "token-encryption"})
_HEX40 = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{40}(?![0-9A-Fa-f])")


def auto_rollover(case: Case) -> bool | None:
    """AutoCertificateRollover as Get-AdfsProperties printed it; None when not attached."""
    values = {p.value.strip().casefold() for p in case.records(AdfsProperty)}
    values &= {"true", "false"}
    if len(values) != 1:
        return None
    return values == {"true"}


def managed_by_adfs(case: Case, cert: AdfsCertificate) -> bool:
    """A token certificate AD FS generates itself (AutoCertificateRollover on)."""
    return cert.certificate_type.casefold() in ROLLOVER_ROLES and auto_rollover(case) is True


def configured(case: Case) -> list[ConfiguredCertificate]:
    out: list[ConfiguredCertificate] = []
    for binding in case.records(AdfsSslCertificate):
        if not binding.hash_valid or not binding.certificate_hash:
            continue
        where = f"{binding.host_name}:{binding.port}" if binding.port else binding.host_name
        out.append(
            ConfiguredCertificate(
                known.ADFS,
                binding.certificate_hash,
                ("my",),
                Evidence(
                    f"AD FS's SSL binding {where} uses certificate {binding.certificate_hash} "
                    "(Get-AdfsSslCertificate)",
                    binding.source,
                ),
                http_sys=True,
                role="SSL",
            )
        )
    for cert in case.records(AdfsCertificate):
        if not cert.hash_valid or not cert.thumbprint:
            continue
        managed = managed_by_adfs(case, cert)
        primary = {True: "primary ", False: "secondary "}.get(cert.is_primary, "")  # type: ignore[arg-type]
        out.append(
            ConfiguredCertificate(
                known.ADFS,
                cert.thumbprint,
                ((cert.store_name or "my").casefold(),),
                Evidence(
                    f"AD FS is configured with {cert.thumbprint} as its {primary}"
                    f"{cert.certificate_type} certificate (Get-AdfsCertificate)",
                    cert.source,
                ),
                role=cert.certificate_type,
                not_checked=(
                    f"AD FS generates its {cert.certificate_type} certificates itself "
                    "(AutoCertificateRollover is True) and keeps them in its configuration, not "
                    "as a key file in the machine store: their key permissions are not checked"
                )
                if managed
                else None,
            )
        )
    return out


def roles_of(case: Case, thumbprint: str) -> tuple[str, ...]:
    """The AD FS roles configured with this certificate, in name order ("SSL" for a binding)."""
    return tuple(
        sorted(
            {
                c.role
                for c in configured(case)
                if c.thumbprint == thumbprint and c.role is not None and not c.not_checked
            }
        )
    )


def event_thumbprints(event: Event) -> tuple[str, ...]:
    """The thumbprints an AD FS failure event names: 40 hex digits in its values or message."""
    texts = [str(v) for v in event.data.values()] + [event.message or ""]
    return tuple(sorted({m.lower() for t in texts for m in _HEX40.findall(t)}))
