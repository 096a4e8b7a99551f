"""Summaries, stamps and ticket keys: small parts with sharp edges."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analyzer.triage import tickets
from analyzer.triage.job import SummaryRow
from analyzer.triage.outputs import (
    STAMP,
    counts,
    index_html,
    neutralise,
    read_stamp,
    summary_csv,
    write_atomic,
    write_ticket,
)
from analyzer.triage.tickets import Ticket, content_key, list_tickets, output_names

FORMULA = ("=", "+", "-", "@", "\t", "\r")


@given(st.text(max_size=30))
def test_neutralised_cells_never_start_a_formula(cell: str) -> None:
    safe = neutralise(cell)
    assert not safe.startswith(FORMULA)
    assert safe in (cell, "'" + cell)


def test_csv_neutralises_subjects_and_keeps_numbers() -> None:
    row = SummaryRow(
        ticket="@SUM(1+1)",
        status="analysed",
        verdict="keyspec-signature",
        scenario=3,
        subject="=cmd|' /C calc'!A0",
        inputs_read=2,
        diagnoses=("keyspec-signature", "expired"),
        host="-IIS01",
        failures=6,
    )
    parsed = list(csv.DictReader(io.StringIO(summary_csv([row]))))
    assert parsed == [
        {
            "ticket": "'@SUM(1+1)",
            "status": "analysed",
            "verdict": "keyspec-signature",
            "kind": "",
            "scenario": "3",
            "confidence": "",
            "certificate": "",
            "subject": "'=cmd|' /C calc'!A0",
            "inputs_read": "2",
            "inputs_failed": "0",
            "inputs_skipped": "0",
            "diagnoses": "keyspec-signature expired",
            "reason": "",
            "report": "",
            "host": "'-IIS01",
            "service": "",
            "failures": "6",
            "last_failure": "",
            "runner_up": "",
            "reply": "",
        }
    ]


def test_counts_per_verdict_with_failures() -> None:
    rows = [
        SummaryRow("a", "analysed", "keyspec-signature"),
        SummaryRow("b", "failed", reason="timed out after 5 s"),
        SummaryRow("c", "analysed", "keyspec-signature"),
        SummaryRow("d", "analysed"),
        SummaryRow("e", "no-usable-input", None, reason="T-9.zip: corrupt zip archive"),
    ]
    assert counts(rows) == {
        "failed": 1,
        "keyspec-signature": 2,
        "no-usable-input": 1,
        "none": 1,
    }


def test_index_escapes_customer_text() -> None:
    row = SummaryRow(
        "<img src=x onerror=alert(1)>", "analysed", subject="<script>x</script>", certificate="ab"
    )
    page = index_html([row])
    assert "<img src=x" not in page and "<script>x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "t" / "report.json"
    write_atomic(target, "one")
    write_atomic(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_stamp_round_trip_and_damaged_stamp(tmp_path: Path) -> None:
    row = SummaryRow("T-1", "analysed", "keyspec-signature", diagnoses=("keyspec-signature",))
    write_ticket(tmp_path, "abc", row, "{}", "<p>", "## reply\n")
    assert (tmp_path / "reply.md").read_text() == "## reply\n"
    assert read_stamp(tmp_path) == ("abc", row)
    (tmp_path / STAMP).write_text('{"key": "abc", "row": ')  # cut by an interruption
    assert read_stamp(tmp_path) == (None, None)
    assert read_stamp(tmp_path / "missing") == (None, None)


def test_reserved_names_get_their_own_folder() -> None:
    assert output_names(["index.html", "Summary.CSV", "T-1042.zip"]) == {
        "index.html": "index.html~ticket",
        "Summary.CSV": "Summary.CSV~ticket",
        "T-1042.zip": "T-1042.zip",
    }


def test_list_tickets_sorted_kinds_and_output_excluded(tmp_path: Path) -> None:
    (tmp_path / "T-2").mkdir()
    (tmp_path / "T-1.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    (tmp_path / "out").mkdir()
    assert list_tickets(tmp_path, exclude=tmp_path / "out") == [
        Ticket("T-1.zip", "file", "T-1.zip"),
        Ticket("T-2", "folder", "T-2"),
    ]


def test_content_key_follows_content_names_options_and_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = tmp_path / "T-1"
    (ticket / "logs").mkdir(parents=True)
    (ticket / "my.txt").write_bytes(b"dump")
    (ticket / "logs" / "System.evtx").write_bytes(b"log")
    first = content_key(ticket, "engine=default")
    assert content_key(ticket, "engine=default") == first
    assert content_key(ticket, "engine=evtx") != first
    (ticket / "logs" / "System.evtx").write_bytes(b"log2")
    second = content_key(ticket, "engine=default")
    assert second != first
    (ticket / "logs" / "System.evtx").rename(ticket / "logs" / "Other.evtx")
    third = content_key(ticket, "engine=default")
    assert third != second
    monkeypatch.setattr(tickets, "__version__", "99.0")  # an upgrade re-analyses everything
    assert content_key(ticket, "engine=default") != third


def test_ticket_cut_short_by_a_shared_limit_is_failed_with_its_report() -> None:
    from analyzer.model import Analysis, Level, Message, ReadResult, Source, Status
    from analyzer.triage.job import summary_row

    cut = ReadResult("T-9.zip", "collection", Status.ERROR)
    text = "extraction stopped: file-count limit reached (10000 files)"
    cut.messages.append(Message(Level.ERROR, text, Source("T-9.zip"), "archive.limit-reached"))
    dump = ReadResult("T-9.zip!/my.txt", "certutil")
    row = summary_row("T-9.zip", "T-9.zip", Analysis([dump, cut], [], [], []))
    assert (row.status, row.reason) == ("failed", f"{text} (report is partial)")
    assert (row.inputs_read, row.inputs_failed, row.report) == (1, 1, "T-9.zip/report.html")


WINDOWS_INVALID = set('<>:"/\\|?*')
WINDOWS_DEVICES = {"con", "prn", "aux", "nul"} | {
    f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)
}


def _windows_valid(name: str) -> bool:
    stem = name.split(".", 1)[0].rstrip(" ").casefold()
    return (
        not any(c in WINDOWS_INVALID or ord(c) < 32 for c in name)
        and not name.endswith((".", " "))
        and stem not in WINDOWS_DEVICES
    )


def test_output_folders_are_unique_whatever_the_entry_names(tmp_path: Path) -> None:
    # Issue 13: one output folder per ticket on every file system, Windows' included (case
    # folded, no trailing dot or space, no device name), and never an OUTDIR file's name.
    names = [
        "index.html",
        "index.html~ticket",
        "INDEX.HTML",
        "a",
        "a.zip",
        "T-1",
        "t-1",
        "report.",
        "report",
        "con.zip",
        "a:b",
        "summary.csv",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    found = list_tickets(tmp_path)
    assert sorted(t.name for t in found) == sorted(names)
    out_names = [t.out_name for t in found]
    folded = [n.casefold() for n in out_names]
    assert len(set(folded)) == len(names), out_names
    assert not set(folded) & tickets.RESERVED_NAMES
    assert all(_windows_valid(n) for n in out_names), out_names
    by_name = {t.name: t.out_name for t in found}
    # A name that is already fine keeps it: the output folder is the entry's full name.
    assert by_name["a"] == "a" and by_name["a.zip"] == "a.zip"
    assert by_name["index.html~ticket"] == "index.html~ticket"
    # Deterministic: the same queue gives the same names.
    assert [t.out_name for t in list_tickets(tmp_path)] == out_names
