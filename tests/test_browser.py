"""The report in a real browser: headless Chromium opens it offline and checks images, console and network.

Chromium and its driver are Debian's ``chromium`` and ``chromium-driver`` (``make test`` installs them through
``scripts/ensure_browser.sh`` when run as root). Selenium is pointed at ``/usr/bin/chromedriver`` explicitly, so
selenium-manager never downloads a browser or driver.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from test_report import build_tiny_report

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = REPO / "build" / "screenshots"

_HAVE_BROWSER = CHROMIUM.exists() and CHROMEDRIVER.exists()
_IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
# Skip only where the browser cannot be installed by `make test` (not root); as root a missing browser is a failure.
pytestmark = pytest.mark.skipif(
    not _HAVE_BROWSER and not _IS_ROOT,
    reason="headless Chromium missing and not root: sudo apt-get install chromium chromium-driver",
)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    if not _HAVE_BROWSER:
        pytest.fail("headless Chromium missing: run `make browser-deps` (scripts/ensure_browser.sh)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1600",
        "--allow-file-access-from-files",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER), log_output=os.devnull)
    drv = webdriver.Chrome(service=service, options=options)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def _local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("file", "data", "blob", "about", "chrome", "devtools"):
        return True
    return parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname in ("localhost", "127.0.0.1", "::1")


def check_page(drv, page: Path) -> list[str]:
    """Open ``page`` and list every problem: unloaded images, console errors, requests leaving the machine."""
    drv.get_log("browser")  # drop what earlier pages logged
    drv.get_log("performance")
    drv.get(page.resolve().as_uri())
    drv.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "Promise.all(Array.from(document.images).map(i => i.complete ? null :"
        " new Promise(r => { i.onload = i.onerror = r; }))).then(() => done(null));"
    )
    problems = []
    images = drv.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]);"
    )
    for src, complete, width in images:
        if not complete or not width:
            problems.append(f"{page.name}: image did not load: {src}")
    for entry in drv.get_log("browser"):
        if entry.get("level") == "SEVERE":
            problems.append(f"{page.name}: console error: {entry.get('message')}")
    for entry in drv.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not _local(url):
                problems.append(f"{page.name}: request leaves the machine: {url}")
    return problems


def _check_report(drv, index: Path) -> tuple[list[str], int]:
    problems = check_page(drv, index)
    n_images = drv.execute_script("return document.images.length;")
    for page in sorted((index.parent / "notebooks").glob("*.html")):
        problems += check_page(drv, page)
    return problems, n_images


def test_fixture_report_loads_offline_with_every_image(driver, tmp_path):
    index = build_tiny_report(tmp_path)
    problems, n_images = _check_report(driver, index)
    assert problems == []
    assert n_images == 2  # one thumbnail per figure card
    driver.get(index.resolve().as_uri())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOTS / "fixture_index.png"))


def test_check_fails_when_an_image_is_missing(driver, tmp_path):
    index = build_tiny_report(tmp_path / "good")
    broken = tmp_path / "broken"
    shutil.copytree(index.parent, broken)
    (broken / "figures" / "tiny_noise.png").unlink()
    problems = check_page(driver, broken / "index.html")
    assert any("image did not load: figures/tiny_noise.png" in p for p in problems), problems
    assert not any("tiny_rows.png" in p for p in problems)


def test_check_fails_when_a_page_reaches_the_network(driver, tmp_path):
    page = tmp_path / "leaky.html"
    # .invalid never resolves (RFC 2606); the attempt alone must be caught.
    page.write_text(
        '<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
        '<img src="https://example.invalid/pixel.png"></body></html>',
        encoding="utf-8",
    )
    problems = check_page(driver, page)
    assert any("request leaves the machine: https://example.invalid/pixel.png" in p for p in problems), problems
    assert any("image did not load" in p for p in problems)


def test_built_report_loads_offline(driver):
    """The real `make report` output, when it has been built (skipped on a fresh clone)."""
    index = REPO / "report" / "index.html"
    if not index.exists():
        pytest.skip("report/index.html not built yet (run `make report`)")
    problems, n_images = _check_report(driver, index)
    assert problems == []
    assert n_images >= 1
    driver.get(index.resolve().as_uri())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOTS / "index.png"))


def test_built_report_first_screen_in_chromium(driver):
    """Check the real report's first screen as Chromium lays it out.

    Findings and the limits box above the fold, each number equal to its table cell, and no internal series code
    anywhere in the rendered text.
    """
    from test_report_findings import check_findings_against_tables, internal_codes

    index = REPO / "report" / "index.html"
    if not index.exists():
        pytest.skip("report/index.html not built yet (run `make report`)")
    driver.get(index.resolve().as_uri())
    found = driver.execute_script(
        "return Array.from(document.querySelectorAll('li.finding')).map(li => ({id: li.id,"
        " table: li.dataset.table, rows: JSON.parse(li.dataset.rows), top: li.getBoundingClientRect().top,"
        " cells: Array.from(li.querySelectorAll('span.cell')).map(s => ({row: s.dataset.row, col: s.dataset.col,"
        " shown: s.textContent}))}));"
    )
    assert len(found) >= 3
    assert check_findings_against_tables(found, REPO / "results") == []
    height = driver.execute_script("return window.innerHeight;")
    box_top = driver.execute_script("return document.getElementById('can-cannot').getBoundingClientRect().top;")
    assert all(f["top"] < height for f in found[:3]) and box_top < height  # on the first screen
    text = driver.execute_script("return document.body.innerText;")
    assert [code for code in internal_codes() if code in text] == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOTS / "first_screen.png"))
