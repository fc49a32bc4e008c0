"""A researcher in a real browser (Debian's Chromium): the dashboard with demo data, downloads, accessibility.

Demo data come from ``surveys.demo.load_demo`` (``analysis.simulate`` with known
effects). The test logs in through the login form, waits for every plotly
figure and the estimates, checks that no request left the app's origin and no
Content-Security-Policy violation was reported, runs axe-core, then downloads a
CSV and a self-contained HTML report with the page's own buttons.
"""
from __future__ import annotations

import re
import time
from typing import Any

import pytest

from surveys.demo import load_demo

from .conftest import axe_violations

# Installed through DevTools (not governed by the page's CSP): every CSP violation becomes a console error.
CSP_REPORTER = """document.addEventListener('securitypolicyviolation', e => console.error(
    'CSP ' + e.violatedDirective + ' ' + e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber));"""
FIGURES = 7  # responses, four scale charts, two immigrant/non-immigrant charts


@pytest.fixture
def demo(app_ctx):
    return load_demo(n_responses=1800, seed=5)


def wait_until(page: Any, predicate: str, timeout: float = 20.0) -> None:
    """Poll ``predicate`` (a JS function) with page.evaluate: wait_for_function would need 'unsafe-eval'."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}"
        page.wait_for_timeout(100)


def log_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/research/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(re.compile(r".*/research/(?!login).*"))


def test_dashboard_downloads_and_accessibility(live_server, page, page_requests, demo, tmp_path) -> None:
    problems: list[str] = []
    page.context.add_init_script(CSP_REPORTER)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    # Failed loads are caught by the response listener; the console line for the browser's own
    # /favicon.ico probe (the app has none, and it is no page resource) is left out.
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    log_in(page, live_server.url, demo.email, demo.password)

    page.goto(f"{live_server.url}/research/surveys/{demo.survey.slug}/dashboard")
    wait_until(page, f"() => document.querySelectorAll('.js-plotly-plot').length >= {FIGURES}")
    wait_until(page, "() => !document.getElementById('estimates-status').textContent.startsWith('Loading')")
    page.wait_for_selector("#figure-event-study.js-plotly-plot")
    assert page.locator("#estimates-summary table tbody tr").count() == 6  # 2 outcomes x DiD, DDD, event study
    heat = page.locator("#figure-responses .heatmaplayer, #figure-responses .hm").count()
    assert heat >= 1
    assert not page_requests.other_origins(live_server.origin), page_requests.other_origins(live_server.origin)
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not problems, problems
    violations = axe_violations(page)
    assert not violations, violations

    page.goto(f"{live_server.url}/research/surveys/{demo.survey.slug}/export")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download responses").click()
    csv_path = tmp_path / "responses.csv"
    download_info.value.save_as(csv_path)
    header = csv_path.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("response_id,wave,wave_label,jurisdiction")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download report").click()
    report = tmp_path / "report.html"
    download_info.value.save_as(report)
    html = report.read_text(encoding="utf-8")
    assert download_info.value.suggested_filename.endswith("-report.html")
    assert re.search(r"(supports|contradicts|inconclusive)", html, re.I) and "Data fingerprint" in html

    # The downloaded report works offline: opened from disk, it draws its figure with no request at all.
    offline = page.context.browser.new_context(offline=True)
    try:
        viewer = offline.new_page()
        requests: list[str] = []
        viewer.on("request", lambda r: requests.append(r.url))
        viewer.goto(report.as_uri())
        viewer.wait_for_selector(".js-plotly-plot")
        assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    finally:
        offline.close()
    assert not page_requests.other_origins(live_server.origin)
