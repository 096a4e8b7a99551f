"""Process listings that name each process's account: tasklist /v (table, CSV, any language) and
Get-Process -IncludeUserName (table, Format-List)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analyzer.inputs.files import InputFile
from analyzer.model import ProcessOwner, Status
from analyzer.readers import detect
from analyzer.readers.evidence.processes import SPEC
from tests.readers.evidence_helpers import EVIDENCE, read, sniff, warnings

PROCESSES = EVIDENCE / "processes"


def owners(name: str) -> list[tuple[str, int, str]]:
    result = read(SPEC, PROCESSES / name)
    assert result.status is Status.OK and warnings(result) == []
    return [(o.process, o.pid, o.user) for o in result.records(ProcessOwner)]


def test_tasklist_v_table_by_column_positions() -> None:
    assert owners("tasklist-v-en.txt") == [
        ("System Idle Process", 0, "NT AUTHORITY\\SYSTEM"),
        ("lsass.exe", 672, "NT AUTHORITY\\SYSTEM"),
        ("sqlservr.exe", 2210, "NT Service\\MSSQLSERVER"),
        ("w3wp.exe", 4120, "IIS APPPOOL\\DefaultAppPool"),
    ]  # System shows N/A: no mapping
    result = read(SPEC, PROCESSES / "tasklist-v-en.txt")
    assert result.records(ProcessOwner)[2].source.line == 8


def test_german_tasklist_csv_skips_nicht_zutreffend() -> None:
    found = owners("tasklist-v-csv-de.csv")
    assert ("sqlservr.exe", 2210, "NT Service\\MSSQLSERVER") in found
    assert ("System Idle Process", 0, "NT-AUTORITÄT\\SYSTEM") in found
    assert all(pid != 4 for _, pid, _ in found)


def test_get_process_table_reads_right_aligned_ids() -> None:
    assert owners("get-process-username.txt") == [
        ("lsass", 672, "NT AUTHORITY\\SYSTEM"),
        ("sqlservr", 2210, "NT Service\\MSSQLSERVER"),
        ("w3wp", 4120, "IIS APPPOOL\\DefaultAppPool"),
    ]


def test_get_process_format_list_pasted() -> None:
    assert owners("get-process-list.md") == [("sqlservr", 2210, "NT Service\\MSSQLSERVER")]


@pytest.mark.parametrize("name", sorted(p.name for p in PROCESSES.iterdir()))
def test_detected_by_content(name: str) -> None:
    assert sniff(SPEC, PROCESSES / name) >= 60 or name.endswith(".md")
    spec = detect(InputFile.from_path(PROCESSES / name))
    assert spec is not None and (spec.kind == "process-list" or name.endswith(".md"))


def test_tasklist_without_v_has_no_user_and_fails_clearly(tmp_path) -> None:
    path = tmp_path / "tl.txt"
    path.write_text(
        "Image Name                     PID Session Name        Session#    Mem Usage\n"
        "========================= ======== ================ =========== ============\n"
        "lsass.exe                      672 Services                   0     17,624 K\n",
        encoding="utf-8",
    )
    result = read(SPEC, path)
    assert result.status is Status.ERROR and "tasklist /v" in result.messages[-1].text


_TABLE_ALPHABET = st.sampled_from(list(' =-"\n,:\\0123456789ABIdUserNamePIDx'))


@given(st.text(alphabet=_TABLE_ALPHABET, max_size=400))
def test_table_like_garbage_never_raises(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tl.txt"
        path.write_text(text, encoding="utf-8")
        assert 0 <= sniff(SPEC, path) <= 100
        result = read(SPEC, path)
        assert all(o.pid >= 0 and o.user for o in result.records(ProcessOwner))
