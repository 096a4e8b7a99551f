"""Scenario 1 or 2 (`analyzer.rulekit.key_access`): `non-exportable-broken-keyset`,
`machinekeys-permissions`, `dump-not-elevated`, and access computed for the account that opens
the key (`analyzer.rulekit.accounts`)."""

from __future__ import annotations

from dataclasses import replace

from rule_records import (
    DEFAULT_FOLDER,
    DUMP,
    KEY_FILE,
    KEY_PATH,
    MACHINEKEYS,
    analyse,
    cert,
    dump,
    event,
    icacls,
    key,
    log,
    procmon,
    thumb,
)

from analyzer.collector import RUN_LINE
from analyzer.model import Account, KeyFailure, ProcessOwner, ReadResult, Source

SYSTEM_ACCOUNT = Account("NT AUTHORITY\\SYSTEM", "S-1-5-18", "default", True)
DEPLOYMENT_ONLY = "D:PAI(A;;FA;;;S-1-5-21-1004336348-1177238915-682003330-1105)"
DENY_EVERYONE_FIRST = "D:PAI(D;;FA;;;WD)(A;;FA;;;SY)(A;;FA;;;BA)"
ADMINS_ONLY = "D:PAI(A;;GAGR;;;BA)"
SDDL_LINE = 57
KEY_PATH_ENV = f"%ProgramData%\\Microsoft\\Crypto\\RSA\\MachineKeys\\{KEY_FILE}"


def healthy(name: str):
    return cert(name, line=40)


def test_non_exportable_failed_key_is_scenario_1_with_scenario_2_runner_up() -> None:
    broken = key(exportable=False, state="failed", tests=("encryption-failed",), acl_sddl=None)
    analysis = analyse(dump(cert(key=broken), healthy("other")), log(event()))
    first, second = analysis.diagnoses[:2]
    assert (first.id, first.scenario, first.confidence) == (
        "non-exportable-broken-keyset",
        1,
        "high",
    )
    assert first.explains_events and first.certificates == (thumb("www"),)
    assert "Private key is NOT exportable" in (first.evidence[0].quote or "")
    assert "icacls" in first.confidence_reason  # says what tells 1 from 2
    assert (second.id, second.scenario, second.confidence) == ("machinekeys-permissions", 2, "low")


def test_key_error_in_any_language_is_scenario_1() -> None:
    failed = key(
        state="failed", exportable=None, tests=(), error=KeyFailure("0x80090016", "NTE_BAD_KEYSET")
    )
    analysis = analyse(dump(cert(key=failed), healthy("other")), log(event()))
    assert analysis.diagnoses[0].id == "non-exportable-broken-keyset"
    assert analysis.diagnoses[0].confidence == "medium"
    assert "0x80090016" in (analysis.diagnoses[0].evidence[0].quote or "")


def test_sddl_granting_only_a_deployment_account_is_scenario_2_citing_the_sddl_line() -> None:
    denied = key(acl_sddl=DEPLOYMENT_ONLY, lines={"acl_sddl": SDDL_LINE})
    analysis = analyse(dump(cert(key=denied)), log(event()))
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.scenario, verdict.confidence) == (
        "machinekeys-permissions",
        2,
        "high",
    )
    assert verdict.account == SYSTEM_ACCOUNT
    first = verdict.evidence[0]
    assert (str(first.source), first.quote) == (f"{DUMP}:{SDDL_LINE}", DEPLOYMENT_ONLY)
    assert "no ACE grants NT AUTHORITY\\SYSTEM" in first.text
    assert "non-exportable-broken-keyset" not in [d.id for d in analysis.diagnoses]
    fix = "\n".join(verdict.remediation)
    assert f'icacls "%ProgramData%\\Microsoft\\Crypto\\RSA\\MachineKeys\\{KEY_FILE}" /save' in fix
    assert "*S-1-5-18:F" in fix and "/reset" not in fix and " /t" not in fix
    assert "(A;;GA;;;SY)" in fix
    assert fix.index("/save") < fix.index("/grant")


def test_deny_everyone_ahead_of_the_system_grant_is_scenario_2() -> None:
    denied = key(acl_sddl=DENY_EVERYONE_FIRST, lines={"acl_sddl": SDDL_LINE})
    analysis = analyse(dump(cert(key=denied)), log(event()))
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.confidence) == ("machinekeys-permissions", "high")
    assert verdict.account is not None and verdict.account.sid == "S-1-5-18"
    assert "ACE 0 (D;;FA;;;WD) denies NT AUTHORITY\\SYSTEM" in verdict.evidence[0].text
    steps = verdict.remediation  # the deny on Everyone goes, after the ACL is saved
    assert steps[0].endswith('/save "%TEMP%\\keyfile-acl.txt"')
    assert steps[1] == f'icacls "{KEY_PATH_ENV}" /remove:d *S-1-1-0'


def test_administrators_only_sddl_lets_system_in() -> None:
    """LocalSystem's token holds BUILTIN\\Administrators: a healthy key is no fault at all."""
    analysis = analyse(dump(cert(key=key(acl_sddl=ADMINS_ONLY))), log(event()))
    assert "machinekeys-permissions" not in [d.id for d in analysis.diagnoses]
    assert not [d for d in analysis.diagnoses if d.kind == "fault" and d.id != "no-known-cause"]


def test_a_broken_key_that_system_can_read_has_no_scenario_2_runner_up() -> None:
    broken = key(
        exportable=False, state="failed", tests=("encryption-failed",), acl_sddl=ADMINS_ONLY
    )
    analysis = analyse(dump(cert(key=broken), healthy("other")), log(event()))
    found = [d.id for d in analysis.diagnoses]
    assert found[0] == "non-exportable-broken-keyset"
    assert "machinekeys-permissions" not in found
    assert "ruled out" in analysis.diagnoses[0].confidence_reason
    assert analysis.diagnoses[0].account == SYSTEM_ACCOUNT
    assert not any("permissions of the key" in a.what for a in analysis.ask_for)
    assert not any(n.what == "key folder and key file permissions" for n in analysis.not_checked)


def test_procmon_access_denied_on_the_key_file_is_scenario_2() -> None:
    missing = key(state="missing", exportable=None, tests=(), acl_sddl=None)
    denied = procmon(KEY_PATH, "ACCESS DENIED")
    analysis = analyse(dump(cert(key=missing), healthy("other")), log(event()), denied)
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.confidence) == ("machinekeys-permissions", "high")
    assert str(verdict.evidence[0].source) == "pm.csv:5"


def test_procmon_access_denied_for_another_process_proves_nothing() -> None:
    missing = key(state="missing", exportable=None, tests=(), acl_sddl=None)
    other = procmon(KEY_PATH, "ACCESS DENIED")
    row = replace(other.file_access[0], process="certutil.exe", pid=5120)
    denied = ReadResult("pm.csv", "procmon-csv", file_access=[row])
    analysis = analyse(dump(cert(key=missing), healthy("other")), log(event()), denied)
    assert analysis.diagnoses[0].id == "non-exportable-broken-keyset"


def test_icacls_deny_on_the_folder_is_advice_not_scenario_2() -> None:
    """Opening a key file by name needs no rights on its folder (traverse privilege)."""
    missing = key(state="missing", exportable=None, tests=(), acl_sddl=None)
    acls = icacls((MACHINEKEYS, "Everyone", "S-1-1-0", ("F",)), allow=False)
    analysis = analyse(dump(cert(key=missing), healthy("other")), log(event()), acls)
    found = {d.id: d for d in analysis.diagnoses}
    assert analysis.diagnoses[0].id == "non-exportable-broken-keyset"
    assert found["machinekeys-permissions"].confidence == "low"  # still not known: no key ACL
    advice = found["key-folder-acl-advice"]
    assert advice.kind == "advisory" and advice.account is None
    assert "existing key files still open" in advice.summary
    steps = advice.remediation
    assert steps[0].endswith('/save "%TEMP%\\keyfolder-acl.txt"')
    assert steps[1] == f'icacls "{MACHINEKEYS}" /remove:d *S-1-1-0'


def test_procmon_denied_on_a_registry_path_stays_silent() -> None:
    registry = procmon("HKLM\\SOFTWARE\\Microsoft\\Cryptography", "ACCESS DENIED", "RegOpenKey")
    analysis = analyse(dump(healthy("www")), log(event()), registry)
    assert "machinekeys-permissions" not in [d.id for d in analysis.diagnoses]


def test_every_key_missing_means_the_dump_was_not_elevated() -> None:
    missing = key(state="missing", exportable=None, tests=(), acl_sddl=None, keyspec=None)
    analysis = analyse(dump(cert("a", key=missing), cert("b", key=missing)), log(event()))
    found = [d.id for d in analysis.diagnoses]
    assert "dump-not-elevated" in found
    assert not {"non-exportable-broken-keyset", "machinekeys-permissions"} & set(found)
    assert any(
        a.command == RUN_LINE and "an elevated, verbose dump" in a.what for a in analysis.ask_for
    )


def test_one_missing_key_among_working_ones_is_a_key_problem() -> None:
    missing = key(state="missing", exportable=None, tests=(), acl_sddl=None)
    analysis = analyse(dump(cert(key=missing), healthy("other")), log(event()))
    assert analysis.diagnoses[0].id == "non-exportable-broken-keyset"
    assert "dump-not-elevated" not in [d.id for d in analysis.diagnoses]


def test_key_file_without_system_in_german_is_scenario_2_fixed_by_sid() -> None:
    missing = key(state="missing", exportable=None, tests=(), acl_sddl=None)
    listing = icacls(
        *DEFAULT_FOLDER,
        (f"{MACHINEKEYS}\\{KEY_FILE}", "CONTOSO\\webadmin", None, ("F",)),  # type: ignore[arg-type]
    )
    analysis = analyse(
        dump(cert("www", key=missing), cert("other", line=40)), log(event()), listing
    )
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.scenario, verdict.confidence) == (
        "machinekeys-permissions",
        2,
        "high",
    )
    assert verdict.evidence[0].text.startswith(f"ACL of {KEY_PATH}: no ACE grants")
    assert str(verdict.evidence[0].source) == "acl.txt:3"
    assert verdict.evidence[0].quote == "CONTOSO\\webadmin:(F)"
    steps = verdict.remediation
    save = next(i for i, s in enumerate(steps) if "/save" in s and KEY_FILE in s)
    grant = next(i for i, s in enumerate(steps) if "/grant *S-1-5-18" in s)
    assert save < grant and KEY_FILE in steps[grant]


def test_key_file_granting_administrators_is_readable_by_system() -> None:
    missing = key(state="missing", exportable=None, tests=(), acl_sddl=None)
    listing = icacls(
        *DEFAULT_FOLDER,
        (KEY_PATH, "CONTOSO\\webadmin", None, ("F",)),  # type: ignore[arg-type]
        (KEY_PATH, "VORDEFINIERT\\Administratoren", "S-1-5-32-544", ("F",)),
    )
    analysis = analyse(
        dump(cert("www", key=missing), cert("other", line=40)), log(event()), listing
    )
    assert analysis.diagnoses[0].id == "non-exportable-broken-keyset"
    assert "machinekeys-permissions" not in [d.id for d in analysis.diagnoses]


def sspi_event(process: str):  # type: ignore[no-untyped-def]
    return replace(event(), sspi_process=process)


def test_another_sspi_process_without_a_listing_is_not_known_never_a_verdict() -> None:
    only_system = key(acl_sddl="D:PAI(A;;FA;;;SY)")
    analysis = analyse(dump(cert(key=only_system)), log(sspi_event("sqlservr (PID: 2210)")))
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.confidence) == ("machinekeys-permissions", "low")
    assert verdict.account == Account("the account of sqlservr (PID: 2210)", None, "event", False)
    assert "not known" in verdict.summary and "tasklist /v" in verdict.confidence_reason


def test_a_process_listing_names_the_account_of_the_sspi_process() -> None:
    only_system = key(acl_sddl="D:PAI(A;;FA;;;SY)(A;;FA;;;BA)")
    owner = ProcessOwner("sqlservr.exe", 2210, "NT Service\\MSSQLSERVER", Source("tl.txt", 9))
    listing = ReadResult("tl.txt", "process-list", records=[owner])
    analysis = analyse(
        dump(cert(key=only_system)), log(sspi_event("sqlservr (PID: 2210)")), listing
    )
    verdict = analysis.diagnoses[0]
    assert verdict.id == "machinekeys-permissions" and verdict.confidence == "high"
    assert verdict.account == Account(
        "NT Service\\MSSQLSERVER",
        "S-1-5-80-3880718306-3832830129-1677859214-2598158968-1052248003",
        "evidence",
        False,
    )


def test_system_pid_4_is_http_sys_named_by_the_event() -> None:
    denied = key(acl_sddl=DEPLOYMENT_ONLY)
    analysis = analyse(dump(cert(key=denied)), log(sspi_event("SYSTEM (PID: 4)")))
    assert analysis.diagnoses[0].account == Account(
        "NT AUTHORITY\\SYSTEM", "S-1-5-18", "event", False
    )


def test_keyspec_signature_carries_no_account() -> None:
    signature = key(keyspec=2, acl_sddl=ADMINS_ONLY)
    analysis = analyse(dump(cert(key=signature)), log(event()))
    verdict = analysis.diagnoses[0]
    assert verdict.id == "keyspec-signature" and verdict.account is None
    assert "machinekeys-permissions" not in [d.id for d in analysis.diagnoses]
