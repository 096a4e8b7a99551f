"""AD FS (issue 17): the account depends on the certificate's role (token certificates: the AD
FS service account from sc qc adfssrv; SSL bindings: HTTP.sys's LocalSystem), event 133 read
from the AD FS/Admin log, AutoCertificateRollover certificates left unchecked and said so, and
KeySpec per role."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from analyzer.case import Case
from analyzer.cli.analyze_cmd import exit_code
from analyzer.knowledge.tokens import service_sid
from analyzer.model import Account, AdfsCertificate, AdfsProperty, ReadResult, Source
from analyzer.pipeline import analyse_case, run_analysis
from analyzer.readers import ReadOptions
from analyzer.readers.evtx.reader import read_evtx_bytes
from analyzer.reading import EVERY_KIND, read_paths
from analyzer.render.json import analysis_document
from analyzer.servicemap import (
    configured_certificates,
    failure_events,
    opened_by_http_sys,
    service_account,
)
from analyzer.servicemap.adfs import event_thumbprints
from fixtures.writers.evtx_writer import EventSpec, build_evtx
from fixtures.writers.tickets_adfs import (
    ADFSSRV_SID,
    FAILED_AT,
    GMSA,
    SIGNING_CERT,
    SSL_CERT,
    adfs_133,
)
from tests.readers.evidence_helpers import EVIDENCE

TICKETS = EVIDENCE.parent / "tickets"


def test_fixture_sid_of_adfssrv_is_the_service_sid() -> None:
    assert service_sid("adfssrv") == ADFSSRV_SID


def test_signing_key_without_the_gmsa_is_a_fault_for_adfs_and_its_account() -> None:
    analysis = run_analysis([TICKETS / "adfs-signing-key-without-gmsa"])
    [first] = [d for d in analysis.diagnoses if d.kind == "fault"]
    assert (first.id, first.service) == ("machinekeys-permissions", "adfs")
    assert first.certificates == (SIGNING_CERT.thumbprint,)
    # the gMSA from sc qc adfssrv; its SID is not known and is not made up
    assert first.account == Account(GMSA, None, "service-config", False)
    # the ACL leaves it to a membership of the gMSA that no evidence shows: medium, and says so
    assert first.confidence == "medium"
    assert "BUILTIN\\Administrators" in first.confidence_reason
    assert "SID of CONTOSO\\gmsa_adfs$ is not known" in first.confidence_reason
    assert [s.path.rsplit("/", 1)[-1] for s in first.events] == ["AD FS-Admin.evtx"] * 2
    assert "Get-AdfsCertificate" in first.evidence[0].text
    steps = first.remediation
    assert "/save" in steps[0]
    assert '/grant "CONTOSO\\gmsa_adfs$":(R)' in steps[1]
    assert steps[-1].startswith("In an elevated PowerShell: Restart-Service adfssrv")
    assert exit_code(analysis) == 1
    document = analysis_document(analysis)
    assert document["correlation"]["services"] == ["adfs"]
    refs = document["diagnoses"][0]["references"]
    assert any("ad-fs-tshoot-certs" in r for r in refs)


def test_the_ssl_certificate_stays_an_http_sys_key_opened_as_local_system() -> None:
    results = read_paths([TICKETS / "adfs-signing-key-without-gmsa"], ReadOptions(), EVERY_KIND)
    case = Case.from_results(results)
    analysis = analyse_case(case)
    assert opened_by_http_sys(case, SSL_CERT.thumbprint)
    assert not opened_by_http_sys(case, SIGNING_CERT.thumbprint)
    ssl = [c for c in configured_certificates(case) if c.thumbprint == SSL_CERT.thumbprint]
    assert {c.role for c in ssl} == {"SSL", "Service-Communications"}
    # netsh's AD FS application id names the service of the binding
    assert {c.service for c in ssl} == {"adfs"}
    assert not [d for d in analysis.diagnoses if SSL_CERT.thumbprint in d.certificates]


def test_key_granting_nt_service_adfssrv_is_no_fault() -> None:
    analysis = run_analysis([TICKETS / "adfs-nearmiss-key-grants-adfssrv"])
    assert not [d for d in analysis.diagnoses if d.kind == "fault"]
    assert exit_code(analysis) == 0


def test_auto_rollover_certificates_are_not_checked_and_said_so() -> None:
    analysis = run_analysis([TICKETS / "adfs-nearmiss-auto-rollover"])
    assert not [d for d in analysis.diagnoses if d.kind == "fault"]
    not_checked = [n for n in analysis.not_checked if n.what.startswith("AD FS Token-")]
    assert len(not_checked) == 2
    assert all("AutoCertificateRollover is True" in n.why for n in not_checked)
    assert exit_code(analysis) == 0


def test_cng_token_signing_key_is_keyspec_not_acl() -> None:
    analysis = run_analysis([TICKETS / "adfs-signing-cng-key"])
    faults = [d for d in analysis.diagnoses if d.kind == "fault"]
    assert [(d.id, d.service, d.confidence) for d in faults] == [
        ("keyspec-signature", "adfs", "high")
    ]
    assert "KeySpec 1" in faults[0].summary


def test_no_account_is_made_up_for_adfs_without_sc_qc() -> None:
    case = Case.from_results([ReadResult("x", "adfs")])
    assert service_account(case, "adfs") is None


def test_rollover_unknown_keeps_token_certificates_checked() -> None:
    cert = AdfsCertificate("Token-Signing", SIGNING_CERT.thumbprint, source=Source("a.txt", 3))
    result = ReadResult("a.txt", "adfs")
    result.store.put(AdfsCertificate, [cert])
    result.store.put(AdfsProperty, [])
    [configured] = configured_certificates(Case.from_results([result]))
    assert configured.not_checked is None and configured.role == "Token-Signing"


def test_prefilter_reads_an_ad_fs_admin_log_whole() -> None:
    """An AD FS/Admin log's provider "AD FS" has no letter the chunk scan pivots on: the log is
    recognised by its channel and read whole, with either engine."""
    event = adfs_133(FAILED_AT, "signingToken", SIGNING_CERT.thumbprint)
    # other AD FS events of the same log (ids this tool does not want), after the 133
    noise = [
        replace(event, event_id=100 + i % 3, time=FAILED_AT + timedelta(minutes=i), level=4)
        for i in range(1, 400)
    ]
    buf = build_evtx([event, *noise], records_per_chunk=60)  # not in the newest chunk
    for engine, prefilter in (("evtx", True), ("evtx", False), ("python-evtx", True)):
        result = ReadResult("AD FS-Admin.evtx", "evtx")
        read_evtx_bytes(buf, result, engine, prefilter=prefilter)
        found = [e for e in result.events if (e.provider, e.event_id) == ("AD FS", 133)]
        assert len(found) == 1 and found[0].data["Thumbprint"] == SIGNING_CERT.thumbprint.upper()


def test_event_viewer_text_and_csv_copies_of_133_name_the_thumbprint() -> None:
    """Event Viewer's "Copy details as text" and "Save as CSV" forms (the message text as a
    public post quotes it): the thumbprint is read from the message."""
    exports = EVIDENCE / "adfs"
    paths = [exports / "adfs-133-event-viewer.txt", exports / "adfs-133-event-viewer.csv"]
    case = Case.from_results(read_paths(paths, ReadOptions(), EVERY_KIND))
    events = failure_events(case, "adfs")
    assert len(events) == 2
    assert {t for e in events for t in event_thumbprints(e)} == {SIGNING_CERT.thumbprint}


def test_prefilter_finds_ad_fs_1_601_among_other_events() -> None:
    """AD FS 1.x logged 601 as Microsoft-Windows-ADFS ("Event ID 601 - Trust Policy and
    Configuration": Section, Parameter, Thumbprint); its chunk is found by the provider scan."""
    event = EventSpec(
        "Microsoft-Windows-ADFS",
        601,
        FAILED_AT,
        ["system.web/federation", "serviceCertificate", SIGNING_CERT.thumbprint.upper()],
        level=2,
        channel="Application",
    )
    noise = [
        EventSpec("MSExchangeADTopology", 2080, FAILED_AT, ["noise"], channel="Application")
        for _ in range(300)
    ]
    buf = build_evtx([event, *noise], records_per_chunk=60)
    result = ReadResult("Application.evtx", "evtx")
    read_evtx_bytes(buf, result, "evtx")
    [found] = [e for e in result.events if e.event_id == 601]
    assert found.data["Thumbprint"] == SIGNING_CERT.thumbprint.upper()
    assert event_thumbprints(found) == (SIGNING_CERT.thumbprint,)
