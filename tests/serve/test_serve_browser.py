"""The web application in a real headless Chromium (the report tests' harness), against a real
`certtriage serve` on loopback: a ticket uploaded through the page's own file input, and a drop
of files through a DataTransfer event on the drop zone; each ends on the report with its
verdict. The page's CSP admits its script (no console error), and a hostile message from the
server stays text."""

from __future__ import annotations

import base64

import pytest

from tests.render.test_report_browser import _save_screenshot, driver  # noqa: F401
from tests.serve.conftest import DEMO
from tests.serve.served import Served

pytestmark = pytest.mark.browser

DEMO_FILES = ("System.evtx", "my.txt")
WAIT_SECONDS = 60

# Build File objects from base64 in the page and drop them on the drop zone, as a drag from
# the desktop does (the files arrive in event.dataTransfer.files).
DROP = """
const [files] = arguments;
const transfer = new DataTransfer();
for (const [name, data] of files) {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  transfer.items.add(new File([bytes], name));
}
const zone = document.getElementById('drop-zone');
for (const type of ['dragenter', 'dragover', 'drop']) {
  zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
}
"""


def _console_errors(browser: object) -> list[dict[str, str]]:
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]  # type: ignore[attr-defined]


def _open_upload_page(browser: object, served: Served) -> None:
    browser.get_log("browser")  # type: ignore[attr-defined]  # drop what came before
    browser.get(served.url)  # type: ignore[attr-defined]


def _wait_for_report(browser: object) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, WAIT_SECONDS).until(lambda d: "/reports/" in d.current_url)
    return browser.find_element(By.CSS_SELECTOR, ".verdict-headline").text  # type: ignore[attr-defined]


def test_upload_through_the_file_input_shows_the_verdict(driver: object, served: Served) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    _open_upload_page(driver, served)
    assert _console_errors(driver) == []
    _save_screenshot(driver, "serve-upload.png")
    chooser = driver.find_element(By.ID, "files")  # type: ignore[attr-defined]
    chooser.send_keys("\n".join(str(DEMO / name) for name in DEMO_FILES))
    driver.find_element(By.ID, "analyse").click()  # type: ignore[attr-defined]

    assert "KeySpec 2" in _wait_for_report(driver)
    assert _console_errors(driver) == []
    inputs = driver.find_element(By.ID, "inputs").text  # type: ignore[attr-defined]
    assert "System.evtx" in inputs and "my.txt" in inputs
    _save_screenshot(driver, "serve-report.png")


def test_files_dropped_on_the_drop_zone_are_analysed(driver: object, served: Served) -> None:  # noqa: F811
    _open_upload_page(driver, served)
    files = [[name, base64.b64encode((DEMO / name).read_bytes()).decode()] for name in DEMO_FILES]
    driver.execute_script(DROP, files)  # type: ignore[attr-defined]

    assert "KeySpec 2" in _wait_for_report(driver)
    assert _console_errors(driver) == []


def test_a_refused_drop_shows_the_message_as_text(driver: object, served: Served) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _open_upload_page(driver, served)
    hostile = "<img src=x onerror=alert(1)>.txt"
    driver.execute_script(DROP, [[hostile, base64.b64encode(b"data").decode()]])  # type: ignore[attr-defined]
    status = driver.find_element(By.ID, "status")  # type: ignore[attr-defined]
    WebDriverWait(driver, WAIT_SECONDS).until(lambda _: "refused" in status.text)
    assert status.text == f"file name {hostile!r} refused: not a valid Windows file name"
    assert status.get_attribute("class") == "error"
    assert driver.find_elements(By.TAG_NAME, "img") == []  # type: ignore[attr-defined]

    driver.execute_script(DROP, [["empty.txt", ""]])  # type: ignore[attr-defined]
    WebDriverWait(driver, WAIT_SECONDS).until(lambda _: "empty" in status.text)
    assert status.text == "every uploaded file is empty (0 bytes): nothing to analyse"
    assert "/reports/" not in driver.current_url  # type: ignore[attr-defined]


def test_the_triage_index_and_a_ticket_report(
    driver: object,  # noqa: F811
    served: Served,
) -> None:
    from selenium.webdriver.common.by import By

    _open_upload_page(driver, served)
    driver.find_element(By.LINK_TEXT, "Triage run: index of tickets").click()  # type: ignore[attr-defined]
    rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr")  # type: ignore[attr-defined]
    assert len(rows) == 2
    assert _console_errors(driver) == []  # the sorter runs under the header CSP too
    assert driver.find_elements(By.TAG_NAME, "img") == []  # type: ignore[attr-defined]
    driver.find_elements(By.LINK_TEXT, "report")[0].click()  # type: ignore[attr-defined]
    assert "/triage/" in driver.current_url  # type: ignore[attr-defined]
    assert driver.find_element(By.CSS_SELECTOR, ".verdict-headline").text  # type: ignore[attr-defined]
