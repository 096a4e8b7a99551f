"""Rules on the SSL bindings (`netsh http show sslcert`, `applicationHost.config`).

`binding-cert-missing`: a binding names a certificate hash that the dumped machine store does
not hold (deleted, in another store, or the dump was taken with `-user`).
`binding-store-not-covered`: a binding uses a store other than `MY`/`WebHosting` and no dump of
the case covers that store, so nothing about its certificate can be checked.
`binding-add-failed`: netsh reported error 1312 on adding a binding, so the bindings it lists
still show the previous certificate (or none), not the one the customer selected.
"""

from __future__ import annotations

from collections import defaultdict

from analyzer.case import Case
from analyzer.knowledge.quoting import cmd_word
from analyzer.model import Binding, Diagnosis, Evidence
from analyzer.rules.common import REFERENCES
from analyzer.rules.registry import Rule, RuleContext, register
from analyzer.rules.remedies import REBIND

IIS_STORES = frozenset({"my", "webhosting"})
# The netsh reader's warning for `SSL Certificate add failed, Error: 1312`.
ADD_FAILED = "error 1312"


def binding_store(binding: Binding) -> str:
    """netsh prints `My`/`MY`, IIS `My`/`WebHosting`; no store shown means `MY`."""
    return (binding.store or "my").strip().lower()


def covered_stores(case: Case) -> set[str]:
    """Machine stores whose content the case shows (a dump or a PowerShell listing of them)."""
    return {c.store.lower() for c in case.certificates if c.user_store is not True and c.store}


def binding_evidence(binding: Binding) -> Evidence:
    where = f"site {binding.site}" if binding.site else binding.origin
    return Evidence(
        f"{binding.origin}: {binding.endpoint} ({where}) uses certificate "
        f"{binding.certificate_hash} in store {binding.store or 'MY'}",
        binding.source,
    )


def netsh_target(binding: Binding) -> str:
    """How netsh names the binding: ``ipport=``, ``hostnameport=`` or ``ccs=``."""
    endpoint = binding.endpoint
    if endpoint.startswith("ccs:"):
        return f"ccs={cmd_word(endpoint[4:])}"
    host = endpoint.rsplit(":", 1)[0]
    if host.startswith("[") or host.replace(".", "").isdigit():
        return f"ipport={cmd_word(endpoint)}"
    return f"hostnameport={cmd_word(endpoint)}"


def netsh_add(binding: Binding, thumbprint: str) -> str:
    """The `netsh http add sslcert` that re-creates this binding with another certificate."""
    target = netsh_target(binding)
    app_id = cmd_word(binding.app_id or "{4dc3e181-e14b-4a21-b022-59fc669b0914}")
    store = cmd_word(binding.store or "MY")
    return f"netsh http add sslcert {target} certhash={thumbprint} appid={app_id} certstorename={store}"


@register
class BindingCertMissing(Rule):
    id = "binding-cert-missing"
    title = "The SSL binding points at a certificate that is not in the machine store"
    kind = "fault"
    scenario = None
    fires_when = (
        "a binding's certificate hash (40 hex digits) is absent from a dumped machine store "
        "that the binding names (MY or WebHosting)"
    )

    def check(self, context: RuleContext) -> list[Diagnosis]:
        case = context.case
        covered = covered_stores(case)
        by_hash: dict[tuple[str, str], list[Binding]] = defaultdict(list)
        for binding in case.bindings:
            if binding.hash_valid and binding.certificate_hash:
                by_hash[(binding.certificate_hash, binding_store(binding))].append(binding)
        out = []
        for (thumbprint, store), bindings in sorted(by_hash.items()):
            if store not in covered:
                continue
            found = case.certificates_with(thumbprint)
            if any(c.user_store is not True for c in found):
                continue
            in_user = [c for c in found if c.user_store is True]
            evidence = [binding_evidence(b) for b in bindings]
            if in_user:
                evidence.append(
                    Evidence(f"{thumbprint} is in a `-user` dump only", in_user[0].source)
                )
                why = "it is in the current user's store, which HTTP.sys does not use"
            else:
                why = (
                    f"the dump of store {store} does not hold it: deleted, in another store, "
                    "or the dump was taken with `-user`"
                )
            out.append(
                self.diagnosis(
                    thumbprint,
                    confidence="high",
                    confidence_reason=f"the dumped machine store {store} has no certificate {thumbprint}",
                    certificates=(thumbprint,),
                    evidence=tuple(evidence),
                    remediation=(
                        f"certutil -v -store {store} {thumbprint}   (confirm: not found)",
                        f"certutil -v -store webhosting {thumbprint} & certutil -user -v -store my {thumbprint}"
                        "   (where is it?)",
                        'certutil -p "<PFX password>" -importPFX my <file>.pfx   (put it into the '
                        "machine store), or pick a certificate that is there",
                        f"netsh http delete sslcert {netsh_target(bindings[0])}",
                        netsh_add(
                            bindings[0], "<thumbprint of the certificate in the machine store>"
                        ),
                        REBIND,
                    ),
                    references=(REFERENCES["netsh-http"], REFERENCES["certutil"]),
                    summary=(
                        f"{len(bindings)} binding(s) ({', '.join(sorted({b.endpoint for b in bindings}))}) "
                        f"use certificate {thumbprint}, but {why}."
                    ),
                )
            )
        return out


@register
class BindingStoreNotCovered(Rule):
    id = "binding-store-not-covered"
    title = "An SSL binding uses a certificate store the case does not show"
    kind = "advisory"
    scenario = None
    fires_when = "a binding names a store other than MY/WebHosting and no dump covers that store"

    def check(self, context: RuleContext) -> list[Diagnosis]:
        case = context.case
        covered = covered_stores(case)
        by_store: dict[str, list[Binding]] = defaultdict(list)
        for binding in case.bindings:
            store = binding_store(binding)
            if store not in IIS_STORES and store not in covered:
                by_store[store].append(binding)
        out = []
        for store, bindings in sorted(by_store.items()):
            name = bindings[0].store or store
            hashes = sorted(
                {b.certificate_hash for b in bindings if b.certificate_hash and b.hash_valid}
            )
            out.append(
                self.diagnosis(
                    name,
                    confidence="high",
                    confidence_reason=f"no dump of store {name!r} in the case",
                    certificates=tuple(hashes),
                    evidence=tuple(binding_evidence(b) for b in bindings),
                    remediation=(
                        f'certutil -v -store "{name}" > "%TEMP%\\{store}.txt"   (send it with the ticket)',
                        "IIS Manager only offers certificates of MY (Personal) and WebHosting: "
                        "a binding to another store was made with netsh or a script",
                    ),
                    references=(REFERENCES["netsh-http"],),
                    summary=(
                        f"The binding(s) {', '.join(sorted({b.endpoint for b in bindings}))} use "
                        f"store {name!r}; its certificates and keys cannot be checked without a dump of it."
                    ),
                )
            )
        return out


@register
class BindingAddFailed(Rule):
    id = "binding-add-failed"
    title = "netsh could not add the binding (error 1312): HTTP.sys shows the previous certificate"
    kind = "advisory"
    scenario = None
    fires_when = "a netsh listing reports error 1312 on `netsh http add sslcert`"

    def check(self, context: RuleContext) -> list[Diagnosis]:
        case = context.case
        reports = [
            m for r in case.inputs_of("netsh-sslcert") for m in r.messages if ADD_FAILED in m.text
        ]
        if not reports:
            return []
        steps = []
        if not case.options.thumbprint:
            steps.append(
                "Ask which certificate was selected in IIS and when, then run certtriage again "
                "with --thumbprint <that thumbprint> --at <time of the attempt>"
            )
        steps.append("certutil -v -store my <selected thumbprint>   (its key, KeySpec and ACL)")
        return [
            self.diagnosis(
                confidence="high",
                confidence_reason="netsh printed error 1312 (a specified logon session does not exist)",
                evidence=tuple(Evidence(m.text, m.source) for m in reports),
                remediation=tuple(steps),
                references=(REFERENCES["netsh-http"], REFERENCES["0x80070520"]),
                summary=(
                    "After a failed add, HTTP.sys keeps the old certificate or none: the bindings "
                    "listed do not show the certificate the customer selected, whose private key "
                    "could not be used."
                ),
            )
        ]
