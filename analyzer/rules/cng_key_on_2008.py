"""`cng-key-on-2008`: a CNG (KSP) key on Windows Server 2008 / Vista (OS 6.0).

Schannel on 6.0 cannot use CNG keys; 6.1 (2008 R2) and later can. A fault when the OS is known to
be 6.0, an advisory when the OS version is unknown, silent otherwise.

No page of Microsoft's was found that states the 6.0 limitation itself (the references say where
KSP keys live and how to re-import into a CSP); a public post says IIS took KSP keys from Windows
Server 2008 on, so this rule's premise wants a Microsoft source before it is trusted further.
"""

from __future__ import annotations

from analyzer.model import Confidence, Diagnosis, Kind
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.evidence import cert_evidence, key_quotes, label
from analyzer.rulekit.keys import is_ksp
from analyzer.rulekit.registry import Need, Rule, RuleContext, register


@register
class CngKeyOn2008(Rule):
    id = "cng-key-on-2008"
    title = "CNG (KSP) key on Windows Server 2008, whose Schannel cannot use it"
    kind = Kind.FAULT
    advisory_too = True
    fires_when = (
        "a certificate the failures point at has a KSP key and the OS is 6.0 (EventLog 6009 / "
        "Kernel-General 12); advisory when the OS version is unknown and 36870 failed"
    )
    needs = frozenset({Need.PFX, Need.ELEVATION})
    references = (pages.KEY_STORAGE, pages.CERTUTIL)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        correlation = context.correlation
        os_info = correlation.os
        if os_info is not None and os_info.version != "6.0":
            return []
        if os_info is None and not (correlation.failures or correlation.in_use):
            return []  # nothing failed and nothing is named: an unknown OS is not worth a line
        out = []
        seen: set[str] = set()
        for scoped in correlation.in_scope:
            for cert in context.case.certificates_with(scoped.thumbprint)[:1]:
                key = cert.key
                if key is None or not is_ksp(key) or scoped.thumbprint in seen:
                    continue
                seen.add(scoped.thumbprint)
                known = os_info is not None
                out.append(
                    self.diagnosis(
                        label(cert),
                        kind=Kind.FAULT if known else Kind.ADVISORY,
                        confidence=Confidence.HIGH if known else Confidence.LOW,
                        confidence_reason=(
                            f"OS {os_info.version} (build {os_info.build}) from "
                            f"{correlation.os_source}"
                            if os_info is not None
                            else "the OS version is unknown (no EventLog 6009 or Kernel-General "
                            "12 in the case); this only matters on Windows Server 2008 (6.0)"
                        ),
                        certificates=(scoped.thumbprint,),
                        events=tuple(e.source for e in correlation.failures) if known else (),
                        evidence=(
                            cert_evidence(cert, "KSP key", "\n".join(key_quotes(key)), "provider"),
                        ),
                        remediation=(
                            "Re-import the certificate into a CSP: "
                            + remedies.import_keyexchange(cert, "<original>.pfx"),
                            "Or request a new certificate with a CSP key:",
                            *remedies.new_request(cert),
                        ),
                        explains_events=known and correlation.explains((scoped.thumbprint,)),
                        summary=(
                            f"{label(cert)} uses a CNG key; Schannel on Windows Server 2008 "
                            "(6.0) only uses CSP keys."
                        ),
                    )
                )
        return out
