"""A certutil dump over the documented size cap is refused with one clear line naming the file
and the cap; the other inputs of the ticket are still read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.errors import InputError
from analyzer.inputs.files import InputFile
from analyzer.readers import ReadOptions
from analyzer.readers.certutil import MAX_DUMP_BYTES, read_certutil
from tests.conftest import FIXTURES

DUMP = FIXTURES / "real/certutil/acrn-docs-v-store-strongcsp-keyspec2-signature-notexportable.txt"


def _oversized(folder: Path) -> Path:
    path = folder / "huge-store.txt"
    path.write_bytes(DUMP.read_bytes())
    with path.open("r+b") as handle:  # sparse: no 64 MiB written
        handle.truncate(MAX_DUMP_BYTES + 1)
    return path


def test_the_reader_refuses_a_dump_over_the_cap(tmp_path: Path) -> None:
    path = _oversized(tmp_path)
    with pytest.raises(
        InputError, match=r"huge-store\.txt: 67,108,865 bytes is more than the 64 MiB"
    ):
        read_certutil(InputFile.from_path(path), ReadOptions())


def test_analyze_names_the_refused_dump_and_reads_the_rest(tmp_path: Path) -> None:
    ticket = tmp_path / "ticket"
    ticket.mkdir()
    _oversized(ticket)
    (ticket / "store.txt").write_bytes(DUMP.read_bytes())
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", "analyze", str(ticket), "--json", "-"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert "64 MiB a certutil dump may have" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert '"keyspec-signature"' in done.stdout  # the other dump was read
