"""Preview on a phone (390x844) and a desktop: from the survey's manage page, with no wave open, a researcher starts
a preview, answers the first page and sees the preview banner; the manage page, the preview pages and
the delete confirmation are axe-core clean and fit the phone."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import Response, ResponseBuffer, TestSubmission
from surveys.studies.instrument_store import store_instrument
from tests.factories import STRONG_PASSWORD, make_researcher, make_survey

from .conftest import axe_violations
from .test_dashboard_browser import log_in

BANNER = "Preview: answers are kept apart as test data"


@pytest.fixture
def study(app_ctx) -> dict[str, Any]:
    instrument, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
    survey = make_survey(instrument=instrument)
    for wave in survey.waves:
        wave.closed = True  # nothing open: the preview is how a survey is tried before a wave opens
    researcher = make_researcher(role="analyst", organisation=survey.organisation)
    found = {"slug": survey.slug, "email": researcher.email}
    db.session.commit()
    return found


def _fits(page: Any) -> None:
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url}: scrollWidth {width} > {inner}"


VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_preview_from_the_manage_page(live_server, new_context, study, device) -> None:
    page = new_context(viewport=VIEWPORTS[device]).new_page()
    problems: list[str] = []
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    log_in(page, live_server.url, study["email"], STRONG_PASSWORD)
    manage = f"{live_server.url}/research/surveys/{study['slug']}/manage"
    page.goto(manage)
    _fits(page)
    assert not axe_violations(page)
    page.screenshot(path=f"/tmp/preview_manage_{device}.png", full_page=True)
    page.get_by_role("link", name="Preview in English").click()
    page.wait_for_url(f"**/s/{study['slug']}/page?step=1*")
    assert page.get_by_text(BANNER).is_visible()
    _fits(page)
    assert not axe_violations(page)
    page.screenshot(path=f"/tmp/preview_page1_{device}.png", full_page=True)
    page.locator("input[type=radio]").first.check()
    page.locator('.nav-buttons button[value="next"]').click()
    page.wait_for_url(f"**/s/{study['slug']}/page?step=2*")
    assert page.get_by_text(BANNER).is_visible()
    assert page.locator("h1").is_visible()
    while page.locator('.nav-buttons button[value="next"]').count():
        page.locator('.nav-buttons button[value="next"]').click()
        page.wait_for_load_state()
    page.locator('.nav-buttons button[value="submit"]').click()
    page.wait_for_url("**/manage?preview=stored*")
    assert page.get_by_text("Test answers stored apart").is_visible()
    assert db.session.scalar(select(func.count()).select_from(TestSubmission)) == 1
    assert db.session.scalar(select(func.count()).select_from(ResponseBuffer)) == 0
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    page.get_by_role("link", name="Delete test submissions…").click()
    assert page.get_by_role("button", name="Yes, delete the test submissions").is_visible()
    _fits(page)
    assert not axe_violations(page)
    page.screenshot(path=f"/tmp/preview_delete_{device}.png", full_page=True)
    page.get_by_role("button", name="Yes, delete the test submissions").click()
    page.wait_for_url("**/manage")
    assert page.get_by_text("Deleted 1 test submission.").is_visible()
    db.session.rollback()  # a fresh read of what the live server committed
    assert db.session.scalar(select(func.count()).select_from(TestSubmission)) == 0
    assert not problems, problems
