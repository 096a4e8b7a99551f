"""One crafted archive per hazard, plus the happy paths, through `collect_inputs`.

Each test asserts the exact virtual paths that come out and the message that names the hazard;
the private temp folder must be gone afterwards."""

from __future__ import annotations

import gzip
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.inputs.archive_base import Limits, clean_member_name
from analyzer.inputs.archives import archive_kind
from analyzer.inputs.collect import Collected, collect_inputs
from analyzer.model import Level
from fixtures.writers.hostile_archives import (
    encrypted_zip,
    sevenzip_bytes,
    tar_bytes,
    tar_special,
    write,
    zip_bytes,
    zip_with_symlink,
)

DUMP = b"================ Certificate 0 ================\r\nSerial Number: 01\r\n"


def run(paths: list[Path], limits: Limits | None = None) -> tuple[Collected, dict[str, bytes]]:
    """Collect, read every file's bytes while the temp folder exists, check it is removed."""
    kwargs = {"limits": limits} if limits else {}
    with collect_inputs([str(p) for p in paths], **kwargs) as collected:
        contents = {f.display: f.local.read_bytes() for f in collected.files}
        temp_dirs = {f.local.parent for f in collected.files if "!/" in f.display}
    assert all(not d.exists() for d in temp_dirs)
    return collected, contents


def texts(collected: Collected) -> list[tuple[str, str, str]]:
    return [(str(m.level), m.source.path, m.text) for m in collected.messages]


# --------------------------------------------------------------------------- happy paths


def test_nested_zip_in_zip_gives_virtual_paths(tmp_path: Path) -> None:
    inner = zip_bytes({"System.evtx": b"ElfFile\x00" + b"\x00" * 100})
    outer = write(
        tmp_path / "T-1042.zip",
        zip_bytes({"logs.zip": inner, "dumps/my.txt": DUMP, "readme.txt": b"hello"}),
    )
    collected, contents = run([outer])
    assert list(contents) == [
        f"{outer}!/dumps/my.txt",
        f"{outer}!/logs.zip!/System.evtx",
        f"{outer}!/readme.txt",
    ]
    assert contents[f"{outer}!/dumps/my.txt"] == DUMP
    assert collected.messages == []
    assert collected.files[1].size == 108


def test_7z_members(tmp_path: Path) -> None:
    archive = write(tmp_path / "case.7z", sevenzip_bytes({"a/my.txt": DUMP, "b.txt": b"x" * 5000}))
    collected, contents = run([archive])
    assert contents == {f"{archive}!/a/my.txt": DUMP, f"{archive}!/b.txt": b"x" * 5000}
    assert collected.messages == []


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", ""])
def test_tar_family(tmp_path: Path, compression: str) -> None:
    data = tar_bytes([("logs/my.txt", DUMP), ("System.evtx", b"E" * 3000)], compression)
    archive = write(tmp_path / f"ticket.bin{compression}", data)  # the name says nothing
    collected, contents = run([archive])
    assert contents == {f"{archive}!/System.evtx": b"E" * 3000, f"{archive}!/logs/my.txt": DUMP}
    assert collected.messages == []


def test_single_gzip_file_is_named_after_the_archive(tmp_path: Path) -> None:
    archive = write(tmp_path / "my.txt.gz", gzip.compress(DUMP))
    _, contents = run([archive])
    assert contents == {f"{archive}!/my.txt": DUMP}


def test_backslash_separators_become_slashes(tmp_path: Path) -> None:
    archive = write(tmp_path / "win.zip", zip_bytes({"logs\\System.evtx": b"x"}))
    _, contents = run([archive])
    assert list(contents) == [f"{archive}!/logs/System.evtx"]


def test_duplicate_member_names_are_reported(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "dup.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("my.txt", b"first")
        with pytest.warns(UserWarning, match="Duplicate name"):
            out.writestr("my.txt", b"second")  # written all the same
        dir_entry = zipfile.ZipInfo("folder-without-slash")
        dir_entry.external_attr = 0o040755 << 16
        out.writestr(dir_entry, b"")
    collected, contents = run([archive])
    assert contents == {f"{archive}!/my.txt": b"first"}
    assert texts(collected) == [
        ("warning", f"{archive}!/my.txt", "duplicate name: only the first is read")
    ]


def test_office_document_is_not_opened(tmp_path: Path) -> None:
    doc = write(tmp_path / "screens.docx", zip_bytes({"[Content_Types].xml": b"<x/>", "w/d": b""}))
    collected, contents = run([doc])
    assert list(contents) == [str(doc)]
    assert texts(collected) == [
        ("info", str(doc), "Office document (zip container), not an archive")
    ]


# --------------------------------------------------------------------------- hostile names


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../x", "path traversal ('..')"),
        ("logs/../../x", "path traversal ('..')"),
        ("..\\x", "path traversal ('..')"),
        ("/etc/x", "absolute path"),
        ("C:\\x", "drive-letter path"),
        ("c:x", "drive-letter path"),
        ("\\\\server\\share\\x", "absolute UNC path"),
        ("evil.txt:stream", "':' in name (drive or alternate data stream)"),
    ],
)
def test_unsafe_member_names_are_refused(tmp_path: Path, name: str, why: str) -> None:
    archive = write(tmp_path / "t.zip", zip_bytes({name: b"owned", "ok.txt": b"fine"}))
    collected, contents = run([archive])
    assert contents == {f"{archive}!/ok.txt": b"fine"}
    assert texts(collected) == [("warning", str(archive), f"member '{name}' refused: {why}")]
    assert not (tmp_path.parent / "x").exists()


def test_tar_traversal_and_absolute_names(tmp_path: Path) -> None:
    data = tar_bytes([("../x", b"a"), ("/etc/x", b"b"), ("ok", b"c")], "gz")
    archive = write(tmp_path / "t.tgz", data)
    collected, contents = run([archive])
    assert contents == {f"{archive}!/ok": b"c"}
    assert [m.text for m in collected.messages] == [
        "member '../x' refused: path traversal ('..')",
        "member '/etc/x' refused: absolute path",
    ]


def test_7z_traversal_name_refused(tmp_path: Path) -> None:
    archive = write(tmp_path / "t.7z", sevenzip_bytes({"ok.txt": b"1", "../../x.txt": b"2"}))
    collected, contents = run([archive])
    assert contents == {f"{archive}!/ok.txt": b"1"}
    assert [m.text for m in collected.messages] == [
        "member '../../x.txt' refused: path traversal ('..')"
    ]


def test_control_characters_in_names_are_replaced() -> None:
    assert clean_member_name("a\x1b[31m.txt") == ("a\ufffd[31m.txt", None)


# --------------------------------------------------------------------------- links and devices


def test_zip_symlink_member_is_not_extracted(tmp_path: Path) -> None:
    archive = write(tmp_path / "l.zip", zip_with_symlink("/etc/passwd", extra={"a.txt": b"a"}))
    collected, contents = run([archive])
    assert contents == {f"{archive}!/a.txt": b"a"}
    assert texts(collected) == [("warning", str(archive), "member 'link' refused: symbolic link")]


@pytest.mark.parametrize(
    ("member", "why"),
    [
        (tar_special("link", tarfile.SYMTYPE, "/etc/passwd"), "symbolic link to '/etc/passwd'"),
        (tar_special("hard", tarfile.LNKTYPE, "etc/shadow"), "hard link to 'etc/shadow'"),
        (tar_special("dev/sda", tarfile.BLKTYPE), "special file (device, fifo or socket)"),
        (tar_special("tty", tarfile.CHRTYPE), "special file (device, fifo or socket)"),
        (tar_special("pipe", tarfile.FIFOTYPE), "special file (device, fifo or socket)"),
    ],
)
def test_tar_links_and_devices_are_refused(
    tmp_path: Path, member: tarfile.TarInfo, why: str
) -> None:
    archive = write(tmp_path / "s.tar", tar_bytes([member, ("ok", b"1")]))
    collected, contents = run([archive])
    assert contents == {f"{archive}!/ok": b"1"}
    assert texts(collected) == [("warning", str(archive), f"member '{member.name}' refused: {why}")]


# --------------------------------------------------------------------------- limits


SMALL = Limits(
    max_total_bytes=4 * 1024**2,
    max_member_bytes=3 * 1024**2,
    max_ratio=50,
    ratio_floor_bytes=256 * 1024,
    max_files=10,
    max_depth=2,
)


def test_zip_bomb_member_refused_rest_kept(tmp_path: Path) -> None:
    data = zip_bytes({"zeros.bin": b"\0" * (3 * 1024**2), "my.txt": DUMP})
    archive = write(tmp_path / "bomb.zip", data)
    collected, contents = run([archive], SMALL)
    assert contents == {f"{archive}!/my.txt": DUMP}
    assert texts(collected) == [
        (
            "warning",
            f"{archive}!/zeros.bin",
            "not extracted: declared compression ratio above 50:1 (zip bomb?)",
        )
    ]


def test_zip_bomb_refused_with_default_limits(tmp_path: Path) -> None:
    archive = write(tmp_path / "bomb.zip", zip_bytes({"zeros.bin": b"\0" * (100 * 1024**2)}))
    collected, contents = run([archive])
    assert contents == {}
    assert collected.messages[0].level is Level.WARNING
    assert "compression ratio above 200:1" in collected.messages[0].text


def test_mostly_empty_log_is_not_taken_for_a_bomb(tmp_path: Path) -> None:
    """A live System.evtx copied with its preallocated, zeroed chunks compresses far beyond
    200:1; below the ratio floor that is no reason to refuse it."""
    log = b"ElfFile\0" + bytes(range(256)) * 1024 + b"\0" * (30 * 1024**2)
    archive = write(tmp_path / "logs.zip", zip_bytes({"System.evtx": log}))
    collected, contents = run([archive])
    assert contents == {f"{archive}!/System.evtx": log}
    assert collected.messages == []


def test_7z_bomb_is_stopped_while_streaming(tmp_path: Path) -> None:
    archive = write(tmp_path / "b.7z", sevenzip_bytes({"z": b"\0" * (2 * 1024**2), "a": b"a"}))
    collected, contents = run([archive], SMALL)
    assert contents == {}
    assert texts(collected) == [
        (
            "error",
            str(archive),
            "extraction stopped: archive expands more than 50:1 (decompression bomb?)",
        )
    ]


def test_tar_gz_bomb_is_stopped_by_archive_ratio(tmp_path: Path) -> None:
    archive = write(tmp_path / "b.tgz", tar_bytes([("z", b"\0" * (2 * 1024**2))], "gz"))
    collected, contents = run([archive], SMALL)
    assert contents == {}
    assert texts(collected) == [
        (
            "error",
            str(archive),
            "extraction stopped: member 'z': archive expands more than 50:1 (decompression bomb?)",
        )
    ]


def test_member_over_size_limit_skipped_rest_kept(tmp_path: Path) -> None:
    big = bytes(range(256)) * (4 * 4096)  # 4 MiB, barely compressible by the ratio test
    archive = write(tmp_path / "big.tar", tar_bytes([("big.bin", big), ("small", b"s")]))
    limits = Limits(max_member_bytes=1024**2, max_total_bytes=8 * 1024**2)
    collected, contents = run([archive], limits)
    assert contents == {f"{archive}!/small": b"s"}
    assert texts(collected) == [
        (
            "warning",
            f"{archive}!/big.bin",
            "not extracted: larger than the per-file limit (1048576 bytes)",
        )
    ]


def test_total_size_limit(tmp_path: Path) -> None:
    chunk = bytes(range(256)) * 4096  # 1 MiB
    data = tar_bytes([(f"f{i}", chunk) for i in range(6)])
    archive = write(tmp_path / "many.tar", data)
    collected, contents = run([archive], SMALL)
    assert sorted(contents) == [f"{archive}!/f{i}" for i in range(4)]
    assert collected.limit_reached == "total extracted size limit reached (4194304 bytes)"
    assert texts(collected)[-1] == (
        "error",
        str(archive),
        "extraction stopped: total extracted size limit reached (4194304 bytes)",
    )


def test_too_many_files(tmp_path: Path) -> None:
    archive = write(tmp_path / "many.zip", zip_bytes({f"f{i:02d}": b"x" for i in range(30)}))
    collected, contents = run([archive], SMALL)
    assert len(contents) == 9  # the archive itself counts as the first file
    assert collected.limit_reached == "file-count limit reached (10 files)"


def test_too_deep_nesting(tmp_path: Path) -> None:
    level3 = zip_bytes({"deep.txt": b"3"})
    level2 = zip_bytes({"l3.zip": level3, "two.txt": b"2"})
    archive = write(tmp_path / "l1.zip", zip_bytes({"l2.zip": level2, "one.txt": b"1"}))
    collected, contents = run([archive], SMALL)
    assert contents == {f"{archive}!/l2.zip!/two.txt": b"2", f"{archive}!/one.txt": b"1"}
    assert texts(collected) == [
        ("warning", f"{archive}!/l2.zip!/l3.zip", "archive not opened: nested deeper than 2 levels")
    ]


# --------------------------------------------------------------------------- encrypted, corrupt


def test_encrypted_zip(tmp_path: Path) -> None:
    archive = write(tmp_path / "locked.zip", encrypted_zip({"my.txt": DUMP, "b": b"b"}))
    collected, contents = run([archive])
    assert contents == {}
    assert texts(collected) == [
        (
            "error",
            str(archive),
            "encrypted (password-protected) archive: 2 member(s) not read; "
            "ask for the files without a password",
        )
    ]


@pytest.mark.parametrize("header_encryption", [False, True])
def test_encrypted_7z(tmp_path: Path, header_encryption: bool) -> None:
    data = sevenzip_bytes({"my.txt": DUMP}, "s3cret", header_encryption=header_encryption)
    archive = write(tmp_path / "locked.7z", data)
    collected, contents = run([archive])
    assert contents == {}
    assert len(collected.messages) == 1
    message = collected.messages[0]
    assert (message.level, message.source.path) == (Level.ERROR, str(archive))
    assert message.text.startswith("encrypted (password-protected) 7z archive")


def test_corrupt_zip_is_named(tmp_path: Path) -> None:
    archive = write(tmp_path / "bad.zip", b"PK\x03\x04" + b"\x13" * 200)
    collected, contents = run([archive])
    assert contents == {}
    assert texts(collected) == [
        ("error", str(archive), "corrupt zip archive: File is not a zip file")
    ]


def test_truncated_tar_gz_keeps_what_came_before(tmp_path: Path) -> None:
    first = bytes(range(256)) * 64
    rest = bytes(reversed(range(256))) * 4096
    data = tar_bytes([("first", first), ("second", rest), ("third", rest)], "gz")
    archive = write(tmp_path / "cut.tar.gz", data[: len(data) // 2])
    collected, contents = run([archive])
    assert contents == {f"{archive}!/first": first}
    assert len(collected.messages) == 1
    assert collected.messages[0].level is Level.ERROR
    assert collected.messages[0].text.startswith("corrupt or truncated gzip archive:")


def test_corrupt_7z_is_named(tmp_path: Path) -> None:
    good = sevenzip_bytes({"a.txt": b"a" * 1000})
    archive = write(tmp_path / "bad.7z", good[:40])
    collected, contents = run([archive])
    assert contents == {}
    assert collected.messages[0].source.path == str(archive)
    assert collected.messages[0].text.startswith("corrupt 7z archive:")


def test_rar_is_reported_unsupported(tmp_path: Path) -> None:
    rar = write(tmp_path / "x.rar", b"Rar!\x1a\x07\x01\x00" + b"\0" * 40)
    collected, contents = run([rar])
    assert list(contents) == [str(rar)]
    assert "RAR archive: this format is not supported" in collected.messages[0].text


# --------------------------------------------------------------------------- temp folder


def test_temp_folder_removed_when_the_block_raises(tmp_path: Path) -> None:
    archive = write(tmp_path / "t.zip", zip_bytes({"a": b"a"}))
    seen: list[Path] = []
    with pytest.raises(RuntimeError), collect_inputs([archive]) as collected:
        seen.append(collected.files[0].local.parent)
        assert seen[0].is_dir()
        raise RuntimeError("boom")
    assert not seen[0].exists()


def test_archive_kind_by_content() -> None:
    assert archive_kind(b"PK\x03\x04rest") == "zip"
    assert archive_kind(b"\0" * 257 + b"ustar\x0000") == "tar"
    assert archive_kind(b"7z\xbc\xaf\x27\x1c") == "7z"
    assert archive_kind(b"plain text") is None


# --------------------------------------------------------------------------- damaged input


_SAMPLES = {
    "zip": zip_bytes({"a/my.txt": DUMP, "b.zip": zip_bytes({"c.txt": b"c" * 300})}),
    "7z": sevenzip_bytes({"my.txt": DUMP, "x.bin": bytes(range(256)) * 4}),
    "tgz": tar_bytes([("my.txt", DUMP), ("y", b"y" * 700)], "gz"),
    "tar": tar_bytes([("my.txt", DUMP), ("z", b"z" * 700)]),
}


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(sorted(_SAMPLES)),
    cut=st.floats(min_value=0.0, max_value=1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 0.999), st.integers(1, 255)), max_size=4),
)
def test_damaged_archives_never_raise(
    tmp_path_factory: pytest.TempPathFactory,
    kind: str,
    cut: float,
    flips: list[tuple[float, int]],
) -> None:
    """Truncated or bit-flipped archives give messages and whatever could be read, never an
    exception."""
    data = bytearray(_SAMPLES[kind])
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    data = data[: max(1, int(cut * len(data)))] if cut < 1.0 else data
    path = write(tmp_path_factory.mktemp("damaged") / f"t.{kind}", bytes(data))
    with collect_inputs([path]) as collected:
        for file in collected.files:
            assert file.local.is_file()
        for message in collected.messages:
            assert message.source.path.startswith(str(path))
