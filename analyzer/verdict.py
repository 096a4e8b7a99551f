"""Put the diagnoses in verdict order and say what could not be checked and what to ask for.

Order: faults that explain the 36870 events (certificate in scope, time window) first, then the
other faults by confidence, then runner-ups (alternatives not confirmed: their fixes never come
first), then advisories. At equal confidence scenario 1 precedes 2 precedes
3 (scenario 2 is only ever 1's runner-up at equal confidence), and rule ids break the last ties
so that the order is deterministic.

What to ask for follows from the rules' metadata (`Rule.questions()`): a diagnosis asks what its
rule declares, never a list of ids kept here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analyzer.case import Case
from analyzer.collector import RUN_LINE, SCRIPT_NAME
from analyzer.correlate import Correlation
from analyzer.model import AskFor, Confidence, Diagnosis, Kind, NotChecked
from analyzer.rulekit.key_access import account_can_read, non_elevated_dumps
from analyzer.rulekit.registry import Question, rule_of
from analyzer.servicemap import key_not_checked

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
    if not correlation.in_use:
        out.append(
            NotChecked(
                "which certificate the binding uses",
                "no netsh http show sslcert, applicationHost.config or --thumbprint",
            )
        )
    return out


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
    if not case.bindings:
        out.append("the HTTP.sys SSL bindings")
    if Question.KEY_ACLS in asked and not case.acls:
        out.append("the permissions of the key folders and files")
    return out


def ask_for(case: Case, correlation: Correlation, diagnoses: list[Diagnosis]) -> list[AskFor]:
    out = []
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
                "the CAPI2 Operational log while the binding is added again",
                f"wevtutil sl {CAPI2_CHANNEL} /e:true\n"
                "rem now add the binding again, then:\n"
                f"wevtutil epl {CAPI2_CHANNEL} capi2.evtx",
                "CAPI2 event 70 gives the exact private-key error",
            )
        )
    if Question.PROCMON in asked and not case.file_access:
        out.append(
            AskFor(
                "a Process Monitor capture of the failing binding, saved as CSV",
                "start procmon /AcceptEula /Quiet /Minimized /BackingFile %TEMP%\\binding.pml\n"
                "rem now add the binding again, then:\n"
                "procmon /Terminate\n"
                "procmon /OpenLog %TEMP%\\binding.pml /SaveAs %TEMP%\\binding.csv",
                "an ACCESS DENIED on the key file proves scenario 2",
            )
        )
    if correlation.reference_time is None:  # no 36870 and no --at: nothing dates the attempt
        out.append(
            AskFor(
                "when the binding was last attempted",
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
    return out
