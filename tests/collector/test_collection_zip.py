"""A collector zip as the script writes it: every file read by the kind the table names, the
whole zip analysed as one ticket, the manifest used where the case has no better evidence, and
a hostile manifest read safely."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from analyzer.collector import COLLECTED_FILES, MANIFEST_NAME, RUN_LINE
from analyzer.inputs.files import InputFile
from analyzer.model import Collection, Level, Status
from analyzer.pipeline import run_analysis
from analyzer.readers import ReadOptions, detect, registry
from analyzer.readers.collection import KIND, MAX_MANIFEST_BYTES, read_manifest
from fixtures.writers.collection_writer import (
    TICKET,
    ZIP_NAME,
    build_zip,
    contents,
    manifest,
    write_collection,
)

COMMITTED = TICKET / ZIP_NAME


def _members(tmp_path: Path) -> Path:
    folder = tmp_path / "members"
    with zipfile.ZipFile(COMMITTED) as archive:
        archive.extractall(folder)
    return folder


def test_committed_zip_matches_its_writer(tmp_path: Path) -> None:
    written = write_collection(tmp_path / "ticket", scratch=tmp_path)
    assert written.name == COMMITTED.name
    assert written.read_bytes() == COMMITTED.read_bytes()


def test_every_file_the_script_writes_is_in_the_fixture_zip() -> None:
    names = set(zipfile.ZipFile(COMMITTED).namelist())
    # The SQL Server, AD FS and Exchange files are written only where the role is installed
    # (not on this server: tests/collector/test_collection_services.py has those servers).
    expected = {f.name for f in COLLECTED_FILES} - ROLE_FILES
    assert names == expected


ROLE_FILES = {
    "sql-certificate.txt",
    "sql-errorlog-<instance>.txt",
    "sql-errorlog-<instance>-1.txt",
    "winrm-listeners.txt",
    "adfs-certificates.txt",
    "adfs-ssl-certificates.txt",
    "adfs-properties.txt",
    "ADFS-Admin.evtx",
    "exchange-certificates.txt",
}


@pytest.mark.parametrize("entry", [f for f in COLLECTED_FILES if f.name not in ROLE_FILES - {"sql-certificate.txt"}], ids=lambda f: f.name)  # fmt: skip
def test_each_file_is_sniffed_as_its_kind(entry, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _members(tmp_path)
    path = folder / entry.name
    if entry.name == "sql-certificate.txt":  # the shape `reg query /s /v Certificate` prints
        path.write_bytes(
            b"\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER"
            b"\\MSSQLServer\\SuperSocketNetLib\r\n    Certificate    REG_SZ    "
            b"26c8c253be4503b5ca817e34be8e4fe11c5de9c8\r\n\r\nEnd of search: 1 match(es) found.\r\n"
        )
    if path.stat().st_size == 0:  # reg query printed nothing (the value is not set)
        return
    spec = detect(InputFile.from_path(path))
    if entry.kind is None or entry.kind not in registry():
        # No reader reads it yet (a MachineGuid reader is being written): none may claim it.
        assert spec is None, f"{entry.name} is claimed by {spec.kind if spec else None}"
    else:
        assert spec is not None and spec.kind == entry.kind


@pytest.fixture(scope="module")
def analysis():  # type: ignore[no-untyped-def]
    return run_analysis([TICKET])


def test_the_zip_analyses_to_the_scenario_2_verdict(analysis) -> None:  # type: ignore[no-untyped-def]
    assert analysis.diagnoses[0].id == "machinekeys-permissions"
    assert analysis.diagnoses[0].confidence == "high" and analysis.diagnoses[0].explains_events
    assert [d.id for d in analysis.diagnoses if d.kind == "fault"] == ["machinekeys-permissions"]
    by_name = {r.path.rsplit("/", 1)[-1]: r for r in analysis.inputs}
    for entry in COLLECTED_FILES:
        result = by_name.get(entry.name)
        empty = (
            result is not None
            and result.status is Status.SKIPPED
            and "empty file" in str(result.messages)
        )  # reg query printed nothing: the value is not set
        if result is not None and entry.kind is not None and not empty:
            assert result.kind == entry.kind and result.usable, entry.name


def test_the_manifest_fills_os_offset_host_and_elevation(analysis) -> None:  # type: ignore[no-untyped-def]
    context = analysis.context
    assert context.os is not None
    assert context.os.version == "10.0" and context.os.build == 17763
    assert str(context.os.source).endswith("!/manifest.json")
    assert context.local_offset == "+01:00"
    (run,) = analysis.records(Collection)
    assert run.host == "IIS01" and run.elevated is True
    assert not any("OS version" in n.why for n in analysis.not_checked)
    # An elevated run gathered everything it can: no request to run it again.
    assert not any(a.command == RUN_LINE for a in analysis.ask_for)
    manifest_input = next(r for r in analysis.inputs if r.kind == KIND)
    assert manifest_input.status is Status.OK  # hashes match; the RDP value is only a note
    (note,) = manifest_input.messages
    assert note.level is Level.INFO and "SSLCertificateSHA1Hash" in note.text


def _zip(tmp_path: Path, name: str = "c.zip", edit=None, **changes) -> Path:  # type: ignore[no-untyped-def]
    files, commands = contents(tmp_path)
    data = build_zip(files, manifest(files, commands, **changes), edit)
    target = tmp_path / "ticket" / name
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(data)
    return target


def _manifest_input(analysis):  # type: ignore[no-untyped-def]
    return next(r for r in analysis.inputs if r.path.endswith(MANIFEST_NAME))


def test_tampered_and_missing_files_are_warnings(tmp_path: Path) -> None:
    def tamper(members: dict[str, bytes]) -> None:
        members["netsh-http-show-sslcert.txt"] += b"\r\n"
        del members["services.txt"]

    analysis = run_analysis([_zip(tmp_path, edit=tamper)])
    texts = [m.text for m in _manifest_input(analysis).messages if m.level is Level.WARNING]
    assert any(t.startswith("netsh-http-show-sslcert.txt: SHA-256 differs") for t in texts)
    assert "services.txt is listed in the manifest but not in the collection" in texts
    assert _manifest_input(analysis).status is Status.PARTIAL


def test_failed_commands_and_a_non_elevated_run(tmp_path: Path) -> None:
    files, commands = contents(tmp_path)
    commands[0] = {**commands[0], "exit_code": -2146893802, "error": "CertUtil: Keyset does not exist"}  # fmt: skip
    data = build_zip(files, manifest(files, commands, elevated=False))
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "c.zip").write_bytes(data)
    analysis = run_analysis([tmp_path / "t"])
    texts = [m.text for m in _manifest_input(analysis).messages if m.level is Level.WARNING]
    assert any(
        "`certutil.exe -v -Unicode -store my` failed (exit code -2146893802)" in t for t in texts
    )
    assert any("without elevation" in t for t in texts)
    ask = next(a for a in analysis.ask_for if a.command == RUN_LINE)
    assert "an elevated, verbose dump" in ask.what  # the dump of a non-elevated run proves little


# --------------------------------------------------------------------------- hostile manifests


def _read(tmp_path: Path, data: bytes):  # type: ignore[no-untyped-def]
    path = tmp_path / MANIFEST_NAME
    path.write_bytes(data)
    return read_manifest(InputFile.from_path(path), ReadOptions())


def _valid(tmp_path: Path) -> dict:
    files, commands = contents(tmp_path)
    return json.loads(manifest(files, commands))


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b'{"schema": "certtriage.collection/1", "host": ', "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"schema": "certtriage.collection/1", "x": ' + b"[" * 100000 + b"]" * 100000 + b"}", "nested too deeply"),
        (b'["certtriage.collection/1"]', "not a collector manifest"),
    ],
)  # fmt: skip
def test_unreadable_manifests_fail_in_one_line(tmp_path: Path, data: bytes, said: str) -> None:
    result = _read(tmp_path, data)
    assert result.status is Status.ERROR and not result.records(Collection)
    assert said in result.messages[0].text


def test_a_huge_manifest_is_not_read(tmp_path: Path) -> None:
    data = b'{"schema": "certtriage.collection/1", "pad": "' + b"a" * MAX_MANIFEST_BYTES + b'"}'
    result = _read(tmp_path, data)
    assert result.status is Status.ERROR and "not read" in result.messages[0].text


def test_hostile_fields_are_bounded_and_cleaned(tmp_path: Path) -> None:
    document = _valid(tmp_path)
    document["host"] = "EVIL\x1b[31m\u202eHOST" + "x" * 5000
    document["utc_offset"] = "+99:00"
    document["collected_at"] = "yesterday"
    document["elevated"] = "yes"
    document["os"] = {"version": "ten", "caption": 7}
    document["commands"] = [
        {"command": "rm -rf /\x07\x1b]0;title\x07", "exit_code": 1, "error": "e" * 10000},
        "not a record",
    ] + [{"command": "x", "exit_code": 0}] * 2000
    document["files"] = [
        {"name": "../../etc/passwd", "sha256": "0" * 64},
        {"name": "C:\\Windows\\win.ini", "sha256": "0" * 64},
        {"name": "..", "sha256": "0" * 64},
        {"name": "ok.txt", "sha256": "not-a-hash"},
        {"name": "ok2.txt", "sha256": "A" * 64},
    ]
    result = _read(tmp_path, json.dumps(document).encode())
    assert result.status is Status.PARTIAL
    (collection,) = result.records(Collection)
    assert collection.host is not None and len(collection.host) <= 300
    assert "\x1b" not in collection.host and "\u202e" not in collection.host
    assert collection.utc_offset is None and collection.collected_at is None
    assert collection.elevated is None and collection.os is None
    for message in result.messages:
        assert len(message.text) < 1000
        assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in message.text)
    # Only the plain name is kept, lower-cased; nothing outside the manifest's folder is named.
    assert collection.files == ((f"{tmp_path.as_posix()}/ok2.txt", "a" * 64),)
    texts = " ".join(m.text for m in result.messages)
    assert "has no plain file name" in texts and "only the first 500" in texts


def test_hostile_names_never_reach_outside_the_collection(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    files, commands = contents(tmp_path / "w")
    body = json.loads(manifest(files, commands))
    body["files"].append(
        {"name": "../secret.txt", "sha256": hashlib.sha256(b"outside").hexdigest()}
    )
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / MANIFEST_NAME).write_text(json.dumps(body))
    analysis = run_analysis([folder])
    manifest_input = _manifest_input(analysis)
    texts = [m.text for m in manifest_input.messages]
    assert any("has no plain file name" in t for t in texts)
    assert not any("secret" in f for c in manifest_input.records(Collection) for f, _ in c.files)
