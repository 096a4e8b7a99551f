"""Folders, loose files and archives together: sorted virtual paths, links skipped, nothing
written next to the inputs, every skip reported."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analyzer.inputs.archive_base import Limits, clean_member_name
from analyzer.inputs.collect import collect_inputs
from fixtures.writers.hostile_archives import write, zip_bytes


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def make_ticket(root: Path) -> Path:
    ticket = root / "T-1042"
    write(ticket / "my.txt", b"dump")
    write(ticket / "logs" / "System.evtx", b"ElfFile\0")
    write(ticket / "logs" / "more.zip", zip_bytes({"inner/app.txt": b"a", "b.txt": b"b"}))
    write(ticket / "Zeta" / "z.txt", b"z")
    return ticket


def test_folder_walk_sorted_with_archive_members(tmp_path: Path) -> None:
    ticket = make_ticket(tmp_path)
    before = tree(tmp_path)
    with collect_inputs([f"{ticket}/"]) as collected:
        displays = [f.display for f in collected.files]
        sizes = {f.display: f.size for f in collected.files}
    assert displays == [
        f"{ticket}/Zeta/z.txt",
        f"{ticket}/logs/System.evtx",
        f"{ticket}/logs/more.zip!/b.txt",
        f"{ticket}/logs/more.zip!/inner/app.txt",
        f"{ticket}/my.txt",
    ]
    assert sizes[f"{ticket}/my.txt"] == 4
    assert collected.messages == []
    assert tree(tmp_path) == before  # nothing written into the input folder


def test_relative_paths_keep_the_form_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_ticket(tmp_path)
    monkeypatch.chdir(tmp_path)
    with collect_inputs(["T-1042/logs", "T-1042/my.txt"]) as collected:
        displays = [f.display for f in collected.files]
    assert displays == [
        "T-1042/logs/System.evtx",
        "T-1042/logs/more.zip!/b.txt",
        "T-1042/logs/more.zip!/inner/app.txt",
        "T-1042/my.txt",
    ]
    with collect_inputs(["."]) as collected:
        assert collected.files[0].display == "T-1042/Zeta/z.txt"


def test_base_reads_relative_paths_from_elsewhere(tmp_path: Path) -> None:
    make_ticket(tmp_path)
    with collect_inputs(["T-1042/logs/more.zip"], base=tmp_path) as collected:
        assert [f.display for f in collected.files] == [
            "T-1042/logs/more.zip!/b.txt",
            "T-1042/logs/more.zip!/inner/app.txt",
        ]


def test_same_file_twice_is_one_input(tmp_path: Path) -> None:
    ticket = make_ticket(tmp_path)
    with collect_inputs([ticket / "my.txt", ticket / "my.txt"]) as collected:
        assert [f.display for f in collected.files] == [f"{ticket}/my.txt"]


def test_missing_path_is_reported(tmp_path: Path) -> None:
    ticket = make_ticket(tmp_path)
    with collect_inputs([tmp_path / "nope.txt", ticket / "my.txt"]) as collected:
        assert [f.display for f in collected.files] == [f"{ticket}/my.txt"]
        assert [(m.source.path, m.text) for m in collected.messages] == [
            (f"{tmp_path}/nope.txt", "not found")
        ]


def test_empty_folder_is_named(tmp_path: Path) -> None:
    """A folder the user named that holds nothing (even in subfolders) is said, not silent."""
    (tmp_path / "T-1" / "logs").mkdir(parents=True)
    ticket = make_ticket(tmp_path)
    with collect_inputs([tmp_path / "T-1", ticket]) as collected:
        assert len(collected.files) == 5
        assert [(m.source.path, m.level.value, m.text) for m in collected.messages] == [
            (f"{tmp_path}/T-1", "warning", "empty folder: no files to read")
        ]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks on this platform")
def test_symlinks_in_folders_are_not_followed(tmp_path: Path) -> None:
    outside = write(tmp_path / "secret" / "id_rsa", b"key")
    ticket = make_ticket(tmp_path)
    try:
        (ticket / "link.txt").symlink_to(outside)
        (ticket / "linkdir").symlink_to(outside.parent, target_is_directory=True)
    except OSError as exc:  # Windows without the privilege
        pytest.skip(f"cannot create symlinks: {exc}")
    with collect_inputs([ticket]) as collected:
        assert len(collected.files) == 5  # the ticket's own files only
        assert not any(f.display.startswith(f"{ticket}/link") for f in collected.files)
        assert [(m.source.path, m.text) for m in collected.messages] == [
            (f"{ticket}/link.txt", "skipped: symbolic link or junction (not followed)"),
            (f"{ticket}/linkdir", "skipped: symbolic link or junction (not followed)"),
        ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no fifos on this platform")
def test_fifo_is_skipped_not_read(tmp_path: Path) -> None:
    ticket = make_ticket(tmp_path)
    os.mkfifo(ticket / "pipe")
    with collect_inputs([ticket]) as collected:
        assert f"{ticket}/pipe" not in [f.display for f in collected.files]
        assert [(m.source.path, m.text) for m in collected.messages] == [
            (f"{ticket}/pipe", "skipped: not a regular file (device, fifo or socket)")
        ]


def test_folder_depth_limit(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c" / "d"
    write(deep / "x.txt", b"x")
    write(tmp_path / "a" / "top.txt", b"t")
    with collect_inputs([tmp_path / "a"], Limits(max_folder_depth=2)) as collected:
        assert [f.display for f in collected.files] == [f"{tmp_path}/a/top.txt"]
        assert [(m.source.path, m.text) for m in collected.messages] == [
            (f"{tmp_path}/a/b/c", "folder not read: nested deeper than 2 levels")
        ]


def test_file_count_limit_in_folders(tmp_path: Path) -> None:
    for i in range(12):
        write(tmp_path / "q" / f"f{i:02d}.txt", b"x")
    with collect_inputs([tmp_path / "q"], Limits(max_files=5)) as collected:
        assert len(collected.files) == 5
        assert collected.limit_reached == "file-count limit reached (5 files)"
        assert collected.messages[-1].text == (
            "collection stopped: file-count limit reached (5 files)"
        )


@given(st.text(max_size=40))
def test_clean_member_names_never_escape(raw: str) -> None:
    name, why = clean_member_name(raw)
    assert (name is None) != (why is None)
    if name is not None:
        parts = name.split("/")
        assert ".." not in parts and "" not in parts and "." not in parts
        assert "\\" not in name and ":" not in name and not name.startswith("/")


def test_a_temp_folder_only_for_archive_members(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    plain = tmp_path / "plain"
    write(plain / "my.txt", b"dump")
    with collect_inputs([plain]) as collected:
        assert [f.display for f in collected.files] == [f"{plain}/my.txt"]
        assert list(temp.iterdir()) == []  # no archive: no folder made
    ticket = make_ticket(tmp_path)
    with collect_inputs([ticket]) as collected:
        [folder] = temp.iterdir()
        assert all(f.local.parent == folder for f in collected.files if "!/" in f.display)
    assert list(temp.iterdir()) == []  # removed with everything in it
