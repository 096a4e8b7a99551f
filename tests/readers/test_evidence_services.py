"""The service-account reader: sc qc (English, localized, several services, an error) and
Win32_Service listings (Get-CimInstance table, Get-WmiObject list in a markdown quote, wmic)."""

from __future__ import annotations

from pathlib import Path

from analyzer.inputs.files import InputFile
from analyzer.model import ServiceConfig, Status
from analyzer.readers import detect
from analyzer.readers.evidence.service_config import KIND, SPEC
from tests.readers.evidence_helpers import EVIDENCE, read, warnings

FIXTURES = EVIDENCE / "services"
NETWORK_SERVICE = "NT Authority\\NetworkService"


def configs(path: Path) -> list[tuple[str, str | None, str | None, str, int | None]]:
    return [
        (c.name, c.start_name, c.display_name, c.form, c.source.line)
        for c in read(SPEC, path).records(ServiceConfig)
    ]


def test_sc_qc_gives_the_start_name_line_display_name_and_binary_path() -> None:
    result = read(SPEC, FIXTURES / "sc-qc-termservice.txt")
    assert result.status is Status.OK
    [config] = result.records(ServiceConfig)
    assert (config.name, config.start_name, config.source.line) == (
        "TermService",
        NETWORK_SERVICE,
        14,
    )
    assert config.display_name == "Remote Desktop Services"
    assert config.binary_path == "C:\\Windows\\System32\\svchost.exe -k NetworkService"


def test_localized_labels_are_placed_by_position_and_sc_errors_are_said() -> None:
    path = FIXTURES / "sc-qc-localized-utf16.txt"
    assert configs(path) == [
        ("TermService", NETWORK_SERVICE, "Remotedesktopdienste", "sc-qc", 14),
        ("MSSQLSERVER", "CONTOSO\\svc-sql", "SQL Server (MSSQLSERVER)", "sc-qc", 28),
    ]
    assert any("1060" in t for t in warnings(read(SPEC, path)))


def test_win32_service_table_list_and_wmic() -> None:
    table = {c[0]: c for c in configs(FIXTURES / "win32-service-table.txt")}
    assert len(table) == 9
    assert table["TermService"][1:4] == (NETWORK_SERVICE, None, "win32-service-table")
    assert table["MSSQLSERVER"][1] == "NT Service\\MSSQLSERVER"
    assert configs(FIXTURES / "win32-service-list.md") == [
        ("TermService", NETWORK_SERVICE, "Remote Desktop Services", "win32-service-list", 5)
    ]
    assert configs(FIXTURES / "wmic-service.txt") == [
        ("TermService", NETWORK_SERVICE, None, "win32-service-table", 3)
    ]


def test_every_fixture_is_detected_as_a_service_config() -> None:
    for path in sorted(FIXTURES.iterdir()):
        spec = detect(InputFile.from_path(path))
        assert spec is not None and spec.kind == KIND, path


def test_a_cut_start_name_or_a_block_without_one_is_not_an_account(tmp_path: Path) -> None:
    paste = tmp_path / "svc.txt"
    paste.write_text(
        "Name        StartName\n----        ---------\nTermService NT Authority\\Netw...\n\n"
        "SERVICE_NAME: W3SVC\n        TYPE               : 20  WIN32_SHARE_PROCESS\n",
        encoding="utf-8",
    )
    result = read(SPEC, paste)
    assert [(c.name, c.start_name) for c in result.records(ServiceConfig)] == [
        ("TermService", None),
        ("W3SVC", None),
    ]
    texts = warnings(result)
    assert any(t.startswith("3: the StartName of TermService is cut") for t in texts)
    assert any(t.startswith("5: sc qc output for W3SVC without SERVICE_START_NAME") for t in texts)


def test_hostile_input_is_bounded_and_never_raises(tmp_path: Path) -> None:
    paste = tmp_path / "svc.txt"
    rows = [f"svc{i:05d}  \x1b[31mLocalSystem\x07" for i in range(2500)]
    paste.write_bytes(("Name  StartName\n----  ---------\n" + "\n".join(rows)).encode("utf-8"))
    result = read(SPEC, paste)
    found = result.records(ServiceConfig)
    assert len(found) == 2000
    assert all("\x1b" not in (c.start_name or "") for c in found)
    assert any("more than 2000 services" in m.text for m in result.messages)


def test_no_service_is_an_error(tmp_path: Path) -> None:
    paste = tmp_path / "svc.txt"
    paste.write_text(
        "[SC] OpenService FAILED 1060:\n\nThe specified service does not exist as an installed service.\n"
    )
    result = read(SPEC, paste)
    assert result.status is Status.ERROR
    assert any("1060" in m.text for m in result.messages)
