"""A whole study in the browser, on a phone, with no terminal step (issue 14's "done means").

From an empty database: the first-run setup page makes the organisation and its first admin; the
questionnaire editor makes a questionnaire from the bundled default with a new item (a Spanish
translation and a skip rule) and publishes it; a survey is created with it and a place added; it
is previewed in Spanish with no wave open (the answer goes to the test store); a wave is opened;
a resident answers in English (pressing Back mid-way, answers kept) and another in Spanish; the
wave is closed after a confirmation step, a release is published, and the dashboard says it shows
that release. Every research page visited passes the axe-core scan and fits the phone.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from surveys.extensions import db
from surveys.models import Answer, Response, ResponseBuffer, Survey, TestSubmission

from .conftest import axe_violations
from .test_distribution_browser import VIEWPORTS, _fits

PHONE = {"viewport": VIEWPORTS["phone"], "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
PASSWORD = "a long phrase nobody guesses 2026"

# Answer every unanswered question on a page: the middle option of each radio group (never a
# "prefer not to say" code, which sits last), the lowest allowed number in number fields.
ANSWER_PAGE = """() => {
  const groups = {};
  for (const r of document.querySelectorAll('input[type=radio]')) (groups[r.name] ||= []).push(r);
  for (const radios of Object.values(groups)) {
    if (radios.some(r => r.checked)) continue;
    radios[Math.floor((radios.length - 1) / 2)].checked = true;
  }
  for (const n of document.querySelectorAll('input[type=number]')) if (!n.value) n.value = n.min || '1';
}"""


def _click(page: Any, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).first.click()


def _answer_survey(page: Any, origin: str, slug: str, language: str, back_mid_way: bool) -> None:
    page.goto(f"{origin}/s/{slug}?lang={language}")
    assert page.evaluate("() => document.documentElement.lang") == language
    with page.expect_navigation():
        page.click("button.primary[name=action]")
    for step in range(1, 20):
        page.evaluate(ANSWER_PAGE)
        chosen = page.evaluate("() => [...document.querySelectorAll('input:checked')].map(e => e.id)")
        last = page.locator("button[name=nav][value=submit]").count() > 0
        with page.expect_navigation():
            page.click("button.primary")
        if back_mid_way and step == 2:
            back = page.go_back()  # the phone's Back button: the page as answered, no resubmission
            assert back is not None and back.ok and "ERR_CACHE_MISS" not in page.content()
            assert chosen and all(page.is_checked(f"#{element}") for element in chosen)
            forward = page.go_forward()
            assert forward is not None and forward.ok
        if last:
            break
    assert urlsplit(page.url).path.endswith("/thanks"), page.url


def _answer_preview(page: Any) -> None:
    for _ in range(20):
        page.evaluate(ANSWER_PAGE)
        last = page.locator("button[name=nav][value=submit]").count() > 0
        with page.expect_navigation():
            page.click("button.primary")
        if last:
            return


def test_a_whole_study_from_first_run_to_release_without_a_terminal(app, live_server, new_context) -> None:
    origin = live_server.url
    page = new_context(**PHONE).new_page()
    errors: list[str] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    violations: dict[str, list] = {}

    def look(name: str) -> None:
        found = axe_violations(page)
        if found:
            violations[f"{name} {urlsplit(page.url).path}"] = found
        _fits(page, VIEWPORTS["phone"]["width"])
        page.screenshot(path=f"/tmp/whole_study_{name}.png", full_page=False)

    # First run: the organisation and the first admin, then log in.
    page.goto(f"{origin}/research/setup")
    look("setup")
    page.get_by_label("Organisation").fill("Riverside survey team")
    page.get_by_label("Your email").fill("lead@riverside.example")
    page.get_by_label("Password (12").fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    _click(page, "Create the organisation and my account")
    if "/research/login" in page.url:
        page.fill("input[name=email]", "lead@riverside.example")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("input[type=submit], button[type=submit]")
    assert "/research/login" not in page.url

    # The questionnaire: from the default, one new item with Spanish and a skip rule, published.
    page.get_by_role("link", name="Questionnaires").click()
    page.get_by_role("link", name="New questionnaire").click()
    page.get_by_label("Instrument id").fill("riverside-trust")
    page.get_by_label("The bundled Civic Trust questionnaire").check()
    _click(page, "Create draft")
    page.get_by_role("link", name="Add an item to about_you").click()
    page.get_by_label("Item id").fill("years_at_address")
    page.get_by_label("Type").select_option("number")
    page.locator("#text-en").fill("How many years have you lived at your current address?")
    page.locator("#text-es").fill("¿Cuántos años ha vivido en su dirección actual?")
    page.locator("#text-ar").fill("كم سنة عشت في عنوانك الحالي؟")
    page.get_by_label("Earlier item").select_option("born_abroad")
    page.get_by_label("has one of the answer codes").fill("1")
    page.get_by_label("Lowest value").fill("0")
    page.get_by_label("Highest value").fill("90")
    _click(page, "Save item")
    assert "¿Cuántos años ha vivido en su dirección actual?" in page.locator("#item-years_at_address").inner_text()
    look("editor_version")
    _click(page, "Publish this version")
    assert "Published" in page.inner_text("main")

    # The survey, its place and an open wave.
    page.get_by_role("link", name="New survey").first.click()
    page.get_by_label("Instrument and version").select_option(
        label="Police, safety and your community (riverside-trust, version 1.1.0)")
    page.get_by_label("Title").fill("Riverside trust survey")
    page.get_by_label("Survey address").fill("riverside")
    _click(page, "Create survey")
    manage = page.url
    look("manage")
    page.get_by_role("link", name="Add a jurisdiction").click()
    page.get_by_label("Name (city or county)").fill("Riverside")
    page.get_by_label("Code").fill("RIV")
    _click(page, "Add jurisdiction")
    # Preview before any wave is open: in Spanish, with the banner; the test answer is kept apart.
    page.goto(manage)
    page.get_by_role("link", name="Preview in Español").click()
    assert page.locator("p.preview-banner").inner_text().startswith("Vista previa")
    look("preview")
    _answer_preview(page)
    assert "Test answers stored apart from the real data." in page.inner_text("main")
    page.goto(manage)
    page.get_by_role("link", name="Add a wave").click()
    page.get_by_label("Opens on").fill(date.today().isoformat())
    page.get_by_label("Closes on").fill((date.today() + timedelta(days=30)).isoformat())
    _click(page, "Add wave")
    page.goto(manage)
    assert "open" in page.locator(".wave-state").first.inner_text()

    # Two residents, on phones, in English (with Back mid-way) and in Spanish.
    for language, back in (("en", True), ("es", False)):
        resident = new_context(**PHONE, locale=language).new_page()
        resident.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        _answer_survey(resident, origin, "riverside", language, back_mid_way=back)
        resident.context.close()

    # Close the wave (after its confirmation page) and publish a release; the dashboard shows it.
    page.goto(manage)
    page.get_by_role("link", name="Close").first.click()
    look("wave_close_confirm")
    _click(page, "Yes, close")
    page.goto(manage)
    _click(page, "Publish a release of closed waves")
    page.goto(manage)
    assert "Release 1" in page.inner_text("main")
    page.get_by_role("link", name="Dashboard").click()
    look("dashboard")
    assert "Figures come from release 1" in page.inner_text("main")

    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == "riverside"))
        assert survey is not None and survey.instrument.key == "riverside-trust"
        stored = db.session.scalar(select(func.count()).select_from(Response).where(Response.survey_id == survey.id))
        buffered = db.session.scalar(select(func.count()).select_from(ResponseBuffer))
        languages = sorted(db.session.scalars(select(Response.language).where(Response.survey_id == survey.id)))
        answered = db.session.scalar(select(func.count()).select_from(Answer))
        tests = db.session.scalar(select(func.count()).select_from(TestSubmission))
    assert (stored, buffered, tests) == (2, 0, 1)  # closing the wave wrote the buffer out; the preview kept apart
    assert languages == ["en", "es"] and answered > 40
    assert not errors, errors
    assert not violations, violations
