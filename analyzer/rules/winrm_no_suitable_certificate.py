"""`winrm-no-suitable-certificate`: WinRM could not create its HTTPS listener (0x80338115).

``winrm quickconfig -transport:https`` (and ``winrm create ...Transport=HTTPS``,
``Set-WSManQuickConfig -UseSSL``) fails with 0x80338115 "Cannot create a WinRM listener on HTTPS
because this machine does not have an appropriate certificate. To be used for SSL, a certificate
must have a CN matching the hostname, be appropriate for Server Authentication, and not be
expired, revoked, or self-signed." Microsoft's "How to configure WINRM for HTTPS" lists what to
check in each local computer (My) certificate: the date between Valid from and To, the host name
as Issued to or exactly one of the Subject Alternative Names, Server authentication in Enhanced
Key Usage, and "This certificate is OK" on the Certification Path tab.

For each My certificate of the dump this rule says which of those needs it meets, does not
meet, or cannot be told from the evidence:

- Server Authentication EKU: the dump's EKU list; none shown (a non-verbose dump, or no EKU
  extension) is not known;
- host name: the names the evidence gives (the ``Hostname=`` of the failed ``winrm create``, an
  HTTPS listener's Hostname, the Computer of the logs, the collector's host) against the
  subject's CN and the DNS names of the SAN, exactly (case aside); a wildcard that would cover
  the name, or a match on the first label only, is not known; no name in the evidence: not known;
- validity at the reference time (--at, the last 36870, the collection time, else the end of
  the attached logs): a day of slack, as everywhere (certificate dates carry no zone);
- not self-signed: Issuer equal to Subject;
- and, though the message does not list it, a private key: a certificate the dump shows without
  key provider information serves no TLS.

Revocation cannot be checked offline: it is said to be not checked, never assumed.

When the same ticket shows an enabled HTTPS listener naming a certificate of the dump that
meets every need shown, the listener was made after all (quickconfig on a machine that has one
reports it set up, not this fault): the fault output is from an earlier attempt, an advisory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from analyzer.case import Case
from analyzer.correlate import SERVER_AUTH, validity_at
from analyzer.knowledge.quoting import ps_literal
from analyzer.model import (
    Certificate,
    Confidence,
    Diagnosis,
    Evidence,
    FixPlan,
    Kind,
    Source,
    WinRmCommandError,
    WinRmListener,
)
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import label
from analyzer.rulekit.registry import Need, Rule, RuleContext, register

CERT_REQUIRED = "0x80338115"  # ERROR_WSMAN_QUICK_CONFIG_FAILED_CERT_REQUIRED
WINRM = "winrm"
MAX_CERTIFICATES = 25
ANY_PURPOSE = "2.5.29.37.0"
# A host name WinRM's @{Hostname="..."} and New-Item -HostName can take as typed: DNS labels.
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*$")
_CN = re.compile(r"(?:^|,)\s*CN\s*=\s*(?P<name>[^,]+)", re.IGNORECASE)

MET, UNMET, UNKNOWN = "met", "unmet", "not known"


@dataclass(frozen=True)
class NeedState:
    """One need of the listener's certificate and what the evidence says of it."""

    name: str
    state: str  # met | unmet | not known
    why: str


@dataclass(frozen=True)
class HostName:
    name: str  # lower case, no trailing dot
    where: str  # what in the evidence gives it
    source: Source


def host_names(case: Case, errors: list[WinRmCommandError]) -> list[HostName]:
    """The host names the evidence gives, the failed command's first."""
    found: list[tuple[str, str, Source]] = []
    for error in errors:
        if error.hostname:
            found.append((error.hostname, "the Hostname of the failed command", error.source))
    for listener in case.records(WinRmListener):
        if listener.hostname and listener.hostname != "*":
            found.append((listener.hostname, "the Hostname of a WinRM listener", listener.source))
    for path, coverage in case.coverages():
        if coverage.computer:
            found.append((coverage.computer, "the Computer of the event log", Source(path)))
    for event in case.events[:1]:
        if event.computer:
            found.append((event.computer, "the Computer of an event", event.source))
    for collection in case.collections:
        if collection.host:
            found.append((collection.host, "the collector's host name", collection.source))
    seen: set[str] = set()
    out = []
    for name, where, source in found:
        folded = name.strip().rstrip(".").lower()
        if folded and folded not in seen:
            seen.add(folded)
            out.append(HostName(folded[:255], where, source))
    return out


def reference_time(context: RuleContext) -> tuple[datetime | None, str]:
    correlation = context.correlation
    if correlation.reference_moment is not None:
        return (
            correlation.reference_moment,
            f"{correlation.reference_time} ({correlation.reference_from})",
        )
    case = context.case
    for collection in case.collections:
        if collection.collected_moment is not None:
            return collection.collected_moment, f"{collection.collected_at} (collection time)"
    ends = [(cov.last_moment, cov.last) for _, cov in case.coverages() if cov.last_moment]
    if ends:
        moment, text = max(ends, key=lambda pair: pair[0])
        return moment, f"{text} (the last record of the attached logs)"
    return None, "no time in the evidence"


def cert_names(cert: Certificate) -> list[str]:
    names = [m.group("name").strip().lower() for m in _CN.finditer(cert.subject or "")]
    for entry in cert.san or ():
        kind, sep, value = entry.partition("=")
        if not sep:
            kind, sep, value = entry.partition(":")
        if kind.strip().lower().replace(" ", "") in ("dnsname", "dns"):
            names.append(value.strip().lower())
    return list(dict.fromkeys(names))


def host_need(cert: Certificate, hosts: list[HostName]) -> NeedState:
    names = cert_names(cert)
    shown = ", ".join(names) or "no CN and no DNS SAN"
    if not hosts:
        return NeedState("host name", UNKNOWN, f"the evidence names no host name; it names {shown}")
    wanted = [h.name for h in hosts]
    exact = [h for h in wanted if h in names]
    if exact:
        return NeedState("host name", MET, f"{exact[0]} is its CN or a DNS SAN")
    for host in wanted:
        suffix = host.partition(".")[2]
        if suffix and f"*.{suffix}" in names:
            return NeedState(
                "host name",
                UNKNOWN,
                f"only the wildcard *.{suffix} covers {host}; Microsoft's page asks for the host "
                "name exactly",
            )
        first = host.partition(".")[0]
        if any(n.partition(".")[0] == first for n in names):
            return NeedState(
                "host name",
                UNKNOWN,
                f"{shown} and {host} share only the first label; which name WinRM compares is "
                "not known from the evidence",
            )
    return NeedState(
        "host name", UNMET, f"neither its CN nor a DNS SAN is {' or '.join(wanted)} ({shown})"
    )


def eku_need(cert: Certificate) -> NeedState:
    if not cert.eku:
        return NeedState("Server Authentication", UNKNOWN, "the dump shows no Enhanced Key Usage")
    if SERVER_AUTH in cert.eku or ANY_PURPOSE in cert.eku:
        return NeedState("Server Authentication", MET, "Server Authentication is in its EKU")
    return NeedState(
        "Server Authentication",
        UNMET,
        f"its Enhanced Key Usage is {', '.join(cert.eku)} without Server Authentication "
        f"({SERVER_AUTH})",
    )


def validity_need(cert: Certificate, when: datetime | None, when_text: str) -> NeedState:
    state = validity_at(cert, when).state
    if state == "valid":
        return NeedState("validity", MET, f"valid at {when_text}")
    if state == "expired":
        return NeedState("validity", UNMET, f"expired ({cert.not_after}) at {when_text}")
    if state == "not-yet-valid":
        return NeedState("validity", UNMET, f"not valid before {cert.not_before} ({when_text})")
    return NeedState("validity", UNKNOWN, f"validity not checked: {when_text}")


def self_signed_need(cert: Certificate) -> NeedState:
    if not cert.issuer or not cert.subject:
        return NeedState("not self-signed", UNKNOWN, "the dump does not show Issuer and Subject")
    if _dn(cert.issuer) == _dn(cert.subject):
        return NeedState("not self-signed", UNMET, "Issuer = Subject")
    return NeedState("not self-signed", MET, f"issued by {cert.issuer}")


def key_need(cert: Certificate) -> NeedState:
    """Not among the needs the message lists, but no certificate serves TLS without its key."""
    if cert.key is None or cert.key.state == "no-key-info":
        return NeedState("private key", UNMET, "the dump shows no private key for it")
    return NeedState("private key", MET, "the dump shows its key provider information")


def _dn(text: str) -> str:
    return ",".join(part.strip().lower() for part in text.split(","))


def needs_of(
    cert: Certificate, hosts: list[HostName], when: datetime | None, when_text: str
) -> list[NeedState]:
    return [
        eku_need(cert),
        host_need(cert, hosts),
        validity_need(cert, when, when_text),
        self_signed_need(cert),
        key_need(cert),
    ]


def listener_host(case: Case, errors: list[WinRmCommandError], hosts: list[HostName]) -> str:
    """The host name for the fix: the failed command's, else the first the evidence gives, when
    it is a DNS name the commands can carry as typed; else the placeholder."""
    for name in [e.hostname for e in errors if e.hostname] + [h.name for h in hosts]:
        if name and _HOST.fullmatch(name):
            return name
    return remedies.HOST_NAME


def plans(host: str) -> tuple[FixPlan, ...]:
    new = remedies.NEW_THUMBPRINT
    enroll = remedies.manual(
        f"Enroll a certificate for {host} into Local Computer > Personal (certlm.msc, or your "
        "certification authority's web server template): issued by a certification authority "
        f"(not self-signed), Subject CN={host} or {host} as a DNS name of the Subject "
        "Alternative Name, Enhanced Key Usage Server Authentication.",
        pages.WINRM_HTTPS,
    )
    verify = remedies.check(
        f"certutil -v -store my {new}   (expect: Server Authentication (1.3.6.1.5.5.7.3.1) under "
        f"Enhanced Key Usage, {host} in the Subject or the SAN, NotAfter ahead, and "
        "`Encryption test passed`)",
        pages.CERTUTIL,
    )
    listed = remedies.check(
        "winrm enumerate winrm/config/listener   (expect: a Listener with Transport = HTTPS and "
        f"CertificateThumbprint = {new})",
        pages.WINRM_CONFIGURATION,
    )
    quickconfig = remedies.plan(
        "Enroll a certificate WinRM accepts, then let quickconfig make the HTTPS listener",
        "no certificate of the machine meets every need (the usual case)",
        enroll,
        verify,
        remedies.run("winrm quickconfig -transport:https", pages.WINRM_HTTPS),
        listed,
    )
    create = remedies.plan(
        "Create the HTTPS listener for a chosen certificate (cmd.exe)",
        "quickconfig still picks no certificate, or the listener must use a given one: cmd.exe "
        "takes the @{...} argument as typed (in PowerShell it must be quoted: '@{...}')",
        enroll,
        verify,
        remedies.run(
            "winrm create winrm/config/Listener?Address=*+Transport=HTTPS "
            f'@{{Hostname="{host}";CertificateThumbprint="{new}"}}',
            pages.WINRM_LISTENER_CREATE,
        ),
        listed,
    )
    ps_host = ps_literal(host, "host name") if host != remedies.HOST_NAME else host
    new_item = remedies.plan(
        "Create the HTTPS listener from PowerShell",
        "the same, from an elevated PowerShell (the WSMan: drive)",
        enroll,
        verify,
        remedies.run(
            "New-Item -Path WSMan:\\localhost\\Listener -Transport HTTPS -Address * "
            f"-HostName {ps_host} -CertificateThumbPrint '{new}' -Force",
            pages.WSMAN_LISTENER_PARAMETERS,
        ),
        listed,
    )
    return (quickconfig, create, new_item)


@register
class WinRmNoSuitableCertificate(Rule):
    id = "winrm-no-suitable-certificate"
    title = "WinRM cannot create its HTTPS listener: no certificate meets its needs (0x80338115)"
    kind = Kind.FAULT
    advisory_too = True
    fires_when = (
        "a pasted `winrm quickconfig -transport:https` / `winrm create` / `Set-WSManQuickConfig "
        "-UseSSL` fault 0x80338115; says for each My certificate of the dump which need is unmet "
        "(Server Authentication EKU, CN or SAN = host name, validity, not self-signed); an advisory "
        "when an HTTPS listener on a certificate meeting them is shown too"
    )
    needs = frozenset({Need.ELEVATION})
    references = (
        pages.WINRM_HTTPS,
        pages.WINRM_CONFIGURATION,
        pages.WINRM_LISTENER_CREATE,
        pages.WSMAN_LISTENER_PARAMETERS,
        pages.CERTUTIL,
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        case = context.case
        errors = [e for e in case.records(WinRmCommandError) if e.code == CERT_REQUIRED]
        if not errors:
            return []
        hosts = host_names(case, errors)
        when, when_text = reference_time(context)
        mine = [c for c in case.machine_certificates if (c.store or "my") == "my" and c.thumbprint]
        error = errors[-1]
        evidence = [
            Evidence(
                f"{error.command or 'winrm'} failed with {error.code} "
                "(ERROR_WSMAN_QUICK_CONFIG_FAILED_CERT_REQUIRED)",
                error.source,
                error.message,
            )
        ]
        evidence += [Evidence(f"host name {h.name}: {h.where}", h.source) for h in hosts[:3]]
        suitable: list[Certificate] = []
        for cert in mine[:MAX_CERTIFICATES]:
            needs = needs_of(cert, hosts, when, when_text)
            unmet = [n for n in needs if n.state == UNMET]
            if not unmet:
                suitable.append(cert)
            verdict = (
                "unmet: " + "; ".join(f"{n.name}: {n.why}" for n in unmet)
                if unmet
                else "no need shown unmet"
            )
            lines = [f"{n.name}: {n.state}: {n.why}" for n in needs]
            lines.append("not revoked: not checked (revocation cannot be checked offline)")
            evidence.append(Evidence(f"{label(cert)}: {verdict}", cert.source, "\n".join(lines)))
        if len(mine) > MAX_CERTIFICATES:
            evidence.append(
                Evidence(
                    f"{len(mine) - MAX_CERTIFICATES} more My certificates are not listed",
                    mine[MAX_CERTIFICATES].source,
                )
            )
        summary, reason = _summary(mine, suitable, hosts)
        kind, confidence = Kind.FAULT, Confidence.HIGH
        fixes = plans(listener_host(case, errors, hosts))
        made = [
            (listener, cert)
            for listener in case.records(WinRmListener)
            if listener.transport == "HTTPS" and listener.enabled is not False
            for cert in suitable
            if cert.thumbprint == listener.certificate_thumbprint
        ]
        if made:
            listener, cert = made[0]
            kind, confidence = Kind.ADVISORY, Confidence.MEDIUM
            reason = (
                f"an HTTPS listener on {label(cert)} is shown too and that certificate shows no "
                "unmet need: the 0x80338115 output is from an earlier attempt"
            )
            summary = (
                f"The 0x80338115 output is from an earlier attempt: the WinRM HTTPS listener "
                f"now uses {label(cert)}, which shows no unmet need. Nothing to fix unless "
                "clients still fail."
            )
            evidence.insert(
                1,
                Evidence(
                    f"the WinRM HTTPS listener uses {label(cert)}",
                    listener.source,
                    f"CertificateThumbprint = {listener.certificate_thumbprint}",
                ),
            )
            fixes = remedies.single(
                remedies.check(
                    "winrm enumerate winrm/config/listener   (expect: the HTTPS listener with "
                    f"CertificateThumbprint = {cert.thumbprint}; if it is gone, see the fault's "
                    "plans: enroll a certificate and create the listener)",
                    pages.WINRM_CONFIGURATION,
                ),
                title="Check the listener",
            )
        return [
            self.diagnosis(
                title=self.title,
                kind=kind,
                confidence=confidence,
                confidence_reason=reason,
                certificates=tuple(c.thumbprint for c in mine[:MAX_CERTIFICATES] if c.thumbprint),
                evidence=tuple(evidence),
                plans=fixes,
                service=WINRM,
                summary=summary,
            )
        ]


def _summary(
    mine: list[Certificate], suitable: list[Certificate], hosts: list[HostName]
) -> tuple[str, str]:
    reason = "winrm printed 0x80338115: WinRM found no certificate it accepts for an HTTPS listener"
    host = hosts[0].name if hosts else "the host name (not known from the evidence)"
    if not mine:
        return (
            "WinRM found no certificate it accepts for an HTTPS listener (0x80338115); no dump "
            "of the machine's My store is attached, so which need is unmet is not known: attach "
            "`certutil -v -store my`.",
            reason,
        )
    if not suitable:
        return (
            f"WinRM found no certificate it accepts for an HTTPS listener (0x80338115): each of "
            f"the {len(mine)} certificate(s) of the My store misses at least one need (Server "
            f"Authentication, a CN or DNS SAN equal to {host}, validity, not self-signed); the "
            "evidence lists which.",
            reason,
        )
    names = ", ".join(label(c) for c in suitable[:3])
    return (
        f"WinRM found no certificate it accepts for an HTTPS listener (0x80338115), yet {names} "
        "shows no unmet need in the evidence: a need the dump cannot show is likely (revoked, "
        'or not trusted: check "This certificate is OK" on its Certification Path tab), or '
        "WinRM compared another host name.",
        reason + "; the dump does not show which need it misses",
    )
