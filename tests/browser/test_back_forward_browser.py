"""The browser's Back and Forward buttons mid-survey, in Chromium at phone and desktop size.

Before Post/Redirect/Get each questionnaire page was the answer to a POST sent ``no-store``:
Back showed Chrome's "Confirm Form Resubmission" page (``net::ERR_CACHE_MISS``). Now the
history holds only GET pages (``/s/<slug>/page?step=N``), reloaded from the sealed state
cookie with the answers given, and nothing is written before "Submit answers".
"""
from __future__ import annotations

from typing import Any

import pytest

from surveys.models import Response, ResponseBuffer
from tests.respond.helpers import Database, make_default_survey

from .conftest import axe_violations
from .test_respondent_survey import start_survey

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def _history_move(page: Any, move: str) -> Any:
    """page.go_back() / go_forward(), checked to land on a real page (not Chrome's error page)."""
    response = page.go_back() if move == "back" else page.go_forward()
    assert response is not None and response.ok, (move, response and response.status)
    assert "ERR_CACHE_MISS" not in page.content() and "Confirm Form Resubmission" not in page.content()
    return response


def _next(page: Any) -> None:
    with page.expect_navigation():
        page.click("button.primary")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_back_and_forward_mid_survey_keep_the_answers(app, live_server, new_context, device):
    survey = make_default_survey(app)
    page = new_context(**(PHONE if device == "phone" else DESKTOP)).new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(f"{request.url} {request.failure}"))
    start_survey(page, live_server.url, survey.slug, "en", "J02")
    page.check("#q-report_burglary_victim-4")
    _next(page)
    page.check("#q-trust_overall-7")
    trust = int(page.eval_on_selector("#q-trust_overall-7", "e => e.value"))
    _next(page)
    assert page.url.endswith("step=3&lang=en")

    _history_move(page, "back")
    assert page.url.endswith("step=2&lang=en") and page.is_checked("#q-trust_overall-7")
    _history_move(page, "back")
    assert page.url.endswith("step=1&lang=en") and page.is_checked("#q-report_burglary_victim-4")
    _history_move(page, "forward")
    assert page.url.endswith("step=2&lang=en") and page.is_checked("#q-trust_overall-7")
    _history_move(page, "forward")
    assert page.url.endswith("step=3&lang=en") and page.locator("h1").inner_text() == "Fairness and the law"

    # Back to the first page, change the answer there, and go on: the later answer is still there.
    _history_move(page, "back")
    _history_move(page, "back")
    page.check("#q-report_burglary_victim-2")
    changed = int(page.eval_on_selector("#q-report_burglary_victim-2", "e => e.value"))
    _next(page)
    assert page.is_checked("#q-trust_overall-7")
    _history_move(page, "back")  # and Back again, past a page posted after a Back
    assert page.is_checked("#q-report_burglary_victim-2")
    database = Database(app)
    assert database.count(ResponseBuffer) == 0  # nothing written before the final submit

    _next(page)
    for _ in range(10):
        last = page.locator("button[name=nav][value=submit]").count() > 0
        _next(page)
        if last:
            break
    assert page.url.endswith("/thanks?lang=en")
    _history_move(page, "back")  # after the thank-you page: the start page, no answers, no resubmission
    assert "/page" not in page.url and page.locator("button.primary[name=action]").count() == 1
    assert page.locator("#q-trust_overall-7").count() == 0
    assert failed == []
    answers = database.answers()
    assert answers["report_burglary_victim"] == changed and answers["trust_overall"] == trust
    assert database.count(Response) == 1


def test_back_after_a_page_with_errors_and_after_a_language_switch(app, live_server, new_context):
    survey = make_default_survey(app)
    page = new_context(**PHONE).new_page()
    start_survey(page, live_server.url, survey.slug, "en")
    page.evaluate("() => { const r = document.querySelector('input[type=radio]'); r.value = '77'; r.checked = true; }")
    _next(page)
    assert page.locator(".error-summary").count() == 1  # the page with errors is a GET page too
    page.check("#q-report_burglary_victim-4")
    with page.expect_navigation():
        page.click("button[name=switch_lang][value=es]")
    assert page.evaluate("() => document.documentElement.lang") == "es"
    assert page.is_checked("#q-report_burglary_victim-4")
    _next(page)
    assert "step=2&lang=es" in page.url
    _history_move(page, "back")
    assert page.is_checked("#q-report_burglary_victim-4")
    _history_move(page, "back")
    _history_move(page, "back")
    _history_move(page, "forward")
    _history_move(page, "forward")
    assert page.is_checked("#q-report_burglary_victim-4")


def test_a_blank_survey_comes_back_with_a_notice_that_axe_finds_clean(app, live_server, new_context):
    survey = make_default_survey(app, min_answered_share=0.5)
    page = new_context(**PHONE).new_page()
    start_survey(page, live_server.url, survey.slug, "ar")
    for _ in range(10):
        last = page.locator("button[name=nav][value=submit]").count() > 0
        _next(page)
        if last:
            break
    assert "/thanks" not in page.url and page.locator("#too-few-title").count() == 1
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    assert axe_violations(page) == []
    back = page.go_back()  # the last page as it was reached, with the notice still (a 422 GET page)
    assert back is not None and back.status in (200, 422) and "ERR_CACHE_MISS" not in page.content()
    assert page.locator("button.primary[name=nav][value=submit]").count() == 1
    assert Database(app).count(ResponseBuffer) == 0
