"""A researcher in a real browser: upload a city's CSV, map it, import it, and read stated vs actual.

The demo study (``load_demo``) already holds synthetic records; the test uploads
another synthetic export of the same places (``write_incidents``, messy: mixed
date formats, an unmapped district, an unknown offence type, malformed lines),
maps it with the suggested values, imports it, sees the rows tallied by reason,
then opens the side-by-side view, also at phone width (no horizontal overflow;
screenshots in /tmp for a look).
"""
from __future__ import annotations

import io
from typing import Any

import pytest

from analysis.incidents import write_incidents
from surveys.demo import load_demo
from surveys.demo_records import demo_record_counts

from .conftest import axe_violations
from .test_dashboard_browser import log_in

PHONE = {"width": 375, "height": 740}


@pytest.fixture
def demo(app_ctx):
    return load_demo(n_responses=1200, seed=2017)


def _no_horizontal_overflow(page: Any) -> None:
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    culprits = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-scroll'))
        .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)""")
    assert wide <= 0, f"the page is {wide}px wider than the screen: {culprits}"


def test_upload_map_import_and_side_by_side(live_server, page, demo, tmp_path) -> None:
    counts = demo_record_counts(demo.survey, seed=99)
    recent = sorted(counts["period"].unique())[-4:-1]  # whole months before this one
    buffer = io.BytesIO()
    expect = write_incidents(counts[counts["period"].isin(recent)][["place", "period", "group", "category", "count"]],
                             buffer, seed=4, messy=True)
    csv_path = tmp_path / "city-incidents.csv"
    csv_path.write_bytes(buffer.getvalue())
    slug = demo.survey.slug
    problems: list[str] = []
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    log_in(page, live_server.url, demo.email, demo.password)

    page.goto(f"{live_server.url}/research/surveys/{slug}/records")
    page.set_input_files("input[type=file]", str(csv_path))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and map").click()
    assert "/records/map" in page.url
    assert page.locator("#col-date").input_value() == "Date Occurred"
    assert page.locator("#col-district").input_value() == "District"
    # Suggested values: the demo's districts and the usual offence spellings are pre-selected.
    bay = page.locator("table.value-map tr", has_text="BAY District").locator("select")
    assert bay.input_value() == "BAY"
    assert page.locator("table.value-map tr", has_text="OUTSIDE CITY LIMITS").locator("select").input_value() == ""
    page.set_viewport_size(PHONE)
    _no_horizontal_overflow(page)
    page.screenshot(path="/tmp/records_map_phone.png", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_navigation():
        page.get_by_role("button", name="Import counts").click()
    assert "/records" in page.url and "import=" in page.url
    opened = page.locator("details.record-import[open]").first
    assert f"{expect['counted']:,} of {expect['rows']:,} rows counted" in opened.inner_text()
    tally = opened.locator("table.tally").inner_text()
    assert "unparseable date" in tally and "district not mapped to a place" in tally
    assert "OUTSIDE CITY LIMITS" in opened.inner_text()
    page.set_viewport_size(PHONE)
    _no_horizontal_overflow(page)
    page.screenshot(path="/tmp/records_result_phone.png", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/research/surveys/{slug}/dashboard/stated-vs-actual")
    assert page.get_by_role("heading", name="Stated vs actual reporting").is_visible()
    rows = page.locator("table.side-by-side tbody tr")
    assert rows.count() == 3  # stated willingness, reporting among victims (survey), police reports
    assert all("95% CI" in rows.nth(i).inner_text() for i in range(3))
    assert page.locator(".verdict .agreement").inner_text().strip().lower() in ("agree", "disagree", "partly",
                                                                                "unclear")
    # each side's verdict word, under the hypothesis; the records SESOI is stated and set in the form
    assert page.locator("[data-verdict]").count() == 2
    assert page.get_by_role("heading", name="Hypothesis").is_visible()
    assert page.locator("#records_sesoi").input_value() == "10.0"
    page.fill("#records_sesoi", "60")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    assert "records_sesoi=60" in page.url and "60% either way" in page.locator("[data-side=actual]").inner_text()
    assert not axe_violations(page)
    page.set_viewport_size(PHONE)
    _no_horizontal_overflow(page)
    page.screenshot(path="/tmp/stated_actual_phone.png", full_page=True)
    assert not problems, problems
