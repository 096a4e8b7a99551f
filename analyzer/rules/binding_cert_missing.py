"""`binding-cert-missing`: a binding names a certificate hash that the dumped machine store does
not hold (deleted, in another store, or the dump was taken with `-user`)."""

from __future__ import annotations

from collections import defaultdict

from analyzer.model import Binding, Confidence, Diagnosis, Evidence, FixPlan, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.bindings import binding_evidence, binding_store, covered_stores
from analyzer.rulekit.registry import Need, Rule, RuleContext, register


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
        os_version = context.correlation.os.version if context.correlation.os else None
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
                    plans=self._plans(thumbprint, store, bindings[0], os_version),
                    summary=(
                        f"{len(bindings)} binding(s) ({', '.join(sorted({b.endpoint for b in bindings}))}) "
                        f"use certificate {thumbprint}, but {why}."
                    ),
                )
            )
        return out

    @staticmethod
    def _plans(
        thumbprint: str, store: str, binding: Binding, os_version: str | None
    ) -> tuple[FixPlan, ...]:
        where = [
            remedies.check(
                f"certutil -v -store {store} {thumbprint}   (expect: not found, as in the dump)",
                pages.CERTUTIL,
            ),
            remedies.check(
                f"certutil -v -store webhosting {thumbprint}   (is it in the Web Hosting store?)",
                pages.CERTUTIL,
            ),
            remedies.check(
                f"certutil -user -v -store my {thumbprint}   (is it in the current user's store?)",
                pages.CERTUTIL,
            ),
        ]
        return (
            remedies.plan(
                "Put the certificate into the machine store",
                "the certificate's PFX is at hand: the binding then finds the certificate it "
                "names and needs no change",
                *where,
                remedies.run(
                    f'certutil -p "{remedies.PFX_PASSWORD}" -importPFX {store} '
                    f'"{remedies.PFX_FILE}" AT_KEYEXCHANGE',
                    pages.CERTUTIL,
                ),
                remedies.check(
                    f"certutil -v -store {store} {thumbprint}   (expect: the certificate and "
                    "`Encryption test passed`)",
                    pages.CERTUTIL,
                ),
            ),
            remedies.plan(
                "Point the binding at a certificate that is in the machine store",
                "no PFX of the missing certificate: bind another valid certificate of the "
                "machine store (its thumbprint from `certutil -store my`)",
                *remedies.rebind_steps(
                    binding, remedies.NEW_THUMBPRINT, binding.store or "MY", os_version
                ),
                remedies.check(
                    f"netsh http show sslcert   (expect: the new certhash on {binding.endpoint})",
                    pages.NETSH_HTTP,
                ),
            ),
        )
