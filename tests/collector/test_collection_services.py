"""Collector zips of servers with SQL Server and WinRM, AD FS, Exchange (the script's shapes,
`fixtures/writers/collection_services.py`): every file of those roles is read by the reader the
collector's table names, the services appear in the correlation, the roles' records are read,
and a step that did not apply is a note, not a warning."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from analyzer import model
from analyzer.collector import COLLECTED_FILES, MANIFEST_NAME
from analyzer.inputs.files import InputFile
from analyzer.model import Level, Status
from analyzer.pipeline import run_analysis
from analyzer.readers import ReadOptions, detect
from analyzer.readers.evidence.sql_errorlog import KIND as SQL_ERRORLOG
from fixtures.writers.collection_services import COLLECTIONS, TICKETS, write_service_collection
from fixtures.writers.collection_writer import ZIP_NAME

EXPECTED = {
    # services in the correlation; records of the roles' readers (type name -> how many)
    "collection-sql-winrm": (
        {"iis", "sqlserver", "winrm"},
        {"SqlServerStart": 3, "SqlCertificateEvent": 3, "WinRmListener": 2, "RegistryValue": 4},
    ),
    "collection-adfs": (
        {"iis", "adfs"},
        {"AdfsCertificate": 3, "AdfsSslCertificate": 3, "AdfsProperty": 1, "WinRmListener": 1},
    ),
    "collection-exchange": ({"iis", "exchange"}, {"ExchangeCertificate": 1, "WinRmListener": 1}),
}
KIND_OF = {f.name: f.kind for f in COLLECTED_FILES}


def _table_name(member: str) -> str:
    """The collector table's name of a zip member (``sql-errorlog-SALES-1.txt`` ->
    ``sql-errorlog-<instance>-1.txt``)."""
    for entry in COLLECTED_FILES:
        if entry.per_instance:
            head, _, tail = entry.name.partition("<instance>")
            rest = member[len(head) :]
            if member.startswith(head) and member.endswith(tail) and "-" not in rest[: -len(tail)]:
                return entry.name
    return member


@pytest.mark.parametrize("name", sorted(COLLECTIONS))
def test_committed_zips_match_their_writer(name: str, tmp_path: Path) -> None:
    written = write_service_collection(name, tmp_path / "ticket", scratch=tmp_path)
    assert written.read_bytes() == (TICKETS / name / ZIP_NAME).read_bytes()


@pytest.fixture(scope="module", params=sorted(COLLECTIONS))
def analysed(request):  # type: ignore[no-untyped-def]
    return request.param, run_analysis([TICKETS / request.param])


def test_the_roles_files_are_read_as_the_table_says(analysed) -> None:  # type: ignore[no-untyped-def]
    name, analysis = analysed
    members = set(zipfile.ZipFile(TICKETS / name / ZIP_NAME).namelist())
    assert {_table_name(m) for m in members} <= set(KIND_OF)
    by_name = {r.path.rsplit("/", 1)[-1]: r for r in analysis.inputs}
    for member in members - {"rdp-certificate.txt"}:  # empty: reg query found no value
        result = by_name[member]
        assert result.kind == KIND_OF[_table_name(member)], member
        assert result.status is Status.OK and result.usable, (member, result.messages)


def test_the_services_are_in_the_correlation_and_their_records_read(analysed) -> None:  # type: ignore[no-untyped-def]
    name, analysis = analysed
    services, counts = EXPECTED[name]
    assert set(analysis.context.services) == services
    for record, count in counts.items():
        assert len(analysis.records(getattr(model, record))) == count, record


def test_skipped_steps_are_notes(analysed) -> None:  # type: ignore[no-untyped-def]
    _, analysis = analysed
    manifest = next(r for r in analysis.inputs if r.path.endswith(MANIFEST_NAME))
    skipped = [m for m in manifest.messages if m.code == "collection.command-skipped"]
    assert len(skipped) == 2 and all(m.level is Level.INFO for m in skipped)
    assert manifest.status is Status.OK
    assert not [m for m in manifest.messages if m.level is Level.WARNING]


def test_the_sql_instances_and_the_missing_errorlog_1(tmp_path: Path) -> None:
    analysis = run_analysis([TICKETS / "collection-sql-winrm"])
    starts = analysis.records(model.SqlServerStart)
    assert {s.instance for s in starts} == {"MSSQLSERVER", "SALES"}
    manifest = next(r for r in analysis.inputs if r.path.endswith(MANIFEST_NAME))
    (note,) = [m for m in manifest.messages if "ERRORLOG.1" in m.text]
    assert note.level is Level.INFO and "MSSQL15.SALES" in note.text


def test_an_errorlog_cut_as_the_script_cuts_it_is_read(tmp_path: Path) -> None:
    """Copy-LogTail keeps the last bytes from an even offset and puts a UTF-16LE BOM in front:
    the cut first line is skipped, the rest read."""
    with zipfile.ZipFile(TICKETS / "collection-sql-winrm" / ZIP_NAME) as archive:
        whole = archive.read("sql-errorlog-MSSQLSERVER.txt")
    start = len(whole) - 700
    start += start % 2
    path = tmp_path / "sql-errorlog-MSSQLSERVER.txt"
    path.write_bytes(b"\xff\xfe" + whole[start:])
    source = InputFile.from_path(path)
    spec = detect(source)
    assert spec is not None and spec.kind == SQL_ERRORLOG
    result = spec.read(source, ReadOptions())
    assert result.usable
    (loaded,) = result.records(model.SqlCertificateEvent)
    assert loaded.thumbprint is not None
