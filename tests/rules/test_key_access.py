"""Scenario 1 or 2 (`analyzer.rulekit.key_access`): `non-exportable-broken-keyset`,
`machinekeys-permissions`, `dump-not-elevated`, and the key SDDL."""

from __future__ import annotations

from rule_records import (
    DEFAULT_FOLDER,
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
from analyzer.model import KeyFailure
from analyzer.rulekit.key_access import sddl_system_access


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
    assert "/grant *S-1-5-18:(R)" in fix and "/reset" not in fix and " /t" not in fix
    assert fix.index("/save") < fix.index("/grant")
    # the whole-DACL repair is the last resort: the current SDDL beside it, its grants kept
    first, last_resort = verdict.remediation_plans
    assert "-repairstore" not in "\n".join(s.text for s in first.steps)
    whole = "\n".join(s.text for s in last_resort.steps)
    assert "`D:PAI(A;;GAGR;;;BA)`" in whole and "every grant" in last_resort.when
    assert 'certutil -repairstore my ' in whole and '"D:PAI(A;;GAGR;;;BA)(A;;GA;;;SY)"' in whole


def test_procmon_access_denied_on_the_key_file_is_scenario_2() -> None:
    missing = key(state="missing", exportable=None, tests=(), acl_sddl=None)
    denied = procmon(KEY_PATH, "ACCESS DENIED")
    analysis = analyse(dump(cert(key=missing), healthy("other")), log(event()), denied)
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.confidence) == ("machinekeys-permissions", "high")
    assert str(verdict.evidence[0].source) == "pm.csv:5"


def test_icacls_deny_on_the_folder_is_scenario_2_and_fixes_the_folder() -> None:
    missing = key(state="missing", exportable=None, tests=(), acl_sddl=None)
    acls = icacls((MACHINEKEYS, "Everyone", "S-1-1-0", ("F",)), allow=False)
    analysis = analyse(dump(cert(key=missing), healthy("other")), log(event()), acls)
    verdict = analysis.diagnoses[0]
    assert verdict.id == "machinekeys-permissions"
    assert any(
        step.startswith('icacls "%ProgramData%\\Microsoft\\Crypto\\RSA\\MachineKeys" /save')
        for step in verdict.remediation
    )


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


def test_sddl_reading() -> None:
    assert sddl_system_access("D:PAI(A;;GAGR;;;BA)(A;;GAGR;;;SY)") == "allowed"
    assert sddl_system_access("D:AI(A;ID;FA;;;S-1-5-18)") == "allowed"
    assert sddl_system_access("D:PAI(A;;GAGR;;;BA)") == "absent"
    assert sddl_system_access("D:PAI(D;;GA;;;SY)(A;;GA;;;SY)") == "denied"
    assert sddl_system_access("O:BAG:SY") is None
    assert sddl_system_access(None) is None


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
    assert verdict.evidence[0].text.startswith("icacls: SYSTEM has no read access to the key file")
    assert str(verdict.evidence[0].source) == "acl.txt:3"
    steps = verdict.remediation
    save = next(i for i, s in enumerate(steps) if "/save" in s and KEY_FILE in s)
    grant = next(i for i, s in enumerate(steps) if "/grant *S-1-5-18" in s)
    assert save < grant and KEY_FILE in steps[grant]
