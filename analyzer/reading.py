"""One way to read inputs, for every command: paths in, one `ReadResult` per input out.

`certtriage certutil`, `events`, `analyze` and `triage` (through `run_analysis`) all read here,
each naming the kinds it wants (`Wanted`). Every failure is contained here, in one wording: an
empty file is skipped, an unreadable one is an `error`, a file none of the wanted readers claims
is `skipped` as kind ``unknown``, a reader's `CerttriageError` or crash is an `error` of that
reader's kind, and a path that collecting refused (not found, a link, an unsafe archive member)
is an input of kind ``collection``. The rest of the inputs is always read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzer.errors import CerttriageError
from analyzer.inputs.archive_base import DEFAULT_LIMITS, Limits
from analyzer.inputs.collect import collect_inputs
from analyzer.inputs.files import EMPTY_FILE, InputFile
from analyzer.inputs.refusals import fold_skipped
from analyzer.model import Level, Message, ReadResult, Status
from analyzer.readers import ReadOptions, detect, registry
from analyzer.readers.exports import EVENT_EXPORT_KINDS


@dataclass(frozen=True)
class Wanted:
    """The reader kinds a command reads, and how its skip message names them."""

    kinds: frozenset[str] | None  # None: every registered kind
    what: str  # "a certutil dump": said of a file no wanted reader claims


EVERY_KIND = Wanted(None, "an input certtriage reads")
CERTUTIL_DUMPS = Wanted(frozenset({"certutil"}), "a certutil dump")
EVENT_INPUTS = Wanted(frozenset({"evtx", *EVENT_EXPORT_KINDS}), "an event log or event export")


def _message_of(exc: CerttriageError, display: str) -> str:
    # Readers name the file in their errors; the input entry names it already.
    return str(exc).removeprefix(f"{display}: ")


def read_file(file: InputFile, options: ReadOptions, wanted: Wanted = EVERY_KIND) -> ReadResult:
    """Detect and read one file with the surest wanted reader; never raises for a bad input."""
    try:
        if file.size == 0 and not file.head(1):  # (a size of 0 alone: also /proc-like files)
            result = ReadResult(file.display, "unknown")
            result.skip(EMPTY_FILE)
            return result
        only = None if wanted.kinds is None else tuple(sorted(wanted.kinds))
        spec = detect(file, only=only)
    except OSError as exc:
        result = ReadResult(file.display, "unknown")
        result.fail(f"cannot read the file: {exc.strerror or exc}")
        return result
    except Exception as exc:  # a sniffer bug is contained like a reader bug
        result = ReadResult(file.display, "unknown")
        result.fail(f"internal error while detecting the kind: {type(exc).__name__}: {exc}")
        return result
    if spec is None:
        result = ReadResult(file.display, "unknown")
        result.skip(f"not {wanted.what} (kind not recognised from its content)")
        return result
    try:
        return spec.read(file, options)
    except CerttriageError as exc:
        result = ReadResult(file.display, spec.kind)
        result.fail(_message_of(exc, file.display))
        return result
    except Exception as exc:  # a reader bug must not cost the other inputs
        result = ReadResult(file.display, spec.kind)
        result.fail(f"internal error in the {spec.kind} reader: {type(exc).__name__}: {exc}")
        return result


def collection_results(messages: Sequence[Message]) -> list[ReadResult]:
    """What collecting said about paths that are not inputs themselves (not found, refused
    archive members, links, unreadable folders), as `error`/`skipped` inputs naming them."""
    by_path: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        by_path[message.source.path].append(message)
    out = []
    for path in sorted(by_path):
        result = ReadResult(path, "collection", Status.SKIPPED)
        result.messages.extend(by_path[path])
        if any(m.level is Level.ERROR for m in by_path[path]):
            result.status = Status.ERROR
        out.append(result)
    return out


def read_paths(
    paths: Sequence[str | Path],
    options: ReadOptions,
    wanted: Wanted = EVERY_KIND,
    limits: Limits = DEFAULT_LIMITS,
    base: Path | None = None,
) -> list[ReadResult]:
    """Every file named, found in folders or inside archives, read by its wanted reader."""
    with collect_inputs(paths, limits, base) as collected:
        results = [read_file(file, options, wanted) for file in collected.files]
        for spec in registry().values():
            if spec.check_inputs is not None:
                spec.check_inputs(results, collected.files)
    return fold_skipped(results + collection_results(collected.messages))
