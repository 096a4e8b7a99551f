"""`run_analysis`: one ticket's paths in, one `Analysis` out. The library entry point that
`certtriage analyze` and `triage` (per ticket) both call.

inputs -> detect + read each -> Case -> correlate -> rules -> verdict -> Analysis. A reader that
crashes on one input is contained as an `error` input naming the crash; the rest is analysed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.case import Case, CaseOptions
from analyzer.correlate import Correlation, correlate
from analyzer.errors import CerttriageError
from analyzer.inputs.archive_base import DEFAULT_LIMITS, Limits
from analyzer.inputs.collect import Collected, collect_inputs
from analyzer.inputs.files import EMPTY_FILE, InputFile
from analyzer.inputs.refusals import fold_skipped
from analyzer.model import Analysis, Level, ReadResult, Status
from analyzer.readers import ReadOptions, detect
from analyzer.rules.registry import run_rules
from analyzer.verdict import decide


@dataclass(frozen=True)
class AnalysisOptions:
    thumbprint: str | None = None  # normalised (analyzer.case.normalise_thumbprint)
    at: str | None = None  # UTC (analyzer.case.parse_at)
    at_assumed_utc: bool = False
    engine: str | None = None  # evtx engine
    limits: Limits = DEFAULT_LIMITS
    base: Path | None = None  # relative paths are read from here (triage)


def read_input(file: InputFile, options: ReadOptions) -> ReadResult:
    """Detect and read one file; never raises for a bad or unknown input."""
    try:
        if file.size == 0 and not file.head(1):  # (a size of 0 alone: also /proc-like files)
            result = ReadResult(file.display, "unknown")
            result.skip(EMPTY_FILE)
            return result
        spec = detect(file)
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
        result.skip("not an input certtriage reads (kind not recognised from its content)")
        return result
    try:
        return spec.read(file, options)
    except CerttriageError as exc:
        result = ReadResult(file.display, spec.kind)
        result.fail(str(exc))
        return result
    except Exception as exc:  # a reader bug must not cost the rest of the ticket
        result = ReadResult(file.display, spec.kind)
        result.fail(f"internal error in the {spec.kind} reader: {type(exc).__name__}: {exc}")
        return result


def collection_results(collected: Collected) -> list[ReadResult]:
    """What collecting said about paths that are not inputs themselves (refused archive
    members, links, unreadable folders), as `error`/`skipped` entries naming them."""
    by_path: dict[str, list] = defaultdict(list)
    for message in collected.messages:
        by_path[message.source.path].append(message)
    out = []
    for path in sorted(by_path):
        result = ReadResult(path, "collection", Status.SKIPPED)
        result.messages.extend(by_path[path])
        if any(m.level is Level.ERROR for m in by_path[path]):
            result.status = Status.ERROR
        out.append(result)
    return out


def run_analysis(paths: Sequence[str | Path], options: AnalysisOptions | None = None) -> Analysis:
    options = options or AnalysisOptions()
    read_options = ReadOptions(engine=options.engine)
    with collect_inputs(paths, options.limits, options.base) as collected:
        results = [read_input(file, read_options) for file in collected.files]
        results = fold_skipped(results + collection_results(collected))
    case = Case.from_results(
        results, CaseOptions(options.thumbprint, options.at, options.at_assumed_utc)
    )
    return analyse_case(case)


def analyse_case(case: Case) -> Analysis:
    """Correlate, run the rules and order the verdict for an already built case."""
    correlation = correlate(case)
    verdict = decide(case, correlation, run_rules(case, correlation))
    return Analysis(
        inputs=case.inputs,
        certificates=case.certificates + case.file_certificates,
        events=case.events,
        diagnoses=verdict.diagnoses,
        not_checked=verdict.not_checked,
        ask_for=verdict.ask_for,
        acls=case.acls,
        file_access=case.file_access,
        bindings=case.bindings,
        thumbprint=case.options.thumbprint,
        at=case.options.at,
        context=correlation_context(case, correlation),
    )


def correlation_context(case: Case, correlation: Correlation) -> dict[str, Any]:
    """Correlation facts for the report and JSON, as plain sorted data."""
    os_info = correlation.os
    return {
        "failures": len(correlation.failures),
        "failures_total": len(correlation.all_failures),
        "reference_time": correlation.reference_time,
        "reference_from": correlation.reference_from,
        "at_assumed_utc": case.options.at_assumed_utc,
        "in_use": list(correlation.in_use),
        "in_use_from": correlation.in_use_from,
        "in_scope": [
            {"thumbprint": s.thumbprint, "reasons": list(s.reasons)} for s in correlation.in_scope
        ],
        "notes": list(correlation.notes),
        "service": correlation.service,
        "service_evidence": [
            {"text": e.text, "source": str(e.source), "quote": e.quote}
            for e in correlation.service_evidence
        ],
        "local_offset": correlation.local_offset,
        # thumbprint -> PowerShell listings / certificate files merged into its record
        "certificates_merged": {t: list(p) for t, p in sorted(case.merged_from.items())},
        "os": None
        if os_info is None
        else {"version": os_info.version, "build": os_info.build, "source": correlation.os_source},
    }
