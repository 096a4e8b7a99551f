"""The report's "what the evidence says" list, from the correlation facts in `Analysis.context`
(a `CorrelationSummary`): how many 36870 events were considered, the reference time, the
certificate in use and the ones the failures point at, the service that hit the failure, the OS
and notes. Known facts get a sentence each; a field this module does not know yet is still
shown, as plain text.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from analyzer.model import Account, CorrelationSummary, OsFact
from analyzer.render.times import format_local, format_utc

MAX_TEXT = 400
MAX_ITEMS = 20


# How each renderer says where the account that must read the key comes from.
_ACCOUNT_SOURCES = {
    "event": "named by the 36870 events",
    "service-config": "from the service's configuration",
    "evidence": "from a process listing",
    "service-log": 'from the service\'s own log (SQL Server ERRORLOG: "The service account is")',
    "default": "assumed: HTTP.sys has Schannel open the key as LocalSystem",
}


def account_text(account: Account) -> str:
    """``NT AUTHORITY\\SYSTEM (S-1-5-18), assumed: ...``: the account a diagnosis is about."""
    sid = f" ({account.sid})" if account.sid else ""
    where = _ACCOUNT_SOURCES.get(account.source, account.source)
    if account.sid is None and account.source == "event":
        where = "not known: no process listing (tasklist /v) names it"
    if account.source == "default" and account.sid != "S-1-5-18":
        where = "assumed: the service's documented default account"
    return _short(f"{account.name}{sid}, {where}")


@dataclass(frozen=True)
class FactLine:
    text: str
    code: str | None = None  # a thumbprint or quote, set in monospace
    anchor: str | None = None  # where `code` links to in the page
    source: str | None = None  # file and line/record the line rests on


@dataclass(frozen=True)
class Fact:
    label: str
    lines: tuple[FactLine, ...]


REFERENCE_FROM = {"--at": "from --at", "last 36870": "the last 36870 event"}
IN_USE_FROM = {"--thumbprint": "from --thumbprint", "binding": "from the SSL binding"}
# Fields shown elsewhere (local_offset beside every time) or folded into another fact.
FOLDED = {"local_offset", "failures_total", "reference_from", "at_assumed_utc", "in_use_from"}


def correlation_facts(
    context: CorrelationSummary,
    offset: timedelta | None,
    anchor_of: Callable[[str], str | None],
) -> tuple[Fact, ...]:
    """Label and lines for each fact; ``anchor_of`` maps a thumbprint to its table row."""
    builders: dict[str, Callable[[], Fact | None]] = {
        "failures": lambda: _failures(context),
        "reference_time": lambda: _reference(context, offset),
        "in_use": lambda: _in_use(context, anchor_of),
        # Only when there are failures to point from.
        "in_scope": lambda: _in_scope(context, anchor_of) if context.failures else None,
        "service": lambda: _service(context),
        "service_evidence": lambda: None,  # part of "service"
        "services": lambda: None,  # part of "service"
        "service_failures": lambda: None,  # part of "service" (and the verdict's wording)
        "os": lambda: _os(context.os),
        "notes": lambda: _list("Notes", context.notes),
    }
    # Known facts in reading order (the failures, when, which certificate, who, where), then
    # any other field in name order.
    order = {key: rank for rank, key in enumerate(builders)}
    names = sorted(
        (f.name for f in dataclasses.fields(context)),
        key=lambda k: (order.get(k, len(order)), k),
    )
    facts = []
    for key in names:
        if key in FOLDED:
            continue
        fact = builders[key]() if key in builders else _generic(key, getattr(context, key))
        if fact is not None and fact.lines:
            facts.append(fact)
    return tuple(facts)


def _failures(context: CorrelationSummary) -> Fact:
    if not context.failures_total:
        return Fact("Schannel 36870 events", (FactLine("none in the logs given"),))
    return Fact(
        "Schannel 36870 events",
        (
            FactLine(
                f"{context.failures} server-side considered for the failed binding, "
                f"of {context.failures_total} in the logs"
            ),
        ),
    )


def _reference(context: CorrelationSummary, offset: timedelta | None) -> Fact | None:
    raw = context.reference_time
    if not raw:
        return None
    moment = context.reference_moment
    text = format_utc(moment) if moment else _short(raw)
    if moment and offset is not None:
        text += f" ({format_local(moment, offset)})"
    origin = context.reference_from
    if origin:
        text += f", {REFERENCE_FROM.get(origin, _short(origin))}"
    lines = [FactLine(text)]
    if context.at_assumed_utc:
        lines.append(FactLine("--at had no UTC offset, so it was taken as UTC"))
    return Fact("Reference time", tuple(lines))


def _in_use(context: CorrelationSummary, anchor_of: Callable[[str], str | None]) -> Fact:
    thumbprints = list(context.in_use)[:MAX_ITEMS]
    if not thumbprints:
        return Fact(
            "Certificate in use",
            (FactLine("not known: no --thumbprint and no SSL binding among the inputs"),),
        )
    origin = context.in_use_from
    text = IN_USE_FROM.get(origin, _short(origin)) if origin else ""
    return Fact("Certificate in use", tuple(FactLine(text, t, anchor_of(t)) for t in thumbprints))


def _in_scope(context: CorrelationSummary, anchor_of: Callable[[str], str | None]) -> Fact:
    lines = []
    for entry in context.in_scope[:MAX_ITEMS]:
        if entry.thumbprint:
            reasons = "; ".join(entry.reasons)
            lines.append(FactLine(_short(reasons), entry.thumbprint, anchor_of(entry.thumbprint)))
    if not lines:
        lines.append(FactLine("none of the certificates given fits the failures"))
    return Fact("Certificates the failures point at", tuple(lines))


def _service(context: CorrelationSummary) -> Fact:
    lines = [FactLine(_short(context.service or "not known"))]
    for item in context.service_evidence[:MAX_ITEMS]:
        lines.append(
            FactLine(
                _short(item.text),
                _short(item.quote) if item.quote else None,
                None,
                _short(item.source) if item.source else None,
            )
        )
    return Fact("Service that hit the failure", tuple(lines))


def _os(value: OsFact | None) -> Fact | None:
    if value is None or not value.version:
        return None
    text = f"Windows {value.version}"
    if value.build:
        text += f" build {value.build}"
    source = _short(value.source) if value.source else None
    return Fact("Windows version", (FactLine(text, source=source),))


def _list(label: str, values: Any) -> Fact | None:
    if not values:
        return None
    return Fact(label, tuple(FactLine(_short(v)) for v in list(values)[:MAX_ITEMS]))


def _generic(key: str, value: Any) -> Fact | None:
    text = _plain(value)
    return Fact(key.replace("_", " ").capitalize(), (FactLine(_short(text)),)) if text else None


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _short(value: Any) -> str:
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
