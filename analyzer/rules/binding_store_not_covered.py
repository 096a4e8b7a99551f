"""`binding-store-not-covered`: a binding uses a store other than `MY`/`WebHosting` and no dump of
the case covers that store, so nothing about its certificate can be checked."""

from __future__ import annotations

from collections import defaultdict

from analyzer.knowledge.quoting import cmd_arg, cmd_word
from analyzer.model import Binding, Confidence, Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.bindings import IIS_STORES, binding_evidence, binding_store, covered_stores
from analyzer.rulekit.registry import Rule, RuleContext, register


@register
class BindingStoreNotCovered(Rule):
    id = "binding-store-not-covered"
    title = "An SSL binding uses a certificate store the case does not show"
    kind = Kind.ADVISORY
    fires_when = "a binding names a store other than MY/WebHosting and no dump covers that store"
    references = (pages.NETSH_HTTP, pages.CERTUTIL)

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
            stem = store if cmd_word(store) == store else "other"
            hashes = sorted(
                {b.certificate_hash for b in bindings if b.certificate_hash and b.hash_valid}
            )
            out.append(
                self.diagnosis(
                    name,
                    confidence=Confidence.HIGH,
                    confidence_reason=f"no dump of store {name!r} in the case",
                    certificates=tuple(hashes),
                    evidence=tuple(binding_evidence(b) for b in bindings),
                    plans=remedies.single(
                        remedies.run(
                            f"certutil -v -store {cmd_arg(name, 'store name')} > "
                            f'"%TEMP%\\store-{stem}.txt"   (send it with the ticket)',
                            pages.CERTUTIL,
                        ),
                        remedies.manual(
                            "IIS Manager only offers certificates of MY (Personal) and "
                            "WebHosting: a binding to another store was made with netsh or a "
                            "script; ask which one.",
                            pages.IIS_SSL_SETUP,
                        ),
                        title="Dump the store the binding uses",
                    ),
                    summary=(
                        f"The binding(s) {', '.join(sorted({b.endpoint for b in bindings}))} use "
                        f"store {name!r}; its certificates and keys cannot be checked without a dump of it."
                    ),
                )
            )
        return out
