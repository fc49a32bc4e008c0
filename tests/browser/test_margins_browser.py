"""An analyst in a real browser uploads population margins and sees them (issue 13).

Desktop and phone width (no horizontal overflow), an axe-core scan of the page before and after
the upload, and a bad file answered on the same page with its reason. Screenshots in /tmp.
"""
from __future__ import annotations

import pytest

from surveys.demo import load_demo

from .conftest import axe_violations
from .test_dashboard_browser import log_in
from .test_records_browser import _no_horizontal_overflow

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo(app_ctx):
    return load_demo(n_responses=600, seed=2017)


def test_upload_margins_desktop_and_phone(live_server, page, demo, tmp_path) -> None:
    codes = [j.code for j in demo.survey.jurisdictions]
    good = tmp_path / "margins.csv"
    good.write_text("jurisdiction,variable,level,share\n"
                    + "".join(f"{c},immigrant,1,0.3\n{c},immigrant,0,0.7\n" for c in codes))
    bad = tmp_path / "bad.csv"
    bad.write_text("jurisdiction,variable,level,share\nNOPE,immigrant,1,0.3\n")
    problems: list[str] = []
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    log_in(page, live_server.url, demo.email, demo.password)
    url = f"{live_server.url}/research/surveys/{demo.survey.slug}/margins"
    page.goto(url)
    assert "No margins uploaded yet" in page.inner_text("main")
    assert axe_violations(page) == []
    page.set_input_files("input[type=file]", str(bad))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload margins").click()
    assert "no jurisdiction with code 'NOPE'" in page.locator("[role=alert]").inner_text()
    page.set_input_files("input[type=file]", str(good))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload margins").click()
    main = page.inner_text("main")
    assert "Margins stored" in main and "Target shares" in main and codes[0] in main
    assert axe_violations(page) == []
    page.screenshot(path="/tmp/margins_desktop.png", full_page=True)
    page.set_viewport_size(PHONE)
    _no_horizontal_overflow(page)
    assert axe_violations(page) == []
    page.screenshot(path="/tmp/margins_phone.png", full_page=True)
    assert problems == []
