"""The trust block in Chromium: a manager fills it in the browser; at phone size (390x844) the
respondents' start page shows it once and the first question starts within 1.5 screens, in
English, Spanish and Arabic; axe-core finds nothing serious on either page."""
from __future__ import annotations

from urllib.parse import urlsplit

from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import Researcher
from surveys.studies.instrument_store import store_instrument
from tests.accounts.helpers import add_researcher
from tests.factories import STRONG_PASSWORD, make_survey

from .conftest import axe_violations

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
CONTACT = {
    "en": "Call or text 555-0100 (English, Spanish, Arabic), or write to survey@riverside.example.",
    "es": "Llame o envíe un mensaje al 555-0100 (inglés, español, árabe), o escriba a survey@riverside.example.",
    "ar": "اتصل أو أرسل رسالة إلى 555-0100 (بالإنجليزية أو الإسبانية أو العربية)، أو اكتب إلى survey@city.example.",
}


def _survey(app, analyst) -> str:
    with app.app_context():
        organisation = db.session.get(Researcher, analyst.id).organisation
        instrument, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
        survey = make_survey(organisation=organisation, instrument=instrument)
        db.session.commit()
        return survey.slug


def test_trust_block_filled_in_the_browser_then_first_question_within_one_and_a_half_phone_screens(
        app, live_server, new_context):
    analyst = add_researcher(app, role="analyst")
    slug = _survey(app, analyst)
    origin = live_server.url
    violations: dict[str, list] = {}

    desk = new_context(viewport={"width": 1280, "height": 900}).new_page()
    desk.goto(f"{origin}/research/login")
    desk.get_by_label("Email").fill(analyst.email)
    desk.get_by_label("Password").fill(STRONG_PASSWORD)
    with desk.expect_navigation():
        desk.get_by_role("button", name="Log in").click()
    desk.goto(f"{origin}/research/surveys/{slug}/manage")
    desk.get_by_role("link", name="Trust block (contact, ethics approval, what is never shared)").click()
    assert urlsplit(desk.url).path == f"/research/surveys/{slug}/trust"
    violations["manage trust"] = axe_violations(desk)
    for code, name in (("en", "English"), ("es", "Español"), ("ar", "العربية")):
        desk.get_by_label(f"How to reach you ({name})").fill(CONTACT[code])
    desk.get_by_label("Ethics board (optional)").fill("Riverside University Institutional Review Board")
    desk.get_by_label("Approval number (optional)").fill("IRB-2026-117")
    with desk.expect_navigation():
        desk.get_by_role("button", name="Save the trust block").click()
    assert urlsplit(desk.url).path == f"/research/surveys/{slug}/manage"

    phone = new_context(**PHONE).new_page()
    for language in ("en", "es", "ar"):
        phone.goto(f"{origin}/s/{slug}?lang={language}")
        trust = phone.locator("section.trust")
        assert trust.count() == 1 and CONTACT[language] in trust.inner_text()
        assert "IRB-2026-117" in trust.inner_text()
        assert phone.locator(".note").count() == 0  # no translation banner for respondents
        question = phone.locator("label[for=jurisdiction]").bounding_box()
        select = phone.locator("#jurisdiction").bounding_box()
        assert question is not None and select is not None
        # The first question (its label and its answer box) is within about one and a half screens.
        assert select["y"] + select["height"] <= 1.5 * 844, (language, question, select)
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
        violations[f"start {language}"] = axe_violations(phone)
    assert {page: found for page, found in violations.items() if found} == {}
