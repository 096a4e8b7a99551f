"""Kind ``evtx-locale-meta``: the ``LocaleMetaData/<log>_<LCID>.MTA`` files Event Viewer saves
beside an exported ``.evtx`` ("display information for these languages"). They hold message
strings, not events: recognised and noted, never reported as unknown input."""

from __future__ import annotations

import re

from analyzer.inputs.files import InputFile
from analyzer.model import ReadResult
from analyzer.readers import ReadOptions, Sample

KIND = "evtx-locale-meta"
# No public description of the content exists, so this is the one kind known by name: the
# extension Event Viewer gives these files (e.g. ``System_1033.MTA``).
_NAME = re.compile(r".+\.mta", re.IGNORECASE)


def sniff(sample: Sample) -> int:
    return 20 if _NAME.fullmatch(sample.name) else 0


def read(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, KIND)
    result.skip(
        "Event Viewer locale metadata (message strings saved beside an exported .evtx); "
        "it holds no events: read the .evtx itself",
        code="export.locale-metadata",
    )
    return result
