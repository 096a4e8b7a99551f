"""`dump-not-elevated`: every machine key in a dump is `Missing stored keyset`.

A dump taken without elevation cannot open machine keys and prints `Missing stored keyset` for
each of them. Concluding "key deleted" or "permissions" from it would be wrong: ask for an
elevated dump instead.
"""

from __future__ import annotations

from analyzer.model import Confidence, Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import cert_evidence, label
from analyzer.rulekit.key_access import non_elevated_dumps
from analyzer.rulekit.registry import Need, Rule, RuleContext, register


@register
class DumpNotElevated(Rule):
    id = "dump-not-elevated"
    title = "The certutil dump was probably not taken elevated"
    kind = Kind.ADVISORY
    fires_when = "every machine-store key of a dump is `Missing stored keyset`"
    needs = frozenset({Need.ELEVATION})  # the dump it asks for is taken elevated
    references = (pages.CERTUTIL,)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        out = []
        for path in sorted(non_elevated_dumps(context.case)):
            certs = [
                c
                for c in context.case.certificates
                if c.source.path == path and c.key is not None and c.key.state == "missing"
            ]
            out.append(
                self.diagnosis(
                    path,
                    confidence=Confidence.MEDIUM,
                    confidence_reason=(
                        f"all {len(certs)} machine key(s) in the dump are `Missing stored keyset`, "
                        "which is what a non-elevated prompt prints; no conclusion about the keys "
                        "is drawn from it"
                    ),
                    certificates=tuple(sorted({c.thumbprint for c in certs if c.thumbprint})),
                    evidence=tuple(
                        cert_evidence(
                            c, f"key of {label(c)} not opened", "Missing stored keyset", "state"
                        )
                        for c in certs[:5]
                    ),
                    plans=remedies.single(
                        remedies.manual(
                            "Open a command prompt with Run as administrator.", pages.CERTUTIL
                        ),
                        remedies.run('certutil -v -store my > "%TEMP%\\my.txt"', pages.CERTUTIL),
                        remedies.manual("Send %TEMP%\\my.txt with the ticket.", pages.CERTUTIL),
                        title="Dump the machine store elevated",
                    ),
                    summary=(
                        f"Every machine key in {path} is `Missing stored keyset`: the dump was "
                        "probably taken without elevation. Ask for an elevated dump before "
                        "concluding that a key is missing or denied."
                    ),
                )
            )
        return out
