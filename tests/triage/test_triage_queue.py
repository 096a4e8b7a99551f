"""`certtriage triage` end to end on a generated queue: every scenario, clean cases and every
kind of bad attachment; index, summaries, per-ticket reports, caching and exit codes."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import commands  # noqa: F401  (registers the commands)
from analyzer.cli.app import EXIT_TICKETS_FAILED, EXIT_USAGE, app
from fixtures.writers.make_queue import Expected, Queue, make_queue

runner = CliRunner()
LOG_SIZE = 64 * 1024


@pytest.fixture(scope="module")
def queue(tmp_path_factory: pytest.TempPathFactory) -> Queue:
    return make_queue(tmp_path_factory.mktemp("tickets") / "queue", LOG_SIZE)


@pytest.fixture(scope="module")
def triaged(queue: Queue, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "triage"
    result = runner.invoke(app, ["triage", str(queue.root), "--out", str(out), "--workers", "2"])
    # The queue holds tickets with nothing readable: they are not analysed, hence exit 5.
    assert result.exit_code == EXIT_TICKETS_FAILED, result.output
    assert f"{len(queue.tickets)} tickets in" in result.output
    assert f"{len(unreadable(queue))} with no usable input" in result.output
    for expected in unreadable(queue):
        assert f"no usable input: {expected.name}: " in result.output
    # Not a terminal: one plain progress line per finished ticket instead of a bar.
    assert f"triage: {len(queue.tickets)} tickets" in result.output
    assert "T-1001-keyspec2: keyspec-signature" in result.output
    return out


def unreadable(queue: Queue) -> list[Expected]:
    return [t for t in queue.tickets if t.verdict == "no-usable-input"]


def summary(out: Path) -> dict[str, dict]:
    document = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert document["schema"] == "certtriage.triage/1"
    return {row["ticket"]: row for row in document["tickets"]}


def test_every_ticket_gets_its_verdict(queue: Queue, triaged: Path) -> None:
    rows = summary(triaged)
    assert list(rows) == sorted(t.name for t in queue.tickets)
    for expected in queue.tickets:
        row = rows[expected.name]
        if expected.verdict == "no-usable-input":
            assert (row["status"], row["verdict"]) == ("no-usable-input", None), row
            assert row["reason"] and expected.name not in row["reason"], row
            assert row["reply"] == f"{expected.name}/reply.md"
            continue
        assert row["status"] == "analysed", (expected.name, row)
        if expected.scenario is not None:
            assert (row["verdict"], row["scenario"]) == (expected.verdict, expected.scenario), (
                expected.name
            )
            assert row["kind"] == "fault"
            assert row["certificate"] and row["inputs_read"] >= 1
        else:
            assert row["kind"] != "fault", (expected.name, row)
        if expected.inputs_failed is not None:
            assert row["inputs_failed"] == expected.inputs_failed, expected.name
        assert row["report"] == f"{expected.name}/report.html"


def test_bad_attachments_are_named_in_the_ticket_report(queue: Queue, triaged: Path) -> None:
    for expected in queue.tickets:
        report = json.loads((triaged / expected.name / "report.json").read_text(encoding="utf-8"))
        said = "\n".join(m for entry in report["inputs"] for m in entry["messages"])
        for text in expected.messages:
            assert text in said, (expected.name, text, said)
    # Virtual paths are relative to the queue, so reports do not depend on where it is mounted.
    nested = json.loads((triaged / "T-1005-nested.zip" / "report.json").read_text("utf-8"))
    assert "T-1005-nested.zip!/attachments.zip!/logs.zip!/System.evtx" in [
        entry["path"] for entry in nested["inputs"]
    ]
    # Nothing escaped: the traversal member was never written anywhere.
    assert not (triaged.parent / "Windows").exists()


def test_summary_csv_is_sorted_and_formula_safe(queue: Queue, triaged: Path) -> None:
    with (triaged / "summary.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["ticket"] for r in rows] == sorted(
        ("'" + t.name if t.name.startswith("=") else t.name) for t in queue.tickets
    )
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    hostile = next(r for r in rows if r["ticket"] == "'=HYPERLINK(1).txt")
    assert hostile["report"] == "'=HYPERLINK(1).txt/report.html"
    assert hostile["verdict"] == "keyspec-signature"


def test_index_lists_every_ticket_with_working_links(queue: Queue, triaged: Path) -> None:
    page = (triaged / "index.html").read_text(encoding="utf-8")
    no_input = len(unreadable(queue))
    assert page.count('<tr class="analysed ') == len(queue.tickets) - no_input
    assert page.count('<tr class="no-usable-input ') == no_input
    assert "T-1011 wrong files" in page
    assert 'href="T-1011%20wrong%20files/report.html"' in page
    assert 'href="T-1011%20wrong%20files/reply.md"' in page
    for expected in queue.tickets:
        assert (triaged / expected.name / "report.html").is_file()
        assert (triaged / expected.name / "reply.md").is_file()
    assert "<script src" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert not list(triaged.rglob("*.tmp"))


def test_rerun_skips_unchanged_and_force_gives_identical_bytes(
    queue: Queue, triaged: Path, tmp_path: Path
) -> None:
    before = {p: p.read_bytes() for p in triaged.rglob("*") if p.is_file()}
    again = runner.invoke(app, ["triage", str(queue.root), "--out", str(triaged)])
    assert again.exit_code == EXIT_TICKETS_FAILED  # unchanged unreadable tickets still count
    assert f"0 analysed, {len(queue.tickets)} unchanged" in again.output
    assert {p: p.read_bytes() for p in triaged.rglob("*") if p.is_file()} == before

    fresh = tmp_path / "fresh"
    forced = runner.invoke(
        app, ["triage", str(queue.root), "--out", str(fresh), "--force", "--workers", "1"]
    )
    assert forced.exit_code == EXIT_TICKETS_FAILED
    for name in (
        "summary.json",
        "summary.csv",
        "index.html",
        "T-1005-nested.zip/report.json",
        "T-1005-nested.zip/reply.md",
    ):
        assert (fresh / name).read_bytes() == (triaged / name).read_bytes(), name


def test_changed_ticket_is_analysed_again(tmp_path: Path) -> None:
    queue = make_queue(tmp_path / "queue", LOG_SIZE)
    out = tmp_path / "out"
    first = runner.invoke(app, ["triage", str(queue.root), "--out", str(out)])
    assert first.exit_code == EXIT_TICKETS_FAILED  # the unreadable tickets
    dump = queue.root / "T-1001-keyspec2" / "my.txt"
    dump.write_bytes(dump.read_bytes() + "\r\n".encode("utf-16-le"))
    result = runner.invoke(app, ["triage", str(queue.root), "--out", str(out)])
    assert result.exit_code == EXIT_TICKETS_FAILED
    assert f"1 analysed, {len(queue.tickets) - 1} unchanged" in result.output

    # An interrupted run: the report was being replaced and the stamp never written.
    (out / "T-1005-nested.zip" / ".certtriage-ticket.json").unlink()
    (out / "T-1005-nested.zip" / "report.html").write_text("<html><body>half")
    result = runner.invoke(app, ["triage", str(queue.root), "--out", str(out)])
    assert f"1 analysed, {len(queue.tickets) - 1} unchanged" in result.output
    assert (out / "T-1005-nested.zip" / "report.html").read_text().rstrip().endswith("</html>")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks on this platform")
def test_failed_tickets_exit_5_and_are_listed(tmp_path: Path) -> None:
    queue = tmp_path / "queue"
    (queue / "T-1").mkdir(parents=True)
    (queue / "T-1" / "notes.txt").write_text("nothing useful")
    try:
        (queue / "T-2-link").symlink_to(tmp_path, target_is_directory=True)
    except OSError as exc:
        pytest.skip(f"cannot create symlinks: {exc}")
    out = tmp_path / "out"
    result = runner.invoke(app, ["triage", str(queue), "--out", str(out)])
    assert result.exit_code == EXIT_TICKETS_FAILED
    assert "failed: T-2-link: not a ticket: symbolic link (not followed)" in result.output
    rows = summary(out)
    assert rows["T-2-link"]["status"] == "failed"
    # nothing in T-1 is an input certtriage reads: no verdict, and not a failure either
    assert (rows["T-1"]["status"], rows["T-1"]["verdict"]) == ("no-usable-input", None)
    assert "no usable input: T-1: notes.txt: not an input certtriage reads" in result.output
    document = json.loads((out / "summary.json").read_text())
    assert (document["failed"], document["no_usable_input"]) == (["T-2-link"], ["T-1"])
    assert document["counts"] == {"failed": 1, "no-usable-input": 1}


def test_output_folder_inside_the_queue_is_not_a_ticket(tmp_path: Path) -> None:
    queue = tmp_path / "queue"
    (queue / "T-1").mkdir(parents=True)
    (queue / "T-1" / "notes.txt").write_text("x")
    result = runner.invoke(app, ["triage", str(queue), "--out", str(queue / "reports")])
    assert result.exit_code == EXIT_TICKETS_FAILED  # T-1 holds nothing readable
    assert list(summary(queue / "reports")) == ["T-1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing-dir", "--out", "o"], "not a folder of tickets"),
        (["queue", "--out", "queue/T-1/out"], "inside a ticket"),
        (["queue", "--out", "o", "--workers", "0"], "--workers must be at least 1"),
        (["queue", "--out", "a-file"], "exists and is not a folder"),
        (["queue", "--out", "a-file/reports"], "--out a-file/reports cannot be created"),
        (["queue", "--out", "."], "must not contain the queue folder"),
        (["queue", "--out", "o", "--engine", "fast"], "--engine must be one of"),
        (["queue", "--out", "o", "--scheduler", "localhost"], "tcp://HOST:PORT"),
    ],
)
def test_usage_errors_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    (tmp_path / "queue" / "T-1").mkdir(parents=True)
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["triage", *args])
    assert result.exit_code == EXIT_USAGE
    assert message in result.output
    assert not (tmp_path / "queue" / "T-1" / "out").exists()


def test_help_describes_the_command() -> None:
    result = runner.invoke(app, ["triage", "--help"])
    assert result.exit_code == 0
    for option in ("--out", "--workers", "--timeout", "--force", "--scheduler"):
        assert option in result.output


def test_tickets_whose_names_collide_on_windows_keep_their_own_reports(tmp_path: Path) -> None:
    # Issue 13: before, `index.html` and `index.html~ticket` shared one output folder (the
    # second report overwrote the first), and `T-1`/`t-1` would share one on NTFS.
    queue = tmp_path / "queue"
    for name in ("index.html", "index.html~ticket", "T-1", "t-1", "con.txt"):
        (queue / name).parent.mkdir(parents=True, exist_ok=True)
        (queue / name).write_text(f"notes of {name}")
    out = tmp_path / "out"
    runner.invoke(app, ["triage", str(queue), "--out", str(out)])
    rows = summary(out)
    folders = [row["report"].rsplit("/", 1)[0] for row in rows.values()]
    assert len({f.casefold() for f in folders}) == len(rows) == 5
    for name, row in rows.items():
        report = json.loads((out / row["report"]).with_name("report.json").read_text("utf-8"))
        assert [entry["path"] for entry in report["inputs"]] == [name]
    assert (out / "index.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
