"""`key-folder-acl-advice`: the key folders' ACLs differ from the KB 278381 defaults in a way that
does not stop SYSTEM but weakens security (Everyone with more than the defaults, inherited by
every key file; Administrators without Full Control). Denials of SYSTEM are
`machinekeys-permissions`.
"""

from __future__ import annotations

from analyzer.knowledge.acl_defaults import deviations, is_key_folder
from analyzer.knowledge.quoting import cmd_arg
from analyzer.model import Confidence, Diagnosis, Evidence, Kind, Source
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.registry import Need, Rule, RuleContext, register

EVERYONE_SID = "*S-1-1-0"


@register
class KeyFolderAclAdvice(Rule):
    id = "key-folder-acl-advice"
    title = "Key folder permissions differ from the Windows defaults"
    kind = Kind.ADVISORY
    fires_when = (
        "icacls shows Everyone with more than the default rights (or inherited by key files), "
        "or Administrators without Full Control, on RSA\\MachineKeys or Crypto\\Keys"
    )
    needs = frozenset({Need.ELEVATION})
    references = (pages.MACHINEKEYS_DEFAULTS, pages.ICACLS)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        found = [
            d
            for d in deviations(context.case.acls)
            if not d.breaks_access and is_key_folder(d.path)
        ]
        out = []
        for path in sorted({d.path for d in found}):
            mine = [d for d in found if d.path == path]
            target = cmd_arg(path, "key folder")
            steps = [
                remedies.run(f'icacls {target} /save "%TEMP%\\keyfolder-acl.txt"', pages.ICACLS)
            ]
            if any(d.code == "everyone-too-broad" for d in mine):
                steps.append(
                    remedies.run(
                        f"icacls {target} /grant:r {EVERYONE_SID}:(R,W)   (Everyone's own entry "
                        "only, this folder only, as KB 278381 has it)",
                        pages.MACHINEKEYS_DEFAULTS,
                    )
                )
            if any(d.code == "admins-not-full" for d in mine):
                steps.append(
                    remedies.run(
                        f"icacls {target} /grant {remedies.ADMINISTRATORS_SID}:(F)",
                        pages.MACHINEKEYS_DEFAULTS,
                    )
                )
            steps.append(
                remedies.check(
                    f"icacls {target}   (expect: the entries of KB 278381)", pages.ICACLS
                )
            )
            out.append(
                self.diagnosis(
                    path,
                    confidence=Confidence.HIGH,
                    confidence_reason="compared with KB 278381 (default permissions of the MachineKeys folders)",
                    evidence=tuple(
                        Evidence(
                            f"icacls: {d.text}",
                            d.entries[0].source if d.entries else Source(d.path),
                            "; ".join(f"{e.account}:({','.join(e.rights)})" for e in d.entries)
                            or None,
                        )
                        for d in mine
                    ),
                    plans=remedies.single(*steps),
                    summary="; ".join(d.text for d in mine)
                    + ". This does not stop SYSTEM; it is not the binding failure.",
                )
            )
        return out
