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
  and shares their private keys between the farm's servers itself ("Set-AdfsCertSharingContainer":
  the account "used for sharing the private keys of certificates that AD FS generates and
  manages"). Where such a key is kept on the server no Microsoft page checked says, so its ACL
  is not judged and what is not checked says so. The same page also shows an administrator
  adding a certificate from the machine's personal store and turning AutoCertificateRollover on
  again, with the warning that the AD FS service account must be able to read its private key:
  AutoCertificateRollover alone does not make a certificate AD FS's own. A token certificate that
  a machine-store dump shows is therefore checked like any other (`managed_by_adfs`).

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
    """A token certificate taken to be one AD FS generates itself: AutoCertificateRollover on,
    and no machine-store dump of the case shows it (one that a dump shows sits in the machine's
    personal store with a key file, as an administrator's certificate added while rollover was
    off does: its key is checked)."""
    if cert.certificate_type.casefold() not in ROLLOVER_ROLES or auto_rollover(case) is not True:
        return False
    shown = case.certificates_with(cert.thumbprint) if cert.thumbprint else []
    return not any(c.user_store is not True for c in shown)


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
                    f"AutoCertificateRollover is True and no machine-store dump shows this "
                    f"{cert.certificate_type} certificate: taken to be one AD FS generated and "
                    "keeps itself (it shares such keys through Active Directory), whose key "
                    "permissions are not checked; a dump of the machine's personal store that "
                    "holds it would let them be checked"
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
