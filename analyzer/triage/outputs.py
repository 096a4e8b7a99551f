"""What a triage run writes into OUTDIR: per-ticket reports, stamps, the index and summaries.

Every file is written to a temporary name beside its final one and then renamed, so an
interrupted run never leaves a half-written report. A ticket's stamp (its content key and
summary row) is written last: a ticket without a current stamp is analysed again.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer.render.json import TOOL, dumps
from analyzer.render.output import write_atomic
from analyzer.resources import reports_dir
from analyzer.triage.job import NO_USABLE_INPUT, SummaryRow
from analyzer.visible import visible

TRIAGE_SCHEMA = "certtriage.triage/1"
INDEX_TEMPLATE = "index.html.j2"
INDEX_SCRIPT = "index.sort.js"
STAMP = ".certtriage-ticket.json"
REPLY = "reply.md"
CSV_COLUMNS = (
    "ticket",
    "status",
    "verdict",
    "kind",
    "scenario",
    "confidence",
    "certificate",
    "subject",
    "inputs_read",
    "inputs_failed",
    "inputs_skipped",
    "diagnoses",
    "reason",
    "report",
    "host",
    "service",
    "failures",
    "last_failure",
    "runner_up",
    "reply",
)
# A spreadsheet runs a cell that starts with one of these as a formula (or DDE command).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def read_stamp(ticket_dir: Path) -> tuple[str | None, SummaryRow | None]:
    """The key and summary row of the last complete analysis written there, if any."""
    try:
        data = json.loads((ticket_dir / STAMP).read_text(encoding="utf-8"))
        row = SummaryRow.from_dict(data["row"])
        return str(data["key"]), row
    except (OSError, ValueError, KeyError, TypeError):
        return None, None


def write_ticket(
    ticket_dir: Path,
    key: str | None,
    row: SummaryRow,
    report_json: str,
    report_html: str,
    reply_markdown: str,
) -> None:
    write_atomic(ticket_dir / "report.json", report_json)
    write_atomic(ticket_dir / "report.html", report_html)
    write_atomic(ticket_dir / REPLY, reply_markdown)
    write_atomic(ticket_dir / STAMP, dumps({"key": key, "row": row.to_dict()}))


def neutralise(cell: str) -> str:
    """Make a customer-controlled string inert in Excel/LibreOffice (OWASP CSV injection)."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


def summary_csv(rows: Sequence[SummaryRow]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        data = row.to_dict()
        data["diagnoses"] = " ".join(row.diagnoses)
        writer.writerow(
            [
                # No line break or escape sequence of a customer's reaches a cell.
                neutralise(visible(v)) if isinstance(v, str) else "" if v is None else v
                for v in (data[c] for c in CSV_COLUMNS)
            ]
        )
    return buf.getvalue()


def bucket(row: SummaryRow) -> str:
    """What a ticket counts as: its verdict, or ``failed`` / ``no-usable-input``."""
    if row.status in ("failed", NO_USABLE_INPUT):
        return row.status
    return row.verdict or "none"


def counts(rows: Sequence[SummaryRow]) -> dict[str, int]:
    """Tickets per verdict; failed tickets count as ``failed``, tickets with nothing readable
    as ``no-usable-input``."""
    return dict(sorted(Counter(bucket(r) for r in rows).items()))


def summary_document(rows: Sequence[SummaryRow]) -> dict[str, Any]:
    return {
        "schema": TRIAGE_SCHEMA,
        "tool": TOOL,
        "tickets": [r.to_dict() for r in rows],
        "counts": counts(rows),
        "failed": [r.ticket for r in rows if r.status == "failed"],
        "no_usable_input": [r.ticket for r in rows if r.status == NO_USABLE_INPUT],
    }


@dataclass(frozen=True)
class Filter:
    """One no-JavaScript filter of the index: a link to ``#anchor``; while that anchor is the
    page's target, CSS hides every row without the class ``anchor``."""

    anchor: str  # "f1", "f2", ...: generated, so no customer text reaches the stylesheet
    group: str  # "status" | "verdict"
    label: str
    count: int


STATUS_LABELS = {"analysed": "analysed", NO_USABLE_INPUT: "no usable input", "failed": "failed"}


def index_filters(rows: Sequence[SummaryRow]) -> tuple[list[Filter], dict[str, list[str]]]:
    """The filters (every status, then every verdict present) and each ticket's filter anchors."""
    statuses = Counter(r.status for r in rows)
    verdicts = Counter(r.verdict for r in rows if r.status == "analysed" and r.verdict)
    filters: list[Filter] = []
    of_row: dict[str, list[str]] = {r.ticket: [] for r in rows}
    keys = [("status", s, STATUS_LABELS.get(s, s), statuses[s]) for s in STATUS_LABELS]
    keys += [("verdict", v, v, n) for v, n in sorted(verdicts.items())]
    for group, value, label, count in keys:
        if group == "status" and not count and value != "analysed":
            continue
        anchor = f"f{len(filters) + 1}"
        filters.append(Filter(anchor, group, label, count))
        for row in rows:
            wanted = row.status if group == "status" else row.verdict
            if wanted == value and (group == "status" or row.status == "analysed"):
                of_row[row.ticket].append(anchor)
    return filters, of_row


def index_html(rows: Sequence[SummaryRow]) -> str:
    from markupsafe import Markup

    from analyzer.render.html import environment

    # Our own script, not customer text; the page's CSP allows exactly this text by its hash.
    script = (reports_dir() / INDEX_SCRIPT).read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    template = environment().get_template(INDEX_TEMPLATE)
    filters, of_row = index_filters(rows)
    return template.render(
        rows=rows,
        counts=counts(rows),
        filters=filters,
        row_filters=of_row,
        tool=TOOL,
        script=Markup(script),
        script_hash=f"sha256-{digest}",
    )


def write_summaries(out: Path, rows: Sequence[SummaryRow]) -> None:
    write_atomic(out / "summary.json", dumps(summary_document(rows)))
    write_atomic(out / "summary.csv", summary_csv(rows))
    write_atomic(out / "index.html", index_html(rows))
