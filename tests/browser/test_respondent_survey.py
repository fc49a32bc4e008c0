"""A respondent in a real browser (Debian's Chromium): keyboard only, same-origin only, accessible.

The keyboard walk presses Tab through each page and answers whatever receives focus
(Space and the arrow keys for radio buttons and checkboxes, typing for text), then
presses Enter on "Next page" or "Submit answers": no mouse, no scripted clicks. What it
chose is read back from the page before each submit and compared with the database.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from surveys.models import Response
from tests.respond.helpers import Database, make_default_survey

from .conftest import axe_violations
from .live_server import LiveServer

FOCUSED = """() => {
  const e = document.activeElement;
  return {tag: e.tagName, type: e.type || null, name: e.getAttribute('name'), value: e.value ?? null,
          inputmode: e.getAttribute('inputmode'), text: (e.innerText || '').trim().slice(0, 60)};
}"""
CHOSEN = """() => {
  const out = {};
  for (const el of document.querySelectorAll('input[name^="q_"], textarea[name^="q_"]')) {
    if (el.closest('[hidden]')) continue;
    if ((el.type === 'radio' || el.type === 'checkbox') && !el.checked) continue;
    if (!el.value.trim()) continue;
    (out[el.name.slice(2)] ||= []).push(el.value);
  }
  return out;
}"""
# Which option (0 = first) the keyboard picks in some groups; every other group gets the second.
PICK = {"born_abroad": 0, "age_band": 3}
TEXT = "More patrols at night, please."


def start_survey(page: Any, base_url: str, slug: str, language: str, jurisdiction: str = "J01") -> None:
    """Open the start page, choose a place and start (with ordinary clicks)."""
    page.goto(f"{base_url}/s/{slug}?lang={language}")
    page.select_option("#jurisdiction", jurisdiction)
    with page.expect_navigation():
        page.click("button.primary[name=action]")


def next_pages(page: Any, count: int) -> None:
    for _ in range(count):
        with page.expect_navigation():
            page.click("button.primary")


def keyboard_answer_page(page: Any, handled: set[str]) -> str:
    """Tab through one page answering each question once; returns the value of the nav button pressed."""
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        name = focused["name"] or ""
        if focused["tag"] == "INPUT" and focused["type"] == "radio" and name.startswith("q_"):
            if name not in handled:
                handled.add(name)
                page.keyboard.press("Space")
                for _ in range(PICK.get(name[2:], 1)):
                    page.keyboard.press("ArrowDown")
        elif focused["tag"] == "INPUT" and focused["type"] == "checkbox" and name.startswith("q_"):
            if name not in handled:
                handled.add(name)
                page.keyboard.press("Space")
        elif focused["tag"] == "TEXTAREA" and name not in handled:
            handled.add(name)
            page.keyboard.type(TEXT)
        elif focused["tag"] == "INPUT" and focused["inputmode"] == "decimal" and name not in handled:
            handled.add(name)
            page.keyboard.type("30")
        elif focused["tag"] == "BUTTON" and name == "nav" and focused["value"] in ("next", "submit"):
            return focused["value"]
    raise AssertionError("no Next/Submit button reached with the Tab key")


def keyboard_complete_survey(page: Any, base_url: str, slug: str, language: str) -> dict[str, list[str]]:
    page.goto(f"{base_url}/s/{slug}?lang={language}")
    # The start page: choose the second place in the list, then the start button, by keyboard.
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["tag"] == "SELECT":
            page.keyboard.press("ArrowDown")
            page.keyboard.press("ArrowDown")
        if focused["tag"] == "BUTTON" and focused["name"] == "action":
            break
    assert page.eval_on_selector("#jurisdiction", "e => e.value") == "J02"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    chosen: dict[str, list[str]] = {}
    handled: set[str] = set()
    for _ in range(12):
        assert page.locator(".error-summary").count() == 0
        nav = keyboard_answer_page(page, handled)
        chosen.update(page.evaluate(CHOSEN))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        if nav == "submit":
            return chosen
    raise AssertionError("the survey never ended")


@pytest.mark.parametrize(("language", "thanks"), [("en", "Thank you"), ("es", "Gracias")])
def test_keyboard_only_respondent_completes_the_default_survey(app, live_server, page, page_requests,
                                                               language, thanks):
    survey = make_default_survey(app)
    console_errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    chosen = keyboard_complete_survey(page, live_server.url, survey.slug, language)
    assert page.locator("h1").inner_text() == thanks

    # What the keyboard chose is exactly what was stored, with the right codes.
    assert "years_in_country" in chosen  # revealed live by the born_abroad answer (skip logic in the browser)
    assert len(chosen) >= 38
    database = Database(app)
    [response] = database.rows(Response)
    assert response["language"] == language and response["jurisdiction_id"] == survey.jurisdictions["J02"]
    assert response["submitted_on"] == date.today()
    expected = {item: (values[0] if len(values) == 1 and item != "alt_channel" else values)
                for item, values in chosen.items()}
    stored = {item: (str(v) if not isinstance(v, list) else [str(x) for x in v])
              for item, v in database.answers().items()}
    stored = {k: ([v] if k == "alt_channel" and not isinstance(v, list) else v) for k, v in stored.items()}
    assert stored == expected

    # Nothing left the app's origin, and the CSP refused nothing (no inline script or style).
    assert page_requests.urls and page_requests.other_origins(live_server.origin) == []
    assert console_errors == []


def _visit_every_respondent_page(page: Any, base_url: str, slug: str, language: str):
    """Yield (name, page) at each respondent page, reached with ordinary clicks."""
    page.goto(f"{base_url}/s/{slug}?lang={language}")
    yield "start", page
    page.select_option("#jurisdiction", "J01")
    with page.expect_navigation():
        page.click("button.primary[name=action]")
    for number in range(1, 20):
        yield f"page {number}", page
        if number == 1:  # a page with field errors: an impossible answer injected, then sent
            page.evaluate("() => { const r = document.querySelector('input[type=radio]'); r.value = '77';"
                          " r.checked = true; }")
            with page.expect_navigation():
                page.click("button.primary")
            assert page.locator(".error-summary").count() == 1
            yield "page 1 with an error", page
        last = page.locator("button[name=nav][value=submit]").count() > 0
        with page.expect_navigation():
            page.click("button.primary")
        if last:
            break
    yield "thanks", page


@pytest.mark.parametrize("language", ["en", "es", "ar"])
def test_no_serious_accessibility_violations_on_any_respondent_page(app, live_server, page, page_requests,
                                                                    language):
    survey = make_default_survey(app)
    closed = make_default_survey(app, today=date(2001, 1, 1))
    problems = {}
    seen = []
    for name, current in _visit_every_respondent_page(page, live_server.url, survey.slug, language):
        seen.append(name)
        assert current.evaluate("() => document.documentElement.lang") == language
        found = axe_violations(current)
        if found:
            problems[name] = found
    for name, url in (("closed wave", f"/s/{closed.slug}?lang={language}"),
                      ("error: unknown survey", f"/s/no-such-survey?lang={language}"),
                      ("error: unknown area", f"/s/{survey.slug}?j=NOPE&lang={language}")):
        page.goto(live_server.url + url)
        seen.append(name)
        found = axe_violations(page)
        if found:
            problems[name] = found
    assert "thanks" in seen and "page 7" in seen and "page 1 with an error" in seen
    assert problems == {}
    assert page_requests.other_origins(live_server.origin) == []


def _box(page: Any, selector: str) -> dict[str, float]:
    return page.locator(selector).first.bounding_box()


def test_arabic_layout_is_right_to_left(app, live_server, page):
    survey = make_default_survey(app)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    for language, rtl in (("en", False), ("ar", True)):
        start_survey(page, live_server.url, survey.slug, language)
        assert page.evaluate("() => getComputedStyle(document.body).direction") == ("rtl" if rtl else "ltr")
        radio, label = _box(page, ".option input"), _box(page, ".option label")
        next_button = _box(page, "button.primary")
        assert (radio["x"] > label["x"]) is rtl  # the radio button sits at the start of the line
        assert (next_button["x"] < 390 / 2) is rtl  # "Next page" is at the end of the line
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling


def test_language_switch_in_the_browser_keeps_answers(app, live_server, page):
    survey = make_default_survey(app)
    start_survey(page, live_server.url, survey.slug, "en")
    page.check("#q-report_burglary_victim-4")
    with page.expect_navigation():
        page.click("button[name=switch_lang][value=es]")
    assert page.evaluate("() => document.documentElement.lang") == "es"
    assert page.is_checked("#q-report_burglary_victim-4")
    assert page.locator("button.primary").inner_text() == "Página siguiente"


@contextmanager
def last_page_without_javascript(app: Any, new_context: Any, language: str) -> Iterator[Any]:
    """A JavaScript-less browser on the last page of a fresh default survey (clicking "Next" seven times)."""
    page = new_context(java_script_enabled=False).new_page()
    survey = make_default_survey(app)
    with LiveServer(app) as server:
        start_survey(page, server.url, survey.slug, language, "J02")
        next_pages(page, 7)
        yield page


def test_without_javascript_the_survey_still_works(app, new_context):
    with last_page_without_javascript(app, new_context, "es") as page:
        # The follow-up question is visible with its plain-words condition, since no script hides it.
        assert page.is_visible("#q-years_in_country") and page.is_visible("#cond-years_in_country")
        page.check("#q-born_abroad-3")  # "neither": the follow-up does not apply
        page.check("#q-years_in_country-2")
        page.press("#q-born_abroad-3", "Enter")  # implicit submission: the hidden default button submits
        page.wait_for_url("**/thanks?lang=es")
    assert Database(app).answers() == {"born_abroad": 3}


def test_double_click_on_submit_without_javascript_stores_one_response(app, new_context):
    with last_page_without_javascript(app, new_context, "en") as page:
        page.check("#q-age_band-2")
        page.dblclick("button.primary[value=submit]")
        # The second click's POST aborts the first one's navigation (Chromium reports ERR_ABORTED to
        # a navigation wait); expect() polls the address until the thank-you page has loaded.
        expect(page).to_have_url(re.compile(r"/thanks\?lang=en$"), timeout=15_000)
    assert Database(app).count(Response) == 1


def test_script_hides_follow_ups_live_and_focuses_the_error_summary(app, live_server, page):
    survey = make_default_survey(app)
    start_survey(page, live_server.url, survey.slug, "en")
    page.evaluate("() => { const r = document.querySelector('input[type=radio]'); r.value = '77'; r.checked = true; }")
    with page.expect_navigation():
        page.click("button.primary")
    assert page.evaluate("() => document.activeElement.classList.contains('error-summary')")
    assert page.locator("input[value='77']").count() == 0  # the impossible answer is not offered again
    next_pages(page, 6)
    assert page.locator("h1").inner_text() == "Crimes you may have experienced"
    assert not page.is_visible("#q-reported_assault") and not page.is_visible("#q-why_not_assault")
    page.check("input[name=q_victim_assault][value='1']")
    assert page.is_visible("#q-reported_assault") and not page.is_visible("#q-why_not_assault")
    page.check("input[name=q_reported_assault][value='0']")
    assert page.is_visible("#q-why_not_assault")
    page.check("input[name=q_victim_assault][value='0']")
    assert not page.is_visible("#q-reported_assault") and not page.is_visible("#q-why_not_assault")
    next_pages(page, 1)
    assert page.locator("h1").inner_text() == "About you"
    assert not page.is_visible("#q-years_in_country") and not page.is_visible("#cond-years_in_country")
    page.check("#q-born_abroad-1")
    assert page.is_visible("#q-years_in_country")
    page.check("#q-born_abroad-3")
    assert not page.is_visible("#q-years_in_country")
