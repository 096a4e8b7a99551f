"""`binding-cert-missing`: a binding names a certificate hash that the dumped machine store does
not hold (deleted, in another store, or the dump was taken with `-user`)."""

from __future__ import annotations

from collections import defaultdict

from analyzer.model import Binding, Confidence, Diagnosis, Evidence, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit.bindings import (
    binding_evidence,
    binding_store,
    covered_stores,
    netsh_add,
    netsh_target,
)
from analyzer.rulekit.registry import Need, Rule, RuleContext, register
from analyzer.rulekit.remedies import REBIND


@register
class BindingCertMissing(Rule):
    id = "binding-cert-missing"
    title = "The SSL binding points at a certificate that is not in the machine store"
    kind = Kind.FAULT
    fires_when = (
        "a binding's certificate hash (40 hex digits) is absent from a dumped machine store "
        "that the binding names (MY or WebHosting)"
    )
    needs = frozenset({Need.ELEVATION})
    references = (pages.NETSH_HTTP, pages.CERTUTIL)

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
                    confidence=Confidence.HIGH,
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
                    summary=(
                        f"{len(bindings)} binding(s) ({', '.join(sorted({b.endpoint for b in bindings}))}) "
                        f"use certificate {thumbprint}, but {why}."
                    ),
                )
            )
        return out
