"""Replies, reports and terminal summaries speak the ticket's service: a SQL Server, WinRM, AD FS
or Exchange ticket is titled by its service and the failure logged, and asks for what that
service's evidence lacks, with exact commands; an IIS ticket keeps the SSL binding wording."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from analyzer.model import Analysis
from analyzer.pipeline import run_analysis
from analyzer.render.html import render_report
from analyzer.render.markdown import render_markdown
from analyzer.render.terminal import summary
from analyzer.render.wording import IIS_FAILURE, failure_wording

TICKETS = Path(__file__).resolve().parents[2] / "fixtures" / "tickets"


def _terminal(analysis: Analysis) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(summary(analysis))
    return out.getvalue()


def _asks(analysis: Analysis) -> dict[str, str]:
    return {item.what: item.command for item in analysis.ask_for}


def _all(ticket: str) -> Analysis:
    return run_analysis([TICKETS / ticket])


def _files(ticket: str, *names: str) -> Analysis:
    return run_analysis([TICKETS / ticket / name for name in names])


# ----------------------------------------------------------------------------- titles


@pytest.mark.parametrize(
    ("ticket", "title", "fact"),
    [
        (
            "sql-cert-not-found",
            "SQL Server certificate failure (ERRORLOG 26014)",
            "- Failures in the files: `ERRORLOG 26014`: 1",
        ),
        (
            "sql-named-instance",
            "SQL Server certificate failure (SQL Server 26010 / SQL Server 33565)",
            "- Service: SQL Server (MSSQL$SALES)",
        ),
        (
            "winrm-quickconfig-no-certificate",
            "WinRM HTTPS listener certificate failure (winrm 0x80338115)",
            "- Failures in the files: `winrm 0x80338115`: 1",
        ),
        (
            "adfs-signing-key-without-gmsa",
            "AD FS certificate failure (AD FS 133)",
            "- Failures in the files: `AD FS 133`: 2",
        ),
        (
            "exchange-12014-no-certificate-for-name",
            "Exchange Transport certificate failure (Exchange 12014)",
            "- Service: Exchange Transport",
        ),
    ],
)
def test_reply_report_and_summary_name_the_service_and_its_failure(
    ticket: str, title: str, fact: str
) -> None:
    analysis = _all(ticket)
    reply = render_markdown(analysis)
    lines = reply.splitlines()
    assert lines[0] == f"## certtriage: {title}"
    assert "0x80070520" not in reply and "SSL binding failure" not in reply
    assert fact in lines
    html = render_report(analysis)
    assert f'<p class="failure-title">{title}</p>' in html
    assert "Certificate selected in IIS" not in html and "Binding failed at" not in html
    assert "faults that explain the failures logged first" in html
    shown = _terminal(analysis)
    assert title in shown
    assert "service: " in shown


@pytest.mark.parametrize("ticket", ["s2-icacls", "demo-keyspec2", "expired-bound-httpsys"])
def test_an_iis_ticket_keeps_the_binding_wording(ticket: str) -> None:
    analysis = _all(ticket)
    wording = failure_wording(analysis)
    assert wording.about_binding and wording.title == IIS_FAILURE
    reply = render_markdown(analysis)
    assert reply.startswith("## certtriage: SSL binding failure (0x80070520 / Schannel 36870)\n")
    assert "- Service:" not in reply
    html = render_report(analysis)
    assert f'<p class="failure-title">{IIS_FAILURE}</p>' in html
    assert "faults that explain the Schannel 36870 events first" in html
    assert "Binding failed at (--at)" in html
    for item in analysis.ask_for:
        assert "SQL Server" not in item.what and "AD FS" not in item.what
        if "CAPI2" in item.what:
            assert item.what.endswith("while the binding is added again")
    assert IIS_FAILURE not in _terminal(analysis)  # the terminal says it only for other services


def test_triage_service_column_names_services_without_a_36870() -> None:
    from analyzer.triage.job import failure_facts

    assert failure_facts(_all("adfs-signing-key-without-gmsa"))["service"] == "AD FS"
    assert failure_facts(_all("exchange-12014-no-certificate-for-name"))["service"] == (
        "Exchange Transport"
    )
    assert failure_facts(_all("winrm-quickconfig-no-certificate"))["service"] == (
        "WinRM (HTTP.sys)"
    )
    assert failure_facts(_all("sql-named-instance"))["service"] == "SQL Server (MSSQL$SALES)"
    assert failure_facts(_all("s2-icacls"))["service"] is None  # not known: empty, as before


# ----------------------------------------------------------------------------- asks


def test_sql_server_asks_for_its_errorlog_certificate_setting_and_service() -> None:
    no_errorlog = _asks(_files("sql-cert-not-found", "my.txt", "sql-certificate.txt"))
    errorlog = next(c for w, c in no_errorlog.items() if "ERRORLOG" in w)
    assert errorlog.startswith("(") and "-e startup parameter" in errorlog
    assert no_errorlog["the account SQL Server's service runs as"] == "sc qc MSSQLSERVER"
    assert not any("reg query" in c for c in no_errorlog.values())  # the setting is attached
    assert not any("HTTP.sys SSL bindings" in w for w in no_errorlog)  # SQL Server has none

    no_setting = _asks(_files("sql-cert-not-found", "my.txt", "ERRORLOG"))
    assert no_setting["the certificate each SQL Server instance is configured with"] == (
        'reg query "HKLM\\SOFTWARE\\Microsoft\\Microsoft SQL Server" /s /v Certificate'
    )
    assert not any("ERRORLOG" in w for w in no_setting)

    # A named instance's service, quoted for cmd ($ is no plain word); the instance that has no
    # certificate configured is not asked about.
    named = _asks(_files("sql-named-instance", "Application.evtx", "my.txt", "sql-certificate.txt"))
    assert named["the account SQL Server's service runs as"] == 'sc qc "MSSQL$SALES"'
    assert not any("ERRORLOG" in w for w in named)  # its Application events are the failures
    reply = render_markdown(
        _files("sql-named-instance", "Application.evtx", "my.txt", "sql-certificate.txt")
    )
    assert '```bat\nsc qc "MSSQL$SALES"\n```' in reply
    assert "CAPI2 Operational log while the SQL Server service is restarted" in reply


def test_sql_server_ask_quotes_a_hostile_instance_name(tmp_path: Path) -> None:
    hostile = tmp_path / "sql-certificate.txt"
    hostile.write_text(
        'C:\\>reg query "HKLM\\SOFTWARE\\Microsoft\\Microsoft SQL Server" /s /v Certificate\n\n'
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\MSSQL15.A&calc%X%"
        "\\MSSQLServer\\SuperSocketNetLib\n"
        "    Certificate    REG_SZ    e5931c69b42763856569986c1807f32c650e5ab5\n\n"
        "End of search: 1 match(es) found.\n",
        encoding="utf-8",
    )
    asks = _asks(run_analysis([hostile]))
    command = asks["the account SQL Server's service runs as"]
    assert command == 'sc qc "MSSQL$A&CALC"^%"X"^%""'  # one argument: & and % stay literal


def test_winrm_asks_for_its_listeners_and_bindings() -> None:
    asks = _asks(_files("winrm-quickconfig-no-certificate", "quickconfig.txt", "my.txt"))
    assert asks["WinRM's listeners"] == "winrm enumerate winrm/config/listener"
    assert asks["the HTTP.sys SSL bindings"] == "netsh http show sslcert"
    whole = _asks(_all("winrm-key-broken"))  # listener and netsh attached: neither asked
    assert "WinRM's listeners" not in whole and "the HTTP.sys SSL bindings" not in whole
    capi2 = next(c for w, c in whole.items() if "CAPI2" in w)
    assert "rem now create the WinRM HTTPS listener again (or connect to it over HTTPS)" in capi2
    reply = render_markdown(_files("winrm-quickconfig-no-certificate", "quickconfig.txt"))
    assert "```bat\nwinrm enumerate winrm/config/listener\n```" in reply


def test_adfs_asks_for_its_certificates_log_and_service() -> None:
    analysis = _files("adfs-signing-key-without-gmsa", "AD FS-Admin.evtx", "my.txt")
    asks = _asks(analysis)
    cmdlets = next(c for w, c in asks.items() if w.startswith("AD FS's certificates"))
    assert cmdlets.splitlines() == [
        "Get-AdfsCertificate",
        "Get-AdfsSslCertificate | Format-List",
        "Get-AdfsProperties | Format-List AutoCertificateRollover",
    ]
    assert asks["the account the AD FS service runs as"] == "sc qc adfssrv"
    assert "the AD FS/Admin event log" not in asks  # attached
    reply = render_markdown(analysis)
    assert "```powershell\nGet-AdfsCertificate\n" in reply
    assert "the `powershell` blocks in Windows PowerShell" in reply
    assert "faults that explain" not in reply
    html = render_report(analysis)
    assert "PowerShell cmdlets (Get-...) in Windows PowerShell" in html

    no_log = _asks(
        _files("adfs-signing-key-without-gmsa", "adfs-certificates.txt", "my.txt", "services.txt")
    )
    assert no_log["the AD FS/Admin event log"] == 'wevtutil epl "AD FS/Admin" adfs-admin.evtx'
    assert not any(w.startswith("AD FS's certificates") for w in no_log)  # all three attached
    assert "the account the AD FS service runs as" not in no_log  # services.txt has adfssrv


def test_exchange_asks_for_its_certificates_log_and_transport_service() -> None:
    analysis = _files("exchange-12014-no-certificate-for-name", "Application.evtx", "my.txt")
    asks = _asks(analysis)
    certs = next(c for w, c in asks.items() if w.startswith("Exchange's certificates"))
    assert certs == "Get-ExchangeCertificate | Format-List"
    assert asks["the account the Microsoft Exchange Transport service runs as"] == (
        "sc qc MSExchangeTransport"
    )
    assert "the Application event log" not in asks  # attached
    assert not any("HTTP.sys SSL bindings" in w for w in asks)
    reply = render_markdown(analysis)
    assert "```powershell\nGet-ExchangeCertificate | Format-List\n```" in reply
    assert "Exchange Management Shell" in reply

    no_log = _asks(
        _files(
            "exchange-12014-no-certificate-for-name",
            "exchange-certificates.txt",
            "my.txt",
            "services.txt",
        )
    )
    assert no_log["the Application event log"] == "wevtutil epl Application application.evtx"
    assert not any(w.startswith("Exchange's certificates") for w in no_log)
    assert "the account the Microsoft Exchange Transport service runs as" not in no_log


def test_a_service_failure_dates_the_attempt() -> None:
    """Its own failure events or ERRORLOG lines are dated: no question of when it failed."""
    for ticket in ("sql-cert-not-found", "exchange-12014-no-certificate-for-name"):
        assert not any(w.startswith("when ") for w in _asks(_all(ticket))), ticket
    asks = _asks(_all("winrm-quickconfig-no-certificate"))  # a pasted fault has no time
    assert "when the WinRM HTTPS listener was last created or failed" in asks


def test_unexplained_service_failures_name_the_service() -> None:
    """No rule explains AD FS's failures: the verdict says whose they are, not "not known"."""
    from analyzer.model import CorrelationSummary
    from analyzer.render.report_view import build_view

    context = CorrelationSummary(service="not known", services=("adfs",), service_failures=2)
    view = build_view(Analysis([], context=context))
    assert view.verdict.detail.startswith("2 failure events of AD FS in the logs")
    assert view.failure is not None and view.failure.title == "AD FS certificate failure"


def test_not_checked_speaks_of_the_service_configuration_not_a_binding() -> None:
    def gaps(analysis: Analysis) -> dict[str, str]:
        return {item.what: item.why for item in analysis.not_checked}

    named = gaps(_all("sql-cert-not-found"))  # the Certificate value names it
    assert "which certificate the binding uses" not in named
    assert not any(w.startswith("which certificate") for w in named)
    logged = gaps(_files("sql-cert-not-found", "my.txt", "ERRORLOG"))  # 26014's Cert Hash
    assert not any(w.startswith("which certificate") for w in logged)
    iis = gaps(_files("s2-icacls", "System.evtx", "my.txt"))
    assert "which certificate the binding uses" in iis


@pytest.mark.parametrize(
    ("ticket", "files", "what", "why"),
    [
        (
            "rdp-key-without-network-service",
            ("System.evtx", "my.txt"),
            "which certificate Remote Desktop Services uses",
            "no RDP-Tcp SSLCertificateSHA1Hash (reg query) names one",
        ),
        (
            "exchange-12014-no-certificate-for-name",
            ("Application.evtx", "my.txt"),
            "which certificate Exchange Transport uses",
            "no Get-ExchangeCertificate listing names one for SMTP",
        ),
    ],
)
def test_not_checked_names_the_service_configuration_missing(
    ticket: str, files: tuple[str, ...], what: str, why: str
) -> None:
    gaps = {item.what: item.why for item in _files(ticket, *files).not_checked}
    assert gaps[what] == why
    assert "which certificate the binding uses" not in gaps
