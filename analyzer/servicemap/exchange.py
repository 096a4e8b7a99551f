"""Exchange: the certificates ``Get-ExchangeCertificate`` shows enabled for SMTP, and the
transport events that say the SMTP certificate could not be used.

- SMTP: the Microsoft Exchange Transport service (MSExchangeTransport, Network Service) and the
  Frontend Transport service (MSExchangeFrontEndTransport, Local System) use the certificate
  enabled for SMTP for STARTTLS ("Overview of Exchange services on Exchange servers",
  https://learn.microsoft.com/exchange/plan-and-deploy/deployment-ref/services-overview). Its
  key is checked for the Transport service's account (`known.SERVICES["exchange"]`).
- IIS (OWA, ECP, ...): IIS sites, HTTP.sys bindings opened as LocalSystem; those are judged as
  the ``iis`` service by their binding, not here. IMAP and POP are not checked.

Failure events (Application log): 12014 "Microsoft Exchange could not find a certificate that
contains the domain name <fqdn> in the personal store on the local computer ... If this
certificate exists, run Enable-ExchangeCertificate -Services SMTP to make sure that the
Microsoft Exchange Transport service has access to the certificate key." One text for two
causes: no certificate for that name, or a certificate whose key the service cannot read. The
evidence tells them apart: `event_fqdn` and `covers` say whether a listed or dumped certificate
holds the name. 12013: "could not load the certificate with thumbprint of <thumbprint>"
("MSExchangeTransport 12013", https://technet.microsoft.com/library/ff985435(v=exchg.141)).
"""

from __future__ import annotations

import re

from analyzer.case import Case
from analyzer.knowledge import services as known
from analyzer.knowledge.eventfields import EXCHANGE_FRONTEND, EXCHANGE_TRANSPORT
from analyzer.model import Certificate, Event, Evidence, ExchangeCertificate
from analyzer.servicemap.base import ConfiguredCertificate

FAILURE_EVENTS: dict[str, tuple[tuple[str, int], ...]] = {
    known.EXCHANGE: (
        (EXCHANGE_TRANSPORT, 12014),
        (EXCHANGE_TRANSPORT, 12013),
        (EXCHANGE_FRONTEND, 12014),
        (EXCHANGE_FRONTEND, 12013),
    ),
}
_DOMAIN_IN_TEXT = re.compile(r"contains the domain name\s+(?P<name>[^\s]+?)\.?\s+in the", re.I)
_HEX40 = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{40}(?![0-9A-Fa-f])")
_NAME = re.compile(r"^[a-z0-9*](?:[a-z0-9.*-]{0,252})$")


def smtp_certificates(case: Case) -> list[ExchangeCertificate]:
    """The listed certificates enabled for SMTP, once per thumbprint (the first listing)."""
    out: dict[str, ExchangeCertificate] = {}
    for cert in case.records(ExchangeCertificate):
        if cert.hash_valid and cert.thumbprint and "SMTP" in cert.services:
            out.setdefault(cert.thumbprint, cert)
    return list(out.values())


def configured(case: Case) -> list[ConfiguredCertificate]:
    return [
        ConfiguredCertificate(
            known.EXCHANGE,
            cert.thumbprint,
            ("my",),
            Evidence(
                f"Exchange has {cert.thumbprint} enabled for "
                f"{', '.join(cert.services)} (Get-ExchangeCertificate)",
                cert.source,
                f"Services : {', '.join(cert.services)}",
            ),
            role="SMTP",
        )
        for cert in smtp_certificates(case)
        if cert.thumbprint
    ]


def event_fqdn(event: Event) -> str | None:
    """The domain name a 12014 says no certificate holds (its first value, else its text)."""
    value = event.data.get("DomainName")
    if isinstance(value, str) and value.strip():
        return value.strip().rstrip(".").casefold()
    match = _DOMAIN_IN_TEXT.search(event.message or "")
    return match.group("name").rstrip(".").casefold() if match else None


def event_thumbprint(event: Event) -> str | None:
    texts = [str(v) for v in event.data.values()] + [event.message or ""]
    found = sorted({m.lower() for t in texts for m in _HEX40.findall(t)})
    return found[0] if len(found) == 1 else None


def covers(names: tuple[str, ...], fqdn: str) -> bool:
    """A certificate name (CN or SAN DNS name, ``*.`` wildcards one label deep) covers fqdn."""
    for name in names:
        name = name.strip().casefold()
        if not _NAME.match(name):
            continue
        if name == fqdn:
            return True
        if name.startswith("*.") and "." in fqdn and fqdn.split(".", 1)[1] == name[2:]:
            return True
    return False


def certificate_names(
    case: Case, thumbprint: str, cert: Certificate | None = None
) -> tuple[str, ...]:
    """Every DNS name the evidence gives for this certificate: CertificateDomains of its
    listings, the dump's SAN and the subject's CN."""
    names: list[str] = []
    for listed in case.records(ExchangeCertificate):
        if listed.thumbprint == thumbprint:
            names += listed.domains
    for dumped in [cert] if cert is not None else case.certificates_with(thumbprint):
        names += [n.split("=", 1)[-1] for n in (dumped.san or ())]
        for part in (dumped.subject or "").split(","):
            key, _, value = part.strip().partition("=")
            if key.strip().upper() == "CN" and value:
                names.append(value.strip())
    return tuple(dict.fromkeys(n.casefold() for n in names))


def transport_events(case: Case, cert: Certificate) -> list[Event]:
    """The Transport service's (Network Service) 12014 for a name this certificate holds, and
    its 12013 for this thumbprint: the events a key this service cannot read explains."""
    if not cert.thumbprint:
        return []
    names = certificate_names(case, cert.thumbprint, cert)
    out = []
    for event in case.events_of(EXCHANGE_TRANSPORT, 12014):
        fqdn = event_fqdn(event)
        if fqdn and covers(names, fqdn):
            out.append(event)
    out += [
        e
        for e in case.events_of(EXCHANGE_TRANSPORT, 12013)
        if event_thumbprint(e) == cert.thumbprint
    ]
    return out


def uncovered_fqdns(case: Case) -> list[tuple[str, Event]]:
    """Names 12014 events say no certificate holds, for which no certificate the evidence shows
    (listed or dumped, any services) holds the name either: the first meaning of 12014."""
    every = {c.thumbprint for c in case.records(ExchangeCertificate) if c.thumbprint}
    every |= {c.thumbprint for c in case.certificates if c.thumbprint and c.user_store is not True}
    out = []
    for provider in (EXCHANGE_TRANSPORT, EXCHANGE_FRONTEND):
        for event in case.events_of(provider, 12014):
            fqdn = event_fqdn(event)
            if fqdn and not any(covers(certificate_names(case, t), fqdn) for t in sorted(every)):
                out.append((fqdn, event))
    return out
