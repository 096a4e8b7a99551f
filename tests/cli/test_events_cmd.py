"""`certtriage events`: JSON purity, determinism, exit codes, table, help."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import events_cmd
from analyzer.cli.app import EXIT_INTERNAL, EXIT_NO_INPUT, EXIT_OK, EXIT_USAGE, app
from tests.conftest import FIXTURES, shared_samples

EXPORTS = FIXTURES / "exports"
runner = CliRunner()


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["events", *args])


def test_help_documents_the_options() -> None:
    result = run("--help")
    assert result.exit_code == EXIT_OK
    for option in ("--json", "--engine", "--limit", "FILE"):
        assert option in result.stdout


def test_json_is_pure_deterministic_and_sorted() -> None:
    args = ("--json", str(EXPORTS / "wevtutil_many_no_root.xml"), str(EXPORTS / "single_36870.xml"))
    first, second = run(*args), run(*args)
    assert first.exit_code == EXIT_OK
    assert first.stdout == second.stdout  # byte-identical
    document = json.loads(first.stdout)  # nothing but JSON on stdout
    assert document["schema"] == "certtriage.events/1"
    assert [i["path"].rsplit("/", 1)[-1] for i in document["inputs"]] == [
        "single_36870.xml",
        "wevtutil_many_no_root.xml",
    ]
    keys = [(e["source"]["path"], e["record_id"]) for e in document["events"]]
    assert keys == sorted(keys) and len(keys) == 7
    schannel = next(e for e in document["events"] if e["event_id"] == 36870)
    assert schannel["data"] == {"ErrorCode": "0x8009030d", "ErrorStatus": 10001, "Type": "server"}
    assert schannel["role"] == "server" and schannel["time"] == "2022-10-16T20:27:36.222854Z"
    assert document["inputs"][1]["coverage"]["os"] == {  # inputs sorted by path
        "build": 9600,
        "record": 2101,
        "version": "6.3",
    }


def test_real_export_in_json() -> None:
    path = shared_samples("evtx") / "exports" / "36870_servicefabric_tsg_eventviewer_copy.txt"
    result = run("--json", str(path))
    assert result.exit_code == EXIT_OK
    document = json.loads(result.stdout)
    (event,) = document["events"]
    assert (event["provider"], event["event_id"], event["record_id"]) == ("Schannel", 36870, 2213)
    assert event["source"] == {"line": 13, "path": path.as_posix(), "record": 2213}


def test_table_has_events_coverage_and_warnings() -> None:
    result = run(str(EXPORTS / "truncated_events.xml"))
    assert result.exit_code == EXIT_OK
    out = result.stdout
    assert "Schannel        36870  server  ErrorCode=0x8009030d, ErrorStatus=10001" in out
    assert (
        "truncated_events.xml [evtx-xml, partial]: System log, 2022-10-16 → 2022-10-16, "
        "4 records, 1 × 36870, computer WEB01.contoso.local, OS 6.3 build 9600"
    ) in out
    assert "truncated_events.xml:100: event skipped: the event is cut off" in out


def test_table_limit_says_how_many_more() -> None:
    result = run("--limit", "2", str(EXPORTS / "wevtutil_many_no_root.xml"))
    assert "… 4 more events (use --limit 0 or --json for all)" in result.stdout


def test_no_usable_input_exits_3(tmp_path: Path) -> None:
    note = tmp_path / "notes.txt"
    note.write_text("customer says: it broke after the renewal\n", encoding="utf-8")
    result = run("--json", str(note), str(EXPORTS / "hostile_xxe.xml"), str(tmp_path / "gone.evtx"))
    assert result.exit_code == EXIT_NO_INPUT
    inputs = {Path(i["path"]).name: i for i in json.loads(result.stdout)["inputs"]}
    assert {name: (i["kind"], i["status"]) for name, i in inputs.items()} == {
        "notes.txt": ("unknown", "skipped"),
        "hostile_xxe.xml": ("evtx-xml", "error"),
        "gone.evtx": ("collection", "error"),
    }
    assert "XML refused" in inputs["hostile_xxe.xml"]["messages"][0]
    assert inputs["gone.evtx"]["messages"][0].endswith("gone.evtx: not found")


def test_an_empty_file_is_said_to_be_empty(tmp_path: Path) -> None:
    (tmp_path / "System.evtx").write_bytes(b"")
    result = run(str(tmp_path / "System.evtx"))
    assert result.exit_code == EXIT_NO_INPUT
    assert f"{tmp_path}/System.evtx: empty file (0 bytes): nothing to read" in result.output


def test_empty_folder_is_named(tmp_path: Path) -> None:
    result = run(str(tmp_path))
    assert result.exit_code == EXIT_NO_INPUT
    assert f"{tmp_path}: empty folder: no files to read" in result.output


def test_folder_with_locale_metadata(tmp_path: Path) -> None:
    (tmp_path / "LocaleMetaData").mkdir()
    (tmp_path / "LocaleMetaData" / "System_1033.MTA").write_bytes(b"\x00\x00\x01\x02")
    (tmp_path / "System.xml").write_bytes((EXPORTS / "single_36870.xml").read_bytes())
    result = run("--json", str(tmp_path))
    assert result.exit_code == EXIT_OK
    kinds = {
        Path(i["path"]).name: (i["kind"], i["status"]) for i in json.loads(result.stdout)["inputs"]
    }
    assert kinds == {
        "System_1033.MTA": ("evtx-locale-meta", "skipped"),
        "System.xml": ("evtx-xml", "ok"),
    }


def test_archives_are_opened(tmp_path: Path) -> None:
    import zipfile

    ticket = tmp_path / "ticket.zip"
    with zipfile.ZipFile(ticket, "w") as archive:
        archive.write(EXPORTS / "eventviewer_saved.csv", "logs/System.csv")
    result = run("--json", str(ticket))
    assert result.exit_code == EXIT_OK
    document = json.loads(result.stdout)
    assert [i["path"] for i in document["inputs"]] == [f"{ticket.as_posix()}!/logs/System.csv"]
    assert {e["source"]["path"] for e in document["events"]} == {
        f"{ticket.as_posix()}!/logs/System.csv"
    }


def test_bad_engine_is_a_usage_error() -> None:
    result = run("--engine", "libevtx", str(EXPORTS / "single_36870.xml"))
    assert result.exit_code == EXIT_USAGE


def test_internal_error_is_one_line_and_exit_70(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(events_cmd, "read_paths", explode)
    result = run("--json", str(EXPORTS / "single_36870.xml"))
    assert result.exit_code == EXIT_INTERNAL
    assert result.stdout == ""
    assert result.stderr.strip().endswith("RuntimeError: boom")
    assert "Traceback" not in result.stderr


def test_a_reader_crash_is_an_error_input_and_the_rest_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from analyzer import readers

    spec = readers.registry()["evtx-csv"]

    def explode(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(readers._REGISTRY, "evtx-csv", replace(spec, read=explode))
    csv = next(p for p in sorted(EXPORTS.iterdir()) if p.suffix == ".csv")
    result = run("--json", str(csv), str(EXPORTS / "single_36870.xml"))
    assert result.exit_code == EXIT_OK
    inputs = {Path(i["path"]).name: i for i in json.loads(result.stdout)["inputs"]}
    assert (inputs[csv.name]["kind"], inputs[csv.name]["status"]) == ("evtx-csv", "error")
    assert inputs[csv.name]["messages"][0].endswith(
        "internal error in the evtx-csv reader: RuntimeError: boom"
    )
    assert inputs["single_36870.xml"]["status"] == "ok"
