"""Crafted hostile and happy-path archives for the input tests (built in tmp_path, never shipped)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path


def zip_bytes(members: dict[str, bytes], *, mode: int | None = None) -> bytes:
    """A deflated zip of ``members``; names are written exactly as given (even ``../x``)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None:
                info.external_attr = mode << 16
            archive.writestr(info, data)
    return buf.getvalue()


def zip_with_symlink(
    target: str, name: str = "link", extra: dict[str, bytes] | None = None
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = 0o120777 << 16
        archive.writestr(info, target)
        for member, data in (extra or {}).items():
            archive.writestr(member, data)
    return buf.getvalue()


def encrypted_zip(members: dict[str, bytes]) -> bytes:
    """A zip whose members carry the 'encrypted' flag (bit 0), as a password-protected zip does.

    zipfile cannot write encryption, so the flag is set in the local and central headers."""
    data = bytearray(zip_bytes(members))
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (pos := data.find(signature, start)) >= 0:
            data[pos + flag_offset] |= 0x01
            start = pos + 4
    return bytes(data)


def tar_bytes(members: list[tarfile.TarInfo | tuple[str, bytes]], compression: str = "") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=f"w:{compression}") as archive:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def tar_special(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def sevenzip_bytes(members: dict[str, bytes], password: str | None = None, **kw: bool) -> bytes:
    """A 7z archive. py7zr refuses to write unsafe names, so those are written under a
    placeholder and renamed in the header before it is written (test crafting only)."""
    import py7zr

    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w", password=password, **kw) as archive:
        for index, (name, data) in enumerate(members.items()):
            archive.writestr(data, f"placeholder{index}")
            archive.header.files_info.files[-1]["filename"] = name
    return buf.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
