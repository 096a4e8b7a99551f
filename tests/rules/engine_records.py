"""The record builders (tests/records.py) for the rule tests, and the case and analysis helpers."""

from __future__ import annotations

from typing import Any

from analyzer.case import Case, CaseOptions
from analyzer.correlate import correlate
from analyzer.model import Analysis, ReadResult
from analyzer.pipeline import analyse_case
from tests.records import (  # noqa: F401 - re-exported for the rule tests
    CODE_SIGNING,
    CSP,
    DUMP,
    KSP,
    LOG,
    SERVER_AUTH,
    cert,
    dump,
    event,
    key,
    log,
    thumb,
)


def analyse(*results: ReadResult, **options: Any) -> Analysis:
    return analyse_case(Case.from_results(list(results), CaseOptions(**options)))


def correlation_of(*results: ReadResult, **options: Any):
    return correlate(Case.from_results(list(results), CaseOptions(**options)))
