"""Put the diagnoses in verdict order and say what could not be checked and what to ask for.

Order: faults that explain the 36870 events (certificate in scope, time window) first, then the
other faults by confidence, then runner-ups (alternatives not confirmed: their fixes never come
first), then advisories. At equal confidence scenario 1 precedes 2 precedes
3 (scenario 2 is only ever 1's runner-up at equal confidence), and rule ids break the last ties
so that the order is deterministic.

What to ask for follows from the rules' metadata (`Rule.questions()`): a diagnosis asks what its
rule declares, never a list of ids kept here. What a service's own evidence lacks (SQL Server's
ERRORLOG and certificate setting, WinRM's listener, AD FS's certificates, Exchange's) is asked per
service (`SERVICE_QUESTIONS`), for the services the diagnoses and the correlation name, and the
wording of the generic asks (the CAPI2 log, Process Monitor, when it failed) names what the
customer does to make that service load its certificate again (`RETRY`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analyzer.case import Case
from analyzer.collector import RUN_LINE, SCRIPT_NAME
from analyzer.correlate import Correlation
from analyzer.knowledge import services as known
from analyzer.knowledge.eventfields import ADFS_CHANNELS
from analyzer.knowledge.quoting import cmd_word
from analyzer.knowledge.wellknown import fold
from analyzer.model import (
    AdfsCertificate,
    AdfsProperty,
    AdfsSslCertificate,
    AskFor,
    Confidence,
    Diagnosis,
    ExchangeCertificate,
    Kind,
    NotChecked,
    ServiceConfig,
    SqlCertificateEvent,
    SqlServerStart,
    WinRmListener,
)
from analyzer.rulekit.key_access import account_can_read, non_elevated_dumps
from analyzer.rulekit.registry import Question, rule_of
from analyzer.servicemap import configured_certificates, failure_events, key_not_checked
from analyzer.servicemap.sqlserver import certificate_values

_CONFIDENCE = {confidence: rank for rank, confidence in enumerate(Confidence)}
CAPI2_CHANNEL = "Microsoft-Windows-CAPI2/Operational"


@dataclass(frozen=True)
class Verdict:
    diagnoses: list[Diagnosis]
    not_checked: list[NotChecked]
    ask_for: list[AskFor]


def order_key(diagnosis: Diagnosis) -> tuple[Any, ...]:
    group = (0 if diagnosis.explains_events else 1) if diagnosis.kind == Kind.FAULT else 3
    if diagnosis.alternative_to is not None:
        group = 2  # a runner-up: after every fault, so that its fixes never come first
    return (
        group,
        _CONFIDENCE.get(diagnosis.confidence, 3),
        diagnosis.scenario if diagnosis.scenario is not None else 9,
        diagnosis.id,
        diagnosis.certificates,
        diagnosis.title,
    )


def decide(case: Case, correlation: Correlation, diagnoses: list[Diagnosis]) -> Verdict:
    ordered = sorted(dict.fromkeys(diagnoses), key=order_key)  # stable: no set order
    return Verdict(ordered, not_checked(case, correlation), ask_for(case, correlation, ordered))


def key_access_settled(case: Case, correlation: Correlation, thumbprints: tuple[str, ...]) -> bool:
    """The dump's own key ACLs show that the account can read every one of these keys: an icacls
    listing of them would add nothing."""
    certs = [c for t in thumbprints for c in case.certificates_with(t)]
    return bool(certs) and all(account_can_read(case, correlation, c) for c in certs)


def not_checked(case: Case, correlation: Correlation) -> list[NotChecked]:
    out = []
    if not case.has_dump:
        out.append(
            NotChecked("certificate keys (KeySpec, key state, exportability)", "no certutil dump")
        )
    elif not case.verbose_dump:
        out.append(
            NotChecked(
                "KeySpec, provider type, EKU and the key's security descriptor",
                "the certutil dump is not verbose (certutil -v)",
            )
        )
    for path in sorted(non_elevated_dumps(case)):
        out.append(NotChecked(f"machine keys in {path}", "the dump was probably not elevated"))
    if not case.has_event_log:
        out.append(NotChecked("Schannel 36870 and related events", "no System event log"))
    if correlation.reference_time is None:
        out.append(
            NotChecked(
                "certificate validity at the time of the failure", "no 36870 event and no --at"
            )
        )
    if correlation.os is None:
        out.append(
            NotChecked(
                "CNG (KSP) keys on Windows Server 2008",
                "OS version unknown (no EventLog 6009 or Kernel-General 12)",
            )
        )
    listings = {r.path for r in case.inputs_of("ps-certlist")}
    for cert in case.certificates:
        if cert.source.path in listings:  # no dump of it: what a PowerShell listing cannot show
            out.append(
                NotChecked(
                    f"KeySpec, key container and key permissions of {cert.thumbprint}",
                    "it is only in a PowerShell listing (send certutil -v -store my)",
                )
            )
    if not case.acls and not key_access_settled(
        case, correlation, tuple(s.thumbprint for s in correlation.in_scope)
    ):
        out.append(NotChecked("key folder and key file permissions", "no icacls listing"))
    out.extend(NotChecked(what, why) for what, why in key_not_checked(case))
    if not case.file_access:
        out.append(NotChecked("file access during the failure", "no Process Monitor capture"))
    services = set(correlation.services)
    if not correlation.in_use and services and not services & HTTP_BOUND:
        # Services that name their certificate elsewhere than in an HTTP.sys binding: what is not
        # known is which certificate their own configuration names.
        configured = {c.service for c in configured_certificates(case) if c.thumbprint}
        out.extend(
            NotChecked(f"which certificate {known.display(service)} uses", why)
            for service in sorted(services - configured)
            if (why := NAMED_WHERE.get(service)) is not None
        )
    elif not correlation.in_use:
        out.append(
            NotChecked(
                "which certificate the binding uses",
                "no netsh http show sslcert, applicationHost.config or --thumbprint",
            )
        )
    return out


# Where a service that is no HTTP.sys binding names its certificate (analyzer.servicemap).
NAMED_WHERE = {
    known.SQL_SERVER: "no SuperSocketNetLib Certificate value (reg query) names one",
    known.RDP: "no RDP-Tcp SSLCertificateSHA1Hash (reg query) names one",
    known.EXCHANGE: "no Get-ExchangeCertificate listing names one for SMTP",
}


def questions(
    diagnoses: list[Diagnosis], settled: Callable[[tuple[str, ...]], bool] | None = None
) -> frozenset[Question]:
    """What the diagnoses' rules let the report ask; a diagnosis whose keys' access is
    ``settled`` does not ask for their ACLs."""
    out: frozenset[Question] = frozenset()
    for diagnosis in diagnoses:
        rule = rule_of(diagnosis.id)
        if rule is not None:
            asked = rule.questions()
            if settled is not None and diagnosis.certificates and settled(diagnosis.certificates):
                asked -= {Question.KEY_ACLS}
            out |= asked
    return out


def collectable_gaps(case: Case, correlation: Correlation, asked: frozenset[Question]) -> list[str]:
    """What is missing that the collector script gathers (docs/collector.md)."""
    out = []
    machine_dumps = [c for c in case.certificates if c.user_store is not True]
    if not machine_dumps or not case.verbose_dump or non_elevated_dumps(case):
        out.append("an elevated, verbose dump of the machine's certificate stores")
    stores = {c.store for c in case.certificates}
    if "webhosting" not in stores and (
        not correlation.in_scope or Question.WEBHOSTING_DUMP in asked
    ):
        out.append("the Web Hosting store")
    if not case.has_event_log:
        out.append("the System event log")
    services = set(ticket_services(correlation, ()))
    # SQL Server, Exchange Transport and Remote Desktop name their certificate elsewhere: an
    # HTTP.sys binding is asked for only when a service of the case has one, or none is known.
    if not case.bindings and (not services or services & HTTP_BOUND):
        out.append("the HTTP.sys SSL bindings")
    if Question.KEY_ACLS in asked and not case.acls:
        out.append("the permissions of the key folders and files")
    return out


def ask_for(case: Case, correlation: Correlation, diagnoses: list[Diagnosis]) -> list[AskFor]:
    out = []
    services = ticket_services(correlation, diagnoses)
    retry = RETRY.get(services[0] if services else "", RETRY[""])
    asked = questions(diagnoses, lambda t: key_access_settled(case, correlation, t))
    gaps = collectable_gaps(case, correlation, asked)
    # An elevated collector run already gathered all it can: running it again adds nothing.
    if gaps and not any(c.elevated for c in case.collections):
        out.append(
            AskFor(
                "one run of the certtriage collector: " + "; ".join(gaps),
                RUN_LINE,
                f"{SCRIPT_NAME}, attached to this reply (`certtriage collector` writes it), "
                "gathers all of it into one zip to send back; it changes nothing on the server "
                "and never collects private keys or PFX files",
            )
        )
    if Question.CAPI2_LOG in asked and not case.has_channel(CAPI2_CHANNEL):
        out.append(
            AskFor(
                f"the CAPI2 Operational log while {retry.while_}",
                f"wevtutil sl {CAPI2_CHANNEL} /e:true\n"
                f"rem now {retry.do}, then:\n"
                f"wevtutil epl {CAPI2_CHANNEL} capi2.evtx",
                "CAPI2 event 70 gives the exact private-key error",
            )
        )
    if Question.PROCMON in asked and not case.file_access:
        out.append(
            AskFor(
                f"a Process Monitor capture of the failing {retry.attempt}, saved as CSV",
                "start procmon /AcceptEula /Quiet /Minimized /BackingFile %TEMP%\\binding.pml\n"
                f"rem now {retry.do}, then:\n"
                "procmon /Terminate\n"
                "procmon /OpenLog %TEMP%\\binding.pml /SaveAs %TEMP%\\binding.csv",
                "an ACCESS DENIED on the key file proves scenario 2",
            )
        )
    # No 36870, no --at and no failure of the service's own (its events or log lines, which are
    # dated): nothing dates the attempt.
    dated = correlation.service_failures or correlation.service_log_failures
    if correlation.reference_time is None and not dated:
        out.append(
            AskFor(
                f"when {retry.last}",
                "(date, time and time zone, in the ticket)",
                "places the attempt among the logged events",
            )
        )
    if Question.PFX in asked and not case.inputs_of("pfx"):  # an attached .pfx answers the question
        out.append(
            AskFor(
                "whether the original PFX (and its password) is still at hand",
                "(a yes/no answer in the ticket)",
                "the simplest fix re-imports it",
            )
        )
    for service in services:
        for question in SERVICE_QUESTIONS.get(service, ()):
            item = question(case)
            if item is not None and item not in out:
                out.append(item)
    return out


# Services whose certificate is (also) an HTTP.sys binding: `netsh http show sslcert` shows it.
HTTP_BOUND = frozenset({known.IIS, known.HTTP_SYS, known.WINRM, known.ADFS})


def ticket_services(correlation: Correlation, diagnoses: list[Diagnosis] | tuple[()]) -> list[str]:
    """The services of the ticket: those of the diagnoses in verdict order, then the others the
    correlation names (ids of `analyzer.knowledge.services`)."""
    named = [d.service for d in diagnoses if d.service] + sorted(correlation.services)
    return list(dict.fromkeys(named))


@dataclass(frozen=True)
class Retry:
    """How the customer makes a service load its certificate again, said three ways."""

    while_: str  # "the CAPI2 Operational log while ..."
    do: str  # "rem now ..., then:"
    attempt: str  # "a Process Monitor capture of the failing ..."
    last: str  # "when ..."


RETRY = {
    "": Retry(
        "the binding is added again",
        "add the binding again",
        "binding",
        "the binding was last attempted",
    ),
    known.WINRM: Retry(
        "the WinRM HTTPS listener is created again",
        "create the WinRM HTTPS listener again (or connect to it over HTTPS)",
        "listener creation",
        "the WinRM HTTPS listener was last created or failed",
    ),
    known.RDP: Retry(
        "a Remote Desktop connection is tried again",
        "connect with Remote Desktop again",
        "Remote Desktop connection",
        "the Remote Desktop connection last failed",
    ),
    known.SQL_SERVER: Retry(
        "the SQL Server service is restarted",
        "restart the SQL Server service",
        "SQL Server start",
        "SQL Server last failed to start with its certificate",
    ),
    known.ADFS: Retry(
        "the AD FS service (adfssrv) is restarted",
        "restart the AD FS service (adfssrv)",
        "AD FS start",
        "AD FS last failed to use its certificate",
    ),
    known.EXCHANGE: Retry(
        "the Microsoft Exchange Transport service is restarted",
        "restart the Microsoft Exchange Transport service",
        "Exchange Transport start",
        "Exchange Transport last failed to use its certificate",
    ),
}

ELEVATED_PS = "in an elevated Windows PowerShell"
EXCHANGE_SHELL = "in the Exchange Management Shell"


def _has_service_config(case: Case, names: set[str]) -> bool:
    return any(fold(c.name) in names for c in case.records(ServiceConfig))


def sql_instances(case: Case) -> list[str]:
    """The SQL Server instances the case names (a configured certificate, ERRORLOG), sorted; none:
    []."""
    names = {instance for instance, value in certificate_values(case) if value.data.strip()}
    names |= {s.instance for s in case.records(SqlServerStart) if s.instance}
    names |= {e.instance for e in case.records(SqlCertificateEvent) if e.instance}
    return sorted(n.upper() for n in names)


# Where the ERRORLOG is: the -e startup parameter ("Database Engine service startup options",
# https://learn.microsoft.com/sql/database-engine/configure-windows/database-engine-service-startup-options).
def _sql_errorlog(case: Case) -> AskFor | None:
    logged = bool(case.records(SqlServerStart)) or bool(case.records(SqlCertificateEvent))
    if logged or failure_events(case, known.SQL_SERVER):  # its lines, or their Application events
        return None
    return AskFor(
        "SQL Server's ERRORLOG of the start that failed",
        "(attach the file ERRORLOG from the instance's Log folder; the -e startup parameter in "
        "SQL Server Configuration Manager names it, by default "
        "%ProgramFiles%\\Microsoft SQL Server\\MSSQL<version>.<instance>\\MSSQL\\Log\\ERRORLOG)",
        "its 26014 / 33565 lines name the certificate and the account that could not load it",
    )


def _sql_certificate_setting(case: Case) -> AskFor | None:
    if certificate_values(case):
        return None
    return AskFor(
        "the certificate each SQL Server instance is configured with",
        'reg query "HKLM\\SOFTWARE\\Microsoft\\Microsoft SQL Server" /s /v Certificate',
        "the Certificate value of the instance's SuperSocketNetLib key is the thumbprint it loads",
    )


def _sql_service(case: Case) -> AskFor | None:
    instances = sql_instances(case) or [known.SQL_DEFAULT_INSTANCE]
    wanted = [known.sql_service_name(i) for i in instances]
    logged = {
        s.instance.upper() for s in case.records(SqlServerStart) if s.service_account and s.instance
    }
    if _has_service_config(case, {fold(n) for n in wanted}) or set(instances) <= logged:
        return None  # sc qc, or the ERRORLOG's "The service account is" of each instance
    return AskFor(
        "the account SQL Server's service runs as",
        "\n".join(f"sc qc {cmd_word(name, 'service name')}" for name in wanted),
        "that account must be able to read the certificate's private key"
        + ("" if sql_instances(case) else " (a named instance's service is MSSQL$<instance>)"),
    )


def _winrm_listener(case: Case) -> AskFor | None:
    if case.records(WinRmListener):
        return None
    return AskFor(
        "WinRM's listeners",
        "winrm enumerate winrm/config/listener",
        "the HTTPS listener's CertificateThumbprint is the certificate WinRM uses",
    )


def _winrm_binding(case: Case) -> AskFor | None:
    if case.bindings:
        return None
    return AskFor(
        "the HTTP.sys SSL bindings",
        "netsh http show sslcert",
        "WinRM's HTTPS listener is an HTTP.sys binding (port 5986 by default)",
    )


def _adfs_configuration(case: Case) -> AskFor | None:
    lines = []
    if not case.records(AdfsCertificate):
        lines.append("Get-AdfsCertificate")
    if not case.records(AdfsSslCertificate):
        lines.append("Get-AdfsSslCertificate | Format-List")
    if not any(fold(p.name) == "autocertificaterollover" for p in case.records(AdfsProperty)):
        lines.append("Get-AdfsProperties | Format-List AutoCertificateRollover")
    if not lines:
        return None
    return AskFor(
        f"AD FS's certificates ({ELEVATED_PS} on the primary AD FS server)",
        "\n".join(lines),
        "they name the token-signing, token-decrypting and SSL certificates AD FS uses and "
        "whether it rolls them over itself",
    )


def _adfs_log(case: Case) -> AskFor | None:
    if any(case.has_channel(channel) for channel in ADFS_CHANNELS):
        return None
    return AskFor(
        "the AD FS/Admin event log",
        'wevtutil epl "AD FS/Admin" adfs-admin.evtx',
        "AD FS event 133 names the certificate whose private key it could not read",
    )


def _adfs_service(case: Case) -> AskFor | None:
    if _has_service_config(case, {known.ADFS_SERVICE}):
        return None
    return AskFor(
        "the account the AD FS service runs as",
        f"sc qc {known.ADFS_SERVICE}",
        "AD FS has no default account: the one chosen at configuration (often a gMSA) must read "
        "the keys",
    )


def _exchange_certificates(case: Case) -> AskFor | None:
    if case.records(ExchangeCertificate):
        return None
    return AskFor(
        f"Exchange's certificates ({EXCHANGE_SHELL}, run as administrator)",
        "Get-ExchangeCertificate | Format-List",
        "they show which certificate is enabled for SMTP and whether it has its private key",
    )


def _exchange_log(case: Case) -> AskFor | None:
    if case.has_channel("Application"):
        return None
    return AskFor(
        "the Application event log",
        "wevtutil epl Application application.evtx",
        "Exchange Transport logs its certificate failures (12014) there",
    )


def _exchange_service(case: Case) -> AskFor | None:
    if _has_service_config(case, {known.EXCHANGE_TRANSPORT_SERVICE}):
        return None
    return AskFor(
        "the account the Microsoft Exchange Transport service runs as",
        "sc qc MSExchangeTransport",
        "that account must be able to read the SMTP certificate's private key",
    )


SERVICE_QUESTIONS: dict[str, tuple[Callable[[Case], AskFor | None], ...]] = {
    known.SQL_SERVER: (_sql_errorlog, _sql_certificate_setting, _sql_service),
    known.WINRM: (_winrm_listener, _winrm_binding),
    known.ADFS: (_adfs_configuration, _adfs_log, _adfs_service),
    known.EXCHANGE: (_exchange_certificates, _exchange_log, _exchange_service),
}
