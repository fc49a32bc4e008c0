"""Study management on a phone (390x844) and a desktop: the survey's manage page, the policy-event
edit and delete-confirmation pages, the wave edit and close-confirmation pages.

No horizontal scrolling on the phone (``document.documentElement.scrollWidth <= window.innerWidth``),
axe-core clean, and the event edit and delete done through the pages themselves (no JavaScript needed).
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from surveys.demo import load_demo
from surveys.extensions import db
from surveys.models import Jurisdiction, PolicyEvent

from .conftest import axe_violations
from .test_dashboard_browser import log_in

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def demo(app_ctx):
    return load_demo(n_responses=600, seed=14)


def _fits(page: Any) -> None:
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    culprits = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 30))""")
    assert sizes[0] <= sizes[1], f"{page.url}: scrollWidth {sizes[0]} > innerWidth {sizes[1]}: {culprits}"


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_manage_and_edit_pages_fit_and_pass_axe(live_server, new_context, demo, device) -> None:
    page = new_context(viewport=VIEWPORTS[device]).new_page()
    problems: list[str] = []
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    log_in(page, live_server.url, demo.email, demo.password)
    slug = demo.survey.slug
    events = db.session.scalars(select(PolicyEvent).join(Jurisdiction)
                                .where(Jurisdiction.survey_id == demo.survey.id)
                                .order_by(PolicyEvent.event_date)).all()
    assert len(events) >= 2
    first, last = events[0].id, events[-1].id
    wave = demo.survey.waves[-1].number
    base = f"{live_server.url}/research/surveys/{slug}"
    for path in ("manage", f"events/{first}/edit", f"events/{first}/delete", f"waves/{wave}/edit",
                 f"waves/{wave}/close", "events/new"):
        page.goto(f"{base}/{path}")
        assert page.locator("h1").is_visible()
        if device == "phone":
            assert page.evaluate("() => window.innerWidth") == 390
            _fits(page)
        assert not axe_violations(page), (path, axe_violations(page))
        page.screenshot(path=f"/tmp/manage_{path.replace('/', '_')}_{device}.png", full_page=True)

    # Edit an event through its page: the manage page's link, the form, back on the manage page.
    page.goto(f"{base}/manage")
    page.locator(f"a[href$='/events/{first}/edit']").click()
    page.wait_for_load_state()
    page.fill("#event_date", "2024-02-03")
    page.check("input[name=entanglement][value=less]")
    page.fill("#source_url", "https://example.org/council-minutes")
    with page.expect_navigation():
        page.get_by_role("button", name="Save policy event").click()
    assert page.url.endswith("/manage") and "Saved the policy event of 2024-02-03" in page.content()
    db.session.rollback()  # end the test's read transaction: see what the server committed
    edited = db.session.get(PolicyEvent, first)
    assert edited is not None and (edited.event_date.isoformat(), edited.entanglement) == ("2024-02-03", "less")
    # Delete another through its confirmation page.
    page.locator(f"a[href$='/events/{last}/delete']").click()
    page.wait_for_load_state()
    assert "Delete the policy event" in page.locator("h1").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, delete this policy event").click()
    assert page.url.endswith("/manage") and "Deleted the policy event" in page.content()
    db.session.rollback()  # end the test's read transaction: see what the server committed
    assert db.session.get(PolicyEvent, last) is None
    assert not problems, problems
