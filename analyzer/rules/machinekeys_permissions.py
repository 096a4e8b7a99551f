"""`machinekeys-permissions` (scenario 2): the key exists but the account that must read it
cannot open it.

The account is HTTP.sys's LocalSystem unless a 36870 names another SSPI client process
(`analyzer.rulekit.accounts`); whether it can read the key file is the access check's answer on
the key's SDDL in the dump and on icacls / Get-Acl entries of the key file, or a Process Monitor
ACCESS DENIED on the key file for that process (`analyzer.rulekit.key_access`). The evidence
cites the deciding ACE lines. Without such evidence it is only the runner-up of scenario 1 (low
confidence), with what would tell them apart; where the evidence shows the account can read the
key it is not reported at all. A folder ACL is never the proof (`key-folder-acl-advice`).

Services other than HTTP.sys (`analyzer.rulekit.service_keys`): the key of the certificate the
service is configured with, checked for the service's account (Remote Desktop: NETWORK SERVICE);
such a certificate is never judged for LocalSystem.
"""

from __future__ import annotations

from analyzer.knowledge import services as known
from analyzer.knowledge.access import DENIED, NOT_KNOWN
from analyzer.knowledge.services import ADFS, EXCHANGE
from analyzer.knowledge.wellknown import SYSTEM
from analyzer.model import Confidence, Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import (
    candidate_certificates,
    cert_evidence,
    failure_facts,
    label,
    state_quote,
    test_quotes,
)
from analyzer.rulekit.key_access import TELL_APART, classify
from analyzer.rulekit.keys import key_folder
from analyzer.rulekit.registry import Need, Question, Rule, RuleContext, register
from analyzer.rulekit.runner_up import contradicted
from analyzer.rulekit.service_keys import (
    KeyDenial,
    denial_events,
    exchange_plans,
    grant_read_steps,
    key_denials,
    only_other_services,
    service_failure_sources,
    service_label,
    service_pages,
)

# HTTP.sys's own diagnoses cite what they rest on; NETWORK SERVICE is the Remote Desktop half's.
HTTP_SYS_PAGES = (
    pages.DACL_ACCESS,
    pages.LOCAL_SYSTEM,
    pages.MACHINEKEYS_DEFAULTS,
    pages.KEY_STORAGE,
    pages.ICACLS,
    pages.IIS_0X80070520,
    pages.SCHANNEL_EVENT_CAUSES,
)


# The pages each service's half rests on (Remote Desktop's are the default).
SERVICE_PAGES = {
    ADFS: (pages.ADFS_CERT_TROUBLESHOOTING, pages.ADFS_CORPNET, pages.ADFS_KEYSPEC, pages.ICACLS),
    EXCHANGE: (
        pages.EXCHANGE_SERVICES,
        pages.EXCHANGE_12013,
        pages.ENABLE_EXCHANGE_CERTIFICATE,
        pages.NETWORK_SERVICE_ACCOUNT,
        pages.ICACLS,
    ),
}


@register
class MachineKeysPermissions(Rule):
    id = "machinekeys-permissions"
    title = "The account cannot open the private key (MachineKeys / Crypto\\Keys permissions)"
    kind = Kind.FAULT
    scenario = 2
    fires_when = (
        "the access check on the key's SDDL or the key file's icacls / Get-Acl entries says the "
        "account that opens the key (LocalSystem for HTTP.sys) cannot read it, or procmon shows "
        "ACCESS DENIED on the key file for that process; low-confidence runner-up of "
        "`non-exportable-broken-keyset` while access is not known; for Remote Desktop (service "
        "`rdp`), the configured certificate's key ACL does not let TermService's account "
        "(NETWORK SERVICE) read it; for AD FS (service `adfs`), a token-signing, "
        "token-decrypting or service-communications key its account (sc qc adfssrv) cannot "
        "read: an ACL that denies it, or (medium) an ACL that names it nowhere and an AD FS "
        "133 / 387 naming that thumbprint, with the CSP key present in the machine keyset; for "
        "Exchange (service `exchange`), the key of a certificate enabled for SMTP that the "
        "Transport service's account (NETWORK SERVICE) cannot read; it explains only the "
        "Transport 12014 for a name the certificate holds and 12013 for its thumbprint; for SQL Server "
        "(service `sqlserver`, per instance), the configured certificate's key ACL does not let "
        "the instance's service account (by default NT SERVICE\\MSSQLSERVER / "
        "NT SERVICE\\MSSQL$<instance>) read it"
    )
    needs = frozenset({Need.ELEVATION})
    asks = frozenset({Question.KEY_ACLS, Question.CAPI2_LOG, Question.PROCMON})
    references = (
        *HTTP_SYS_PAGES,
        pages.NETWORK_SERVICE_ACCOUNT,
        pages.ADFS_CERT_TROUBLESHOOTING,
        pages.ADFS_CORPNET,
        pages.ADFS_KEYSPEC,
        pages.EXCHANGE_SERVICES,
        pages.EXCHANGE_12013,
        pages.ENABLE_EXCHANGE_CERTIFICATE,
        pages.SQL_33565,
        pages.SQL_CERTIFICATE_REQUIREMENTS,
        pages.SQL_SERVICE_ACCOUNTS,
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        out = []
        correlation = context.correlation
        events, event_evidence = failure_facts(correlation)
        for cert in candidate_certificates(context.case.certificates):
            if only_other_services(context.case, cert.thumbprint):
                continue  # its service's own account is checked below, not LocalSystem
            verdict = classify(context.case, correlation, cert)
            key = cert.key
            if verdict is None or key is None or not cert.thumbprint:
                continue
            account = verdict.access.account
            alternative_to = None
            if verdict.primary == 2 and verdict.access.result == DENIED:
                confidence, reason = verdict.confidence, verdict.reason
                evidence = verdict.denied
                opener = (
                    "HTTP.sys has Schannel open the key as LocalSystem"
                    if account.sid == SYSTEM and account.source in ("default", "event")
                    else "the 36870 events name its process as the SSPI client"
                )
                summary = (
                    f"{account.name} cannot open the private key of {label(cert)} in "
                    f"{key_folder(key)}; {opener}, so Schannel fails with 0x8009030d (36870)."
                )
            elif verdict.primary == 2:
                confidence, reason = verdict.confidence, verdict.reason
                evidence = ()
                summary = (
                    f"Whether {account.name} can open the private key of {label(cert)} is not "
                    "known: the 36870 events name that process, and no evidence shows its "
                    "account."
                )
            elif verdict.runner_up_confidence is not None and not contradicted(context.case, key):
                alternative_to = "non-exportable-broken-keyset"
                confidence = verdict.runner_up_confidence
                reason = f"runner-up of scenario 1: {verdict.access.reason}. {TELL_APART}"
                quotes = [q for q in (state_quote(key), *test_quotes(key)) if q]
                evidence = (
                    cert_evidence(cert, "the key cannot be used", "\n".join(quotes), "state"),
                )
                summary = (
                    f"The key of {label(cert)} cannot be opened; wrong permissions on "
                    f"{key_folder(key)} would look the same until icacls or procmon show otherwise."
                )
            else:
                continue
            explains = correlation.explains((cert.thumbprint,))
            out.append(
                self.diagnosis(
                    label(cert),
                    references=HTTP_SYS_PAGES,
                    confidence=confidence,
                    confidence_reason=reason,
                    certificates=(cert.thumbprint,),
                    events=events if explains else (),
                    evidence=(*evidence, *(event_evidence if explains else ())),
                    plans=remedies.fix_key_permissions(context.case, cert, key),
                    alternative_to=alternative_to,
                    explains_events=explains,
                    summary=summary,
                    account=account,
                )
            )
        out.extend(self.service_denial(context, denial) for denial in key_denials(context.case))
        return out

    def service_denial(self, context: RuleContext, denial: KeyDenial) -> Diagnosis:
        """A service other than HTTP.sys whose account cannot read its certificate's key."""
        cert, account = denial.cert, denial.account
        if denial.service == known.SQL_SERVER:  # its events, the 36870 and its ERRORLOG lines
            sources = tuple(
                service_failure_sources(context.case, context.correlation, denial.service)[:10]
            )
        else:
            sources = tuple(
                e.source for e in denial_events(context.case, context.correlation, denial)[:10]
            )
        who = f"{account.name}" + (" (the service's documented default)" if account.assumed else "")
        name = service_label(denial.service, denial.instance)
        role = f" ({denial.role})" if denial.role else ""
        if denial.answer.result == NOT_KNOWN:  # a membership decides; the service's event says no
            confidence = Confidence.MEDIUM
            reason = (
                f"{denial.events[0].provider} {denial.events[0].event_id} says the service could "
                f"not access this key, and no ACE of the key names {account.name}: "
                f"{denial.answer.reason}"
                + ("" if account.sid else f"; the SID of {account.name} is not known")
                + " (a `whoami /groups` run as that account would settle it)"
            )
        else:
            agree = (
                "; the service's failure events or ERRORLOG lines agree"
                if denial.service == known.SQL_SERVER
                else "; the service's failure events agree"
            )
            confidence = Confidence.HIGH if sources else Confidence.MEDIUM
            reason = f"the key's ACL does not let {account.name} read it" + (
                agree
                if sources
                else "; no failure event of the service in the case names this certificate"
            )
        return self.diagnosis(
            label(cert),
            title=f"{name} cannot open the private key: {label(cert)}",
            confidence=confidence,
            confidence_reason=reason,
            certificates=(cert.thumbprint or "",),
            events=sources,
            evidence=denial.evidence,
            plans=exchange_plans(denial)
            if denial.service == EXCHANGE
            else remedies.single(*grant_read_steps(denial)),
            explains_events=bool(sources),
            summary=(
                f"{name} runs as {who}, which cannot read the private key of "
                f"{label(cert)}, the certificate it is configured with{role}."
            ),
            service=denial.service,
            account=account,
            references=SERVICE_PAGES.get(denial.service) or service_pages(denial.service),
        )
