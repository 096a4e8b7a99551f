"""`run_analysis`: one ticket's paths in, one `Analysis` out. The library entry point that
`certtriage analyze` and `triage` (per ticket) both call.

inputs -> detect + read each (`analyzer.reading`, which contains a reader's failure as an
`error` input) -> Case -> correlate -> rules -> verdict -> Analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from analyzer.case import Case, CaseOptions
from analyzer.correlate import Correlation, correlate
from analyzer.inputs.archive_base import DEFAULT_LIMITS, Limits
from analyzer.model import Analysis, CorrelationSummary, EvidenceNote, OsFact
from analyzer.readers import ReadOptions
from analyzer.reading import EVERY_KIND, read_paths
from analyzer.rulekit.registry import run_rules
from analyzer.verdict import decide


@dataclass(frozen=True)
class AnalysisOptions:
    thumbprint: str | None = None  # normalised (analyzer.case.normalise_thumbprint)
    at: str | None = None  # UTC (analyzer.case.parse_at)
    at_assumed_utc: bool = False
    engine: str | None = None  # evtx engine
    limits: Limits = DEFAULT_LIMITS
    base: Path | None = None  # relative paths are read from here (triage)


def run_analysis(paths: Sequence[str | Path], options: AnalysisOptions | None = None) -> Analysis:
    options = options or AnalysisOptions()
    read_options = ReadOptions(engine=options.engine)
    results = read_paths(paths, read_options, EVERY_KIND, options.limits, options.base)
    case = Case.from_results(
        results, CaseOptions(options.thumbprint, options.at, options.at_assumed_utc)
    )
    return analyse_case(case)


def analyse_case(case: Case) -> Analysis:
    """Correlate, run the rules and order the verdict for an already built case."""
    correlation = correlate(case)
    verdict = decide(case, correlation, run_rules(case, correlation))
    analysis = Analysis(
        inputs=case.inputs,
        diagnoses=verdict.diagnoses,
        not_checked=verdict.not_checked,
        ask_for=verdict.ask_for,
        thumbprint=case.options.thumbprint,
        at=case.options.at,
        context=correlation_context(case, correlation),
    )
    for record_cls, records in case.store:
        analysis.store.put(record_cls, records)
    # The report and the JSON show certificate files matching no store certificate too.
    analysis.certificates.extend(case.file_certificates)
    return analysis


def correlation_context(case: Case, correlation: Correlation) -> CorrelationSummary:
    """Correlation facts for the report and JSON."""
    os_info = correlation.os
    return CorrelationSummary(
        failures=len(correlation.failures),
        failures_total=len(correlation.all_failures),
        reference_time=correlation.reference_time,
        reference_from=correlation.reference_from,
        at_assumed_utc=case.options.at_assumed_utc,
        in_use=correlation.in_use,
        in_use_from=correlation.in_use_from,
        in_scope=correlation.in_scope,
        notes=correlation.notes,
        service=correlation.service,
        services=tuple(correlation.services),
        service_failures=len(correlation.service_failures) + len(correlation.service_log_failures),
        service_evidence=tuple(
            EvidenceNote(e.text, str(e.source), e.quote) for e in correlation.service_evidence
        ),
        local_offset=correlation.local_offset,
        certificates_merged={t: tuple(p) for t, p in sorted(case.merged_from.items())},
        os=None
        if os_info is None
        else OsFact(os_info.version, os_info.build, correlation.os_source),
    )
