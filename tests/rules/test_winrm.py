"""WinRM over HTTPS (issue 17): which HTTP.sys binding is WinRM's, the account (LocalSystem,
never the WinRM service's NETWORK SERVICE), one diagnosis per service beside IIS, and
`winrm-no-suitable-certificate` for 0x80338115."""

from __future__ import annotations

from dataclasses import replace

from analyzer.case import Case
from analyzer.cli.analyze_cmd import exit_code
from analyzer.model import (
    Account,
    Binding,
    Certificate,
    Collection,
    ReadResult,
    ServiceConfig,
    Source,
    WinRmCommandError,
    WinRmListener,
)
from analyzer.pipeline import run_analysis
from analyzer.render.json import analysis_document
from analyzer.rules.winrm_no_suitable_certificate import (
    host_names,
    host_need,
    plans,
    self_signed_need,
)
from analyzer.servicemap import configured_certificates, services_of
from analyzer.servicemap.httpsys import binding_service
from tests.readers.evidence_helpers import EVIDENCE
from tests.records import cert, dump, event, key, log
from tests.rules.rule_records import analyse, by_id

TICKETS = EVIDENCE.parent / "tickets"
SYSTEM = Account("NT AUTHORITY\\SYSTEM", "S-1-5-18", "default", True)
WINRM_APP_ID = "{afebb9ad-9b97-4a91-9ab5-daf4d59122f6}"
IIS_APP_ID = "{4dc3e181-e14b-4a21-b022-59fc669b0914}"


def listener(thumbprint: str | None, port: int | None = 5986, **fields: object) -> WinRmListener:
    base: dict[str, object] = {
        "address": "*",
        "transport": "HTTPS",
        "port": port,
        "hostname": "web01.contoso.com",
        "enabled": True,
        "certificate_thumbprint": thumbprint,
        "source": Source("listener.txt", 8),
    }
    base.update(fields)
    return WinRmListener(**base)  # type: ignore[arg-type]


def winrm_input(*records: object) -> ReadResult:
    return ReadResult("listener.txt", "winrm", records=records)


def netsh_binding(endpoint: str, thumbprint: str, app_id: str | None) -> Binding:
    return Binding(endpoint, thumbprint, "MY", app_id, source=Source("sslcert.txt", 4))


def error(hostname: str | None = None) -> WinRmCommandError:
    return WinRmCommandError(
        "0x80338115",
        "Cannot create a WinRM listener on HTTPS because this machine does not have an "
        "appropriate certificate.",
        "winrm quickconfig -transport:https",
        hostname,
        Source("quickconfig.txt", 10),
    )


# --------------------------------------------------------------------------- which service


def test_binding_service_by_application_id_or_by_the_listener() -> None:
    tp = "ab" * 20
    assert binding_service(netsh_binding("0.0.0.0:5986", tp, WINRM_APP_ID)) == "winrm"
    assert binding_service(netsh_binding("0.0.0.0:443", tp, IIS_APP_ID)) == "iis"
    other = netsh_binding("0.0.0.0:5986", tp, "{00112233-4455-6677-8899-aabbccddeeff}")
    assert binding_service(other) == "http.sys"
    # another application id, but the listener names this certificate on this port
    assert binding_service(other, frozenset({(tp, 5986)})) == "winrm"
    assert binding_service(other, frozenset({(tp, 5987)})) == "http.sys"


def test_listener_and_its_binding_are_one_service() -> None:
    web = cert("web01")
    case = Case.from_results(
        [
            dump(web),
            ReadResult(
                "sslcert.txt",
                "netsh-sslcert",
                bindings=[netsh_binding("0.0.0.0:5986", web.thumbprint or "", None)],
            ),
            winrm_input(listener(web.thumbprint)),
        ]
    )
    assert [c.service for c in configured_certificates(case)] == ["winrm", "winrm"]
    assert services_of(case, web.thumbprint or "") == ("winrm",)


def test_a_broken_winrm_key_is_read_by_system_not_by_the_winrm_service_account() -> None:
    web = cert("web01", key=key(exportable=False, state="failed", tests=("encryption-failed",)))
    sc_qc = ReadResult(
        "services.txt",
        "service-config",
        records=[ServiceConfig("WinRM", "NT AUTHORITY\\NetworkService")],
    )
    analysis = analyse(dump(web), winrm_input(listener(web.thumbprint)), sc_qc, log(event()))
    (broken,) = by_id(analysis, "non-exportable-broken-keyset")
    assert broken.service == "winrm" and broken.kind == "fault"
    assert broken.account == SYSTEM


def test_winrm_key_broken_ticket() -> None:
    analysis = run_analysis([TICKETS / "winrm-key-broken"])
    first = analysis.diagnoses[0]
    assert (first.id, first.kind, first.service) == (
        "non-exportable-broken-keyset",
        "fault",
        "winrm",
    )
    # the copied 36870 names its SSPI client process, SYSTEM (PID: 4): HTTP.sys, for WinRM
    assert first.account == Account("NT AUTHORITY\\SYSTEM", "S-1-5-18", "event", False)
    assert first.explains_events
    assert analysis.context.service == "HTTP.sys (WinRM)"
    assert exit_code(analysis) == 1
    assert analysis_document(analysis)["correlation"]["services"] == ["winrm"]


def test_iis_and_winrm_failures_on_one_machine_get_one_diagnosis_per_service() -> None:
    analysis = run_analysis([TICKETS / "iis-and-winrm-same-machine"])
    faults = [d for d in analysis.diagnoses if d.kind == "fault"]
    by_service = {d.service: d for d in faults}
    assert sorted(by_service) == ["iis", "winrm"] and len(faults) == 2
    iis, winrm = by_service["iis"], by_service["winrm"]
    assert iis.id == "machinekeys-permissions" and winrm.id == "non-exportable-broken-keyset"
    assert iis.certificates != winrm.certificates
    assert len(iis.certificates) == len(winrm.certificates) == 1
    assert iis.account is not None and winrm.account is not None
    assert iis.account.sid == winrm.account.sid == "S-1-5-18"
    # each names its own certificate: the site's on 443, the listener's on 5986
    bound = {b.endpoint: b.certificate_hash for b in analysis.bindings}
    assert bound["0.0.0.0:443"] == iis.certificates[0]
    assert bound["0.0.0.0:5986"] == winrm.certificates[0]
    assert analysis_document(analysis)["correlation"]["services"] == ["iis", "winrm"]
    assert analysis.context.service == "HTTP.sys (IIS, WinRM)"


def test_near_miss_healthy_listener_beside_an_old_self_signed_certificate() -> None:
    analysis = run_analysis([TICKETS / "winrm-nearmiss-healthy-listener"])
    assert not [d for d in analysis.diagnoses if d.kind == "fault"]
    assert not by_id(analysis, "winrm-no-suitable-certificate")
    assert exit_code(analysis) == 0


# --------------------------------------------------------------------------- 0x80338115


def test_quickconfig_ticket_names_the_unmet_need_of_each_certificate() -> None:
    analysis = run_analysis([TICKETS / "winrm-quickconfig-no-certificate"])
    (found,) = by_id(analysis, "winrm-no-suitable-certificate")
    assert found.kind == "fault" and found.service == "winrm" and found.confidence == "high"
    verdicts = [e.text for e in found.evidence if e.text.startswith("CN=")]
    assert len(verdicts) == 4
    assert "unmet: not self-signed: Issuer = Subject" in verdicts[0]
    assert "unmet: Server Authentication" in verdicts[1] and "1.3.6.1.5.5.7.3.2" in verdicts[1]
    assert "unmet: validity: expired" in verdicts[2]
    assert "unmet: host name" in verdicts[3] and "web01.contoso.com" in verdicts[3]
    # each verdict names only its own unmet need
    assert all(v.count("unmet") == 1 for v in verdicts)
    assert any("host name web01.contoso.com" in e.text for e in found.evidence)
    assert exit_code(analysis) == 1


def test_near_miss_error_then_listener_is_an_advisory() -> None:
    analysis = run_analysis([TICKETS / "winrm-nearmiss-error-then-listener"])
    (found,) = by_id(analysis, "winrm-no-suitable-certificate")
    assert found.kind == "advisory"
    assert "earlier attempt" in found.summary
    assert exit_code(analysis) == 0


def test_no_host_name_in_the_evidence_is_not_known() -> None:
    case = Case.from_results([dump(cert("web01")), winrm_input(error())])
    assert host_names(case, [error()]) == []
    need = host_need(cert("web01"), [])
    assert need.state == "not known"
    analysis = analyse(dump(cert("web01")), winrm_input(error()))
    (found,) = by_id(analysis, "winrm-no-suitable-certificate")
    assert "host name: not known" in (found.evidence[1].quote or "")


def test_host_name_from_the_failed_command_first_and_wildcards_not_known() -> None:
    case = Case.from_results(
        [
            dump(cert("web01")),
            winrm_input(error("WEB01.contoso.com")),
            log(event()),
            ReadResult(
                "manifest.json",
                "collection",
                records=[Collection("OTHER", None, None, None, None, None, None)],
            ),
        ]
    )
    names = [h.name for h in host_names(case, [error("WEB01.contoso.com")])]
    assert names[0] == "web01.contoso.com" and "iis01" in names and "other" in names
    wildcard = cert("web01", subject="CN=*.contoso.com", san=("DNS Name=*.contoso.com",))
    hosts = host_names(case, [error("web01.contoso.com")])[:1]
    assert host_need(wildcard, hosts).state == "not known"
    short = cert("web01", subject="CN=web01", san=())
    assert host_need(short, hosts).state == "not known"
    assert host_need(cert("intranet"), hosts).state == "unmet"
    assert host_need(cert("web01"), hosts).state == "met"


def test_self_signed_is_issuer_equal_to_subject() -> None:
    same = cert("web01", issuer="CN=web01.contoso.com")
    assert self_signed_need(same).state == "unmet"
    assert self_signed_need(cert("web01")).state == "met"
    assert self_signed_need(Certificate(0, "my", False, "aa" * 20)).state == "not known"


def test_certificates_of_other_stores_are_not_judged() -> None:
    root = cert("root", store="root", issuer="CN=root.contoso.com")
    analysis = analyse(dump(cert("web01"), root), winrm_input(error("web01.contoso.com")))
    (found,) = by_id(analysis, "winrm-no-suitable-certificate")
    assert [e for e in found.evidence if "root.contoso.com" in e.text] == []
    # web01 meets every need shown: the summary says the dump cannot show which one is missed
    assert "shows no unmet need" in found.summary


def test_the_fix_quotes_the_host_name_or_refuses_it() -> None:
    quickconfig, create, new_item = plans("web01.contoso.com")
    steps = [s.text for s in create.steps]
    assert (
        'winrm create winrm/config/Listener?Address=*+Transport=HTTPS @{Hostname="web01.contoso.com";'
        'CertificateThumbprint="<new thumbprint>"}' in steps
    )
    assert any("-HostName 'web01.contoso.com'" in s.text for s in new_item.steps)
    assert any(s.text == "winrm quickconfig -transport:https" for s in quickconfig.steps)
    # a host name from a hostile file never reaches a command: the placeholder does
    hostile = error('x" & del /q C:\\*  "')
    analysis = analyse(dump(cert("web01")), winrm_input(hostile))
    (found,) = by_id(analysis, "winrm-no-suitable-certificate")
    commands = [s.text for p in found.remediation_plans for s in p.steps]
    assert not any("del /q" in c for c in commands)
    assert any('Hostname="<host name>"' in c for c in commands)


def test_no_dump_says_what_to_attach() -> None:
    analysis = analyse(winrm_input(error()))
    (found,) = by_id(analysis, "winrm-no-suitable-certificate")
    assert "certutil -v -store my" in found.summary and found.certificates == ()


def test_winrm_plans_name_the_listener_and_iis_plans_keep_iis_manager() -> None:
    analysis = run_analysis([TICKETS / "iis-and-winrm-same-machine"])
    by_service = {d.service: d for d in analysis.diagnoses if d.kind == "fault"}
    winrm_steps = [s.text for p in by_service["winrm"].remediation_plans for s in p.steps]
    assert not any("IIS Manager, edit the site's https binding" in s for s in winrm_steps)
    thumbprint = by_service["winrm"].certificates[0]
    assert any(
        s.startswith("winrm enumerate winrm/config/listener") and thumbprint in s
        for s in winrm_steps
    )
    # a new certificate: the listener is pointed at it
    assert any(s.startswith("winrm set winrm/config/Listener?") for s in winrm_steps)
    assert by_service["winrm"].remediation == tuple(
        s.text for s in by_service["winrm"].remediation_plans[0].steps
    )
    iis_steps = [s.text for p in by_service["iis"].remediation_plans for s in p.steps]
    assert not any(s.startswith("winrm ") for s in iis_steps)


def test_a_certificate_without_a_private_key_is_not_suitable() -> None:
    keyless = cert("web01", key=None)
    analysis = analyse(dump(keyless), winrm_input(error("web01.contoso.com")))
    (found,) = by_id(analysis, "winrm-no-suitable-certificate")
    (verdict,) = [e.text for e in found.evidence if e.text.startswith("CN=")]
    assert verdict.endswith("unmet: private key: the dump shows no private key for it")
    assert "misses at least one need" in found.summary


def test_a_winrm_fault_names_winrm_but_takes_no_http_sys_failure() -> None:
    """0x80338115 says WinRM has no HTTPS listener: a 36870 of HTTP.sys beside it is not
    WinRM's, so a key fault explaining it is not given service winrm."""
    web = cert("www", key=key(exportable=False, state="failed", tests=("encryption-failed",)))
    system = replace(event(), sspi_process="SYSTEM (PID: 4)")
    analysis = analyse(dump(web), winrm_input(error("web01.contoso.com")), log(system))
    assert analysis.context.services == ("http.sys", "winrm")
    (broken,) = by_id(analysis, "non-exportable-broken-keyset")
    assert broken.service is None
