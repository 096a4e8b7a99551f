"""Fix steps for a certificate that WinRM's HTTPS listener uses, in place of the IIS ones.

The rules' plans end by binding the certificate again in IIS Manager (`remedies.rebind`). For a
certificate of WinRM's HTTPS listener the listener is what names it: its CertificateThumbprint
("Installation and configuration for Windows Remote Management": the listener settings, and
`winrm set winrm/config/... @{...}` to change a setting; the @{...} argument is typed as is at a
cmd.exe prompt and quoted '@{...}' in PowerShell, as that page's examples quote it).
"""

from __future__ import annotations

from dataclasses import replace

from analyzer.model import Diagnosis, FixStep
from analyzer.rulekit import references as pages
from analyzer.rulekit import remedies


def listener_steps(step: FixStep, thumbprint: str | None) -> list[FixStep]:
    """What replaces an IIS rebind step for the WinRM listener (the step itself otherwise)."""
    listed = remedies.check(
        "winrm enumerate winrm/config/listener   (expect: the Listener with Transport = HTTPS "
        "and CertificateThumbprint = {})",
        pages.WINRM_CONFIGURATION,
    )
    if step == remedies.rebind():
        shown = thumbprint or remedies.THUMBPRINT
        return [replace(listed, text=listed.text.format(shown))]
    if step == remedies.rebind(new=True):
        new = remedies.NEW_THUMBPRINT
        return [
            remedies.run(
                "winrm set winrm/config/Listener?Address=*+Transport=HTTPS "
                f'@{{CertificateThumbprint="{new}"}}   (cmd.exe; in PowerShell put the @{{...}} '
                "argument in single quotes)",
                pages.WINRM_CONFIGURATION,
            ),
            replace(listed, text=listed.text.format(new)),
        ]
    return [step]


def for_winrm(diagnosis: Diagnosis) -> Diagnosis:
    """``diagnosis`` with its IIS rebind steps made WinRM listener steps."""
    if not diagnosis.remediation_plans:
        return diagnosis
    thumbprint = diagnosis.certificates[0] if len(diagnosis.certificates) == 1 else None
    plans = tuple(
        remedies.plan(
            fix.title,
            fix.when,
            *[new for step in fix.steps for new in listener_steps(step, thumbprint)],
        )
        for fix in diagnosis.remediation_plans
    )
    if plans == diagnosis.remediation_plans:
        return diagnosis
    return replace(
        diagnosis,
        remediation_plans=plans,
        remediation=tuple(step.text for step in plans[0].steps),
    )
