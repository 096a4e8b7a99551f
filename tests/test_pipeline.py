"""End to end: fixture tickets through `run_analysis` (readers, case, rules, verdict)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from analyzer import readers
from analyzer.model import Status
from analyzer.pipeline import AnalysisOptions, run_analysis
from analyzer.readers import ReaderSpec, registry
from analyzer.render.json import analysis_document, dumps
from fixtures.writers.certutil_dump import SDDL_DENY_EVERYONE_FIRST, SDDL_DEPLOYMENT_ONLY
from fixtures.writers.make_tickets import EXPIRED_WWW, INTRANET, SIGNING, WWW, replace
from tests.records import every_step

TICKETS = Path(__file__).resolve().parent.parent / "fixtures" / "tickets"


def analyse(name: str, **options: object):
    return run_analysis([TICKETS / name], AnalysisOptions(**options))  # type: ignore[arg-type]


def ids(analysis) -> list[str]:
    return [d.id for d in analysis.diagnoses]


def test_demo_ticket_verdict_certificate_and_evidence() -> None:
    analysis = analyse("demo-keyspec2")
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.scenario, verdict.confidence) == ("keyspec-signature", 3, "high")
    assert verdict.certificates == (replace(WWW, keyspec=2).thumbprint,)
    assert verdict.explains_events
    quote = verdict.evidence[0]
    assert quote.source.path.endswith("demo-keyspec2/my.txt") and quote.source.line
    assert "KeySpec = 2 -- AT_SIGNATURE" in (quote.quote or "")
    assert len(verdict.events) == 3
    assert all(s.path.endswith("System.evtx") and s.record for s in verdict.events)
    assert all(r.status is Status.OK for r in analysis.inputs)


def test_scenario_3_mixed_findings() -> None:
    analysis = analyse("s3-mixed")
    found = ids(analysis)
    assert found[0] == "keyspec-signature"
    assert analysis.diagnoses[0].certificates == (
        replace(WWW, keyspec=2, exportable=False).thumbprint,
    )
    # the code-signing KeySpec 2 stays silent; the expired predecessor is only an advisory
    assert all(SIGNING.thumbprint not in d.certificates for d in analysis.diagnoses)
    expired = next(d for d in analysis.diagnoses if d.id == "certificate-expired")
    assert expired.kind == "advisory" and expired.certificates == (EXPIRED_WWW.thumbprint,)
    # non-exportable: the fix is the PFX or a new request with a key-exchange key
    assert any("ProviderType = 12" in step for step in every_step(analysis.diagnoses[0]))


def test_scenario_3_without_verbose_dump() -> None:
    verdict = analyse("s3-nonverbose").diagnoses[0]
    assert (verdict.id, verdict.confidence) == ("keyspec-signature", "medium")
    assert "Signature test passed" in (verdict.evidence[0].quote or "")


def test_scenario_1_mixed_findings() -> None:
    analysis = analyse("s1-mixed")
    broken = replace(WWW, exportable=False, key_state="failed").thumbprint
    first = analysis.diagnoses[0]
    assert (first.id, first.scenario, first.confidence) == (
        "non-exportable-broken-keyset",
        1,
        "high",
    )
    assert first.certificates == (broken,) and first.explains_events
    assert "Private key is NOT exportable" in (first.evidence[0].quote or "")
    # The dump's SDDL grants SYSTEM: permissions are ruled out, no scenario-2 runner-up.
    assert "machinekeys-permissions" not in ids(analysis)
    assert "ruled out" in first.confidence_reason
    assert first.account is not None and first.account.sid == "S-1-5-18"
    assert {"protocol-policy-36871", "certificate-expired"} <= set(ids(analysis))
    assert INTRANET.thumbprint not in {t for d in analysis.diagnoses for t in d.certificates}


def test_scenario_2_from_the_key_sddl() -> None:
    analysis = analyse("s2-sddl")
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.scenario) == ("machinekeys-permissions", 2)
    assert verdict.confidence == "high" and verdict.explains_events
    assert verdict.certificates == (replace(WWW, sddl=SDDL_DEPLOYMENT_ONLY).thumbprint,)
    assert verdict.evidence[0].quote == SDDL_DEPLOYMENT_ONLY
    source = verdict.evidence[0].source  # the SDDL line itself, not the certificate's header
    lines = (TICKETS / "s2-sddl" / "my.txt").read_text(encoding="utf-16").splitlines()
    assert source.line is not None and lines[source.line - 1].strip() == SDDL_DEPLOYMENT_ONLY
    assert verdict.account is not None and verdict.account.sid == "S-1-5-18"
    assert "non-exportable-broken-keyset" not in ids(analysis)
    assert [d.kind for d in analysis.diagnoses if d.id == "certificate-expired"] == ["advisory"]


def test_a_deny_on_everyone_ahead_of_system_is_scenario_2() -> None:
    verdict = analyse("s2-sddl-deny-everyone").diagnoses[0]
    assert (verdict.id, verdict.confidence) == ("machinekeys-permissions", "high")
    assert verdict.account is not None and verdict.account.sid == "S-1-5-18"
    assert verdict.evidence[0].quote == SDDL_DENY_EVERYONE_FIRST
    assert "ACE 0 (D;;FA;;;WD) denies" in verdict.evidence[0].text


def test_an_administrators_only_key_acl_beside_keyspec_2_is_scenario_3() -> None:
    analysis = analyse("keyspec2-admins-only-acl")
    assert analysis.diagnoses[0].id == "keyspec-signature"
    assert analysis.diagnoses[0].account is None
    assert not [d for d in analysis.diagnoses if d.scenario == 2]


def test_an_administrators_only_key_acl_on_a_healthy_key_is_no_fault() -> None:
    analysis = analyse("nearmiss-admins-only-acl")
    assert [d.kind for d in analysis.diagnoses if d.kind == "fault"] == []
    assert ids(analysis) == ["no-known-cause"]
    assert "key folder and key file permissions" not in {n.what for n in analysis.not_checked}


@pytest.mark.parametrize(
    ("ticket", "expected"),
    [
        ("nearmiss-ksp-keyspec0", ["no-known-cause"]),
        ("nearmiss-codesigning-keyspec2", ["no-known-cause"]),
        ("nearmiss-not-elevated", ["dump-not-elevated", "no-known-cause"]),
        ("nearmiss-expired-predecessor", ["certificate-expired", "no-known-cause"]),
        ("healthy", ["no-known-cause"]),
        ("client-36871", ["client-protocol-36871", "no-known-cause"]),
        ("nearmiss-user-dump", ["cert-not-in-machine-store", "no-known-cause"]),
        ("nearmiss-key-file-listed", ["no-known-cause"]),
        ("nearmiss-ksp-on-2008", ["no-known-cause"]),
        ("expired-bound-httpsys", ["certificate-expired", "no-known-cause"]),
    ],
)
def test_near_misses_find_no_fault(ticket: str, expected: list[str]) -> None:
    analysis = analyse(ticket)
    assert sorted(ids(analysis)) == expected
    assert not any(d.kind == "fault" for d in analysis.diagnoses)


@pytest.mark.parametrize(
    ("ticket", "verdict"),
    [
        ("no-private-key", "no-private-key"),
        ("policy-36871", "protocol-policy-36871"),
        ("user-key-in-machine-store", "key-in-user-profile"),
        ("key-file-gone", "key-file-missing"),
        ("keyspec-none-csp", "keyspec-none-csp"),
    ],
)
def test_other_rules_on_their_tickets(ticket: str, verdict: str) -> None:
    analysis = analyse(ticket)
    assert analysis.diagnoses[0].id == verdict and analysis.diagnoses[0].kind == "fault"


def test_the_os_is_taken_from_the_log_and_blamed_for_nothing() -> None:
    analysis = analyse("nearmiss-ksp-on-2008")
    assert analysis.context.os is not None and analysis.context.os.version == "6.0"
    assert not any("2008" in d.title or "2008" in d.summary for d in analysis.diagnoses)


def test_thumbprint_and_at_narrow_the_case() -> None:
    analysis = analyse("demo-keyspec2", thumbprint=INTRANET.thumbprint, at="2025-06-03T14:08:00Z")
    assert analysis.context.in_use == (INTRANET.thumbprint,)
    assert analysis.context.reference_from == "--at"
    verdict = analysis.diagnoses[0]
    # the KeySpec 2 certificate is not the one selected: still a fault, but it explains nothing
    assert verdict.id == "keyspec-signature" and not verdict.explains_events


def test_scenario_2_tickets_with_more_evidence() -> None:
    for ticket in ("s2-icacls", "s2-procmon"):
        verdict = analyse(ticket).diagnoses[0]
        assert (verdict.id, verdict.confidence) == ("machinekeys-permissions", "high"), ticket
    for ticket in ("s2-none", "s2-nearmiss-default-acl", "s2-nearmiss-registry-denied"):
        analysis = analyse(ticket)
        assert not any(
            d.id == "machinekeys-permissions" and d.confidence == "high" for d in analysis.diagnoses
        ), ticket


def test_json_is_byte_identical_for_identical_inputs() -> None:
    first = dumps(analysis_document(analyse("s1-mixed")))
    second = dumps(analysis_document(analyse("s1-mixed")))
    assert first == second
    assert '"schema":"certtriage.analysis/1"' in first and '"name":"certtriage"' in first


def test_archive_members_have_stable_virtual_paths(tmp_path: Path) -> None:
    archive = tmp_path / "T-1042.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in sorted((TICKETS / "demo-keyspec2").iterdir()):
            zf.write(file, f"logs/{file.name}")
    analysis = run_analysis([archive])
    assert analysis.diagnoses[0].id == "keyspec-signature"
    assert analysis.diagnoses[0].evidence[0].source.path == f"{archive.as_posix()}!/logs/my.txt"


def test_unknown_files_are_skipped_and_a_reader_crash_is_contained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notes.bin").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "System.evtx").write_bytes((TICKETS / "demo-keyspec2" / "System.evtx").read_bytes())
    (tmp_path / "my.txt").write_bytes((TICKETS / "demo-keyspec2" / "my.txt").read_bytes())
    evtx = registry()["evtx"]

    def crash(file, options):
        raise RuntimeError("boom")

    monkeypatch.setitem(
        readers._REGISTRY,
        "evtx",
        ReaderSpec(evtx.kind, evtx.sniff, crash, evtx.description),
    )
    analysis = run_analysis([tmp_path])
    by_name = {r.path.rsplit("/", 1)[-1]: r for r in analysis.inputs}
    assert by_name["notes.bin"].status is Status.SKIPPED
    assert by_name["System.evtx"].status is Status.ERROR
    assert "RuntimeError: boom" in str(by_name["System.evtx"].messages[0])
    assert analysis.diagnoses[0].id == "keyspec-signature"  # the dump is still analysed


REAL_CERTUTIL = TICKETS.parent / "real" / "certutil"


def test_real_keyspec_2_dump_is_scenario_3() -> None:
    sample = REAL_CERTUTIL / "acrn-docs-v-store-strongcsp-keyspec2-signature-notexportable.txt"
    verdict = run_analysis([sample]).diagnoses[0]
    assert (verdict.id, verdict.confidence) == ("keyspec-signature", "high")
    assert verdict.certificates == ("ff2771bd5bd1f7086ab96fb9532b594ed8619c3b",)
    # not exportable: no export step, the PFX or a new request instead
    assert not any("-exportPFX" in step for step in every_step(verdict))


def test_real_fragment_without_thumbprint_still_names_keyspec_2() -> None:
    sample = REAL_CERTUTIL / "blog-kaushal-iis-0x80070520-keyspec2-fragment.txt"
    verdict = run_analysis([sample]).diagnoses[0]
    assert verdict.id == "keyspec-signature" and verdict.certificates == ()
    assert "key container {00F81886-5F70-430A-939C-BB7DD58ECE2A}" in verdict.title
    assert "KeySpec = 2 -- AT_SIGNATURE" in (verdict.evidence[0].quote or "")


def test_real_ksp_keys_with_keyspec_0_are_not_faults() -> None:
    samples = [
        REAL_CERTUTIL / "msdocs-hsm-ncipher-ksp-v-store-keyspec0-notexportable.txt",
        REAL_CERTUTIL / "securosys-repairstore-hsm-ksp-keyspec0-test-skipped.txt",
        REAL_CERTUTIL / "blog-lmmarsano-v-user-store-ksp-keyspec0-tab-indented.txt",
    ]
    analysis = run_analysis(samples)
    assert not any(d.kind == "fault" for d in analysis.diagnoses), ids(analysis)


def test_json_is_identical_across_processes(tmp_path: Path) -> None:
    """Hash randomisation must not reorder anything: two fresh processes, two seeds."""
    outputs = []
    for seed in ("1", "2"):
        target = tmp_path / f"{seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "analyzer",
                "analyze",
                "fixtures/tickets/s1-mixed",
                "--json",
                str(target),
                "--out",
                str(tmp_path),
            ],
            cwd=TICKETS.parent.parent,
            env=env,
            capture_output=True,
            check=False,
        )
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0]


def test_damaged_inputs_are_reported_and_the_rest_is_analysed(tmp_path: Path) -> None:
    demo = TICKETS / "demo-keyspec2"
    dump_bytes = (demo / "my.txt").read_bytes()
    log_bytes = (demo / "System.evtx").read_bytes()
    (tmp_path / "my.txt").write_bytes(dump_bytes)
    (tmp_path / "cut-dump.txt").write_bytes(dump_bytes[: len(dump_bytes) // 3])
    (tmp_path / "cut-System.evtx").write_bytes(log_bytes[:20000])
    (tmp_path / "System.evtx").write_bytes(log_bytes)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "junk.dat").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "odd.txt").write_bytes("\ufeffnothing to see\r\n".encode("utf-16-le"))
    analysis = run_analysis([tmp_path])
    assert analysis.diagnoses[0].id == "keyspec-signature"
    assert analysis.diagnoses[0].explains_events
    statuses = {r.path.rsplit("/", 1)[-1]: r.status for r in analysis.inputs}
    assert statuses["my.txt"] is Status.OK and statuses["System.evtx"] is Status.OK
    assert statuses["junk.dat"] is Status.SKIPPED and statuses["empty.txt"] is Status.SKIPPED
    for name in ("cut-dump.txt", "cut-System.evtx"):
        result = next(r for r in analysis.inputs if r.path.endswith(name))
        assert result.status is Status.PARTIAL, name  # read up to the cut, and said so
        assert result.messages and all(name in str(m) for m in result.messages)


def test_ticket_writer_is_deterministic(tmp_path: Path) -> None:
    from fixtures.writers.make_tickets import TICKETS_WRITERS

    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        TICKETS_WRITERS["s1-mixed"](tmp_path / run)
    for name in ("my.txt", "System.evtx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
