"""The key-folder rules: `key-file-missing` and `key-folder-acl-advice`."""

from __future__ import annotations

from rule_records import (
    DEFAULT_FOLDER,
    KEY_FILE,
    KEY_PATH,
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
    procmon,
    thumb,
)

OTHER_FILE = "0123456789abcdef0123456789abcdef_3ade29bb-f050-41f3-b0db-f2b69957a1d7"


def test_key_file_missing_from_a_listing_of_the_folder_files() -> None:
    listing = icacls(
        *DEFAULT_FOLDER,
        (f"{MACHINEKEYS}\\{OTHER_FILE}", "NT-AUTORITÄT\\SYSTEM", "S-1-5-18", ("F",)),
    )
    analysis = analyse(dump(cert("www")), log(event()), listing)
    (diagnosis,) = by_id(analysis, "key-file-missing")
    assert diagnosis.confidence == "high" and diagnosis.certificates == (thumb("www"),)
    assert KEY_FILE in diagnosis.summary


def test_key_file_listed_or_folder_only_or_cng_key_stays_silent() -> None:
    listed = icacls(
        *DEFAULT_FOLDER, (f"{MACHINEKEYS}\\{KEY_FILE}", "NT AUTHORITY\\SYSTEM", "S-1-5-18", ("F",))
    )
    folder_only = icacls(*DEFAULT_FOLDER)
    other = (f"{MACHINEKEYS}\\{OTHER_FILE}", "NT AUTHORITY\\SYSTEM", "S-1-5-18", ("F",))
    cng = cert("www", key=key(provider="Microsoft Software Key Storage Provider"))
    for analysis in (
        analyse(dump(cert("www")), listed),
        analyse(dump(cert("www")), folder_only),
        analyse(dump(cng), icacls(*DEFAULT_FOLDER, other)),
    ):
        assert "key-file-missing" not in ids(analysis)
        assert "machinekeys-permissions" not in ids(analysis)
        assert "key-folder-acl-advice" not in ids(analysis)


def test_everyone_full_control_inherited_is_advice_not_a_fault() -> None:
    listing = icacls(
        (MACHINEKEYS, "Tout le monde", "S-1-1-0", ("F",)),
        (MACHINEKEYS, "BUILTIN\\Administrateurs", "S-1-5-32-544", ("F",)),
    )
    analysis = analyse(dump(cert("www")), listing)
    (advice,) = by_id(analysis, "key-folder-acl-advice")
    assert advice.kind == "advisory"
    assert (
        'icacls "' + MACHINEKEYS + "\" /grant:r *S-1-1-0:(R,W)   (Everyone's own entry only, "
        "this folder only, as KB 278381 has it)" in advice.remediation
    )
    assert "machinekeys-permissions" not in ids(analysis)


def test_procmon_name_not_found_on_the_key_file_means_it_is_gone() -> None:

    not_found = procmon(KEY_PATH, "NAME NOT FOUND", line=7)
    analysis = analyse(dump(cert("www")), log(event()), not_found)
    (diagnosis,) = by_id(analysis, "key-file-missing")
    assert diagnosis.confidence == "high" and str(diagnosis.evidence[1].source) == "pm.csv:7"
    listed = icacls(
        *DEFAULT_FOLDER, (f"{MACHINEKEYS}\\{KEY_FILE}", "NT AUTHORITY\\SYSTEM", "S-1-5-18", ("F",))
    )
    assert "key-file-missing" not in ids(
        analyse(dump(cert("www")), log(event()), not_found, listed)
    )
