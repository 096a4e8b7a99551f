"""End to end: the scenario-2 tickets with icacls, with procmon, with neither, and near misses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.pipeline import run_analysis
from analyzer.render.json import analysis_document, dumps

TICKETS = Path(__file__).resolve().parent.parent / "fixtures" / "tickets"
WEB = "26c8c253be4503b5ca817e34be8e4fe11c5de9c8"
KEY_FILE = "60fd2daa4bba0a605d75b8fe322db8f2_4be58f30-7127-42f5-9b76-f47187495247"


def analysis_of(ticket: str):
    return run_analysis([TICKETS / ticket])


@pytest.mark.parametrize(
    ("ticket", "evidence_file", "line"),
    [("s2-icacls", "icacls.txt", 4), ("s2-procmon", "procmon.csv", 2)],
)
def test_scenario_2_is_high_confidence_with_icacls_or_procmon(
    ticket: str, evidence_file: str, line: int
) -> None:
    analysis = analysis_of(ticket)
    verdict = analysis.diagnoses[0]
    assert (verdict.id, verdict.scenario, verdict.confidence) == (
        "machinekeys-permissions",
        2,
        "high",
    )
    assert verdict.certificates == (WEB,)
    first = verdict.evidence[0]
    assert first.source.path.endswith(f"{ticket}/{evidence_file}") and first.source.line == line
    assert any(KEY_FILE in step and "/save" in step for step in verdict.remediation)
    assert any(KEY_FILE in step and "*S-1-5-18" in step for step in verdict.remediation)
    assert "non-exportable-broken-keyset" not in [d.id for d in analysis.diagnoses]


def test_scenario_2_without_icacls_or_procmon_is_only_a_low_runner_up() -> None:
    analysis = analysis_of("s2-none")
    scenario_2 = [d for d in analysis.diagnoses if d.scenario == 2]
    assert scenario_2 and all(d.confidence in ("low", "medium") for d in scenario_2)
    assert analysis.diagnoses[0].id != "machinekeys-permissions"
    asked = " ".join(a.what for a in analysis.ask_for)
    assert "the permissions of the key folders and files" in asked


@pytest.mark.parametrize(
    "ticket", ["s2-nearmiss-default-acl", "s2-nearmiss-registry-denied", "s2-binding-healthy"]
)
def test_near_misses_stay_silent(ticket: str) -> None:
    analysis = analysis_of(ticket)
    assert [d.kind for d in analysis.diagnoses if d.kind == "fault"] == []
    found = {d.id for d in analysis.diagnoses}
    assert not found & {
        "machinekeys-permissions",
        "binding-cert-missing",
        "key-file-missing",
        "key-folder-acl-advice",
        "binding-store-not-covered",
    }


def test_inputs_shrink_the_ask_for_list() -> None:
    asked_icacls = " ".join(a.what for a in analysis_of("s2-icacls").ask_for)
    asked_procmon = " ".join(a.what for a in analysis_of("s2-procmon").ask_for)
    assert "the permissions of the key folders and files" not in asked_icacls
    assert "the permissions of the key folders and files" in asked_procmon
    assert "Process Monitor" not in asked_procmon
    assert "the HTTP.sys SSL bindings" not in " ".join(
        a.what for a in analysis_of("s2-binding-healthy").ask_for
    )


def test_json_carries_the_evidence_rows_with_sources_and_is_deterministic() -> None:
    first = dumps(analysis_document(analysis_of("s2-icacls")))
    assert first == dumps(analysis_document(analysis_of("s2-icacls")))
    document = json.loads(first)
    assert len(document["acls"]) == 5
    ace = document["acls"][2]
    assert ace["account"] == "CONTOSO\\webadmin" and ace["sid"] is None
    assert ace["source"]["path"].endswith("s2-icacls/icacls.txt") and ace["source"]["line"] == 4
    procmon = json.loads(dumps(analysis_document(analysis_of("s2-procmon"))))
    assert procmon["file_access"][0]["result"] == "ACCESS DENIED"
    netsh = json.loads(dumps(analysis_document(analysis_of("s2-binding-healthy"))))
    assert netsh["bindings"][0]["origin"] == "netsh" and netsh["bindings"][0]["source"]["line"] == 5


def test_cli_exit_code_is_1_for_the_scenario_2_fault(tmp_path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "analyzer",
            "analyze",
            str(TICKETS / "s2-icacls"),
            "--out",
            str(tmp_path),
            "--json",
            "-",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    assert json.loads(run.stdout)["diagnoses"][0]["id"] == "machinekeys-permissions"
