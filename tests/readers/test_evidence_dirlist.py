"""The `dir` / Get-ChildItem folder listing reader: one `FolderListing` per folder block."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.inputs.files import InputFile
from analyzer.model import FolderListing, Status
from analyzer.readers import ReadOptions, detect
from analyzer.readers.evidence.dirlist import SPEC
from analyzer.readers.evidence.icacls import SPEC as ICACLS
from tests.readers.evidence_helpers import KEY_FILE, MACHINEKEYS, OTHER_KEY, read, sniff, warnings

TICKETS = Path(__file__).resolve().parents[2] / "fixtures" / "tickets"
CNG_KEYS = "C:\\ProgramData\\Microsoft\\Crypto\\Keys"

GCI_DE = f"""PS C:\\Users\\admin> Get-ChildItem -Force {CNG_KEYS}


    Verzeichnis: {CNG_KEYS}


Mode                 LastWriteTime         Length Name
----                 -------------         ------ ----
-a-s--        14.01.2025     09:12           1630 {KEY_FILE}
-a-s--        02.03.2024     11:40           1630 {OTHER_KEY}
"""

DIR_FR = f"""
 Le volume dans le lecteur C n’a pas de nom.
 Le numéro de série du volume est 5C2E-91F0

 Répertoire de {MACHINEKEYS}

03/06/2025  14:07    <REP>          .
03/06/2025  14:07    <REP>          ..
14/01/2025  09:12             2 556 {KEY_FILE}
               1 fichier(s)            2 556 octets
               2 Rép(s)  41 201 524 736 octets libres
"""


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "listing.txt"
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


def test_the_dir_listing_of_a_ticket_is_detected_and_read() -> None:
    path = TICKETS / "key-file-gone" / "machinekeys-dir.txt"
    assert detect(InputFile.from_path(path)) is SPEC
    result = read(SPEC, path)
    assert result.status is Status.OK and warnings(result) == []
    (listing,) = result.records(FolderListing)
    assert listing.folder.endswith("\\RSA\\MachineKeys") and len(listing.files) == 2
    assert listing.source.line == 5 and not listing.filtered  # "." and ".." are folders


def test_get_childitem_in_german_and_dir_in_french(tmp_path: Path) -> None:
    gci = read(SPEC, write(tmp_path, GCI_DE, "utf-16"))
    assert [(x.folder, x.files) for x in gci.records(FolderListing)] == [
        (CNG_KEYS, (KEY_FILE, OTHER_KEY))
    ]
    dir_fr = read(SPEC, write(tmp_path, DIR_FR, "cp1252"))
    assert [(x.folder, x.files) for x in dir_fr.records(FolderListing)] == [
        (MACHINEKEYS, (KEY_FILE,))
    ]


def test_a_pattern_or_filter_in_the_command_marks_the_listing_filtered(tmp_path: Path) -> None:
    text = GCI_DE.replace("-Force ", "-Force -Filter 60fd* ")
    result = read(SPEC, write(tmp_path, text))
    assert all(x.filtered for x in result.records(FolderListing))
    assert any("filter" in m.text for m in result.messages)


def test_full_paths_from_dir_b_s(tmp_path: Path) -> None:
    text = f"{MACHINEKEYS}\\{KEY_FILE}\n{MACHINEKEYS}\\{OTHER_KEY}\n"
    result = read(SPEC, write(tmp_path, text))
    assert [x.files for x in result.records(FolderListing)] == [(KEY_FILE, OTHER_KEY)]


def test_an_icacls_listing_is_not_a_folder_listing(tmp_path: Path) -> None:
    text = f"{MACHINEKEYS}\\{KEY_FILE} NT AUTHORITY\\SYSTEM:(F)\n"
    path = write(tmp_path, text)
    assert sniff(SPEC, path) == 0 and sniff(ICACLS, path) > 0
    assert read(SPEC, path).status is Status.ERROR


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=200), max_size=20))
def test_hostile_text_never_raises(tmp_path_factory, lines: list[str]) -> None:
    path = tmp_path_factory.mktemp("dirlist") / "x.txt"
    path.write_bytes("\r\n".join(lines).encode("utf-8", errors="replace"))
    result = SPEC.read(InputFile.from_path(path), ReadOptions())
    assert all(m.source.path == result.path for m in result.messages)
