"""Exchange (issue 17): the SMTP certificate's key for the Transport service's account (NETWORK
SERVICE, from sc qc MSExchangeTransport), 12014 told apart by the evidence (a certificate that
holds the name and whose key the account cannot read, vs no certificate for that name), and
the fix plans (Enable-ExchangeCertificate as the event's text says, or an icacls grant)."""

from __future__ import annotations

from pathlib import Path

from analyzer.case import Case
from analyzer.cli.analyze_cmd import exit_code
from analyzer.model import Account, ReadResult
from analyzer.pipeline import run_analysis
from analyzer.readers import ReadOptions
from analyzer.readers.evtx.reader import read_evtx_bytes
from analyzer.reading import EVERY_KIND, read_paths
from analyzer.render.json import analysis_document
from analyzer.servicemap.exchange import covers, event_fqdn, uncovered_fqdns
from fixtures.writers.evtx_writer import EventSpec, build_evtx
from fixtures.writers.tickets_exchange import FAILED_AT, MAIL_CERT, transport_12014
from tests.readers.evidence_helpers import EVIDENCE

TICKETS = EVIDENCE.parent / "tickets"
NETWORK_SERVICE = "S-1-5-20"


def test_smtp_key_without_network_service_is_a_fault_for_exchange() -> None:
    analysis = run_analysis([TICKETS / "exchange-smtp-key-without-network-service"])
    [first] = [d for d in analysis.diagnoses if d.kind == "fault"]
    assert (first.id, first.service, first.confidence) == (
        "machinekeys-permissions",
        "exchange",
        "high",
    )
    assert first.certificates == (MAIL_CERT.thumbprint,)
    assert first.account == Account(
        "NT AUTHORITY\\NetworkService", NETWORK_SERVICE, "service-config", False
    )
    assert first.explains_events and len(first.events) == 3
    assert "Get-ExchangeCertificate" in first.evidence[0].text
    assert first.evidence[1].quote == "D:PAI(A;;GAGR;;;BA)(A;;GAGR;;;SY)"
    enable, grant = first.remediation_plans
    commands = [s.text for s in enable.steps]
    assert "/save" in commands[0]
    assert (
        f"Enable-ExchangeCertificate -Thumbprint '{MAIL_CERT.thumbprint}' -Services SMTP"
        in (commands[1])
    )
    assert commands[-1].startswith("In an elevated PowerShell: Restart-Service MSExchangeTransport")
    assert any("/grant *S-1-5-20:(R)" in s.text for s in grant.steps)
    assert exit_code(analysis) == 1
    document = analysis_document(analysis)
    assert document["correlation"]["services"] == ["exchange"]
    assert any("services-overview" in r for r in document["diagnoses"][0]["references"])


def test_12014_for_a_name_no_certificate_holds_is_no_key_verdict() -> None:
    ticket = TICKETS / "exchange-12014-no-certificate-for-name"
    analysis = run_analysis([ticket])
    assert not [d for d in analysis.diagnoses if d.id == "machinekeys-permissions"]
    [first] = [d for d in analysis.diagnoses if d.kind == "fault"]
    assert (first.id, first.service, first.confidence) == (
        "exchange-no-certificate-for-name",
        "exchange",
        "medium",
    )
    assert first.explains_events and first.account is None
    assert "relay.fabrikam.com" in first.title
    assert exit_code(analysis) == 1
    case = Case.from_results(read_paths([ticket], ReadOptions(), EVERY_KIND))
    assert [fqdn for fqdn, _ in uncovered_fqdns(case)] == ["relay.fabrikam.com"]


def test_no_listing_no_claim_that_no_certificate_holds_the_name(tmp_path: Path) -> None:
    """Without Get-ExchangeCertificate the server's certificates are not known: the 12014 stays
    unexplained (exit 4) rather than blamed on a missing certificate."""
    ticket = TICKETS / "exchange-12014-no-certificate-for-name"
    for name in ("my.txt", "Application.evtx", "services.txt"):
        (tmp_path / name).write_bytes((ticket / name).read_bytes())
    analysis = run_analysis([tmp_path])
    assert not [d for d in analysis.diagnoses if d.kind == "fault"]
    assert exit_code(analysis) == 4


def test_key_granting_network_service_is_no_fault() -> None:
    analysis = run_analysis([TICKETS / "exchange-nearmiss-key-grants-network-service"])
    assert not [d for d in analysis.diagnoses if d.kind == "fault"]
    assert exit_code(analysis) == 0


def test_names_and_wildcards() -> None:
    assert covers(("*.contoso.com",), "mail.contoso.com")
    assert not covers(("*.contoso.com",), "a.b.contoso.com")
    assert not covers(("contoso.com",), "mail.contoso.com")
    assert covers(("MAIL.contoso.com",), "mail.contoso.com")


def test_12014_read_from_an_application_log_with_the_prefilter() -> None:
    """MSExchangeTransport logs to the Application log among many other sources: the chunk
    scan finds its name (an 'MSEx' head before the pivot letter), with either engine."""
    event = transport_12014(FAILED_AT, "mail.contoso.com", "Default EX01", "mail.contoso.com")
    noise = [
        EventSpec("MSExchangeADTopology", 2080, FAILED_AT, ["noise"], channel="Application")
        for _ in range(300)
    ]
    buf = build_evtx([event, *noise], records_per_chunk=60)
    for engine in ("evtx", "python-evtx"):
        result = ReadResult("Application.evtx", "evtx")
        read_evtx_bytes(buf, result, engine)
        [found] = [e for e in result.events if e.event_id == 12014]
        assert found.provider == "MSExchangeTransport"
        assert event_fqdn(found) == "mail.contoso.com"
