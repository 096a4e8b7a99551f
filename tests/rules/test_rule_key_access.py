"""Scenario 1 vs 2: non-exportable-broken-keyset, machinekeys-permissions, dump-not-elevated."""

from __future__ import annotations

from engine_records import analyse, cert, dump, event, key, log, thumb

from analyzer.collector import RUN_LINE
from analyzer.model import AclEntry, FileAccess, KeyFailure, ReadResult, Source
from analyzer.rules.key_access import sddl_system_access

KEY_FILE = "99247943bd018ca78ef945b82652598d_3ade29bb-f050-41f3-b0db-f2b69957a1d7"
KEY_PATH = f"C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys\\{KEY_FILE}"


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


def test_sddl_without_system_makes_scenario_2_the_verdict() -> None:
    denied = key(acl_sddl="D:PAI(A;;GAGR;;;BA)")
    analysis = analyse(dump(cert(key=denied)), log(event()))
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.scenario, verdict.confidence) == (
        "machinekeys-permissions",
        2,
        "high",
    )
    assert "non-exportable-broken-keyset" not in [d.id for d in analysis.diagnoses]
    fix = "\n".join(verdict.remediation)
    assert f'icacls "%ProgramData%\\Microsoft\\Crypto\\RSA\\MachineKeys\\{KEY_FILE}" /save' in fix
    assert "*S-1-5-18:F" in fix and "/reset" not in fix and " /t" not in fix
    assert "(A;;GA;;;SY)" in fix
    assert fix.index("/save") < fix.index("/grant")


def test_procmon_access_denied_on_the_key_file_is_scenario_2() -> None:
    missing = key(state="missing", exportable=None, tests=(), acl_sddl=None)
    row = FileAccess(
        "10:00:01",
        "lsass.exe",
        640,
        "CreateFile",
        KEY_PATH,
        "ACCESS DENIED",
        source=Source("pm.csv", 5),
    )
    procmon = ReadResult("pm.csv", "procmon-csv", file_access=[row])
    analysis = analyse(dump(cert(key=missing), healthy("other")), log(event()), procmon)
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.confidence) == ("machinekeys-permissions", "high")
    assert str(verdict.evidence[0].source) == "pm.csv:5"


def test_icacls_deny_on_the_folder_is_scenario_2_and_fixes_the_folder() -> None:
    missing = key(state="missing", exportable=None, tests=(), acl_sddl=None)
    folder = "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\MachineKeys"
    ace = AclEntry(folder, "Everyone", "S-1-1-0", ("F",), allow=False, source=Source("acl.txt", 2))
    acls = ReadResult("acl.txt", "icacls", acls=[ace])
    analysis = analyse(dump(cert(key=missing), healthy("other")), log(event()), acls)
    verdict = analysis.diagnoses[0]
    assert verdict.id == "machinekeys-permissions"
    assert any(
        step.startswith('icacls "%ProgramData%\\Microsoft\\Crypto\\RSA\\MachineKeys" /save')
        for step in verdict.remediation
    )


def test_procmon_denied_on_a_registry_path_stays_silent() -> None:
    row = FileAccess(
        "10:00:01",
        "lsass.exe",
        640,
        "RegOpenKey",
        "HKLM\\SOFTWARE\\Microsoft\\Cryptography",
        "ACCESS DENIED",
        source=Source("pm.csv", 5),
    )
    analysis = analyse(
        dump(healthy("www")), log(event()), ReadResult("pm.csv", "procmon-csv", file_access=[row])
    )
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


def test_sddl_reading() -> None:
    assert sddl_system_access("D:PAI(A;;GAGR;;;BA)(A;;GAGR;;;SY)") == "allowed"
    assert sddl_system_access("D:AI(A;ID;FA;;;S-1-5-18)") == "allowed"
    assert sddl_system_access("D:PAI(A;;GAGR;;;BA)") == "absent"
    assert sddl_system_access("D:PAI(D;;GA;;;SY)(A;;GA;;;SY)") == "denied"
    assert sddl_system_access("O:BAG:SY") is None
    assert sddl_system_access(None) is None
