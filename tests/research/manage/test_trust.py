"""The trust block: edited per survey by its managers, shown once on the respondents' start page in their
language; translation review status shown to researchers, no longer to respondents."""
from __future__ import annotations

from sqlalchemy import select

from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import AuditLog, Researcher, Survey
from surveys.studies.instrument_store import store_instrument
from tests.accounts.helpers import add_researcher
from tests.factories import login_as, make_survey, post_form

FULL = {
    "contact_en": "Call 555-0100 or write to survey@riverside.example",
    "contact_es": "Llame al 555-0100 o escriba a survey@riverside.example",
    "never_shared_en": "", "never_shared_es": "", "never_shared_ar": "", "contact_ar": "",
    "ethics_board": "Riverside University IRB", "ethics_number": "2026-117",
}


def _survey(app, analyst, **kw) -> str:
    with app.app_context():
        organisation = db.session.get(Researcher, analyst.id).organisation
        instrument, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
        survey = make_survey(organisation=organisation, instrument=instrument, **kw)
        db.session.commit()
        return survey.slug


def _trust(app, slug: str):
    with app.app_context():
        return db.session.scalar(select(Survey.trust).where(Survey.slug == slug))


def test_start_page_shows_the_default_statement_in_each_language_and_no_translation_banner(app, client, analyst):
    slug = _survey(app, analyst)
    expected = {
        "en": "Your answers are never shared with the police or with immigration authorities.",
        "es": "Sus respuestas nunca se comparten con la policía ni con las autoridades de inmigración.",
        "ar": "لا تُشارَك إجاباتك أبدًا مع الشرطة أو مع سلطات الهجرة.",
    }
    for language, statement in expected.items():
        html = client.get(f"/s/{slug}?lang={language}").get_data(as_text=True)
        assert html.count(statement) == 1, language  # once
        assert 'class="note"' not in html and "professional translator" not in html
        assert "traductor profesional" not in html and "Ethics approval" not in html
    assert _trust(app, slug) is None


def test_a_manager_sets_contact_ethics_and_statement_shown_in_each_language(app, logged_in, analyst):
    slug = _survey(app, analyst)
    url = f"/research/surveys/{slug}/trust"
    page = logged_in.get(url).get_data(as_text=True)
    assert page.count("<textarea") == 6  # contact and statement in English, Spanish and Arabic
    assert "not reviewed by a translator" in page  # the default instrument's translations are unreviewed
    data = {**FULL, "never_shared_es": "Nunca compartimos sus respuestas con nadie fuera del equipo."}
    response = post_form(logged_in, url, data)
    assert response.status_code == 302
    assert _trust(app, slug) == {
        "contact": {"en": FULL["contact_en"], "es": FULL["contact_es"]},
        "never_shared": {"es": "Nunca compartimos sus respuestas con nadie fuera del equipo."},
        "ethics_board": "Riverside University IRB", "ethics_number": "2026-117",
    }
    with app.app_context():
        [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "survey.trust_update")).all()
        assert row.parameters["changed"] == ["contact", "ethics_board", "ethics_number", "never_shared"]
    respondent = app.test_client()
    es = respondent.get(f"/s/{slug}?lang=es").get_data(as_text=True)
    assert FULL["contact_es"] in es and "Nunca compartimos sus respuestas" in es
    assert "Aprobación ética" in es and "Riverside University IRB, n.º 2026-117" in es
    assert "autoridades de inmigración" not in es  # the survey's own statement replaces the default
    ar = respondent.get(f"/s/{slug}?lang=ar").get_data(as_text=True)
    assert FULL["contact_en"] in ar  # no Arabic contact: the default language's
    assert "لا تُشارَك إجاباتك أبدًا مع الشرطة" in ar and "الموافقة الأخلاقية" in ar
    en = respondent.get(f"/s/{slug}?lang=en").get_data(as_text=True)
    assert en.count("Riverside University IRB") == 1 and en.count(FULL["contact_en"]) == 1
    # The saved texts are shown again in the form.
    again = logged_in.get(url).get_data(as_text=True)
    assert FULL["contact_es"] in again and 'value="2026-117"' in again


def test_refusals_are_shown_beside_the_form(app, logged_in, analyst):
    slug = _survey(app, analyst)
    url = f"/research/surveys/{slug}/trust"
    response = post_form(logged_in, url, {**FULL, "ethics_board": "", "ethics_number": "2026-117"})
    assert response.status_code == 400 and "Name the ethics board" in response.get_data(as_text=True)
    response = post_form(logged_in, url, {**FULL, "contact_en": "x" * 601})
    assert response.status_code == 400 and "600 characters" in response.get_data(as_text=True)
    assert _trust(app, slug) is None


def test_only_the_surveys_managers_may_edit(app, client, analyst):
    slug = _survey(app, analyst)
    viewer = add_researcher(app, organisation_id=analyst.organisation_id, role="viewer")
    login_as(client, viewer)
    assert client.get(f"/research/surveys/{slug}/trust").status_code == 403
    other = app.test_client()
    login_as(other, add_researcher(app, role="analyst"))  # another organisation
    assert other.get(f"/research/surveys/{slug}/trust").status_code == 404
    assert app.test_client().get(f"/research/surveys/{slug}/trust").status_code in (302, 401)


def test_translation_review_status_is_on_the_survey_and_wave_pages(app, logged_in, analyst):
    slug = _survey(app, analyst)
    for url in (f"/research/surveys/{slug}/manage", f"/research/surveys/{slug}/waves/new"):
        html = logged_in.get(url).get_data(as_text=True)
        assert "English (source), Español (not reviewed by a translator)" in html
        assert "reviewed by a professional translator before opening a wave" in html
