"""`certtriage analyze`: exit codes, outputs, where the report goes, option forms, help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import analyze_cmd  # importing it registers the command
from analyzer.cli.app import app
from fixtures.writers.make_tickets import INTRANET

TICKETS = Path(__file__).resolve().parents[2] / "fixtures" / "tickets"
runner = CliRunner()


def run(*args: str, cwd: Path | None = None):
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return runner.invoke(app, ["analyze", *args])
    finally:
        os.chdir(old)


def test_help_names_every_option() -> None:
    result = runner.invoke(app, ["analyze", "--help"])
    assert result.exit_code == 0
    for option in ("--out", "--html", "--json", "--markdown", "--thumbprint", "--at", "--engine"):
        assert option in result.output


@pytest.mark.parametrize(
    ("ticket", "code"),
    [
        ("demo-keyspec2", 1),
        ("s3-mixed", 1),
        ("s3-nonverbose", 1),
        ("s1-mixed", 1),
        ("s2-sddl", 1),
        ("s2-procmon", 1),
        ("nearmiss-codesigning-keyspec2", 4),
        ("nearmiss-ksp-keyspec0", 4),
        ("nearmiss-not-elevated", 4),
        ("nearmiss-expired-predecessor", 4),
        ("healthy", 0),
    ],
)
def test_exit_codes(ticket: str, code: int, tmp_path: Path) -> None:
    result = run(str(TICKETS / ticket), "--out", str(tmp_path))
    assert result.exit_code == code, result.output
    assert (tmp_path / "certtriage-report.html").is_file()


def test_no_usable_input_is_exit_3(tmp_path: Path) -> None:
    junk = tmp_path / "in"
    junk.mkdir()
    (junk / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(300))
    assert run(str(junk), "--out", str(tmp_path / "out")).exit_code == 3


def test_an_empty_file_is_said_to_be_empty(tmp_path: Path) -> None:
    ticket = tmp_path / "T-8"
    ticket.mkdir()
    (ticket / "System.evtx").write_bytes(b"")  # a failed export
    result = run(str(ticket), "--json", "-", "--out", str(tmp_path / "out"))
    assert result.exit_code == 3
    inputs = json.loads(result.stdout)["inputs"]
    assert [(i["status"], i["messages"]) for i in inputs] == [
        ("skipped", [f"{ticket}/System.evtx: empty file (0 bytes): nothing to read"])
    ]


def test_empty_folder_is_named_and_exit_3(tmp_path: Path) -> None:
    empty = tmp_path / "T-9 empty"
    empty.mkdir()
    result = run(str(empty), "--json", "-", "--out", str(tmp_path / "out"))
    assert result.exit_code == 3
    inputs = json.loads(result.stdout)["inputs"]
    assert [(i["path"], i["status"], i["messages"]) for i in inputs] == [
        (str(empty), "skipped", [f"{empty}: empty folder: no files to read"])
    ]


def test_usage_errors_are_exit_2(tmp_path: Path) -> None:
    demo = str(TICKETS / "demo-keyspec2")
    assert run(str(tmp_path / "missing")).exit_code == 2
    assert run(demo, "--thumbprint", "xyz", "--out", str(tmp_path)).exit_code == 2
    assert run(demo, "--at", "yesterday", "--out", str(tmp_path)).exit_code == 2
    assert run(demo, "--json", "-", "--markdown", "-").exit_code == 2
    assert run(demo, "--html", str(TICKETS / "demo-keyspec2" / "r.html")).exit_code == 2
    assert not (TICKETS / "demo-keyspec2" / "r.html").exists()


def test_an_output_that_cannot_be_written_is_one_line_and_exit_2(tmp_path: Path) -> None:
    demo = str(TICKETS / "demo-keyspec2")
    folder = tmp_path / "taken"
    folder.mkdir()
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    html = ("--html", str(tmp_path / "r.html"))  # written last: never reached here
    for args, message in (
        (("--json", str(folder), *html), f"cannot write --json {folder}: "),
        (("--markdown", str(a_file / "r.md"), *html), f"{a_file} is a file, not a folder"),
        (("--out", str(a_file)), f"cannot write --html/--out {a_file / 'certtriage-report.html'}"),
    ):
        result = run(demo, *args)
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "internal error" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "taken"]  # no .tmp left


def test_json_on_stdout_alone_and_markdown_file(tmp_path: Path) -> None:
    md = tmp_path / "reply.md"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "analyzer",
            "analyze",
            str(TICKETS / "demo-keyspec2"),
            "--json",
            "-",
            "--markdown",
            str(md),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1
    document = json.loads(completed.stdout)  # stdout carries the document alone
    assert document["verdict"] == "keyspec-signature"
    assert document["tool"]["name"] == "certtriage"
    assert "verdict: keyspec-signature" in completed.stderr
    reply = md.read_text(encoding="utf-8")
    assert "**Verdict:** Certificate key is AT_SIGNATURE" in reply
    assert "AT_KEYEXCHANGE" in reply and "### Please send" in reply


def test_thumbprint_with_invisible_marks_and_at_without_offset(tmp_path: Path) -> None:
    spaced = " ".join(INTRANET.thumbprint[i : i + 2] for i in range(0, 40, 2)).upper()
    out = tmp_path / "a.json"
    result = run(
        str(TICKETS / "demo-keyspec2"),
        "--thumbprint",
        "\u200e" + spaced,
        "--at",
        "2025-06-03T14:08:00",
        "--json",
        str(out),
        "--out",
        str(tmp_path),
    )
    assert result.exit_code == 1
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["options"] == {"thumbprint": INTRANET.thumbprint, "at": "2025-06-03T14:08:00Z"}
    assert document["correlation"]["at_assumed_utc"] is True
    assert "taken as UTC" in result.output


def test_report_goes_beside_an_input_folder_that_holds_the_cwd(tmp_path: Path) -> None:
    ticket = tmp_path / "T-1"
    ticket.mkdir()
    for file in (TICKETS / "demo-keyspec2").iterdir():
        (ticket / file.name).write_bytes(file.read_bytes())
    result = run(".", cwd=ticket)
    assert result.exit_code == 1
    assert sorted(p.name for p in ticket.iterdir()) == ["System.evtx", "my.txt"]
    assert (tmp_path / "T-1-certtriage-report.html").is_file()
    assert "beside it" in result.output


def test_default_report_in_the_current_folder(tmp_path: Path) -> None:
    result = run(str(TICKETS / "healthy"), cwd=tmp_path)
    assert result.exit_code == 0
    assert (tmp_path / "certtriage-report.html").is_file()


def test_internal_error_is_one_line_and_exit_70(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(paths, options):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(analyze_cmd, "run_analysis", crash)
    result = run(str(TICKETS / "healthy"))
    assert result.exit_code == 70
    assert "internal error" in result.output and "RuntimeError: engine exploded" in result.output
    assert "Traceback" not in result.output
