"""Hostile values from a customer's files flowing into the issue 17 fix commands: an AD FS
service account name (sc qc adfssrv) into `icacls /grant`, a 12014's domain name into the
Exchange Management Shell. Each value stays one quoted argument or string of its shell, a
control character gives a placeholder, and no control character reaches the rendered reply."""

from __future__ import annotations

import shutil
from pathlib import Path

from analyzer.model import Analysis
from analyzer.pipeline import run_analysis
from analyzer.render.markdown import render_markdown
from fixtures.writers.certutil_dump import CertSpec
from fixtures.writers.tickets_exchange import (
    EX01_CERT,
    FAILED_AT,
    MAIL_CERT,
    exchange_ticket,
    transport_12014,
)
from tests.readers.evidence_helpers import EVIDENCE

TICKETS = EVIDENCE.parent / "tickets"
_CONTROL = set(map(chr, [*range(0, 9), *range(11, 32), 0x7F, 0x202E]))


def _outside_quotes(command: str) -> str:
    """What cmd.exe sees outside double quotes (each quote toggles)."""
    out, inside = [], False
    for char in command:
        if char == '"':
            inside = not inside
        elif not inside:
            out.append(char)
    return "".join(out)


def test_a_hostile_adfs_account_name_stays_one_icacls_argument(tmp_path: Path) -> None:
    folder = tmp_path / "adfs"
    shutil.copytree(TICKETS / "adfs-signing-key-without-gmsa", folder)
    services = folder / "services.txt"
    text = services.read_text()
    assert "CONTOSO\\gmsa_adfs$" in text
    services.write_text(text.replace("CONTOSO\\gmsa_adfs$", 'CONTOSO\\gm"&calc&"%PATH%|x$'))
    analysis = run_analysis([folder])
    [fault] = [d for d in analysis.diagnoses if d.id == "machinekeys-permissions"]
    [grant] = [s for s in fault.remediation if "/grant" in s]
    trustee = grant.split("/grant ", 1)[1]
    outside = _outside_quotes(trustee)
    assert "&" not in outside and "|" not in outside
    # a % outside quotes is escaped (^%) so that cmd expands no %PATH%
    assert all(outside[i - 1] == "^" for i, c in enumerate(outside) if c == "%")
    assert trustee.endswith(":(R)")


def _connector_lookup(tmp_path: Path, domain: str) -> tuple[Analysis, str]:
    """The analysis of an Exchange ticket whose 12014 names ``domain``, and the fix's
    Get-ReceiveConnector line."""
    folder = tmp_path / "exchange"
    folder.mkdir()
    granted = CertSpec(**{**MAIL_CERT.__dict__, "sddl": EX01_CERT.sddl})
    exchange_ticket(folder, granted, [transport_12014(FAILED_AT, domain, "Relay", domain)])
    analysis = run_analysis([folder])
    [diag] = [d for d in analysis.diagnoses if d.id == "exchange-no-certificate-for-name"]
    [look] = {s for s in diag.remediation if "Get-ReceiveConnector" in s}
    return analysis, look


def test_a_hostile_12014_domain_stays_one_powershell_string(tmp_path: Path) -> None:
    _, look = _connector_lookup(tmp_path, "x';Start-Process calc;'.fabrikam.com")
    assert "-eq 'x'';start-process calc;''.fabrikam.com' }" in look  # folded, one string


def test_a_12014_domain_with_control_characters_gives_a_placeholder(tmp_path: Path) -> None:
    analysis, look = _connector_lookup(tmp_path, "relay\x1b]0;owned\x07.fabrikam\u202e.com")
    assert "\x1b" not in look and "<host name:" in look
    reply = render_markdown(analysis)
    assert not (_CONTROL & set(reply))
