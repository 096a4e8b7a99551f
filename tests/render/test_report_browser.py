"""The report in a real headless Chromium: no console errors, no network, hostile text stays text.

Uses Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs them on Linux); where
there is no Chromium (a Windows workstation) these tests skip and say so. Screenshots and the
printed PDF land in ``test-output/`` for a human to look at.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from analyzer.model import Evidence, Source
from analyzer.render.html import render_report
from tests.render.report_cases import HOSTILE, empty_analysis, make_analysis

pytestmark = pytest.mark.browser

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1366,900",
)
NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}


def _browser_paths() -> tuple[str, str]:
    browser = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip(
            "no headless Chromium here (needs chromium and chromedriver on PATH; "
            "on Debian/Ubuntu `make browser-deps` installs them)"
        )
    return browser, driver


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    browser, driver_path = _browser_paths()
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    session = webdriver.Chrome(options=options, service=webdriver.ChromeService(driver_path))
    try:
        yield session
    finally:
        session.quit()


def _open(driver: object, html: str, folder: Path) -> str:
    page = folder / "certtriage-report.html"
    page.write_text(html, encoding="utf-8")
    driver.get_log("performance")  # type: ignore[attr-defined]  # drop what came before
    driver.get_log("browser")  # type: ignore[attr-defined]
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    return page.as_uri()


def _requests(driver: object, page: str) -> list[str]:
    """Requests the page made beside loading itself, and any request to the network at all.

    Chromium's own pages (``chrome://...``, its new-tab page) show up in the log too; they are
    not the report's doing."""
    urls = []
    for entry in driver.get_log("performance"):  # type: ignore[attr-defined]
        message = json.loads(entry["message"])["message"]
        if message["method"] != "Network.requestWillBeSent":
            continue
        url = message["params"]["request"]["url"]
        from_page = message["params"].get("documentURL") == page and url != page
        if from_page or url.split(":", 1)[0].lower() in NETWORK_SCHEMES:
            urls.append(url)
    return urls


def _save_screenshot(driver: object, name: str) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")  # type: ignore[attr-defined]
    driver.set_window_size(1366, min(int(height) + 40, 12000))  # type: ignore[attr-defined]
    path = OUTPUT / name
    driver.save_screenshot(str(path))  # type: ignore[attr-defined]
    driver.set_window_size(1366, 900)  # type: ignore[attr-defined]
    return path


def test_report_loads_clean_offline_and_keeps_hostile_text(driver: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    page = _open(driver, render_report(make_analysis(subject=HOSTILE)), tmp_path)

    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []  # type: ignore[attr-defined]
    assert _requests(driver, page) == []
    resources = driver.execute_script("return performance.getEntriesByType('resource').length")  # type: ignore[attr-defined]
    assert resources == 0
    assert driver.find_elements(By.TAG_NAME, "img") == []  # type: ignore[attr-defined]
    assert driver.find_elements(By.TAG_NAME, "script") == []  # type: ignore[attr-defined]
    subject = driver.find_element(By.CSS_SELECTOR, "table.certs tr.in-use .subject")  # type: ignore[attr-defined]
    assert subject.text == HOSTILE
    headline = driver.find_element(By.CSS_SELECTOR, ".verdict-headline").text  # type: ignore[attr-defined]
    assert "KeySpec 2" in headline
    for section in ("verdict", "diagnoses", "certificates", "timeline", "inputs", "follow-up"):
        assert driver.find_element(By.ID, section).is_displayed()  # type: ignore[attr-defined]
    marks = driver.find_elements(By.CSS_SELECTOR, "svg.timeline-chart .mark.key-failure circle")  # type: ignore[attr-defined]
    assert marks and all(m.is_displayed() for m in marks)
    assert _save_screenshot(driver, "report.png").stat().st_size > 10_000


# Boxes whose content is wider than the box itself: text that failed to wrap.
OVERFLOWING = """
return Array.from(document.querySelectorAll('main td, main pre, main p, main li, main dd, main h3'))
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => e.tagName + ': ' + e.textContent.slice(0, 60));
"""


def test_long_customer_strings_wrap_on_a_laptop_screen(driver: object, tmp_path: Path) -> None:
    token = "a" * 3000  # one unbroken token, as a broken dump can give
    analysis = make_analysis(subject="CN=" + token)
    analysis.inputs[0].warn("x" * 2000, line=3, code="paste.long-line")
    analysis.diagnoses[0] = replace(
        analysis.diagnoses[0],
        title=f"Certificate key unusable: CN={token[:300]}",
        remediation=(f"certutil -repairstore my {token}",),
        evidence=(Evidence(token, Source("ticket/" + token, line=1), token),),
    )
    _open(driver, render_report(analysis), tmp_path)
    widths = driver.execute_script(  # type: ignore[attr-defined]
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    assert driver.execute_script(OVERFLOWING) == []  # type: ignore[attr-defined]


def test_empty_report_renders_and_prints(driver: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.print_page_options import PrintOptions

    _open(driver, render_report(empty_analysis()), tmp_path)
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []  # type: ignore[attr-defined]
    assert "No usable input" not in driver.find_element(By.ID, "verdict").text  # type: ignore[attr-defined]
    _save_screenshot(driver, "report-empty.png")

    _open(driver, render_report(make_analysis()), tmp_path)
    pdf = base64.b64decode(driver.print_page(PrintOptions()))  # type: ignore[attr-defined]
    assert pdf.startswith(b"%PDF")
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "report.pdf").write_bytes(pdf)


def test_print_media_hides_navigation(driver: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(driver, render_report(make_analysis()), tmp_path)
    toc = driver.find_element(By.CSS_SELECTOR, "nav.toc")  # type: ignore[attr-defined]
    assert toc.is_displayed()
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})  # type: ignore[attr-defined]
    try:
        assert not toc.is_displayed()
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})  # type: ignore[attr-defined]


TICKETS = Path(__file__).resolve().parents[2] / "fixtures" / "tickets"


@pytest.mark.parametrize(
    ("ticket", "screenshot"),
    [("s2-none", "report-scenario-1.png"), ("collection-s2", "report-scenario-2.png")],
)
def test_plans_are_alternatives_and_a_runner_up_is_not_a_second_fault(
    driver: object, tmp_path: Path, ticket: str, screenshot: str
) -> None:
    from selenium.webdriver.common.by import By

    from analyzer.pipeline import run_analysis

    analysis = run_analysis([TICKETS / ticket])
    _open(driver, render_report(analysis), tmp_path)
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []  # type: ignore[attr-defined]
    verdict = driver.find_element(By.ID, "diag-1")  # type: ignore[attr-defined]
    plans = verdict.find_elements(By.CSS_SELECTOR, ".plan")
    titles = [
        p.find_element(By.CSS_SELECTOR, ".plan-title").text
        for p in plans
        if p.find_elements(By.CSS_SELECTOR, ".plan-title")
    ]
    assert len(plans) == len(analysis.diagnoses[0].remediation_plans)
    links = verdict.find_elements(By.CSS_SELECTOR, ".step-page a")
    assert links and all(
        a.get_attribute("href").startswith("https://learn.microsoft.com/") for a in links
    )
    runner_ups = driver.find_elements(By.CSS_SELECTOR, "article.kind-alternative")  # type: ignore[attr-defined]
    faults = driver.find_elements(By.CSS_SELECTOR, "article.kind-fault")  # type: ignore[attr-defined]
    if ticket == "s2-none":
        # scenario 1: three plans, the repair first; scenario 2 shown as not confirmed
        assert titles[0].startswith("Plan A: Re-link") and titles[1].startswith("Plan B: With")
        assert len(runner_ups) == 1 and runner_ups[0].is_displayed()
        badge = runner_ups[0].find_element(By.CSS_SELECTOR, ".badge.alternative")
        assert badge.text.lower() == "alternative, not confirmed"
        assert all("machinekeys-permissions" not in f.text for f in faults)
        note = driver.find_element(By.CSS_SELECTOR, "#verdict .alternative-note").text  # type: ignore[attr-defined]
        assert "not confirmed" in note.lower()
    else:
        # scenario 2 with the bindings naming the certificate, in the verdict and their table
        assert runner_ups == []
        lines = driver.find_elements(By.CSS_SELECTOR, "#verdict .binding-lines li")  # type: ignore[attr-defined]
        assert lines and all(
            "0.0.0.0:443" in li.text and (".txt:" in li.text or ".config:" in li.text)
            for li in lines
        )
        rows = driver.find_elements(By.CSS_SELECTOR, "table.bindings tbody tr")  # type: ignore[attr-defined]
        assert len(rows) == len(analysis.bindings)
    assert _save_screenshot(driver, screenshot).stat().st_size > 10_000
