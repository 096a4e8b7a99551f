"""The work one worker process does for one upload: the same pipeline and renderers as
`certtriage analyze`, on the files of a private upload folder. No web code here: this module is
what the worker processes import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

# At module level on purpose: a worker imports this module when it starts, so the pipeline is
# loaded before the first upload arrives rather than during it.
from analyzer.pipeline import AnalysisOptions, run_analysis
from analyzer.render.html import render_report
from analyzer.render.json import analysis_document, dumps


@dataclass(frozen=True)
class UploadJob:
    folder: str  # the private upload folder; names are relative to it
    names: tuple[str, ...]
    thumbprint: str | None = None  # normalised
    at: str | None = None  # UTC ISO 8601
    at_assumed_utc: bool = False


@dataclass(frozen=True)
class UploadResult:
    document: str  # the certtriage.analysis/1 JSON text
    report_html: str  # the self-contained report page
    unusable: str | None = None  # why no input could be used, when none could


USABLE = ("ok", "partial")
MAX_REASONS = 5


def analyse_upload(job: UploadJob) -> UploadResult:
    options = AnalysisOptions(
        thumbprint=job.thumbprint,
        at=job.at,
        at_assumed_utc=job.at_assumed_utc,
        base=Path(job.folder),
    )
    analysis = run_analysis(list(job.names), options)
    document = analysis_document(analysis)
    return UploadResult(dumps(document), render_report(analysis), unusable(document))


def unusable(document: dict[str, Any]) -> str | None:
    """One line saying why nothing in the upload could be read (an empty file, a refused
    archive member...), from the analysis document; None when at least one input was read."""
    inputs = document.get("inputs", [])
    if any(entry.get("status") in USABLE for entry in inputs):
        return None
    reasons = [
        (entry.get("messages") or [f"{entry.get('path')}: {entry.get('status')}"])[0]
        for entry in inputs
    ]
    more = len(reasons) - MAX_REASONS
    text = "; ".join(str(r) for r in reasons[:MAX_REASONS]) + (
        f"; and {more} more" if more > 0 else ""
    )
    return f"no usable input: {text or 'nothing was uploaded'}"
