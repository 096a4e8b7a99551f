"""The reader registry: modules found without a list, record types declared by readers and
carried to the case, the analysis JSON and the report without editing them; docs/readers.md."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from analyzer import readers
from analyzer.case import Case
from analyzer.inputs.files import InputFile
from analyzer.model import (
    AclEntry,
    Analysis,
    Binding,
    Certificate,
    ReadResult,
    RecordType,
    Source,
)
from analyzer.pipeline import run_analysis
from analyzer.readers import ReaderSpec, ReadOptions, Sample, reader_modules, record_types
from analyzer.readers.catalog import readers_markdown
from analyzer.readers.records import ACLS, BINDINGS
from analyzer.reading import read_file
from analyzer.render.json import ANALYSIS_MEMBERS, analysis_document
from analyzer.render.report_view import build_view
from tests.readers_doc import READERS_DOC

ROOT = Path(__file__).resolve().parents[2]
TICKETS = ROOT / "fixtures" / "tickets"


def test_docs_readers_md_is_generated_from_the_registry() -> None:
    assert READERS_DOC.read_text(encoding="utf-8") == readers_markdown(), (
        "docs/readers.md differs from the reader registry: run `make docs`"
    )


def test_every_module_of_the_readers_package_is_found_and_every_reader_comes_from_one() -> None:
    package = ROOT / "analyzer" / "readers"
    on_disk = {
        f"analyzer.readers.{p.stem if p.is_file() else p.name}"
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    assert set(reader_modules()) == on_disk
    for kind, spec in readers.registry().items():
        assert spec.read.__module__.startswith(tuple(reader_modules())), kind


def test_record_keys_are_unique_and_none_is_an_analysis_member() -> None:
    keys = [r.json_key for r in record_types()]
    assert len(keys) == len(set(keys))
    assert not set(keys) & ANALYSIS_MEMBERS
    assert {"certificates", "events", "acls", "file_access", "bindings"} <= set(keys)


def test_a_record_type_declared_two_ways_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "_REGISTRY", dict(readers.registry()))
    twisted = dataclasses.replace(ACLS, json_key="access")
    with pytest.raises(ValueError, match="conflicts"):
        readers.register(ReaderSpec("other-acls", lambda s: 0, _read_note, records=(twisted,)))
    stolen = dataclasses.replace(BINDINGS, cls=AclEntry)
    with pytest.raises(ValueError, match="conflicts"):
        readers.register(ReaderSpec("other-bindings", lambda s: 0, _read_note, records=(stolen,)))


# A reader the project does not have, declared the way a new reader module declares itself.
@dataclasses.dataclass(frozen=True)
class Note:
    text: str
    source: Source = dataclasses.field(default=Source(""), compare=False)


NOTES = RecordType(Note, "test_notes", "test notes", "a test's own record type")


def _sniff_note(sample: Sample) -> int:
    return 90 if sample.text is not None and sample.text.text.startswith("NOTE:") else 0


def _read_note(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, "test-note")
    for number, line in enumerate(file.local.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("NOTE:"):
            result.add(Note(line[5:].strip(), Source(file.display, number)))
    return result


@pytest.fixture
def note_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "_REGISTRY", dict(readers.registry()))
    readers.register(ReaderSpec("test-note", _sniff_note, _read_note, records=(NOTES,)))


def test_a_new_record_type_reaches_the_case_the_json_and_the_report(
    tmp_path: Path, note_reader: None
) -> None:
    (tmp_path / "a.txt").write_text("NOTE: first\nNOTE: twice\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("NOTE: twice\n", encoding="utf-8")
    (tmp_path / "my.txt").write_bytes((TICKETS / "demo-keyspec2" / "my.txt").read_bytes())
    analysis = run_analysis([tmp_path])
    assert [n.text for n in analysis.records(Note)] == ["first", "twice"]  # joined once
    document = analysis_document(analysis)
    assert document["test_notes"] == [
        {"text": "first", "source": {"path": f"{tmp_path.as_posix()}/a.txt", "line": 1}},
        {"text": "twice", "source": {"path": f"{tmp_path.as_posix()}/a.txt", "line": 2}},
    ]
    assert document["diagnoses"][0]["id"] == "keyspec-signature"  # the rest as before
    rows = {row.result.path.rsplit("/", 1)[-1]: row for row in build_view(analysis).inputs}
    assert "2 test notes" in rows["a.txt"].details


def test_a_record_type_added_later_is_left_out_of_the_json_when_empty(
    tmp_path: Path, note_reader: None
) -> None:
    (tmp_path / "my.txt").write_bytes((TICKETS / "demo-keyspec2" / "my.txt").read_bytes())
    document = analysis_document(run_analysis([tmp_path]))
    assert "test_notes" not in document
    assert document["acls"] == [] and document["bindings"] == []  # first-version keys stay


def test_every_fixture_reader_declares_the_records_it_returns() -> None:
    specs = readers.registry()
    seen: set[str] = set()
    for path in sorted(p for p in TICKETS.rglob("*") if p.is_file()):
        result = read_file(InputFile.from_path(path), ReadOptions())
        if result.kind in specs:
            declared = {r.cls for r in specs[result.kind].records}
            assert set(result.store.types()) <= declared, (path, result.kind)
            seen.add(result.kind)
    assert {"certutil", "evtx", "icacls", "netsh-sslcert", "procmon-csv"} <= seen


def test_the_first_version_names_are_live_views_onto_the_store() -> None:
    ace = AclEntry("C:\\k", "SYSTEM", "S-1-5-18", ("F",))
    result = ReadResult("acl.txt", "icacls", acls=[ace])
    assert result.records(AclEntry) == [ace]
    result.acls.append(dataclasses.replace(ace, account="Administrators"))
    assert len(result.records(AclEntry)) == 2
    case = Case.from_results([result])
    assert case.records(AclEntry) is case.acls and len(case.acls) == 2
    analysis = Analysis([result], diagnoses=[], records=case.acls)
    assert analysis.acls == case.acls and analysis.records(Binding) == analysis.bindings == []
    analysis.certificates = [Certificate(None, None, None, "ab" * 20)]
    assert analysis.records(Certificate)[0].thumbprint == "ab" * 20
