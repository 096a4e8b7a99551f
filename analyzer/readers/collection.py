"""The certtriage collector's ``manifest.json`` (schema ``certtriage.collection/1``).

The collector (`certtriage collector`, docs/collector.md) writes one zip: the outputs of the
commands it ran and this manifest. Read here: where and when it ran (host, UTC time, the
machine's UTC offset), whether it was elevated, the OS, each command's exit code and error text
(a failed command is a warning naming it; one whose failure only means "not configured here",
``absent_ok``, is a note), and the SHA-256 of each file. The hashes are compared with the files
beside the manifest by `verify_collections`, which the input service runs once every input is read
(a reader sees one file; the files beside it are other inputs).

The manifest is customer data like any other input: bounded in size, count and depth, every
string cut short and cleared of control characters, file names accepted only as plain names
(no folder, no ``..``), never used to open anything but an input already collected.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

from analyzer.collector import MANIFEST_NAME, SCHEMA
from analyzer.inputs.files import MAX_INPUT_BYTES, InputFile
from analyzer.model import Collection, OsInfo, ReadResult, RecordType, Source
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register

KIND = "collection-manifest"
MAX_MANIFEST_BYTES = 2 * 1024 * 1024  # a real one is a few kB
MAX_ENTRIES = 500  # commands, files
MAX_TEXT = 300  # characters kept of any string
_SCHEMA_FAMILY = SCHEMA.rsplit("/", 1)[0] + "/"
_SAFE_NAME = re.compile(r"[A-Za-z0-9_$][A-Za-z0-9_$. -]{0,119}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_OFFSET = re.compile(r"[+-](?:0\d|1[0-4]):[0-5]\d")
_OS_VERSION = re.compile(r"(\d{1,3})\.(\d{1,3})(?:\.(\d{1,6}))?")
# C0/C1 controls and the bidirectional overrides that could reorder a terminal line.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


# Stable codes of the messages this module gives (docs/diagnostics.md).
MESSAGE_CODES = {
    "collection.bad-os": "the manifest's `os` member is not an object or its version is not N.N.N",
    "collection.bad-commands": (
        "the manifest's `commands` member, or one command record, is malformed"
    ),
    "collection.too-many-entries": "more commands or files in the manifest than are read",
    "collection.command-found-nothing": (
        "a command of the collector found nothing to read on the customer's side"
    ),
    "collection.command-failed": "a command of the collector failed on the customer's side",
    "collection.command-skipped": (
        "a step of the collector did not apply on the customer's side (no such role or instance)"
    ),
    "collection.bad-files": (
        "the manifest's `files` member, or one file record, is malformed: not checked"
    ),
    "collection.not-json": "the manifest is not UTF-8 JSON, or nests too deeply",
    "collection.not-a-manifest": "a JSON file whose schema is not the collector's",
    "collection.other-schema": "a later certtriage.collection schema, read as the known one",
    "collection.bad-time": "collected_at or utc_offset is not in the documented form: ignored",
    "collection.bad-elevated": "`elevated` is not true or false: elevation not known",
    "collection.not-elevated": (
        "the collector ran without elevation: some evidence could not be read"
    ),
    "collection.file-missing": "a file the manifest lists is not in the collection",
    "collection.file-not-checked": "a file too large or unreadable for its SHA-256 to be checked",
    "collection.hash-mismatch": (
        "a file's SHA-256 differs from the manifest's: changed after collection or damaged"
    ),
}


def clean(value: Any) -> str | None:
    """A string from the manifest, safe to print: controls become spaces, cut to MAX_TEXT."""
    if not isinstance(value, str):
        return None
    text = " ".join(_UNPRINTABLE.sub(" ", value).split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def sniff_manifest(sample: Sample) -> int:
    if sample.text is None:
        return 0
    head = sample.text.text[:4096].lstrip("\ufeff \t\r\n")
    if head.startswith("{") and f'"{_SCHEMA_FAMILY}' in head:
        return 100
    return 0


def _folder_of(display: str) -> str:
    return display.rsplit("/", 1)[0] + "/" if "/" in display else ""


def _os_info(value: Any, result: ReadResult) -> tuple[OsInfo | None, str | None]:
    if not isinstance(value, dict):
        if value is not None:
            result.warn(
                "manifest: `os` is not an object; the OS version is not known from it",
                code="collection.bad-os",
            )
        return None, None
    caption = clean(value.get("caption")) or None
    match = _OS_VERSION.fullmatch(str(value.get("version") or "").strip())
    if not match:
        result.warn(
            f"manifest: OS version {clean(str(value.get('version')))!r} is not N.N.N",
            code="collection.bad-os",
        )
        return None, caption
    build_text = str(value.get("build") or match.group(3) or "").strip()
    build = int(build_text) if build_text.isdigit() and len(build_text) <= 6 else None
    return OsInfo(f"{int(match.group(1))}.{int(match.group(2))}", build, None), caption


def _commands(value: Any, result: ReadResult) -> None:
    """A warning for each command that failed on the customer's side, naming it."""
    if not isinstance(value, list):
        result.warn(
            "manifest: `commands` is not a list; no command result is known",
            code="collection.bad-commands",
        )
        return
    if len(value) > MAX_ENTRIES:
        result.warn(
            f"manifest: {len(value)} commands; only the first {MAX_ENTRIES} were read",
            code="collection.too-many-entries",
        )
    for index, entry in enumerate(value[:MAX_ENTRIES]):
        if not isinstance(entry, dict) or not clean(entry.get("command")):
            result.warn(
                f"manifest: command #{index + 1} is not a command record",
                code="collection.bad-commands",
            )
            continue
        command = clean(entry.get("command"))
        code = entry.get("exit_code")
        error = clean(entry.get("error")) or "no error text"
        if entry.get("skipped") is True:
            result.note(
                f"on the customer's side, `{command}` was skipped: {error}",
                code="collection.command-skipped",
            )
            continue
        if code == 0 and not isinstance(code, bool):
            continue
        shown = code if isinstance(code, int) and not isinstance(code, bool) else "unknown"
        if entry.get("absent_ok") is True:
            result.note(
                f"on the customer's side, `{command}` found nothing to read "
                f"(exit code {shown}): {error}",
                code="collection.command-found-nothing",
            )
        else:
            result.warn(
                f"on the customer's side, `{command}` failed (exit code {shown}): {error}",
                code="collection.command-failed",
            )


def _files(value: Any, folder: str, result: ReadResult) -> tuple[tuple[str, str], ...]:
    """(display path, SHA-256) of each well-formed file entry."""
    if not isinstance(value, list):
        result.warn(
            "manifest: `files` is not a list; no file can be checked", code="collection.bad-files"
        )
        return ()
    if len(value) > MAX_ENTRIES:
        result.warn(
            f"manifest: {len(value)} files; only the first {MAX_ENTRIES} are checked",
            code="collection.too-many-entries",
        )
    out: dict[str, str] = {}
    for index, entry in enumerate(value[:MAX_ENTRIES]):
        name = entry.get("name") if isinstance(entry, dict) else None
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name) or ".." in name:
            result.warn(
                f"manifest: file #{index + 1} has no plain file name "
                f"({clean(str(name))!r}); not checked",
                code="collection.bad-files",
            )
            continue
        if name == MANIFEST_NAME:
            continue
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest.lower()):
            result.warn(
                f"manifest: {name} has no SHA-256 (64 hex digits); not checked",
                code="collection.bad-files",
            )
            continue
        out.setdefault(folder + name, digest.lower())
    return tuple(sorted(out.items()))


def read_manifest(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND, encoding="utf-8")
    if file.size > MAX_MANIFEST_BYTES:
        result.fail(
            f"manifest is {file.size} bytes; a collector manifest is a few kB (limit "
            f"{MAX_MANIFEST_BYTES}): not read",
            code="input.too-large",
        )
        return result
    try:
        document = json.loads(file.read_bytes(MAX_MANIFEST_BYTES).decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        result.fail(f"manifest is not UTF-8 (byte {exc.start})", code="collection.not-json")
        return result
    except json.JSONDecodeError as exc:
        result.fail(
            f"manifest is not valid JSON: {exc.msg} (line {exc.lineno})", code="collection.not-json"
        )
        return result
    except RecursionError:
        result.fail(
            "manifest is nested too deeply to be a collector manifest", code="collection.not-json"
        )
        return result
    if not isinstance(document, dict) or not str(document.get("schema", "")).startswith(
        _SCHEMA_FAMILY
    ):
        result.fail(
            f"not a collector manifest (schema is not {SCHEMA})", code="collection.not-a-manifest"
        )
        return result
    if document["schema"] != SCHEMA:
        result.warn(
            f"manifest schema {clean(document['schema'])!r}: read as {SCHEMA}",
            code="collection.other-schema",
        )

    collected_at = clean(document.get("collected_at"))
    if collected_at is not None and not _UTC_TIME.fullmatch(collected_at):
        result.warn(
            f"manifest: collected_at {collected_at!r} is not a UTC time; ignored",
            code="collection.bad-time",
        )
        collected_at = None
    offset = clean(document.get("utc_offset"))
    if offset is not None and not _OFFSET.fullmatch(offset):
        result.warn(
            f"manifest: utc_offset {offset!r} is not an offset like +02:00; ignored",
            code="collection.bad-time",
        )
        offset = None
    elevated = document.get("elevated")
    if not isinstance(elevated, bool):
        result.warn(
            "manifest: `elevated` is not true or false; elevation is not known",
            code="collection.bad-elevated",
        )
        elevated = None
    elif not elevated:
        result.warn(
            "the collector ran without elevation: machine keys, applicationHost.config and "
            "some logs could not be read; ask for a run from an elevated prompt",
            code="collection.not-elevated",
        )
    os_info, caption = _os_info(document.get("os"), result)
    collector = document.get("collector")
    version = clean(collector.get("version")) if isinstance(collector, dict) else None
    _commands(document.get("commands"), result)
    files = _files(document.get("files"), _folder_of(file.display), result)
    result.add(
        Collection(
            host=clean(document.get("host")) or None,
            collected_at=collected_at,
            utc_offset=offset,
            elevated=elevated,
            os=os_info,
            os_caption=caption,
            collector_version=version,
            files=files,
            source=Source(file.display),
        )
    )
    return result


def _sha256(file: InputFile) -> str:
    digest = hashlib.sha256()
    with file.local.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_collections(results: Iterable[ReadResult], files: Iterable[InputFile]) -> None:
    """Compare each manifest's SHA-256 with the collected file it names; a mismatch or a missing
    file is a warning on the manifest's input. Called while the inputs' bytes still exist."""
    by_display = {f.display: f for f in files}
    for result in results:
        if result.kind != KIND or not result.usable:
            continue
        for collection in result.records(Collection):
            for display, expected in collection.files:
                name = display.rsplit("/", 1)[-1]
                found = by_display.get(display)
                if found is None:
                    result.warn(
                        f"{name} is listed in the manifest but not in the collection",
                        code="collection.file-missing",
                    )
                elif found.size > MAX_INPUT_BYTES:
                    result.warn(
                        f"{name} is too large ({found.size} bytes) to check its SHA-256",
                        code="collection.file-not-checked",
                    )
                else:
                    try:
                        actual = _sha256(found)
                    except OSError as exc:
                        result.warn(
                            f"{name}: cannot read it to check its SHA-256 ({exc})",
                            code="collection.file-not-checked",
                        )
                        continue
                    if actual != expected:
                        result.warn(
                            f"{name}: SHA-256 differs from the manifest's: the file changed "
                            "after collection or is damaged",
                            code="collection.hash-mismatch",
                        )


COLLECTIONS = RecordType(
    Collection,
    "collections",
    "collector runs",
    "what a certtriage collector manifest says of its run: host, time, UTC offset, elevation, "
    "OS, the files it wrote with their SHA-256",
)

SPEC = register(
    ReaderSpec(
        KIND,
        sniff_manifest,
        read_manifest,
        "manifest.json of a certtriage collector zip (certtriage.collection/1)",
        records=(COLLECTIONS,),
        check_inputs=verify_collections,
    )
)
