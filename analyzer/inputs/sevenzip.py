"""7z archives for `archives.MemberSink`: py7zr streams each member into a sink that counts bytes
against the same limits as every other format; names, links and devices are checked first."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import IO, Any

import py7zr

from analyzer.inputs.archive_base import ArchiveRun, CorruptArchive, MemberSink, clean_member_name
from analyzer.inputs.files import InputFile
from analyzer.model import Level


def read_7z(unpacker: MemberSink, run: ArchiveRun) -> None:
    """Extract a 7z archive's regular members through `MemberSink`'s limits."""
    with run.local.open("rb") as fh:
        try:
            archive = py7zr.SevenZipFile(fh)
        except py7zr.exceptions.PasswordRequired:
            unpacker.say(
                Level.ERROR,
                run.display,
                "encrypted (password-protected) 7z archive, file names hidden; "
                "ask for the files without a password",
                code="archive.encrypted",
            )
            return
        except (py7zr.exceptions.ArchiveError, KeyError, IndexError) as exc:
            raise CorruptArchive(f"{type(exc).__name__}: {exc}") from None
        with archive:
            _members(unpacker, run, archive)


def _members(unpacker: MemberSink, run: ArchiveRun, archive: Any) -> None:
    if "7zAES" in archive._get_method_names():
        unpacker.say(
            Level.ERROR,
            run.display,
            "encrypted (password-protected) 7z archive; ask for the files without a password",
            code="archive.encrypted",
        )
        return
    wanted: dict[str, str] = {}  # name py7zr will use -> our clean name
    for entry in archive.files:
        if entry.is_directory:
            continue
        if entry.is_symlink or entry.is_junction:
            unpacker.refuse(
                run, entry.filename, "symbolic link or junction", code="archive.member-link"
            )
            continue
        mode = entry.posix_mode
        if entry.is_socket or (mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode)):
            unpacker.refuse(
                run,
                entry.filename,
                "special file (device, fifo or socket)",
                code="archive.member-special",
            )
            continue
        name, why = clean_member_name(entry.filename)
        if name is None:
            unpacker.refuse(
                run, entry.filename, why or "unsafe name", code="archive.member-unsafe-name"
            )
            continue
        if name in wanted.values():
            unpacker.refuse(run, entry.filename, "duplicate name", code="archive.member-duplicate")
            continue
        wanted[entry.filename] = name
    if not wanted:
        return
    # Solid 7z blocks make a damaged archive's members unreliable: on any failure none is
    # kept; on success every member is.
    factory = _SevenZipSink(unpacker, run, wanted)
    try:
        archive.extract(targets=list(wanted), factory=factory)
    except py7zr.exceptions.PasswordRequired:
        factory.discard_all()
        unpacker.say(
            Level.ERROR,
            run.display,
            "encrypted (password-protected) 7z archive",
            code="archive.encrypted",
        )
        return
    except (py7zr.exceptions.ArchiveError, KeyError, IndexError) as exc:
        factory.discard_all()
        raise CorruptArchive(f"{type(exc).__name__}: {exc}") from None
    except BaseException:
        factory.discard_all()
        raise
    factory.keep_all()


class _SevenZipSink:
    """py7zr writer factory: each member streams into a numbered file, limits checked per write."""

    def __init__(self, unpacker: MemberSink, run: ArchiveRun, wanted: dict[str, str]) -> None:
        self.unpacker = unpacker
        self.run = run
        self.by_output = {Path(raw).as_posix().lstrip("/"): clean for raw, clean in wanted.items()}
        self.open: list[_SevenZipMember] = []

    def create(self, filename: str) -> _SevenZipMember:
        clean = self.by_output.get(Path(filename).as_posix(), filename)
        member = _SevenZipMember(self.unpacker, self.run, clean)
        self.open.append(member)
        return member

    def keep_all(self) -> None:
        for member in self.open:
            member.keep()

    def discard_all(self) -> None:
        for member in self.open:
            member.discard()


class _SevenZipMember:
    """One member being written; implements the parts of py7zr's Py7zIO that extraction uses."""

    def __init__(self, unpacker: MemberSink, run: ArchiveRun, name: str) -> None:
        self.unpacker = unpacker
        self.run = run
        self.name = name
        self.local = unpacker.new_local()
        self.written = 0
        self.out: IO[bytes] | None = None
        unpacker.budget.count_file()

    def write(self, data: bytes | bytearray) -> int:
        if self.out is None:
            self.out = self.local.open("wb")
        self.written += len(data)
        self.run.produced += len(data)
        self.unpacker.budget.add_bytes(len(data))
        self.unpacker.check_member(self.run, self.written, None)
        self.out.write(data)
        return len(data)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        if self.out is not None:
            self.out.flush()

    def size(self) -> int:
        return self.written

    def close(self) -> None:
        if self.out is not None:
            self.out.close()

    def discard(self) -> None:
        self.close()
        self.local.unlink(missing_ok=True)

    def keep(self) -> None:
        self.close()
        if not self.local.exists():
            self.local.write_bytes(b"")  # an empty member is still a file of the ticket
        self.run.members.append(
            InputFile(f"{self.run.display}!/{self.name}", self.local, self.written)
        )
