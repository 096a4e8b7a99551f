"""The causes of issue 11: 36871 split by side, a user key in the machine store, a key file gone
from a folder listing or held open, and scenario 1 saying only what the evidence proves."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from rule_records import (
    KEY_FILE,
    KEY_PATH,
    MACHINEKEYS,
    analyse,
    by_id,
    cert,
    dump,
    event,
    ids,
    key,
    log,
    procmon,
    thumb,
)

from analyzer.model import FolderListing, ReadResult, Source
from analyzer.pipeline import run_analysis
from fixtures.writers.certutil_dump import CertSpec, DumpSpec, render


def event_36871(type_value: str, record: int = 200) -> object:
    made = event(36871, record=record, Type=type_value, ErrorState=10013)
    role = {"客户端": "client", "client": "client", "服务器": "server", "serveur": "server"}
    return dataclasses.replace(made, role=role.get(type_value, made.role))


@pytest.mark.parametrize("client_type", ["client", "客户端"])
def test_a_client_side_36871_is_an_advisory_about_the_client_application(
    client_type: str,
) -> None:
    analysis = analyse(dump(cert()), log(event_36871(client_type)))
    assert "protocol-policy-36871" not in ids(analysis)
    (advisory,) = by_id(analysis, "client-protocol-36871")
    assert advisory.kind == "advisory"
    steps = "\n".join(advisory.remediation)
    assert "SchUseStrongCrypto" in steps and "SystemDefaultTlsVersions" in steps
    assert "Protocols\\TLS" not in steps  # never the server's protocol settings
    assert not any(d.kind == "fault" for d in analysis.diagnoses)


@pytest.mark.parametrize("server_type", ["server", "服务器", "serveur"])
def test_a_server_side_36871_stays_the_fault(server_type: str) -> None:
    analysis = analyse(dump(cert()), log(event_36871(server_type)))
    (fault,) = by_id(analysis, "protocol-policy-36871")
    assert (fault.kind, fault.confidence) == ("fault", "high")
    assert "client-protocol-36871" not in ids(analysis)


def test_a_36871_without_its_type_is_read_from_its_text_or_taken_as_the_server() -> None:
    bare = dataclasses.replace(event(36871, ErrorState=10013), role=None)
    unknown = analyse(dump(cert()), log(bare))
    assert by_id(unknown, "protocol-policy-36871")[0].confidence == "medium"
    text = (
        "A fatal error occurred while creating a TLS client credential. "
        "The internal error state is 10013."
    )
    from_text = analyse(dump(cert()), log(dataclasses.replace(bare, message=text)))
    assert ids(from_text)[0] == "client-protocol-36871"
    assert "protocol-policy-36871" not in ids(from_text)


def user_key(**fields: object) -> object:
    return key(flags=0, machine_keyset=False, **fields)


def test_a_user_key_in_a_machine_store_dump_is_the_fault() -> None:
    failing = event(ErrorCode="0x80090016", Type="server", ErrorStatus=10001)
    analysis = analyse(dump(cert(key=user_key())), log(failing))
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.kind, verdict.confidence) == (
        "key-in-user-profile",
        "fault",
        "high",
    )
    assert verdict.evidence[0].quote == "Flags = 0 (0)"
    assert "test passed" in verdict.confidence_reason  # no counter-evidence
    steps = verdict.remediation
    check = next(i for i, s in enumerate(steps) if "-dump" in s)
    delete = next(i for i, s in enumerate(steps) if "-delstore" in s)
    assert check < delete  # no delete without a check first
    # Scenario 1 and a missing key file do not claim a key that is not in the machine keyset.
    assert "non-exportable-broken-keyset" not in ids(analysis)
    assert "key-file-missing" not in ids(analysis)


def test_a_user_key_is_never_a_fault_in_a_user_dump() -> None:
    analysis = analyse(dump(cert(user_store=True, key=user_key())), log(event()))
    assert "key-in-user-profile" not in ids(analysis)


def test_a_dump_without_its_command_line_only_gets_an_advisory() -> None:
    analysis = analyse(dump(cert(user_store=None, key=user_key())), log(event()))
    (advisory,) = by_id(analysis, "key-in-user-profile")
    assert (advisory.kind, advisory.confidence) == ("advisory", "low")
    assert "without -user" in advisory.remediation[0]


def test_a_machine_key_is_not_a_user_key() -> None:
    assert "key-in-user-profile" not in ids(analyse(dump(cert()), log(event())))


def listing(*files: str, folder: str = MACHINEKEYS, filtered: bool = False) -> ReadResult:
    made = FolderListing(folder, files, filtered, Source("dir.txt", 5))
    return ReadResult("dir.txt", "dir-listing", records=[made])


OTHER_FILE = "7a436fe806e483969f48a894af2fe9a1_3ade29bb-f050-41f3-b0db-f2b69957a1d7"


def test_a_folder_listing_without_the_key_file_is_key_file_missing() -> None:
    analysis = analyse(dump(cert()), log(event()), listing(OTHER_FILE))
    (missing,) = by_id(analysis, "key-file-missing")
    assert missing.kind == "fault" and missing.confidence == "high"
    assert any(e.source.path == "dir.txt" for e in missing.evidence)


def test_a_listing_that_shows_the_key_file_or_was_filtered_proves_nothing() -> None:
    shown = analyse(dump(cert()), log(event()), listing(OTHER_FILE, KEY_FILE.upper()))
    assert "key-file-missing" not in ids(shown)
    filtered = analyse(dump(cert()), log(event()), listing(OTHER_FILE, filtered=True))
    assert "key-file-missing" not in ids(filtered)
    cng_folder = "C:\\ProgramData\\Microsoft\\Crypto\\Keys"
    other_folder = analyse(dump(cert()), log(event()), listing(OTHER_FILE, folder=cng_folder))
    assert "key-file-missing" not in ids(other_folder)  # a CSP key lives in MachineKeys


def test_a_sharing_violation_on_the_key_file_makes_it_unreachable() -> None:
    analysis = analyse(dump(cert()), log(event()), procmon(KEY_PATH, "SHARING VIOLATION"))
    (locked,) = by_id(analysis, "key-file-missing")
    assert "held open" in locked.summary
    assert not any("new request" in s.lower() for s in locked.remediation)
    elsewhere = procmon(f"{MACHINEKEYS}\\{OTHER_FILE}", "SHARING VIOLATION")
    assert "key-file-missing" not in ids(analyse(dump(cert()), log(event()), elsewhere))


def test_scenario_1_title_says_what_the_evidence_proves() -> None:
    broken = cert(key=key(exportable=False, state="failed", tests=("encryption-failed",)))
    (diagnosis,) = by_id(analyse(dump(broken), log(event())), "non-exportable-broken-keyset")
    assert diagnosis.title.startswith("The private key cannot be used: broken or missing keyset")
    assert "IIS Manager" not in diagnosis.title and "likely cause" in diagnosis.summary
    assert thumb("www") in diagnosis.certificates


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("certutil -v -store my", "fault"),  # a machine store: the user key is the fault
        ("certutil -v -user -store my", None),  # the user's own store: normal
        ("certutil -v -service -store MSSQLSERVER\\my", "advisory"),  # a service's store
    ],
)
def test_the_dump_command_decides_whether_a_user_key_is_a_fault(
    tmp_path: Path, command: str, expected: str | None
) -> None:
    text = render(DumpSpec(certs=[CertSpec(machine_keyset=False)], verbose=True))
    text = text.replace("certutil -v -store my", command, 1)
    (tmp_path / "my.txt").write_text(text, encoding="utf-8")
    analysis = run_analysis([tmp_path / "my.txt"])
    found = by_id(analysis, "key-in-user-profile")
    assert [d.kind for d in found] == ([expected] if expected else [])
