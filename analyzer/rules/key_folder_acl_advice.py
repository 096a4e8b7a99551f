"""`key-folder-acl-advice`: a key folder's ACL differs from the KB 278381 defaults.

Without Everyone's default grant, or with a DENY entry, key files cannot be created or listed
there (imports, new requests fail); Everyone with more than the defaults, inherited by every key
file, or Administrators without Full Control weaken security or administration. None of it stops
an account from opening an existing key file by name: every account holds the traverse privilege
by default, so only the key file's own ACL decides that (`machinekeys-permissions`).
"""

from __future__ import annotations

from analyzer.knowledge.acl_defaults import deviations
from analyzer.knowledge.wellknown import ADMINISTRATORS, EVERYONE, SYSTEM
from analyzer.model import Confidence, Diagnosis, Evidence, Kind, Source
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies
from analyzer.rulekit.registry import Need, Rule, RuleContext, register

EVERYONE_SID = "*S-1-1-0"
_DENY_SIDS = {
    "deny-everyone": EVERYONE,
    "deny-system": SYSTEM,
    "deny-administrators": ADMINISTRATORS,
}


@register
class KeyFolderAclAdvice(Rule):
    id = "key-folder-acl-advice"
    title = "Key folder permissions differ from the Windows defaults"
    kind = Kind.ADVISORY
    fires_when = (
        "icacls shows, on RSA\\MachineKeys or Crypto\\Keys, Everyone without its default (R,W), "
        "a DENY entry, Everyone with more than the defaults (or inherited by key files), or "
        "Administrators without Full Control; never the proof that a key cannot be opened"
    )
    needs = frozenset({Need.ELEVATION})
    references = (pages.MACHINEKEYS_DEFAULTS, pages.TRAVERSE_PRIVILEGE, pages.ICACLS)

    def check(self, context: RuleContext) -> list[Diagnosis]:
        found = deviations(context.case.acls)
        out = []
        for path in sorted({d.path for d in found}):
            mine = [d for d in found if d.path == path]
            codes = {d.code for d in mine}
            steps = [f'icacls "{path}" /save "%TEMP%\\keyfolder-acl.txt"']
            for code in sorted(codes & set(_DENY_SIDS)):
                steps.append(f'icacls "{path}" /remove:d *{_DENY_SIDS[code]}')
            if "everyone-too-broad" in codes:
                steps.append(f'icacls "{path}" /grant:r {EVERYONE_SID}:(R,W)   (this folder only)')
            elif "everyone-missing" in codes:
                steps.append(f'icacls "{path}" /grant {EVERYONE_SID}:(R,W)   (this folder only)')
            if "admins-not-full" in codes:
                steps.append(f'icacls "{path}" /grant {remedies.ADMINISTRATORS_SID}:(F)')
            blocks = any(d.blocks_new_keys for d in mine)
            effect = (
                "New keys cannot be created or listed in this folder (imports and new requests "
                "fail); existing key files still open by name, so this is not why a bound "
                "certificate's key cannot be used."
                if blocks
                else "This does not stop any account from opening a key; it is not the binding "
                "failure."
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
                            "; ".join(
                                f"{e.account}:{'' if e.allow else '(DENY)'}({','.join(e.rights)})"
                                for e in d.entries
                            )
                            or None,
                        )
                        for d in mine
                    ),
                    remediation=tuple(steps),
                    summary="; ".join(d.text for d in mine) + ". " + effect,
                )
            )
        return out
