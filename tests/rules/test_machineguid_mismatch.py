"""`machineguid-mismatch`: a certificate's key file whose `_<GUID>` suffix is not the machine's
MachineGuid, read from a `reg query` / Get-ItemProperty paste."""

from __future__ import annotations

from pathlib import Path

from rule_records import (
    DEFAULT_FOLDER,
    KEY_FILE,
    MACHINEKEYS,
    analyse,
    by_id,
    cert,
    dump,
    event,
    icacls,
    ids,
    key,
    log,
    thumb,
)

from analyzer.model import (
    CRYPTOGRAPHY_KEY,
    Confidence,
    FolderListing,
    Kind,
    MachineGuid,
    ReadResult,
    Source,
)
from analyzer.pipeline import run_analysis
from analyzer.rules.machineguid_mismatch import guid_suffix
from fixtures.writers.make_tickets import NEW_MACHINE_GUID, TICKETS, WWW, replace

OLD_GUID = "3ade29bb-f050-41f3-b0db-f2b69957a1d7"  # KEY_FILE's suffix
NEW_GUID = "c6b0f3a2-5d1e-4f7a-9b3c-2e8d4a6f1b90"
FRESH_FILE = f"0123456789abcdef0123456789abcdef_{NEW_GUID}"
MISSING = {"state": "missing", "tests": (), "exportable": None}


def pasted(*guids: str, form: str = "reg-query", key: str | None = CRYPTOGRAPHY_KEY) -> ReadResult:
    records = [
        MachineGuid(guid, key, form, Source("machineguid.txt", 3 + i))
        for i, guid in enumerate(guids)
    ]
    return ReadResult("machineguid.txt", "machineguid", records=records)


def listing(*files: str, folder: str = MACHINEKEYS, filtered: bool = False) -> ReadResult:
    made = FolderListing(folder, files, filtered, Source("dir.txt", 5))
    return ReadResult("dir.txt", "dirlist", records=[made])


def test_suffix_of_key_file_names() -> None:
    assert guid_suffix(KEY_FILE) == OLD_GUID
    assert guid_suffix(KEY_FILE.upper()) == OLD_GUID
    assert guid_suffix("PKContainer") is None
    assert guid_suffix(f"{OLD_GUID}") is None


def test_key_file_under_another_machineguid_is_a_medium_fault() -> None:
    broken = cert("www", key=key(**MISSING))
    analysis = analyse(dump(broken), log(event()), pasted(NEW_GUID), listing(KEY_FILE, FRESH_FILE))
    (diagnosis,) = by_id(analysis, "machineguid-mismatch")
    assert diagnosis.kind == Kind.FAULT and diagnosis.confidence == Confidence.MEDIUM
    assert diagnosis.certificates == (thumb("www"),) and diagnosis.explains_events
    quotes = [e.quote for e in diagnosis.evidence]
    assert f"MachineGuid    REG_SZ    {NEW_GUID}" in quotes
    assert "Missing stored keyset" in quotes and KEY_FILE in quotes
    assert diagnosis.evidence[0].source == Source("machineguid.txt", 3)
    assert OLD_GUID in diagnosis.summary and NEW_GUID in diagnosis.summary
    steps = "\n".join(diagnosis.remediation)
    assert "-importPFX" in steps and f"*_{OLD_GUID}" in steps
    assert f"Do not set MachineGuid back to {OLD_GUID}" in steps
    assert "del " not in steps and "-delstore" not in steps and "reg add" not in steps
    assert any("learn.microsoft.com" in url for url in diagnosis.references)


def test_unique_container_line_is_the_evidence_when_it_names_the_file() -> None:
    old_style = key(
        container="{0F81886A-5F70-430A-939C-BB7DD58ECE2A}",
        unique_container=KEY_FILE,
        lines={"container": 10, "unique_container": 11, "state": 14},
        **MISSING,
    )
    analysis = analyse(dump(cert("www", key=old_style)), pasted(NEW_GUID), listing(FRESH_FILE))
    (diagnosis,) = by_id(analysis, "machineguid-mismatch")
    name = diagnosis.evidence[1]
    assert name.quote == f"Unique container name: {KEY_FILE}" and name.source.line == 11


def test_a_key_that_opens_is_an_advisory() -> None:
    analysis = analyse(dump(cert("www")), pasted(NEW_GUID), listing(FRESH_FILE))
    (diagnosis,) = by_id(analysis, "machineguid-mismatch")
    assert diagnosis.kind == Kind.ADVISORY and not diagnosis.explains_events
    assert "key test passed" in diagnosis.confidence_reason
    assert not any("-importPFX" in step for step in diagnosis.remediation)


def test_nothing_else_carries_the_pasted_guid_lowers_confidence() -> None:
    analysis = analyse(dump(cert("www", key=key(**MISSING))), log(event()), pasted(NEW_GUID))
    (diagnosis,) = by_id(analysis, "machineguid-mismatch")
    assert diagnosis.kind == Kind.FAULT and diagnosis.confidence == Confidence.LOW
    assert "another machine than the dump" in diagnosis.confidence_reason


def test_cng_key_files_end_in_the_machineguid_too() -> None:
    ksp = key(
        provider="Microsoft Software Key Storage Provider",
        provider_class="ksp",
        provider_type=0,
        keyspec=0,
        **MISSING,
    )
    keys = "C:\\ProgramData\\Microsoft\\Crypto\\Keys"
    analysis = analyse(
        dump(cert("www", key=ksp)), pasted(NEW_GUID), listing(KEY_FILE, FRESH_FILE, folder=keys)
    )
    (diagnosis,) = by_id(analysis, "machineguid-mismatch")
    assert any("Crypto\\Keys" in step for step in diagnosis.remediation)


def test_braces_and_upper_case_paste_matching_the_files_is_no_fault() -> None:
    # The reader hands the value over normalised; the rule compares lower case to lower case.
    analysis = analyse(dump(cert("www", key=key(**MISSING))), pasted(OLD_GUID))
    assert "machineguid-mismatch" not in ids(analysis)


def test_foreign_key_files_of_no_certificate_in_scope_say_nothing() -> None:
    fresh = cert("www", key=key(key_file=FRESH_FILE))
    acl = icacls(
        *DEFAULT_FOLDER,
        (f"{MACHINEKEYS}\\{KEY_FILE}", "NT AUTHORITY\\SYSTEM", "S-1-5-18", ("F",)),
        (f"{MACHINEKEYS}\\{FRESH_FILE}", "NT AUTHORITY\\SYSTEM", "S-1-5-18", ("F",)),
    )
    analysis = analyse(dump(fresh), pasted(NEW_GUID), acl, listing(KEY_FILE, FRESH_FILE))
    assert "machineguid-mismatch" not in ids(analysis)


def test_no_paste_several_guids_a_user_key_or_another_registry_key_say_nothing() -> None:
    broken = dump(cert("www", key=key(**MISSING)))
    user_key = dump(cert("www", key=key(machine_keyset=False, flags=0, **MISSING)))
    wow = "HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Cryptography"
    for analysis in (
        analyse(broken),
        analyse(broken, pasted(NEW_GUID, "0b7d2c61-9a4e-4c1b-8f3d-5e6a7b8c9d0e")),
        analyse(user_key, pasted(NEW_GUID)),
        analyse(broken, pasted(NEW_GUID, key=wow)),
    ):
        assert "machineguid-mismatch" not in ids(analysis)


def ticket(name: str) -> list[Path]:
    return sorted((TICKETS / name).iterdir())


def test_the_machineguid_changed_ticket_end_to_end() -> None:
    analysis = run_analysis(ticket("machineguid-changed"))
    # one diagnosis: the certificate enrolled after the change (its key file ends in the new
    # value) is fine
    (diagnosis,) = by_id(analysis, "machineguid-mismatch")
    broken = replace(WWW, key_state="missing", sddl=None)
    assert (diagnosis.kind, diagnosis.confidence) == (Kind.FAULT, Confidence.MEDIUM)
    assert diagnosis.certificates == (broken.thumbprint,) and diagnosis.explains_events
    assert diagnosis.events  # the 36870 events it explains
    paste, name = diagnosis.evidence[:2]
    assert paste.source.path.endswith("machineguid.txt") and paste.source.line == 4
    assert NEW_MACHINE_GUID in (paste.quote or "")
    assert (
        name.source.path.endswith("my.txt") and name.quote == f"Key Container = {broken.key_file}"
    )


def test_the_braces_and_foreign_system_keys_near_miss_end_to_end() -> None:
    analysis = run_analysis(ticket("nearmiss-machineguid-braces"))
    assert analysis.records(MachineGuid)[0].guid == WWW.key_file.split("_")[1]
    assert ids(analysis) == ["no-known-cause"]
