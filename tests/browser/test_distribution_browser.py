"""A researcher in a real browser on a phone (390x844) and a desktop: the dashboard (heatmap legend,
event list), the distribution page (per-place links and QR codes) and printed invite cards in Arabic.

axe-core clean, no horizontal overflow on the phone, screenshots in /tmp for a look.
"""
from __future__ import annotations

from typing import Any

import pytest

from surveys.demo import load_demo
from surveys.extensions import db

from .conftest import axe_violations
from .test_dashboard_browser import log_in, wait_until

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def demo(app_ctx):
    result = load_demo(n_responses=600, seed=14)
    result.survey.uses_invite_codes = True
    db.session.commit()
    return result


def _fits(page: Any, width: int) -> None:
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    culprits = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-scroll'))
        .slice(0, 5).map(e => e.tagName + ' in #' + (e.closest('[id]') || {}).id + ': '
                           + (e.textContent || '').slice(0, 30))""")
    assert wide <= 0, f"{wide}px wider than the {width}px screen: {culprits}"


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_dashboard_and_distribution_pages(live_server, new_context, demo, device) -> None:
    viewport = VIEWPORTS[device]
    page = new_context(viewport=viewport).new_page()
    problems: list[str] = []
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    log_in(page, live_server.url, demo.email, demo.password)
    slug = demo.survey.slug

    page.goto(f"{live_server.url}/research/surveys/{slug}/dashboard")
    wait_until(page, "() => document.querySelectorAll('.js-plotly-plot').length >= 7")
    assert page.locator(".heat-legend").is_visible()
    assert page.locator("#language option", has_text="Español").count() == 1
    page.screenshot(path=f"/tmp/u14_dashboard_{device}.png", full_page=False)
    page.locator("#h-scores").scroll_into_view_if_needed()
    page.screenshot(path=f"/tmp/u14_dashboard_scores_{device}.png", full_page=False)
    assert not axe_violations(page), axe_violations(page)
    if device == "phone":
        _fits(page, viewport["width"])

    page.goto(f"{live_server.url}/research/surveys/{slug}/dashboard?wave_from=abc")
    assert page.get_by_role("alert").filter(has_text="wave_from").is_visible()
    assert page.locator("form.filters").is_visible()
    page.screenshot(path=f"/tmp/u14_dashboard_error_{device}.png", full_page=False)

    page.goto(f"{live_server.url}/research/surveys/{slug}/distribution")
    assert page.locator(".place-link svg.qr").count() == len(demo.survey.jurisdictions)
    page.screenshot(path=f"/tmp/u14_distribution_{device}.png", full_page=False)
    assert not axe_violations(page), axe_violations(page)
    if device == "phone":
        _fits(page, viewport["width"])

    page.goto(f"{live_server.url}/research/surveys/{slug}/invite-codes")
    page.fill("#count", "4")
    page.select_option("#language", "ar")
    with page.expect_navigation():
        page.get_by_role("button", name="Create codes").click()
    assert page.locator(".invite-card svg.qr").count() == 4
    assert page.locator(".invite-cards").get_attribute("dir") == "rtl"
    page.screenshot(path=f"/tmp/u14_cards_{device}.png", full_page=False)
    assert not axe_violations(page), axe_violations(page)
    if device == "phone":
        _fits(page, viewport["width"])

    # Study management without a terminal: the wave-close confirmation and the edit pages.
    wave = demo.survey.waves[-1].number
    place = demo.survey.jurisdictions[0].code
    for path, shot in ((f"waves/{wave}/close", "close_confirm"), (f"waves/{wave}/edit", "wave_edit"),
                       (f"jurisdictions/{place}/edit", "place_edit")):
        page.goto(f"{live_server.url}/research/surveys/{slug}/{path}")
        page.screenshot(path=f"/tmp/u14_{shot}_{device}.png", full_page=False)
        assert not axe_violations(page), (path, axe_violations(page))
        if device == "phone":
            _fits(page, viewport["width"])
    page.goto(f"{live_server.url}/research/surveys/{slug}/manage")
    page.screenshot(path=f"/tmp/u14_manage_{device}.png", full_page=True)
    assert not axe_violations(page), axe_violations(page)
    assert not problems, problems
