"""A certutil dump read a part at a time gives what reading it whole gives: the same
certificates (dates in the order of the whole dump), sources, messages and status, for every
dump shape the fixtures hold; `certutil --json` streams them out and reads a dump over the cap
that `analyze` refuses."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from analyzer.errors import InputError
from analyzer.inputs.files import InputFile
from analyzer.model import Certificate, ReadResult
from analyzer.readers import ReadOptions, detect
from analyzer.readers import certutil as reader
from analyzer.readers.certutil import parse_certutil, read_certutil, stream
from analyzer.readers.certutil.parser import classify_lines
from analyzer.reading import CERTUTIL_DUMPS, read_paths
from analyzer.render.json import CertutilStream, certutil_document, dumps
from fixtures.writers.certutil_dump import CertSpec, DumpSpec, encode
from tests.conftest import FIXTURES

REAL = FIXTURES.parent.parent / "shared" / "real-samples"


def _dumps() -> list[Path]:
    found = []
    for folder in (FIXTURES, REAL):
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if (
                path.is_file()
                and path.stat().st_size < 5_000_000
                and detect(InputFile.from_path(path), only=("certutil",)) is not None
            ):
                found.append(path)
    return found


DUMPS = _dumps()


def _whole(path: Path, monkeypatch: pytest.MonkeyPatch) -> ReadResult:
    with monkeypatch.context() as patch:
        patch.setattr(reader, "parts", lambda pieces, cut=True: stream.parts(pieces, cut=False))
        return read_certutil(InputFile.from_path(path), ReadOptions())


def _same(whole: ReadResult, parted: ReadResult, certificates: list[Certificate]) -> None:
    assert certificates == whole.certificates
    assert [c.source for c in certificates] == [c.source for c in whole.certificates]
    assert [str(m) for m in parted.messages] == [str(m) for m in whole.messages]
    assert (parted.status, parted.encoding) == (whole.status, whole.encoding)


def test_the_fixtures_hold_dumps_of_many_shapes() -> None:
    assert len(DUMPS) > 40


@pytest.mark.parametrize("path", DUMPS, ids=lambda p: p.name)
def test_a_dump_read_in_parts_is_read_as_whole(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _whole(path, monkeypatch)
    for size in (40, 700):  # a cut before nearly every separator, then every few certificates
        monkeypatch.setattr(stream, "PART_CHARS", size)
        kept = read_certutil(InputFile.from_path(path), ReadOptions())
        _same(whole, kept, kept.certificates)
        handed: list[Certificate] = []
        streamed = read_certutil(InputFile.from_path(path), ReadOptions(certificates=handed.extend))
        assert streamed.certificates == []
        _same(whole, streamed, handed)


def _store(*certs: CertSpec, **options: object) -> DumpSpec:
    return DumpSpec(certs=list(certs), **options)  # type: ignore[arg-type]


def test_the_day_month_order_is_that_of_the_whole_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first certificate's 1/5/2025 is 5 January only because a later one says 6/26."""
    dump = _store(
        CertSpec(subject="CN=a", not_before=datetime(2025, 1, 5, 9, 0)),
        *(CertSpec(subject=f"CN=b{i}", not_before=datetime(2025, 2, 3, 9, 0)) for i in range(5)),
        CertSpec(subject="CN=c", not_before=datetime(2025, 6, 26, 9, 0)),
        encoding="utf-8",
    )
    text = encode(dump).decode("utf-8")
    monkeypatch.setattr(stream, "PART_CHARS", 40)
    certs = parse_certutil(text, "store.txt").certificates
    assert len(certs) == 7
    assert certs[0].valid_from == "2025-01-05T09:00:00"
    assert certs[-1].valid_from == "2025-06-26T09:00:00"


def test_a_cut_keeps_what_crosses_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """No cut after a line clean-up may join to the separator (a long line, a dash), and a bare
    store name at the end of a part is still the header of the separator after it."""
    long = "Subject: " + "CN=" + "x" * 70 + ","
    assert not stream._safe_cut(long, "================ Certificate 1 ================")
    assert not stream._safe_cut("NotAfter: 1/14/2027 \u2014", "================ Certificate 1 =====")
    assert not stream._safe_cut("", "================ Begin Nesting Level 1 ================")
    assert stream._safe_cut("", "================ Certificate 1 ================\r")
    monkeypatch.setattr(stream, "PART_CHARS", 1)
    text = "my\n================ Certificate 0 ================\nSerial Number: 01\n"
    assert list(stream.parts([text])) == [("my\n", True), (text[3:], False)]
    lines, _, _ = classify_lines("my\n", 1, "SEPARATOR")
    assert lines[0].kind == "HEADER"
    lines, _, _ = classify_lines("my\n", 1, None)
    assert lines[0].kind != "HEADER"


def test_text_without_a_separator_to_cut_at_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "one-line.txt"
    path.write_bytes(b"\xff\xfe" + ("CertUtil: -store " + "x" * 5000).encode("utf-16-le"))
    monkeypatch.setattr(stream, "PART_CHARS", 100)
    monkeypatch.setattr(stream, "MAX_PART_CHARS", 1000)
    with pytest.raises(InputError, match=r"one-line\.txt: no certificate separator"):
        read_certutil(InputFile.from_path(path), ReadOptions(certificates=lambda batch: None))


def test_the_json_stream_is_the_json_document(tmp_path: Path) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    for name in ("en-store-every-status.txt", "de-store-cp850.txt", "en-percent-prefixed.txt"):
        (folder / name).write_bytes((FIXTURES / "certutil" / name).read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    (folder / "notes.txt").write_text("not a dump\n", encoding="utf-8")
    paths = [str(folder)]
    expected = dumps(certutil_document(read_paths(paths, ReadOptions(), CERTUTIL_DUMPS)))
    written: list[str] = []
    document = CertutilStream(written.append)
    results = read_paths(paths, ReadOptions(certificates=document.add), CERTUTIL_DUMPS)
    document.finish(results)
    assert "".join(written) == expected
    assert len(written) > 3  # the certificates went out file by file

    nothing: list[str] = []
    empty = CertutilStream(nothing.append)
    empty.finish(read_paths([str(folder / "notes.txt")], ReadOptions(), CERTUTIL_DUMPS))
    assert "".join(nothing) == dumps(
        certutil_document(read_paths([str(folder / "notes.txt")], ReadOptions(), CERTUTIL_DUMPS))
    )


def test_certutil_json_reads_a_dump_over_the_cap_that_analyze_refuses(tmp_path: Path) -> None:
    """The cap is made small for the test (the real one is 64 MiB): the streamed `certutil
    --json` reads the whole dump, the certificate table and `analyze` refuse it by name."""
    path = tmp_path / "store.txt"
    path.write_bytes(encode(_store(*(CertSpec(subject=f"CN=h{i}") for i in range(30)))))
    script = (
        "import sys\n"
        "import analyzer.readers.certutil as reader\n"
        f"reader.MAX_DUMP_BYTES = {path.stat().st_size // 4}\n"
        "from analyzer.cli.commands import main\n"
        "sys.argv = ['certtriage', *sys.argv[1:]]\n"
        "main()\n"
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script, *args], capture_output=True, text=True, check=False
        )

    streamed = run("certutil", "--json", str(path))
    assert streamed.returncode == 0, streamed.stderr
    assert len(json.loads(streamed.stdout)["certificates"]) == 30
    table = run("certutil", str(path))
    assert table.returncode == 3
    assert "store.txt" in table.stdout + table.stderr
    assert "a certutil dump may have" in table.stdout + table.stderr
