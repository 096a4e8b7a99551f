"""The triage index in real headless Chromium (the report tests' harness): loads offline with
no console errors (so the CSP admits the sorter by its hash), shows hostile ticket names as
text, and sorts when a header is clicked."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.triage.job import SummaryRow
from analyzer.triage.outputs import index_html
from tests.render.test_report_browser import _requests, _save_screenshot, driver  # noqa: F401

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"
ROWS = [
    SummaryRow(
        HOSTILE,
        "analysed",
        "keyspec-signature",
        "fault",
        3,
        "high",
        "ab" * 20,
        "CN=a",
        2,
        host=HOSTILE,
        failures=7,
        last_failure="2025-06-03T14:08:53.000000Z",
    ),
    SummaryRow(
        "T-1002.zip",
        "analysed",
        "non-exportable-broken-keyset",
        "fault",
        1,
        "low",
        failures=2,
        runner_up="machinekeys-permissions",
    ),
    SummaryRow("T-1003", "failed", reason="timed out after 300 s"),
    SummaryRow("T-1004.7z", "no-usable-input", None, reason=f"corrupt zip archive {HOSTILE}"),
]


def test_index_loads_clean_sorts_and_keeps_hostile_text(driver: object, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    page = tmp_path / "index.html"
    page.write_text(index_html(ROWS), encoding="utf-8")
    driver.get_log("performance")  # type: ignore[attr-defined]
    driver.get_log("browser")  # type: ignore[attr-defined]
    driver.get(page.as_uri())  # type: ignore[attr-defined]

    first_cells = driver.find_elements(By.CSS_SELECTOR, "tbody tr td:first-child")  # type: ignore[attr-defined]
    assert [c.text for c in first_cells] == [HOSTILE, "T-1002.zip", "T-1003", "T-1004.7z"]
    assert driver.find_elements(By.CSS_SELECTOR, "img") == []  # type: ignore[attr-defined]

    failures = driver.find_elements(By.CSS_SELECTOR, "thead th")[6]  # type: ignore[attr-defined]
    failures.click()
    order = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "tbody td:nth-child(7)")]  # type: ignore[attr-defined]
    assert order == ["0", "0", "2", "7"]
    assert failures.get_attribute("aria-sort") == "ascending"
    failures.click()
    order = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "tbody td:nth-child(7)")]  # type: ignore[attr-defined]
    assert order[:2] == ["7", "2"]
    reason = driver.find_element(By.CSS_SELECTOR, "tr.no-usable-input td:nth-child(4)").text  # type: ignore[attr-defined]
    assert reason == f"no usable input: corrupt zip archive {HOSTILE}"

    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]  # type: ignore[attr-defined]
    assert errors == []
    assert _requests(driver, page.as_uri()) == []
    assert _save_screenshot(driver, "triage-index.png").is_file()
