"""Services: which service failed, for which account (Remote Desktop beside IIS), the
`service-cert-not-found` rule, and exit code 4 widened to a service's own failure events."""

from __future__ import annotations

from pathlib import Path

from analyzer.case import Case
from analyzer.cli.analyze_cmd import exit_code
from analyzer.model import Account, Binding, ReadResult, RegistryValue, ServiceConfig, Source
from analyzer.pipeline import analyse_case, run_analysis
from analyzer.render.json import analysis_document
from analyzer.servicemap import configured_certificates, service_account
from tests.readers.evidence_helpers import EVIDENCE
from tests.records import cert, dump, event, key, log
from tests.rules.rule_records import analyse

TICKETS = EVIDENCE.parent / "tickets"
NETWORK_SERVICE = "S-1-5-20"


def test_rdp_key_without_network_service_is_a_fault_for_rdp_and_network_service() -> None:
    analysis = run_analysis([TICKETS / "rdp-key-without-network-service"])
    first = analysis.diagnoses[0]
    assert (first.id, first.kind, first.service) == ("machinekeys-permissions", "fault", "rdp")
    assert first.account == Account(
        "NT Authority\\NetworkService", NETWORK_SERVICE, "service-config", False
    )
    assert first.confidence == "high" and first.explains_events
    # the configured hash, then the DACL that decided (the dump's SDDL line, not the header)
    assert "SSLCertificateSHA1Hash" in (first.evidence[0].quote or "")
    assert first.evidence[1].quote == "D:PAI(A;;GAGR;;;BA)(A;;GAGR;;;SY)"
    assert first.evidence[1].source.line is not None and first.evidence[1].source.line > 3
    steps = first.remediation
    assert "/save" in steps[0] and "/grant *S-1-5-20:(R)" in steps[1]
    assert steps[-1].startswith("In an elevated PowerShell: Restart-Service TermService -Force")
    assert exit_code(analysis) == 1
    document = analysis_document(analysis)
    assert document["correlation"]["services"] == ["rdp"]
    assert document["diagnoses"][0]["account"]["sid"] == NETWORK_SERVICE
    assert document["diagnoses"][0]["service"] == "rdp"


def test_near_miss_key_granting_network_service_is_no_fault() -> None:
    analysis = run_analysis([TICKETS / "rdp-nearmiss-key-grants-network-service"])
    assert not [d for d in analysis.diagnoses if d.kind == "fault"]
    assert exit_code(analysis) == 0


def test_configured_hash_absent_from_both_stores() -> None:
    analysis = run_analysis([TICKETS / "rdp-cert-not-found"])
    first = analysis.diagnoses[0]
    assert (first.id, first.kind, first.service) == ("service-cert-not-found", "fault", "rdp")
    assert first.account is None  # access is not the point
    assert "My and Remote Desktop" in first.evidence[1].text
    # the 1057 came from Event Viewer's text copy
    assert [s.path.rsplit("/", 1)[-1] for s in first.events] == ["rdp-1057.txt"]
    assert exit_code(analysis) == 1


def test_iis_diagnoses_name_iis_and_http_sys_by_the_binding() -> None:
    collection = analysis_document(run_analysis([TICKETS / "collection-s2"]))
    fault = collection["diagnoses"][0]
    assert (fault["id"], fault["service"]) == ("machinekeys-permissions", "iis")
    assert set(collection["correlation"]["services"]) == {"iis"}
    # a dump and a log without any configuration: no service is named
    demo = analysis_document(run_analysis([TICKETS / "demo-keyspec2"]))
    assert {d["service"] for d in demo["diagnoses"]} == {None}
    assert demo["correlation"]["services"] == []


def test_a_service_failure_no_rule_explains_gives_exit_code_4(tmp_path: Path) -> None:
    ticket = tmp_path / "ticket"
    ticket.mkdir()
    (ticket / "rdp-1057.txt").write_bytes(
        (TICKETS / "rdp-cert-not-found" / "rdp-1057.txt").read_bytes()
    )
    analysis = run_analysis([ticket])
    assert analysis.context.failures == 0 and analysis.context.service_failures == 1
    assert analysis.context.services == ("rdp",)
    assert not [d for d in analysis.diagnoses if d.kind == "fault"]
    assert exit_code(analysis) == 4


RDP_TCP = (
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp"
)


def rdp_hash(thumbprint: str) -> ReadResult:
    value = RegistryValue(
        RDP_TCP,
        "SSLCertificateSHA1Hash",
        "REG_BINARY",
        thumbprint.upper(),
        thumbprint,
        source=Source("ticket/rdp.txt", 3),
    )
    return ReadResult("ticket/rdp.txt", "registry", records=[value])


def test_the_account_comes_from_the_service_config_else_the_documented_default() -> None:
    empty = Case.from_results([])
    assert service_account(empty, "rdp") == Account(
        "NT AUTHORITY\\NETWORK SERVICE", NETWORK_SERVICE, "default", True
    )
    assert service_account(empty, "iis") == Account(
        "NT AUTHORITY\\SYSTEM", "S-1-5-18", "default", True
    )
    assert service_account(empty, "adfs") is None  # no documented default (issue 17)
    assert service_account(empty, "exchange") == Account(
        "NT AUTHORITY\\NETWORK SERVICE", NETWORK_SERVICE, "default", True
    )
    config = ServiceConfig("TermService", "CONTOSO\\svc-rdp", source=Source("ticket/sc.txt", 12))
    case = Case.from_results([ReadResult("ticket/sc.txt", "service-config", records=[config])])
    assert service_account(case, "rdp") == Account(
        "CONTOSO\\svc-rdp", None, "service-config", False
    )


def test_one_certificate_two_services_gives_one_diagnosis_per_service() -> None:
    www = cert(key=key(keyspec=2))
    assert www.thumbprint is not None
    binding = Binding("0.0.0.0:443", www.thumbprint, "MY", "{4dc3e181-e14b-4a21-b022-59fc669b0914}")
    results = [dump(www), log(event()), rdp_hash(www.thumbprint)]
    results.append(ReadResult("ticket/sslcert.txt", "netsh-sslcert", bindings=[binding]))
    found = [(d.id, d.service) for d in analyse(*results).diagnoses if d.id == "keyspec-signature"]
    assert found == [("keyspec-signature", "iis"), ("keyspec-signature", "rdp")]


def test_an_unreadable_configured_hash_names_no_certificate() -> None:
    www = cert()
    value = RegistryValue(
        RDP_TCP, "SSLCertificateSHA1Hash", None, "{154, 108...}", None, "get-itemproperty"
    )
    case = Case.from_results([dump(www), ReadResult("r.txt", "registry", records=[value])])
    [configured] = configured_certificates(case)
    assert (configured.service, configured.thumbprint) == ("rdp", None)
    assert not [d for d in analyse_case(case).diagnoses if d.id == "service-cert-not-found"]


def test_an_rdp_key_without_system_is_judged_for_network_service_not_system() -> None:
    rds = cert("rds", key=key(acl_sddl="D:PAI(A;;GAGR;;;BA)(A;;GR;;;NS)"))
    assert rds.thumbprint is not None
    faults = [
        d for d in analyse(dump(rds), rdp_hash(rds.thumbprint)).diagnoses if d.kind == "fault"
    ]
    assert faults == []  # NETWORK SERVICE reads it; SYSTEM's access is not TermService's question
    closed = cert("rds", key=key(acl_sddl="D:PAI(A;;GAGR;;;BA)"))
    found = [
        (d.id, d.service, d.account and d.account.sid)
        for d in analyse(dump(closed), rdp_hash(closed.thumbprint or "")).diagnoses
        if d.kind == "fault"
    ]
    assert found == [("machinekeys-permissions", "rdp", "S-1-5-20")]


def test_account_for_names_the_service_account_of_a_certificate_only_rdp_uses() -> None:
    from analyzer.correlate import correlate
    from analyzer.rulekit.accounts import account_for

    rds, www = cert("rds"), cert("www")
    case = Case.from_results([dump(rds, www), rdp_hash(rds.thumbprint or "")])
    correlation = correlate(case)
    assert account_for(case, correlation, rds) == Account(
        "NT AUTHORITY\\NETWORK SERVICE", NETWORK_SERVICE, "default", True
    )
    assert account_for(case, correlation, www).sid == "S-1-5-18"  # HTTP.sys's LocalSystem
