"""`certtriage triage` on the fixture queue (every fixture ticket plus three unreadable ones):
tickets with no usable input are rows of their own with their reason in summary.json, the CSV
and the index (Chromium), the run exits 5, and every ticket gets its reply.md."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import commands  # noqa: F401  (registers the commands)
from analyzer.cli.app import EXIT_TICKETS_FAILED, app
from tests.render.test_report_browser import _requests, _save_screenshot, driver  # noqa: F401
from tests.triage.fixture_queue import FIXTURE_TICKETS, UNREADABLE, build_fixture_queue

runner = CliRunner()
COLUMNS = [
    "Ticket",
    "Host",
    "Service",
    "Verdict",
    "Confidence",
    "Certificate",
    "Failures",
    "Last failure",
    "Runner-up",
    "Inputs read",
    "Inputs failed",
    "Open",
]


@pytest.fixture(scope="module")
def triaged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    base = tmp_path_factory.mktemp("fixture-queue")
    queue = build_fixture_queue(base / "queue")
    out = base / "out"
    result = runner.invoke(app, ["triage", str(queue), "--out", str(out), "--workers", "2"])
    assert result.exit_code == EXIT_TICKETS_FAILED, result.output
    return out, result.output


def test_unreadable_tickets_have_their_own_status_and_reason(triaged: tuple[Path, str]) -> None:
    out, output = triaged
    document = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rows = {row["ticket"]: row for row in document["tickets"]}
    assert sorted(rows) == sorted([t.name for t in FIXTURE_TICKETS] + list(UNREADABLE))
    for name, reason in UNREADABLE.items():
        row = rows[name]
        assert (row["status"], row["verdict"]) == ("no-usable-input", None), row
        assert reason in row["reason"], row
        assert f"no usable input: {name}: " in output
    assert document["no_usable_input"] == sorted(UNREADABLE)
    assert document["counts"]["no-usable-input"] == len(UNREADABLE)
    assert "none" not in document["counts"] and document["failed"] == []
    assert sum(document["counts"].values()) == len(rows)
    for ticket in FIXTURE_TICKETS:
        assert rows[ticket.name]["status"] == "analysed", rows[ticket.name]
    demo = rows["demo-keyspec2"]
    assert (demo["host"], demo["failures"], demo["runner_up"]) == ("IIS01.contoso.local", 3, None)
    assert demo["last_failure"] == "2025-06-03T14:08:53.000000Z"
    assert rows["s2-none"]["runner_up"] == "machinekeys-permissions"

    with (out / "summary.csv").open(encoding="utf-8", newline="") as fh:
        csv_rows = {row["ticket"]: row for row in csv.DictReader(fh)}
    for name, reason in UNREADABLE.items():
        assert csv_rows[name]["status"] == "no-usable-input"
        assert csv_rows[name]["verdict"] == ""
        assert reason in csv_rows[name]["reason"]
    assert csv_rows["demo-keyspec2"]["host"] == "IIS01.contoso.local"
    assert csv_rows["demo-keyspec2"]["failures"] == "3"


def test_every_ticket_has_its_reply(triaged: tuple[Path, str]) -> None:
    out, _ = triaged
    for name in [t.name for t in FIXTURE_TICKETS] + list(UNREADABLE):
        reply = (out / name / "reply.md").read_text(encoding="utf-8")
        assert reply.startswith("## certtriage:"), name
        assert str(out.parent) not in reply, name  # no folder of this machine
    unknown = (out / "T-9003 unknown files" / "reply.md").read_text(encoding="utf-8")
    assert "- `invoice.pdf`: not an input certtriage reads" in unknown


def _shown(browser: object, selector: str) -> list[str]:
    """Text of the matching elements that are displayed (a filtered-out row is not)."""
    from selenium.webdriver.common.by import By

    found = browser.find_elements(By.CSS_SELECTOR, selector)  # type: ignore[attr-defined]
    return [e.text for e in found if e.is_displayed()]


@pytest.mark.browser
def test_index_in_chromium_columns_filters_and_sorting(
    driver: object,  # noqa: F811
    triaged: tuple[Path, str],
) -> None:
    from selenium.webdriver.common.by import By

    out, _ = triaged
    page = (out / "index.html").as_uri()
    driver.get_log("performance")  # type: ignore[attr-defined]
    driver.get_log("browser")  # type: ignore[attr-defined]
    # Filters first, with scripts off: they must work without JavaScript.
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})  # type: ignore[attr-defined]
    try:
        driver.get(page)  # type: ignore[attr-defined]
        assert _shown(driver, "thead th") == COLUMNS
        every = len(FIXTURE_TICKETS) + len(UNREADABLE)
        assert len(_shown(driver, "tbody tr")) == every
        links = {
            re.sub(r"\s+\d+$", "", a.text): a.get_attribute("href").split("#", 1)[1]
            for a in driver.find_elements(By.CSS_SELECTOR, "nav.filters a")  # type: ignore[attr-defined]
        }
        driver.get(f"{page}#{links['no usable input']}")  # type: ignore[attr-defined]
        assert _shown(driver, "tbody tr td:first-child") == sorted(UNREADABLE)
        reasons = _shown(driver, "tbody tr td:nth-child(4)")
        for shown, reason in zip(reasons, UNREADABLE.values(), strict=True):
            assert shown.startswith("no usable input:") and reason in shown, shown
        driver.get(f"{page}#{links['keyspec-signature']}")  # type: ignore[attr-defined]
        verdicts = _shown(driver, "tbody tr td:nth-child(4)")
        assert verdicts and all(v.startswith("keyspec-signature") for v in verdicts)
        driver.get(f"{page}#{links['all']}")  # type: ignore[attr-defined]
        assert len(_shown(driver, "tbody tr")) == every
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})  # type: ignore[attr-defined]

    driver.get(page)  # type: ignore[attr-defined]
    row = driver.find_element(By.CSS_SELECTOR, 'tr[data-ticket="demo-keyspec2"]')  # type: ignore[attr-defined]
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[1] == "IIS01.contoso.local"
    assert cells[3] == "keyspec-signature (scenario 3)"
    assert cells[5].startswith("dee0dade9e4d9adafa53f1204efeb7bb9325bb6d")
    assert (cells[6], " ".join(cells[7].split())) == ("3", "2025-06-03 14:08:53 UTC")
    assert cells[11].split() == ["report", "reply"]
    reply = row.find_element(By.LINK_TEXT, "reply").get_attribute("href")
    assert reply == (out / "demo-keyspec2" / "reply.md").as_uri()

    failures = driver.find_elements(By.CSS_SELECTOR, "thead th")[6]  # type: ignore[attr-defined]
    failures.click()
    failures.click()  # descending: the most failures first
    counts = [int(c) for c in _shown(driver, "tbody td:nth-child(7)")]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0

    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]  # type: ignore[attr-defined]
    assert errors == []
    assert _requests(driver, page) == []
    assert _save_screenshot(driver, "triage-index-fixture-queue.png").is_file()
