"""Corrections from the Microsoft-documentation review of issue 17 (docs/review-microsoft.md,
"Issue 17"): each test fails on the code as it was before the correction."""

from __future__ import annotations

import shutil
from pathlib import Path

from analyzer.pipeline import run_analysis
from analyzer.rulekit import references as pages
from analyzer.rules import exchange_no_certificate_for_name as rule_module
from analyzer.rules.exchange_no_certificate_for_name import ExchangeNoCertificateForName, _plans
from fixtures.writers.evtx_writer import EventSpec, build_evtx
from fixtures.writers.tickets_adfs import FAILED_AT, SIGNING_CERT
from tests.readers.evidence_helpers import EVIDENCE

TICKETS = EVIDENCE.parent / "tickets"


def _copy(tmp_path: Path, ticket: str) -> Path:
    folder = tmp_path / ticket
    shutil.copytree(TICKETS / ticket, folder)
    return folder


def test_rollover_on_does_not_hide_a_token_certificate_the_machine_dump_shows(
    tmp_path: Path,
) -> None:
    """ "Obtain and configure TS and TD certificates": an administrator adds a certificate from
    the personal store while AutoCertificateRollover is off, then turns it on again, and must
    make sure the AD FS service account can read its key. Rollover on is no proof that AD FS
    generated a certificate: one the machine-store dump shows is still checked."""
    folder = _copy(tmp_path, "adfs-signing-key-without-gmsa")
    listing = folder / "adfs-certificates.txt"
    text = listing.read_bytes().decode("utf-16")
    assert "AutoCertificateRollover : False" in text
    listing.write_bytes(
        text.replace("AutoCertificateRollover : False", "AutoCertificateRollover : True").encode(
            "utf-16"
        )
    )
    analysis = run_analysis([folder])
    faults = [d for d in analysis.diagnoses if d.kind == "fault"]
    assert [(d.id, d.service) for d in faults] == [("machinekeys-permissions", "adfs")]
    assert faults[0].certificates == (SIGNING_CERT.thumbprint,)
    assert not [n for n in analysis.not_checked if SIGNING_CERT.thumbprint in n.what + n.why]


def test_rollover_certificates_no_dump_shows_are_said_not_checked_without_a_storage_claim() -> None:
    analysis = run_analysis([TICKETS / "adfs-nearmiss-auto-rollover"])
    whys = [n.why for n in analysis.not_checked if n.what.startswith("AD FS Token-")]
    assert len(whys) == 2
    for why in whys:
        assert "no machine-store dump shows" in why
        # no Microsoft page says where AD FS keeps those keys: not claimed
        assert "not as a key file" not in why and "in its configuration" not in why


def test_ad_fs_1_601_is_not_explained_by_the_adfssrv_accounts_acl(tmp_path: Path) -> None:
    """AD FS 1.x's Federation Service ran in IIS (ADFSAppPool): its 601 is about that identity,
    not the adfssrv account whose ACL denial the diagnosis is about."""
    folder = _copy(tmp_path, "adfs-signing-key-without-gmsa")
    event = EventSpec(
        "Microsoft-Windows-ADFS",
        601,
        FAILED_AT,
        ["system.web/federation", "serviceCertificate", SIGNING_CERT.thumbprint.upper()],
        level=2,
        channel="Application",
    )
    (folder / "Application.evtx").write_bytes(build_evtx([event]))
    analysis = run_analysis([folder])
    [fault] = [d for d in analysis.diagnoses if d.id == "machinekeys-permissions"]
    assert fault.events and all("Application.evtx" not in s.path for s in fault.events)


def test_frontend_12014_restarts_the_frontend_transport_service() -> None:
    front = [s.text for p in _plans("mail.contoso.com", frontend=True) for s in p.steps]
    hub = [s.text for p in _plans("mail.contoso.com") for s in p.steps]
    assert any("Restart-Service MSExchangeFrontEndTransport" in t for t in front)
    assert not any("Restart-Service MSExchangeTransport " in t for t in front)
    assert any("Restart-Service MSExchangeTransport " in t for t in hub)


def test_exchange_12014_rule_names_microsofts_12014_page() -> None:
    assert pages.EXCHANGE_12014 in ExchangeNoCertificateForName.references
    assert "not enabled for SMTP" in (rule_module.__doc__ or "")


def test_enable_exchange_certificate_step_says_what_microsoft_says_of_the_prompt() -> None:
    """ "Assign certificates to Exchange Server services": assigning SMTP prompts to replace the
    default SMTP certificate, "Typically, you don't need to"."""
    texts = [s for p in _plans("mail.contoso.com") for s in p.steps]
    [enable] = [s for s in texts if "Enable-ExchangeCertificate" in s.text]
    assert "typically not needed" in enable.text
    assert enable.reference == pages.ASSIGN_EXCHANGE_CERTIFICATE.url
