"""Open untrusted archives (zip, 7z, tar, gzip/bzip2/xz) safely, nested up to a depth limit.

Everything in a customer's archive is hostile until proven otherwise, so:
- member names are only ever *display* names; the bytes go to numbered files in a private
  work folder, so no name (``../x``, ``/etc/x``, ``C:\\x``, UNC, ``x:stream``) can place a
  file anywhere. Such names are still refused and reported, so the user learns of them;
- links, hard links and device files are never extracted, only reported;
- sizes are counted while copying, never taken from headers: a per-member cap, a total cap
  shared by the whole collection, a compression-ratio cap, a file-count cap and a depth cap;
- encrypted members and corrupt or truncated archives are reported with the archive's name,
  and whatever was read before the damage is kept.

Kinds are recognised from magic bytes, never from the file name.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from analyzer.inputs.archive_base import (
    DEFAULT_LIMITS,
    ArchiveRun,
    Budget,
    CorruptArchive,
    LimitReached,
    Limits,
    clean_member_name,
)
from analyzer.inputs.files import InputFile
from analyzer.inputs.refusals import MessageCap
from analyzer.model import Level, Message, Source
from analyzer.visible import visible

COPY_CHUNK = 1024 * 1024
TAR_MAGIC_OFFSET = 257

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty zip: only the end-of-central-directory record
    (b"PK\x07\x08", "zip"),  # a zip written as one span
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)
# Archives we recognise but cannot open: said so instead of "unknown file".
_UNSUPPORTED: tuple[tuple[bytes, str], ...] = (
    (b"Rar!\x1a\x07", "RAR"),
    (b"MSCF\x00\x00\x00\x00", "Microsoft Cabinet"),
)


# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "archive.unsupported-format": (
        "an archive format that is not read (RAR, CAB, ...): extract it and send the files"
    ),
    "archive.too-deep": "archives nested deeper than the limit: the inner one is not opened",
    "archive.budget-exhausted": (
        "the limits on files or bytes for the ticket are used up: the archive is not opened"
    ),
    "archive.limit-reached": "extraction stopped at a limit on files or bytes",
    "archive.bomb": (
        "the archive expands beyond the compression-ratio limit (decompression bomb?): extraction"
        " stopped"
    ),
    "archive.corrupt": (
        "the archive is damaged or truncated: the members read before the damage are kept"
    ),
    "archive.empty": "the archive holds no files",
    "archive.member-over-limit": "a member larger than the per-file or ratio limit: not extracted",
    "archive.member-bomb": (
        "a member whose declared compression ratio is above the limit: not extracted"
    ),
    "archive.office-document": (
        "an Office document (zip container) is read as one file, not as an archive"
    ),
    "archive.member-link": "a symbolic or hard link member: refused",
    "archive.member-special": "a device, fifo or socket member: refused",
    "archive.member-unsafe-name": (
        "a member name that is absolute, climbs out with '..' or is otherwise unsafe: refused"
    ),
    "archive.member-duplicate": "a 7z member whose name appears twice: the second is refused",
    "archive.member-unreadable": "one zip member cannot be decompressed: the others are read",
    "archive.encrypted": (
        "a password-protected archive or members: not read; ask for the files without a password"
    ),
}


class _MemberRefused(Exception):
    """This member (and, for a bomb, the rest of its archive) is not extracted."""

    def __init__(self, reason: str, whole_archive: bool = False) -> None:
        super().__init__(reason)
        self.whole_archive = whole_archive


def archive_kind(head: bytes) -> str | None:
    """``zip``, ``7z``, ``tar``, ``gzip``, ``bzip2`` or ``xz`` from the first bytes, else None."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + 5] == b"ustar":
        return "tar"
    return None


def unsupported_archive(head: bytes) -> str | None:
    for magic, name in _UNSUPPORTED:
        if head.startswith(magic):
            return name
    return None


class Unpacker:
    """Extracts archives into ``workdir`` (a private temp folder owned by the caller).

    ``expand(file, depth)`` returns the files an input stands for: itself when it is not an
    archive, else its members, recursively. Problems become ``messages``."""

    def __init__(self, workdir: Path | Callable[[], Path], limits: Limits = DEFAULT_LIMITS) -> None:
        # A folder, or what makes it when the first member is copied (most tickets hold no
        # archive: no folder is made and removed for them).
        self._workdir = workdir
        self.limits = limits
        self.budget = Budget(limits)
        self.messages: list[Message] = []
        self.cap = MessageCap(self.messages)
        self._serial = 0

    # ------------------------------------------------------------------ reporting

    def say(self, level: Level, path: str, text: str, *, code: str) -> None:
        self.cap.add(Message(level, text, Source(path), code))

    # ------------------------------------------------------------------ entry point

    def expand(self, file: InputFile, depth: int = 0) -> list[InputFile]:
        try:
            head = file.head(TAR_MAGIC_OFFSET + 8)
        except OSError as exc:
            self.say(
                Level.ERROR,
                file.display,
                f"cannot read: {exc.strerror or exc}",
                code="input.unreadable",
            )
            return []
        kind = archive_kind(head)
        if kind is None:
            other = unsupported_archive(head)
            if other:
                self.say(
                    Level.WARNING,
                    file.display,
                    f"{other} archive: this format is not supported; extract it and send the files",
                    code="archive.unsupported-format",
                )
            return [file]
        if depth + 1 > self.limits.max_depth:
            self.say(
                Level.WARNING,
                file.display,
                f"archive not opened: nested deeper than {self.limits.max_depth} levels",
                code="archive.too-deep",
            )
            return []
        if self.budget.exhausted:
            self.say(
                Level.WARNING,
                file.display,
                f"archive not opened: {self.budget.exhausted}",
                code="archive.budget-exhausted",
            )
            return []
        run = ArchiveRun(file.display, file.local, depth + 1, max(file.size, 1))
        opener: dict[str, Callable[[ArchiveRun], Any]] = {
            "zip": self._zip,
            "7z": self._7z,
            "tar": self._tar,
            "gzip": self._compressed,
            "bzip2": self._compressed,
            "xz": self._compressed,
        }
        try:
            result = opener[kind](run)
            if isinstance(result, InputFile):
                return [result]  # a document in a zip container, not an archive
        except LimitReached as exc:
            self.say(
                Level.ERROR, run.display, f"extraction stopped: {exc}", code="archive.limit-reached"
            )
        except _MemberRefused as exc:
            self.say(Level.ERROR, run.display, f"extraction stopped: {exc}", code="archive.bomb")
        except (OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
            self.say(
                Level.ERROR,
                run.display,
                f"corrupt or truncated {kind} archive: {exc}",
                code="archive.corrupt",
            )
        except (zipfile.BadZipFile, tarfile.TarError, CorruptArchive) as exc:
            self.say(
                Level.ERROR, run.display, f"corrupt {kind} archive: {exc}", code="archive.corrupt"
            )
        except Exception as exc:  # the format libraries raise many more types on damaged input
            self.say(
                Level.ERROR,
                run.display,
                f"corrupt {kind} archive: {type(exc).__name__}: {exc}",
                code="archive.corrupt",
            )
        said = any(
            m.source.path == run.display or m.source.path.startswith(f"{run.display}!/")
            for m in self.messages
        )
        if not run.members and not said and self.cap.first_left_out is None:
            self.say(Level.INFO, run.display, "archive holds no files", code="archive.empty")
        expanded: list[InputFile] = []
        for member in run.members:
            expanded.extend(self._expand_member(member, run.depth))
        return expanded

    def _expand_member(self, member: InputFile, depth: int) -> list[InputFile]:
        inner = self.expand(member, depth)
        if inner != [member]:
            member.local.unlink(missing_ok=True)  # the nested archive's bytes are not needed
        return inner

    # ------------------------------------------------------------------ copying

    @property
    def workdir(self) -> Path:
        if not isinstance(self._workdir, Path):
            self._workdir = self._workdir()
        return self._workdir

    def new_local(self) -> Path:
        self._serial += 1
        return self.workdir / f"m{self._serial:06d}"

    def _copy(self, run: ArchiveRun, name: str, source: IO[bytes], packed: int | None) -> None:
        """Copy one member, counting bytes against every limit as they arrive."""
        display = f"{run.display}!/{name}"
        self.budget.count_file()
        local = self.new_local()
        written = 0
        try:
            with local.open("wb") as out:
                while chunk := source.read(COPY_CHUNK):
                    written += len(chunk)
                    run.produced += len(chunk)
                    self.budget.add_bytes(len(chunk))
                    self.check_member(run, written, packed)
                    out.write(chunk)
        except _MemberRefused as exc:
            local.unlink(missing_ok=True)
            if exc.whole_archive:
                raise _MemberRefused(f"member '{name}': {exc}", whole_archive=True) from None
            self.say(
                Level.WARNING, display, f"not extracted: {exc}", code="archive.member-over-limit"
            )
            return
        except BaseException:
            local.unlink(missing_ok=True)
            raise
        run.members.append(InputFile(display, local, written))

    def check_member(self, run: ArchiveRun, written: int, packed: int | None) -> None:
        lim = self.limits
        if written > lim.max_member_bytes:
            raise _MemberRefused(f"larger than the per-file limit ({lim.max_member_bytes} bytes)")
        if (
            packed is not None
            and written > lim.ratio_floor_bytes
            and written > lim.max_ratio * max(packed, 1)
        ):
            raise _MemberRefused(f"compression ratio above {lim.max_ratio}:1 (zip bomb?)")
        if run.produced > lim.ratio_floor_bytes and run.produced > lim.max_ratio * run.size:
            raise _MemberRefused(
                f"archive expands more than {lim.max_ratio}:1 (decompression bomb?)",
                whole_archive=True,
            )

    def refuse(self, run: ArchiveRun, raw: str, why: str, *, code: str) -> None:
        # The name and a link target are the archive author's: shown with their controls visible.
        self.say(
            Level.WARNING,
            run.display,
            f"member '{visible(raw)}' refused: {visible(why)}",
            code=code,
        )

    # ------------------------------------------------------------------ formats

    def _zip(self, run: ArchiveRun) -> InputFile | None:
        with zipfile.ZipFile(run.local) as archive:
            infos = archive.infolist()
            if any(i.filename == "[Content_Types].xml" for i in infos):
                self.say(
                    Level.INFO,
                    run.display,
                    "Office document (zip container), not an archive",
                    code="archive.office-document",
                )
                return InputFile(run.display, run.local, run.size)
            encrypted = 0
            for info in infos:
                mode = info.external_attr >> 16
                if info.is_dir() or stat.S_ISDIR(mode):
                    continue
                if stat.S_ISLNK(mode):
                    self.refuse(run, info.filename, "symbolic link", code="archive.member-link")
                    continue
                if mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                    self.refuse(
                        run,
                        info.filename,
                        "special file (device, fifo or socket)",
                        code="archive.member-special",
                    )
                    continue
                if info.flag_bits & 0x1:
                    encrypted += 1
                    continue
                name, why = clean_member_name(info.filename)
                if name is None:
                    self.refuse(
                        run, info.filename, why or "unsafe name", code="archive.member-unsafe-name"
                    )
                    continue
                if self._declared_bomb(info):
                    self.say(
                        Level.WARNING,
                        f"{run.display}!/{name}",
                        f"not extracted: declared compression ratio above "
                        f"{self.limits.max_ratio}:1 (zip bomb?)",
                        code="archive.member-bomb",
                    )
                    continue
                try:
                    with archive.open(info) as member:
                        self._copy(run, name, member, info.compress_size)
                except (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError) as exc:
                    self.say(
                        Level.WARNING,
                        f"{run.display}!/{name}",
                        f"unreadable zip member: {exc}",
                        code="archive.member-unreadable",
                    )
            if encrypted:
                self.say(
                    Level.ERROR,
                    run.display,
                    f"encrypted (password-protected) archive: {encrypted} member(s) not read; "
                    "ask for the files without a password",
                    code="archive.encrypted",
                )
        return None

    def _declared_bomb(self, info: zipfile.ZipInfo) -> bool:
        """Headers can lie (the copy counts real bytes), but an honest bomb is refused unread."""
        lim = self.limits
        return info.file_size > lim.ratio_floor_bytes and info.file_size > lim.max_ratio * max(
            info.compress_size, 1
        )

    def _tar(self, run: ArchiveRun, stream: IO[bytes] | None = None) -> None:
        source = stream if stream is not None else run.local.open("rb")
        try:
            # Stream mode reads strictly forward: no seeks, and a truncated tail loses only itself.
            with tarfile.open(fileobj=source, mode="r|") as archive:
                for info in archive:
                    self._tar_member(run, archive, info)
        finally:
            if stream is None:
                source.close()

    def _tar_member(self, run: ArchiveRun, archive: tarfile.TarFile, info: tarfile.TarInfo) -> None:
        if info.isdir():
            return
        if info.issym():
            self.refuse(
                run, info.name, f"symbolic link to '{info.linkname}'", code="archive.member-link"
            )
            return
        if info.islnk():
            self.refuse(
                run, info.name, f"hard link to '{info.linkname}'", code="archive.member-link"
            )
            return
        if not info.isreg():
            self.refuse(
                run,
                info.name,
                "special file (device, fifo or socket)",
                code="archive.member-special",
            )
            return
        name, why = clean_member_name(info.name)
        if name is None:
            self.refuse(run, info.name, why or "unsafe name", code="archive.member-unsafe-name")
            return
        member = archive.extractfile(info)
        if member is not None:
            self._copy(run, name, member, None)

    def _compressed(self, run: ArchiveRun) -> None:
        """gzip/bzip2/xz: a compressed tar, or one compressed file named after the archive."""
        openers: dict[bytes, Callable[[Path], Any]] = {
            b"\x1f\x8b": gzip.GzipFile,
            b"BZh": bz2.BZ2File,
            b"\xfd7z": lzma.LZMAFile,
        }
        with run.local.open("rb") as fh:
            magic = fh.read(4)
        opener = next(o for m, o in openers.items() if magic.startswith(m))
        with opener(run.local) as probe:
            head = probe.read(TAR_MAGIC_OFFSET + 8)
        with opener(run.local) as stream:
            if archive_kind(head) == "tar":
                self._tar(run, stream)
                return
            leaf = run.display.rsplit("!/", 1)[-1].rsplit("/", 1)[-1]
            stem = re.sub(r"\.(gz|tgz|bz2|xz|z)$", "", leaf, flags=re.IGNORECASE) or "content"
            name, _ = clean_member_name(stem)
            self._copy(run, name or "content", stream, None)

    def _7z(self, run: ArchiveRun) -> None:
        from analyzer.inputs.sevenzip import read_7z  # only tickets with a 7z pay for py7zr

        read_7z(self, run)
