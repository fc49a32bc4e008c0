"""Data quality: a minimum share of answered items before a response is stored (a blank survey is
refused and does not use up its invite code), and two flags per response computed at submission."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import InviteCode, Researcher, Response, ResponseBuffer, Survey
from surveys.studies.instrument_store import store_instrument
from surveys.studies.quality import assess
from surveys.studies.service import create_survey
from tests.accounts.helpers import add_researcher
from tests.factories import login_as, post_form
from tests.respond.helpers import Database, SurveyWalker, add_invite_codes, instrument_of, make_default_survey


def full_answers(instrument: Any, vary: bool) -> dict[str, Any]:
    """An answer to every item: the first substantive option each time, or (``vary``) alternating ones."""
    answers: dict[str, Any] = {}
    for index, question in enumerate(instrument.questions()):
        codes = sorted(question.codes - question.missing_codes) if question.options else []
        pick = codes[index % len(codes)] if vary and codes else (codes[0] if codes else None)
        if question.type == "multiple":
            answers[question.id] = [pick]
        elif question.type == "number":
            answers[question.id] = int(question.low or 0)
        elif question.type == "text":
            answers[question.id] = "fine"
        elif question.type == "scale":
            answers[question.id] = int(question.low or 0) + (index % 3 if vary else 0)
        else:
            answers[question.id] = pick
    return instrument.prune_hidden(answers)


def test_assess_counts_items_that_apply_and_flags_straight_grids(app):
    instrument = instrument_of(app, make_default_survey(app))
    blank = assess(instrument, {})
    assert blank.answered == 0 and blank.share == 0 and blank.nonresponse and not blank.straightlining
    straight = assess(instrument, full_answers(instrument, vary=False))
    assert straight.share == 1 and not straight.nonresponse and straight.straightlining
    varied = assess(instrument, full_answers(instrument, vary=True))
    assert varied.share == 1 and not varied.straightlining
    # One straight grid alone is ordinary; "prefer not to say" answers do not make a line.
    one = {"inv_ask_status": 2, "inv_work_with_ice": 2, "inv_hand_over": 2, "inv_traffic_stop": 2}
    assert not assess(instrument, one).straightlining
    two = {**one, "fear_report": 3, "fear_witness": 3, "fear_self": 3}
    assert assess(instrument, two).straightlining
    assert not assess(instrument, {**two, "fear_self": 99, "fear_witness": 99}).straightlining


def test_a_blank_survey_is_refused_and_keeps_its_invite_code(app, client):
    database = Database(app)
    survey = make_default_survey(app, uses_invite_codes=True, min_answered_share=0.5)
    add_invite_codes(app, survey, "K7QM-2XWP")
    walker = SurveyWalker(client, survey, "es")
    walker.start(invite_code="K7QM-2XWP")
    response = walker.answer_all({})
    assert "/thanks" not in response.headers.get("Location", "")  # back on the last page, not thanked
    assert walker.status == 422 and "Sus respuestas todavía no se enviaron" in walker.html
    assert "Respondió 0 de las" in walker.html and "Su código de invitación no se ha gastado." in walker.html
    assert database.count(ResponseBuffer) == 0 and database.count(Response) == 0
    assert [row["used"] for row in database.rows(InviteCode)] == [False]
    # Answering enough and submitting again stores it, with the same code.
    instrument = instrument_of(app, survey)
    walker.language = "es"
    walker.html = client.get(f"/s/{survey.slug}/page?step=1&lang=es").get_data(as_text=True)
    walker.answer_all(full_answers(instrument, vary=True))
    [stored] = database.rows(Response)
    assert stored["flag_straightlining"] is False and stored["flag_nonresponse"] is False
    assert [row["used"] for row in database.rows(InviteCode)] == [True]


def test_flags_are_stored_with_the_response(app, client):
    database = Database(app)
    survey = make_default_survey(app, min_answered_share=0.5)
    instrument = instrument_of(app, survey)
    straight = full_answers(instrument, vary=False)
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    assert walker.answer_all(straight).status_code == 303
    partial = {k: v for i, (k, v) in enumerate(full_answers(instrument, vary=True).items()) if i % 3}  # 2/3
    other = SurveyWalker(app.test_client(), survey, "en")
    other.start()
    assert other.answer_all(partial).status_code == 303
    flags = sorted((r["flag_straightlining"], r["flag_nonresponse"]) for r in database.rows(Response))
    assert flags == [(False, True), (True, False)]


def test_new_surveys_need_half_the_items_and_managers_can_change_it(app, client):
    analyst = add_researcher(app, role="analyst")
    with app.app_context():
        instrument, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
        survey = create_survey(db.session.get(Researcher, analyst.id), instrument_id=instrument.id, slug="quality",
                               title="Quality", description="", uses_invite_codes=False, date_granularity="day",
                               min_cell_size=10)
        assert survey.min_answered_share == 0.5
    login_as(client, analyst)
    url = "/research/surveys/quality/settings"
    assert 'value="0.5"' in client.get(url).get_data(as_text=True)
    data = {"title": "Quality", "description": "", "min_cell_size": "10"}
    refused = post_form(client, url, {**data, "min_answered_share": "1.5"})
    assert refused.status_code == 400 and "between 0 and 1" in refused.get_data(as_text=True).replace("0.0", "0")
    assert post_form(client, url, {**data, "min_answered_share": "0.7"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Survey.min_answered_share).where(Survey.slug == "quality")) == 0.7
