"""The survey from start to thank-you, as a browser without JavaScript sees it."""
from __future__ import annotations

import re
from datetime import date, timedelta

from surveys.extensions import db
from surveys.models import Answer, Response, Survey

from .helpers import SurveyWalker, hidden_value, instrument_of, make_default_survey

DEFAULT_ANSWERS = {
    "report_burglary_victim": 4, "report_dv_witness": 2, "trust_overall": 7, "pf_respect": 3,
    "df_immigrants": 2, "inv_ask_status": 5, "heard_policy": 1, "fear_family": 4,
    "alt_channel": [1, 3], "comments": "More patrols at night.", "age_band": 3,
    "born_abroad": 1, "years_in_country": 2, "home_language": 2,
    # the victimization block: a show_if chain within one page (victim -> reported -> why not)
    "victim_burglary": 0, "victim_assault": 1, "reported_assault": 0, "why_not_assault": [3, 6],
}


def test_start_page_explains_the_survey_in_plain_words(app, client, survey):
    html = client.get(f"/s/{survey.slug}?lang=en").get_data(as_text=True)
    for block_title in ("Reporting crime", "The police where you live", "About you"):
        assert block_title in html  # what is asked
    assert "your IP address, device or browser" in html  # what is never stored
    assert "Only the day you answered, never the time." in html
    assert survey.organisation in html and "groups of at least 10 people" in html  # who sees results
    assert "You can skip any question" in html  # skipping
    assert instrument_of(app, survey).text_for("consent", "en").split("\n")[0][:40] in html
    assert '<select id="jurisdiction" name="jurisdiction"' in html
    assert 'name="csrf_token"' in html and "I agree: start the survey" in html


def test_start_page_in_spanish_and_arabic(client, survey):
    es = client.get(f"/s/{survey.slug}?lang=es").get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in es and "Sobre esta encuesta" in es and "Solo el día" in es
    ar = client.get(f"/s/{survey.slug}?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in ar and "عن هذا الاستبيان" in ar


def test_browser_language_is_used_when_the_link_names_none(client, survey):
    html = client.get(f"/s/{survey.slug}", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert '<html lang="es"' in html.get_data(as_text=True)


def test_complete_default_survey_in_spanish_stores_exact_codes(client, survey, database):
    walker = SurveyWalker(client, survey, "es")
    walker.start(jurisdiction="J02")
    assert walker.status == 200 and "Página 1 de 8" in walker.html
    response = walker.answer_all(DEFAULT_ANSWERS)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/s/{survey.slug}/thanks?lang=es")
    [stored] = database.rows(Response)
    assert stored["language"] == "es"
    assert stored["jurisdiction_id"] == survey.jurisdictions["J02"]
    assert stored["wave_id"] == survey.open_wave_id
    assert stored["submitted_on"] == date.today()
    assert stored["immigrant"] is True
    assert database.answers() == DEFAULT_ANSWERS
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Gracias" in thanks and "Hemos recibido sus respuestas." in thanks


def test_an_empty_survey_can_be_submitted_every_question_skippable(client, survey, database):
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    assert walker.answer_all({}).status_code == 303
    assert database.count(Response) == 1
    assert database.count(Answer) == 0


def test_jurisdiction_from_the_link(client, survey, database):
    html = client.get(f"/s/{survey.slug}?j=J02&lang=en").get_data(as_text=True)
    assert "You are answering about: Beta" in html and '<select id="jurisdiction"' not in html
    walker = SurveyWalker(client, survey, "en")
    walker.start(jurisdiction="J02", query="&j=J02")
    walker.answer_all({})
    assert [r["jurisdiction_id"] for r in database.rows(Response)] == [survey.jurisdictions["J02"]]


def test_jurisdiction_is_required_and_must_be_the_surveys(client, survey):
    walker = SurveyWalker(client, survey, "es")
    walker.start(jurisdiction="")
    assert walker.status == 422 and "Por favor, elija dónde vive." in walker.html
    assert 'aria-invalid="true"' in walker.html and 'class="error-summary"' in walker.html
    walker.start(jurisdiction="NOPE")
    assert walker.status == 422 and "Por favor, elija uno de los lugares de la lista." in walker.html


def test_single_jurisdiction_needs_no_choice(app, client):
    survey = make_default_survey(app, jurisdictions=("Only town",))
    html = client.get(f"/s/{survey.slug}").get_data(as_text=True)
    assert "<select" not in html
    walker = SurveyWalker(client, survey)
    walker.start(jurisdiction="")
    assert walker.status == 200 and "Page 1 of 8" in walker.html


def test_progress_and_page_titles(client, survey):
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    seen = []
    for _ in range(8):
        seen.append(re.search(r'<p id="progress-label">([^<]+)</p>', walker.html)[1])
        assert '<progress max="8"' in walker.html
        nav = "submit" if 'value="submit"' in walker.html else "next"
        walker.post_page({}, nav=nav)
    assert seen == [f"Page {n} of 8" for n in range(1, 9)]


def test_back_keeps_answers_of_both_pages(client, survey):
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    walker.post_page({"report_burglary_victim": 2})
    walker.post_page({"trust_overall": 9}, nav="back")
    assert "Page 1 of 8" in walker.html
    assert re.search(r'name="q_report_burglary_victim" value="2"\s+checked', walker.html)
    walker.post_page({"report_burglary_victim": 2})
    assert re.search(r'name="q_trust_overall" value="9"\s+checked', walker.html)


def test_language_switch_keeps_answers_on_the_current_page(client, survey, database):
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    walker.post_page({"report_burglary_victim": 3})
    walker.post_page({"trust_overall": 8, "pf_respect": 2}, switch_lang="ar")
    assert walker.status == 200
    assert '<html lang="ar" dir="rtl">' in walker.html and "الصفحة 2 من 8" in walker.html
    assert re.search(r'name="q_trust_overall" value="8"\s+checked', walker.html)
    assert re.search(r'name="q_pf_respect" value="2"\s+checked', walker.html)
    assert "field-error" not in walker.html  # switching is not submitting: no errors shown
    walker.language = "ar"
    walker.answer_all({"pf_respect": 2, "trust_overall": 8})
    assert [r["language"] for r in database.rows(Response)] == ["ar"]
    assert database.answers() == {"report_burglary_victim": 3, "trust_overall": 8, "pf_respect": 2}


def test_language_switch_on_the_start_page_keeps_the_choices(client, survey):
    html = client.get(f"/s/{survey.slug}?lang=en").get_data(as_text=True)
    response = client.post(f"/s/{survey.slug}", data={
        "csrf_token": hidden_value(html, "csrf_token"), "lang": "en", "jurisdiction": "J02", "switch_lang": "es"})
    assert response.status_code == 303  # Post/Redirect/Get: Back never asks to resend the form
    page = client.get(response.headers["Location"])
    es = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="es"' in es
    assert '<option value="J02" selected>' in es
    again = client.get(response.headers["Location"]).get_data(as_text=True)  # the typed choice is shown once
    assert '<option value="J02" selected>' not in again


def test_randomised_order_is_stable_for_a_respondent(client, survey):
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    walker.post_page({})
    walker.post_page({})
    assert "Fairness and the law" in walker.html  # block with randomize: true
    order = re.findall(r'name="(q_[a-z_]+)" value="1"', walker.html)
    walker.post_page({}, switch_lang="es")
    assert re.findall(r'name="(q_[a-z_]+)" value="1"', walker.html) == order


def test_show_if_within_a_page_is_hinted_and_pruned_by_the_server(client, survey, database):
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    for _ in range(7):
        walker.post_page({})
    assert "About you" in walker.html
    assert 'data-show-if="born_abroad" data-show-codes="1"' in walker.html
    assert "Only if your answer to “Where were you and your parents born?” was" in walker.html
    # Without JavaScript the respondent may answer the follow-up although it does not apply.
    walker.post_page({"born_abroad": 3, "years_in_country": 2}, nav="submit")
    assert database.answers() == {"born_abroad": 3}


def test_victimization_follow_ups_are_pruned_for_non_victims(client, survey, database):
    """A reporting answer without the victim answer, or reasons after "reported", are not kept."""
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    for _ in range(6):
        walker.post_page({})
    assert "Crimes you may have experienced" in walker.html
    assert 'data-show-if="victim_assault" data-show-codes="1"' in walker.html
    assert "Fear of immigration consequences for me" in walker.html
    walker.post_page({"victim_assault": 0, "reported_assault": 1, "victim_burglary": 1, "reported_burglary": 1,
                      "why_not_burglary": [5]})
    walker.post_page({}, nav="submit")
    assert database.answers() == {"victim_assault": 0, "victim_burglary": 1, "reported_burglary": 1}


def close_all_waves(database, survey) -> None:
    def close() -> None:
        for wave in db.session.get(Survey, survey.id).waves:
            wave.closed = True

    database.run(close)


def test_closed_and_not_yet_open_waves_show_a_page_not_a_form(app, client, database):
    survey = make_default_survey(app)
    close_all_waves(database, survey)
    response = client.get(f"/s/{survey.slug}?lang=es")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Esta encuesta está cerrada" in html
    assert "<form" not in html and 'name="csrf_token"' not in html

    later = make_default_survey(app, today=date.today() + timedelta(days=400))  # every wave in the future
    html = client.get(f"/s/{later.slug}?lang=ar").get_data(as_text=True)
    assert "هذا الاستبيان لم يُفتح بعد" in html and "<form" not in html and "يبدأ في" in html


def test_wave_closing_between_pages_stores_nothing(client, survey, database):
    walker = SurveyWalker(client, survey, "es")
    walker.start()
    close_all_waves(database, survey)
    walker.post_page({"report_burglary_victim": 1})
    assert walker.status == 409 and "Esta ronda de la encuesta terminó" in walker.html
    assert database.count(Response) == 0


def test_questionnaire_page_url_cannot_be_opened_directly(client, survey):
    response = client.get(f"/s/{survey.slug}/page?lang=es")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/s/{survey.slug}?lang=es")


def test_week_granularity_stores_the_monday(app, client, database):
    survey = make_default_survey(app, date_granularity="week")
    walker = SurveyWalker(client, survey)
    walker.start()
    walker.answer_all({})
    today = date.today()
    assert [r["submitted_on"] for r in database.rows(Response)] == [today - timedelta(days=today.weekday())]
    assert "Only the week you answered" in client.get(f"/s/{survey.slug}").get_data(as_text=True)
