"""Kind ``evtx-xml``: wevtutil / Event Viewer / PowerShell event XML files."""

from __future__ import annotations

import re

from analyzer.inputs.files import InputFile
from analyzer.model import ReadResult
from analyzer.readers import ReadOptions, Sample
from analyzer.readers.exports.common import RawRecord, finish, read_text, warn_some
from analyzer.readers.exports.xmlevents import (
    EVENT_NS,
    find_events,
    refuse_declarations,
    strip_view_marks,
)

KIND = "evtx-xml"
_ROOT = re.compile(r"<(?:[\w.-]+:)?Events?(?=[\s>/])")
_DECLARATION = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def sniff(sample: Sample) -> int:
    if sample.text is None:
        return 0
    head = strip_view_marks(sample.text.text[:8192])[0].lstrip()
    if not head.startswith("<") or not _ROOT.search(head):
        return 0
    if "<System" in head or EVENT_NS in head:
        return 90
    if re.match(r"(?:<\?xml[^>]*\?>\s*)?<Events>\s*</Events>\s*$", head):
        return 70  # Event Viewer saved a view that matched nothing
    if _DECLARATION.search(head):
        # A hostile document aimed at an event reader: claim it so that it is refused loudly.
        return 60
    return 0


def read(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    text, collapsed = strip_view_marks(read_text(file, result).text)
    if collapsed:
        result.warn(
            f"copied from an XML view with {collapsed} collapsed (+) element(s): what they "
            "held was not on screen, so it is not in the copy (expand all before copying)"
        )
    refuse_declarations(text, file.display)
    records: list[RawRecord] = []
    problems: list[tuple[int | None, str]] = []
    for found in find_events(text):
        if found.record is None:
            problems.append((found.line, f"event skipped: {found.problem}"))
        else:
            records.append(found.record)
    warn_some(result, problems)
    return finish(result, records)
