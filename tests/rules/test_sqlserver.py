"""SQL Server (service ``sqlserver``): the five fixture tickets, the instance's account and its
service SID, the configured certificate from the registry and from the ERRORLOG, a certificate
in a user store, exit code 4 from ERRORLOG lines alone, and the strict-service hook."""

from __future__ import annotations

from pathlib import Path

from analyzer.case import Case
from analyzer.cli.analyze_cmd import exit_code
from analyzer.correlate import correlate
from analyzer.inputs.files import InputFile
from analyzer.knowledge.tokens import service_sid
from analyzer.model import (
    Account,
    ReadResult,
    RegistryValue,
    ServiceConfig,
    Source,
    SqlCertificateEvent,
    SqlServerStart,
)
from analyzer.pipeline import run_analysis
from analyzer.readers import ReadOptions
from analyzer.readers.evidence.registry import read_registry
from analyzer.render.json import analysis_document
from analyzer.rulekit.services import strict_service
from analyzer.servicemap import configured_certificates, service_account
from analyzer.servicemap.sqlserver import instance_of_key, thumbprint_of
from tests.readers.evidence_helpers import EVIDENCE
from tests.records import cert, dump, key
from tests.rules.rule_records import analyse

TICKETS = EVIDENCE.parent / "tickets"
# Published for NT SERVICE\MSSQLSERVER (Microsoft's service-account pages and many posts).
PUBLISHED_MSSQLSERVER_SID = "S-1-5-80-3880718306-3832830129-1677859214-2598158968-1052248003"
NETLIB = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\{}\\MSSQLServer\\SuperSocketNetLib"


def registry(instance_id: str, data: str) -> ReadResult:
    value = RegistryValue(
        NETLIB.format(instance_id), "Certificate", "REG_SZ", data, source=Source("sql.txt", 4)
    )
    return ReadResult("sql.txt", "registry", records=[value])


def errorlog(*events: SqlCertificateEvent, account: str | None = None) -> ReadResult:
    start = SqlServerStart(
        "Microsoft SQL Server 2019 (RTM-CU25)", "SQL01", "MSSQLSERVER", account, 4412, None
    )
    return ReadResult("ERRORLOG", "sql-errorlog", records=[start, *events])


def line(number: int, thumbprint: str | None = None, at: int = 24) -> SqlCertificateEvent:
    return SqlCertificateEvent(
        number,
        "2025-06-03 16:07:04.31",
        "Server",
        f"message {number}",
        thumbprint,
        instance="MSSQLSERVER",
        source=Source("ERRORLOG", at),
    )


def test_the_computed_service_sid_is_the_published_one() -> None:
    assert service_sid("MSSQLSERVER") == PUBLISHED_MSSQLSERVER_SID
    assert service_sid("mssqlserver") == PUBLISHED_MSSQLSERVER_SID  # the SCM upper-cases it


def test_key_closed_to_nt_service_mssqlserver() -> None:
    analysis = run_analysis([TICKETS / "sql-key-closed-to-service"])
    first = analysis.diagnoses[0]
    assert (first.id, first.kind, first.service) == (
        "machinekeys-permissions",
        "fault",
        "sqlserver",
    )
    assert first.account == Account(
        "NT Service\\MSSQLSERVER", PUBLISHED_MSSQLSERVER_SID, "service-log", False
    )
    assert first.explains_events and first.confidence == "high"
    assert "SQL Server (MSSQLSERVER)" in first.title
    steps = first.remediation
    assert "/save" in steps[0] and f"/grant *{PUBLISHED_MSSQLSERVER_SID}:(R)" in steps[1]
    assert steps[-1].startswith("In an elevated PowerShell: Restart-Service -Name 'MSSQLSERVER'")
    assert any("event-id-33565" in r for r in first.references)
    # the 26010 and 33565 lines of the ERRORLOG are the failures it explains
    assert {s.path.rsplit("/", 1)[-1] for s in first.events} == {"ERRORLOG"}
    document = analysis_document(analysis)
    assert document["diagnoses"][0]["account"]["sid"] == PUBLISHED_MSSQLSERVER_SID
    assert document["correlation"]["services"] == ["sqlserver"]
    assert document["correlation"]["service_failures"] == 2
    assert exit_code(analysis) == 1


def test_keyspec2_on_the_configured_certificate_ends_at_sql_server() -> None:
    analysis = run_analysis([TICKETS / "sql-keyspec2"])
    first = analysis.diagnoses[0]
    assert (first.id, first.kind, first.service) == ("keyspec-signature", "fault", "sqlserver")
    assert first.explains_events
    assert first.references[0].endswith("/certificate-requirements")
    for plan in first.remediation_plans:
        texts = [s.text for s in plan.steps]
        assert not any("IIS Manager" in t for t in texts)
        assert "Restart-Service -Name 'MSSQLSERVER'" in texts[-1]
    # the re-import keeps the service SID's read grant the old key had
    assert any(
        f"*{PUBLISHED_MSSQLSERVER_SID}:(R)" in s.text for s in first.remediation_plans[0].steps
    )
    # a new certificate is selected for the instance before the restart
    assert "SQL Server Configuration Manager" in first.remediation_plans[-1].steps[-2].text
    assert not [d for d in analysis.diagnoses if d.id == "machinekeys-permissions"]
    assert exit_code(analysis) == 1


def test_named_instance_uses_its_own_account_sid_and_service() -> None:
    analysis = run_analysis([TICKETS / "sql-named-instance"])
    first = analysis.diagnoses[0]
    assert (first.id, first.service) == ("machinekeys-permissions", "sqlserver")
    sid = service_sid("MSSQL$SALES")
    assert first.account == Account("NT Service\\MSSQL$SALES", sid, "service-config", False)
    assert sid != PUBLISHED_MSSQLSERVER_SID
    assert "SQL Server (MSSQL$SALES)" in first.title
    assert first.remediation[-1].startswith(
        "In an elevated PowerShell: Restart-Service -Name 'MSSQL$SALES'"
    )
    # the Application log's MSSQL$SALES 26010 / 33565 (not its 17182) are the failures
    assert [s.record for s in first.events] == [2, 3]
    assert analysis.context.service_failures == 2
    assert exit_code(analysis) == 1


def test_healthy_26013_start_is_no_fault() -> None:
    analysis = run_analysis([TICKETS / "sql-healthy-26013"])
    assert not [d for d in analysis.diagnoses if d.kind == "fault"]
    assert analysis.context.services == ("sqlserver",)
    assert analysis.context.service_failures == 0
    assert exit_code(analysis) == 0


def test_hash_absent_from_the_store() -> None:
    analysis = run_analysis([TICKETS / "sql-cert-not-found"])
    first = analysis.diagnoses[0]
    assert (first.id, first.kind, first.service) == ("service-cert-not-found", "fault", "sqlserver")
    assert first.confidence == "high" and first.explains_events
    texts = [s.text for p in first.remediation_plans for s in p.steps]
    assert not any("Remote Desktop" in t or "RDP-Tcp" in t for t in texts)
    assert any("Manage Private Keys > add NT Service\\MSSQLSERVER" in t for t in texts)
    assert not any(t.startswith("certutil -delstore") for t in texts)  # nothing is deleted
    assert exit_code(analysis) == 1


def test_a_certificate_in_a_user_store_is_no_user_profile_fault_and_lowers_confidence() -> None:
    sql = cert("sql01", user_store=True, key=key(machine_keyset=False, flags=0))
    assert sql.thumbprint is not None
    other = cert("intranet")
    analysis = analyse(
        dump(other), dump(sql, path="user-my.txt"), registry("MSSQL15.MSSQLSERVER", sql.thumbprint)
    )
    assert "key-in-user-profile" not in [d.id for d in analysis.diagnoses]
    [found] = [d for d in analysis.diagnoses if d.id == "service-cert-not-found"]
    assert found.confidence == "medium" and "service account's own store" in found.confidence_reason


def test_instances_registry_values_and_default_accounts() -> None:
    assert instance_of_key(NETLIB.format("MSSQL16.MSSQLSERVER")) == "MSSQLSERVER"
    assert instance_of_key(NETLIB.format("MSSQL15.Sales") + "\\") == "SALES"
    assert instance_of_key(NETLIB.format("MSSQL15.SALES\\Other")) is None
    assert instance_of_key("HKEY_LOCAL_MACHINE\\SOFTWARE\\Other") is None
    assert thumbprint_of("\u200eD1F7CE51B5E046A25705A8D6BB33F8AB4DFCEB15") == (
        "d1f7ce51b5e046a25705a8d6bb33f8ab4dfceb15"
    )
    assert thumbprint_of("d1 f7 ce") is None
    empty = Case.from_results([])
    assert service_account(empty, "sqlserver") == Account(
        "NT SERVICE\\MSSQLSERVER", PUBLISHED_MSSQLSERVER_SID, "default", True
    )
    assert service_account(empty, "sqlserver", "SALES") == Account(
        "NT SERVICE\\MSSQL$SALES", service_sid("MSSQL$SALES"), "default", True
    )
    config = ServiceConfig("MSSQL$SALES", "CONTOSO\\svc-sql", source=Source("sc.txt", 12))
    case = Case.from_results([ReadResult("sc.txt", "service-config", records=[config])])
    assert service_account(case, "sqlserver", "SALES") == Account(
        "CONTOSO\\svc-sql", None, "service-config", False
    )
    # the default instance's account is not the named one's
    assert service_account(case, "sqlserver").source == "default"  # type: ignore[union-attr]


def test_an_empty_certificate_value_configures_nothing_and_the_errorlog_hash_does() -> None:
    sql = cert("sql01")
    assert sql.thumbprint is not None
    assert configured_certificates(Case.from_results([registry("MSSQL15.MSSQLSERVER", "")])) == ()
    case = Case.from_results([errorlog(line(26014, sql.thumbprint))])
    [configured] = configured_certificates(case)
    assert (configured.service, configured.instance, configured.thumbprint) == (
        "sqlserver",
        "MSSQLSERVER",
        sql.thumbprint,
    )
    assert configured.evidence.source == Source("ERRORLOG", 24)
    # the registry value of that instance, when attached, is the configuration
    both = Case.from_results(
        [
            errorlog(line(26014, sql.thumbprint)),
            registry("MSSQL15.MSSQLSERVER", cert("new").thumbprint or ""),
        ]
    )
    assert [c.thumbprint for c in configured_certificates(both)] == [cert("new").thumbprint]


def test_errorlog_failures_alone_give_exit_code_4(tmp_path: Path) -> None:
    ticket = tmp_path / "ticket"
    ticket.mkdir()
    source = TICKETS / "sql-key-closed-to-service" / "ERRORLOG"
    (ticket / "ERRORLOG").write_bytes(source.read_bytes())
    analysis = run_analysis([ticket])
    assert analysis.context.failures == 0 and analysis.context.service_failures == 2
    assert analysis.context.services == ("sqlserver",)
    assert "SQL Server (MSSQLSERVER)" in analysis.context.service
    assert not [d for d in analysis.diagnoses if d.kind == "fault"]
    assert exit_code(analysis) == 4


def test_sql_server_is_strict_only_without_an_http_sys_service_beside_it() -> None:
    sql = errorlog(line(26014, cert("sql01").thumbprint))
    assert strict_service(correlate(Case.from_results([sql]))) is not None
    assert strict_service(correlate(Case.from_results([]))) is None


def test_an_expired_configured_certificate_is_a_fault_only_when_sql_server_logged_a_failure() -> (
    None
):
    expired = cert(
        "sql01",
        not_before="1/14/2023 9:12 AM",
        not_after="1/14/2025 9:22 AM",
        valid_from="2023-01-14T09:12:00",
        valid_to="2025-01-14T09:22:00",
    )
    assert expired.thumbprint is not None
    config = registry("MSSQL15.MSSQLSERVER", expired.thumbprint.upper())
    failed = analyse(dump(expired), config, errorlog(line(26014, expired.thumbprint)))
    [found] = [d for d in failed.diagnoses if d.id == "certificate-expired"]
    assert (found.kind, found.service, found.explains_events) == ("fault", "sqlserver", True)
    assert found.events == (Source("ERRORLOG", 24),)
    assert "Restart-Service -Name 'MSSQLSERVER'" in found.remediation[-1]
    # loaded (26013) or no log at all: SQL Server checks the dates when it is configured only
    for quiet in (errorlog(line(26013, expired.thumbprint)), errorlog()):
        analysis = analyse(dump(expired), config, quiet)
        assert not [
            d for d in analysis.diagnoses if d.id == "certificate-expired" and d.kind == "fault"
        ]


KSP = "Microsoft Software Key Storage Provider"


def test_a_cng_key_on_sql_servers_certificate_is_an_advisory_unless_it_was_loaded() -> None:
    sql = cert("sql01", key=key(provider=KSP, provider_type=0, provider_class="ksp", keyspec=0))
    assert sql.thumbprint is not None
    config = registry("MSSQL15.MSSQLSERVER", sql.thumbprint)
    failed = analyse(dump(sql), config, errorlog(line(26014, sql.thumbprint)))
    [found] = [d for d in failed.diagnoses if d.id == "sql-cng-key"]
    assert (found.kind, found.confidence, found.service) == ("advisory", "medium", "sqlserver")
    assert found.references[0].endswith("/certificate-requirements")
    for plan in found.remediation_plans:
        texts = [s.text for s in plan.steps]
        assert not any("IIS Manager" in t for t in texts)
        assert "Restart-Service -Name 'MSSQLSERVER'" in texts[-1]
    assert any("AT_KEYEXCHANGE" in s.text for s in found.remediation_plans[0].steps)
    quiet = analyse(dump(sql), config)
    assert [d.confidence for d in quiet.diagnoses if d.id == "sql-cng-key"] == ["low"]
    loaded = analyse(dump(sql), config, errorlog(line(26013, sql.thumbprint)))
    assert not [d for d in loaded.diagnoses if d.id == "sql-cng-key"]
    # a CSP key, or a certificate SQL Server is not configured with: nothing
    assert not [d for d in analyse(dump(sql)).diagnoses if d.id == "sql-cng-key"]


def test_an_application_log_event_names_the_instance_and_its_certificate() -> None:
    """An Event Viewer copy keeps no event data: the hash comes from the message; the instance
    from the source (MSSQL$SALES), so its default account is judged."""
    from analyzer.model import Event

    sales = cert("sql02")
    assert sales.thumbprint is not None
    copied = Event(
        provider="MSSQL$SALES",
        event_id=33565,
        time="2025-06-03T14:07:04.000000Z",
        record_id=None,
        computer="SQL02",
        level=2,
        role=None,
        data={},
        channel="Application",
        message=f'Found the certificate [Cert Hash(sha1) "{sales.thumbprint.upper()}"] in the '
        "local computer store but the SQL Server service account does not have access to it.",
        source=Source("app.txt", 14),
    )
    results = [dump(sales), ReadResult("app.txt", "evtx-text", events=[copied])]
    [configured] = configured_certificates(Case.from_results(results))
    assert (configured.instance, configured.thumbprint) == ("SALES", sales.thumbprint)
    [found] = [d for d in analyse(*results).diagnoses if d.kind == "fault"]
    assert (found.id, found.service) == ("machinekeys-permissions", "sqlserver")
    assert found.account == Account(
        "NT SERVICE\\MSSQL$SALES", service_sid("MSSQL$SALES"), "default", True
    )
    assert found.events == (Source("app.txt", 14),) and found.explains_events


def test_get_itemproperty_of_supersocketnetlib_configures_the_instance(tmp_path: Path) -> None:
    ticket = tmp_path / "ticket"
    ticket.mkdir()
    key = NETLIB.format("MSSQL16.MSSQLSERVER")
    (ticket / "netlib.txt").write_text(
        f"PS C:\\> Get-ItemProperty '{key.replace('HKEY_LOCAL_MACHINE', 'HKLM:')}'\n\n"
        "Certificate      : D1F7CE51B5E046A25705A8D6BB33F8AB4DFCEB15\n"
        "ForceEncryption  : 1\n"
        f"PSPath           : Microsoft.PowerShell.Core\\Registry::{key}\n"
        "PSChildName      : SuperSocketNetLib\n",
        encoding="utf-8",
    )
    analysis = run_analysis([ticket])
    assert analysis.context.services == ("sqlserver",)
    [read] = read_registry(InputFile.from_path(ticket / "netlib.txt"), ReadOptions()).records(
        RegistryValue
    )[:1]
    case = Case.from_results([ReadResult("netlib.txt", "registry", records=[read])])
    [configured] = configured_certificates(case)
    assert (configured.instance, configured.thumbprint) == (
        "MSSQLSERVER",
        "d1f7ce51b5e046a25705a8d6bb33f8ab4dfceb15",
    )
    both = read_registry(InputFile.from_path(ticket / "netlib.txt"), ReadOptions())
    [configured] = configured_certificates(Case.from_results([both]))
    assert "ForceEncryption 1" in configured.evidence.text


def test_the_restart_step_quotes_the_service_name_for_powershell() -> None:
    from analyzer.rulekit.service_keys import restart_step

    assert "Restart-Service -Name 'MSSQL$SALES' -Force" in restart_step("sqlserver", "sales").text
    assert "-Name 'MSSQL$O''BRIEN' -Force" in restart_step("sqlserver", "O'Brien").text
    assert "-Name 'MSSQLSERVER' -Force" in restart_step("sqlserver", None).text
    assert instance_of_key(NETLIB.format("MSSQL15." + "X" * 80)) is None
