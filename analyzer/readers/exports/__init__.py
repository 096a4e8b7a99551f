"""Event log exports customers send instead of (or beside) the binary `.evtx`.

Kinds, each detected from content:
  evtx-xml          wevtutil / Event Viewer / PowerShell event XML (`xmlexport`)
  evtx-text         Event Viewer "Copy details as text" and `wevtutil /f:text` (`textcopy`),
                    "Save as" tab-delimited text (`delimited`), `Get-WinEvent | Format-List`
                    (`pslist`)
  evtx-csv          Event Viewer "Save as" CSV and `Get-WinEvent | Export-Csv` (`delimited`)
  evtx-locale-meta  `LocaleMetaData/*.MTA` beside an exported `.evtx`: noted, not read
"""

from __future__ import annotations

from analyzer.inputs.files import InputFile
from analyzer.model import ReadResult
from analyzer.readers import ReaderSpec, ReadOptions, Sample, register
from analyzer.readers.exports import delimited, localemeta, pslist, textcopy, xmlexport
from analyzer.readers.exports.common import finish, read_text
from analyzer.readers.records import EVENTS

EVENT_EXPORT_KINDS: tuple[str, ...] = ("evtx-xml", "evtx-text", "evtx-csv", "evtx-locale-meta")


def _delimited_score(sample: Sample, kind: str) -> int:
    if sample.text is None:
        return 0
    found = delimited.classify(sample.text.text)
    return found[1] if found and found[0].kind == kind else 0


def _sniff_text(sample: Sample) -> int:
    return max(textcopy.sniff(sample), pslist.sniff(sample), _delimited_score(sample, "evtx-text"))


def _sniff_csv(sample: Sample) -> int:
    return _delimited_score(sample, "evtx-csv")


def _read_delimited(file: InputFile, kind: str) -> ReadResult:
    result = ReadResult(file.display, kind)
    text = read_text(file, result).text
    found = delimited.classify(text)
    if found is None:
        result.fail(
            "no event export header found (expected Event Viewer or Get-WinEvent columns)",
            code="export.no-header",
        )
        return result
    return finish(result, delimited.records(text, found[0], result))


def _read_text(file: InputFile, options: ReadOptions) -> ReadResult:
    result = ReadResult(file.display, "evtx-text")
    decoded = read_text(file, result)
    text = decoded.text
    found = delimited.classify(text)
    if found is not None and found[0].kind == "evtx-text":
        return finish(result, delimited.records(text, found[0], result))
    if pslist.score(text) > textcopy.score(text):
        return finish(result, pslist.records(text, result))
    return finish(result, textcopy.records(text, result))


def _read_csv(file: InputFile, options: ReadOptions) -> ReadResult:
    return _read_delimited(file, "evtx-csv")


register(
    ReaderSpec(
        xmlexport.KIND,
        xmlexport.sniff,
        xmlexport.read,
        "event XML (wevtutil, Event Viewer)",
        records=(EVENTS,),
    )
)
register(
    ReaderSpec(
        "evtx-text",
        _sniff_text,
        _read_text,
        "Event Viewer text: copied event details, or tab-delimited 'Save as'",
        records=(EVENTS,),
    )
)
register(
    ReaderSpec(
        "evtx-csv",
        _sniff_csv,
        _read_csv,
        "Event Viewer 'Save as' CSV, Get-WinEvent | Export-Csv",
        records=(EVENTS,),
    )
)
register(
    ReaderSpec(
        localemeta.KIND, localemeta.sniff, localemeta.read, "Event Viewer locale metadata (.MTA)"
    )
)
