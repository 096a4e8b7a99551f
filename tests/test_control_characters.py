"""No control character from a customer file reaches a terminal, a log line, the Markdown reply or
the CSV: escape sequences (CSI, OSC), other C0/C1 controls and line breaks inside names are shown
visibly (``\\x1b``, ``\\n``) in tables, summaries, triage progress lines and every message."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tarfile
from pathlib import Path

from typer.testing import CliRunner

from analyzer.cli import commands  # noqa: F401  (registers the commands)
from analyzer.cli.app import app
from fixtures.writers.certutil_dump import CertSpec, DumpSpec, encode
from fixtures.writers.export_events import event_xml, sample_events
from fixtures.writers.hostile_archives import tar_bytes, tar_special, write
from tests.conftest import FIXTURES

runner = CliRunner()
# Everything a terminal acts on, except the line ends and tabs the output itself is made of.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
OSC_TITLE = "\x1b]0;owned\x07"  # sets the terminal's window title
CSI_CLEAR = "\x1b[2J"  # clears the screen
C1_CSI = "\x9b31m"  # the 8-bit CSI


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "250"})
    return result.stdout + (result.stderr if result.stderr_bytes is not None else "")


def assert_clean(text: str) -> None:
    found = RAW_CONTROL.findall(text)
    assert not found, f"raw control characters reached the output: {found!r}"


def hostile_dump(folder: Path) -> Path:
    cert = CertSpec(subject=f"CN=www.contoso.com{OSC_TITLE}{CSI_CLEAR}{C1_CSI}", index=0)
    path = folder / f"my{CSI_CLEAR}.txt"
    path.write_bytes(encode(DumpSpec(certs=[cert], encoding="utf-8", newline="\n")))
    return path


def test_certutil_table_shows_escape_sequences_visibly(tmp_path: Path) -> None:
    output = invoke("certutil", str(hostile_dump(tmp_path)))
    assert_clean(output)
    assert "\\x1b]0;owned\\x07\\x1b[2J\\x9b31m" in output
    assert "my\\x1b[2J.txt" in output  # the file name in the table title


def test_certutil_json_keeps_the_value_and_escapes_c1(tmp_path: Path) -> None:
    output = invoke("certutil", "--json", str(hostile_dump(tmp_path)))
    assert_clean(output)
    (cert,) = json.loads(output[: output.rindex("}") + 1])["certificates"]
    assert cert["subject"].endswith(f"{OSC_TITLE}{CSI_CLEAR}{C1_CSI}")  # the data is intact


def test_events_table_and_messages_show_controls_visibly(tmp_path: Path) -> None:
    event = sample_events()[3]
    # XML 1.0 refuses ESC but allows C1 controls and bidirectional overrides.
    text = event_xml(event).replace(event.computer, f"WEB01{C1_CSI}\u202eevil")
    path = tmp_path / "line\nbreak.xml"
    path.write_text(text + "\n<Event><System><Provider Name='x\x1b[5m'/>", encoding="utf-8")
    output = invoke("events", str(tmp_path))
    assert_clean(output)
    assert "WEB01\\x9b31m\\u202eevil" in output
    assert "line\\nbreak.xml" in output


def test_analyze_summary_markdown_and_json_are_clean(tmp_path: Path) -> None:
    ticket = tmp_path / "ticket"
    shutil.copytree(FIXTURES / "tickets" / "demo-keyspec2", ticket)
    hostile_dump(ticket)
    (ticket / f"notes{OSC_TITLE}\n.bin").write_bytes(b"\x00\x01 nothing we read")
    summary = invoke("-v", "analyze", str(ticket), "--out", str(tmp_path / "out"))
    assert_clean(summary)
    assert "notes\\x1b]0;owned\\x07\\n.bin" in summary
    markdown = invoke("analyze", str(ticket), "--markdown", "-", "--html", str(tmp_path / "r.html"))
    assert_clean(markdown)
    document = invoke("analyze", str(ticket), "--json", "-", "--html", str(tmp_path / "r.html"))
    assert_clean(document)


def test_archive_refusal_quotes_the_link_target_visibly(tmp_path: Path) -> None:
    target = "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07"
    archive = write(
        tmp_path / "t.tar",
        tar_bytes([tar_special("logs\nSystem.evtx", tarfile.SYMTYPE, target)]),
    )
    output = invoke("-v", "analyze", str(archive), "--html", str(tmp_path / "r.html"))
    assert_clean(output)
    assert "logs\\nSystem.evtx" in output
    assert "\\x1b]8;;https://evil.example/\\x07click" in output


def test_triage_progress_lines_and_csv_are_clean(tmp_path: Path) -> None:
    queue = tmp_path / "queue"
    ticket = queue / f"T-1{CSI_CLEAR}{C1_CSI}\nforged: ok"
    shutil.copytree(FIXTURES / "tickets" / "demo-keyspec2", ticket)
    out = tmp_path / "out"
    output = invoke("triage", str(queue), "--out", str(out), "--workers", "1")
    assert_clean(output)
    assert "T-1\\x1b[2J\\x9b31m\\nforged: ok" in output
    raw = (out / "summary.csv").read_text(encoding="utf-8")
    assert_clean(raw)
    rows = list(csv.reader(io.StringIO(raw)))
    assert len(rows) == 2  # the header and one ticket: no forged row
    assert "\n" not in "".join(rows[1])


def test_visible_writes_each_control_character_as_an_escape() -> None:
    from analyzer.visible import visible

    assert visible("C:\\keys\\a b.txt é 客户端") == "C:\\keys\\a b.txt é 客户端"
    assert visible("a\x1b[31mb\n\r\t\x00\x7f\x9b\u2028\u202e\u2066") == (
        "a\\x1b[31mb\\n\\r\\t\\x00\\x7f\\x9b\\u2028\\u202e\\u2066"
    )
