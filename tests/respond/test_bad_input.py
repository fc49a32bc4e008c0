"""Bad input gets a clear 4xx page in the respondent's language; nothing is stored half-way; never a 500."""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from surveys.extensions import db
from surveys.models import Answer, InviteCode, Response, SubmissionToken, Survey
from surveys.respond.state import StateError, SurveyState, dump_state

from .helpers import SurveyWalker, add_invite_codes, hidden_value, instrument_of, make_default_survey


def csrf_token(client, slug: str) -> str:
    return hidden_value(client.get(f"/s/{slug}").get_data(as_text=True), "csrf_token")


def nothing_stored(database) -> bool:
    return database.count(Response) == database.count(Answer) == database.count(SubmissionToken) == 0


def test_missing_csrf_token_is_a_translated_400(client, survey, database):
    response = client.post(f"/s/{survey.slug}", data={"lang": "es", "jurisdiction": "J01", "action": "start"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Esta página ha caducado" in html and '<html lang="es"' in html
    walker = SurveyWalker(client, survey, "ar")
    walker.start()
    response = walker.post_page({"trust_overall": 5}, csrf_token="")
    assert response.status_code == 400 and "انتهت صلاحية هذه الصفحة" in walker.html
    assert nothing_stored(database)


def test_altered_state_is_refused(client, survey, database):
    walker = SurveyWalker(client, survey, "es")
    walker.start()
    state = hidden_value(walker.html, "state")
    walker.post_page({}, state=state[:-3] + ("AAA" if not state.endswith("AAA") else "BBB"))
    assert walker.status == 400 and "No se pudo leer este formulario" in walker.html
    walker.post_page({}, state="")
    assert walker.status == 400
    assert nothing_stored(database)


def test_state_of_another_survey_is_refused(app, client, survey, database):
    other = make_default_survey(app)
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    response = client.post(f"/s/{other.slug}/page", data={
        "csrf_token": hidden_value(walker.html, "csrf_token"), "state": hidden_value(walker.html, "state"),
        "lang": "en", "nav": "next"})
    assert response.status_code == 400 and b"This form could not be read" in response.data
    assert nothing_stored(database)


def test_expired_state_is_refused(app, client, survey, database):
    walker = SurveyWalker(client, survey, "es")
    walker.start()
    with app.app_context():
        state = SurveyState(survey.id, survey.open_wave_id, survey.jurisdictions["J01"], page=6, token="x" * 24)
        old = dump_state(state, issued_at=time.time() - 7 * 3600)
    walker.post_page({}, nav="submit", state=old)
    assert walker.status == 400 and "Este formulario ha caducado" in walker.html
    assert nothing_stored(database)


@pytest.mark.parametrize("url", ["/s/no-such-survey", "/s/no-such-survey/page", "/s/no-such-survey/thanks"])
def test_unknown_survey_is_a_translated_404(client, survey, url):
    response = client.get(url, headers={"Accept-Language": "es"})
    assert response.status_code == 404 and "Encuesta no encontrada" in response.get_data(as_text=True)
    if not url.endswith("/thanks"):
        token = csrf_token(client, survey.slug)
        response = client.post(url, data={"csrf_token": token, "lang": "es", "state": "x"})
        assert response.status_code == 404 and "Encuesta no encontrada" in response.get_data(as_text=True)


def test_archived_survey_is_not_found(app, client, database):
    survey = make_default_survey(app)
    database.run(lambda: setattr(db.session.get(Survey, survey.id), "archived", True))
    assert client.get(f"/s/{survey.slug}").status_code == 404


def test_unknown_jurisdiction_in_the_link_is_a_404_with_a_way_forward(client, survey):
    response = client.get(f"/s/{survey.slug}?j=ZZ99&lang=ar")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "منطقة غير معروفة" in html and '<html lang="ar" dir="rtl">' in html
    assert f'href="/s/{survey.slug}?lang=ar"' in html


def test_oversized_body_is_a_translated_413(client, survey, database):
    walker = SurveyWalker(client, survey, "es")
    walker.start()
    response = client.post(f"/s/{survey.slug}/page", headers={"Accept-Language": "es"}, data={
        "csrf_token": hidden_value(walker.html, "csrf_token"), "state": hidden_value(walker.html, "state"),
        "lang": "es", "q_comments": "x" * 300_000})
    html = response.get_data(as_text=True)
    assert response.status_code == 413 and "Demasiado texto" in html
    assert nothing_stored(database)


def test_wrong_and_used_invite_codes(app, client, database):
    survey = make_default_survey(app, uses_invite_codes=True)
    add_invite_codes(app, survey, "K7QM-2XWP", "ABCD-EFGH")
    html = client.get(f"/s/{survey.slug}?lang=es&code=WRONG-CODE").get_data(as_text=True)
    assert 'value="WRONG-CODE"' in html and "Código de invitación" in html
    walker = SurveyWalker(client, survey, "es")
    walker.start(invite_code="WRONG-CODE")
    assert walker.status == 422 and "Este código de invitación no es válido" in walker.html
    walker.start(invite_code="")
    assert walker.status == 422 and "Por favor, escriba el código de invitación que recibió." in walker.html

    first = SurveyWalker(client, survey, "es")
    first.start(invite_code="k7qm 2xwp")  # case, spaces and dashes do not matter
    assert first.status == 200
    second = SurveyWalker(client, survey, "es")
    second.start(invite_code="K7QM2XWP")  # not yet used: both may start
    assert second.status == 200
    assert first.answer_all({"trust_overall": 3}).status_code == 303
    response = second.answer_all({"trust_overall": 9})
    assert response.status_code == 409 and "Código de invitación ya usado" in second.html
    assert database.count(Response) == 1 and database.answers() == {"trust_overall": 3}
    codes = database.rows(InviteCode)
    assert sorted(c["used"] for c in codes) == [False, True]
    third = SurveyWalker(client, survey, "en")
    third.start(invite_code="K7QM-2XWP")
    assert third.status == 422 and "has already been used" in third.html


# --- property test: random field sets never cause a 500 or a partial write ------------------

ANSWER_VALUES = st.one_of(
    st.integers(min_value=-10**9, max_value=10**9).map(str),
    st.sampled_from(["1", "2", "3", "5", "9", "10", "11", "0", "-1", "", " ", "1.5", "1,5", "٣", "NaN", "inf"]),
    st.text(max_size=40),
    st.text(min_size=990, max_size=1100),
)
FIELD_VALUES = st.one_of(ANSWER_VALUES, st.lists(ANSWER_VALUES, max_size=4))


@pytest.fixture
def final_page_form(app, client, survey):
    """A CSRF token for this client and a maker of fresh last-page states (each with a new one-time token)."""
    token = csrf_token(client, survey.slug)
    instrument = instrument_of(app, survey)
    field_names = [f"q_{q.id}" for q in instrument.questions()]
    last = len(instrument.blocks) - 1

    def fresh_state(page: int) -> str:
        with app.test_request_context():
            return dump_state(SurveyState(survey.id, survey.open_wave_id, survey.jurisdictions["J01"], page=page))

    return token, field_names, fresh_state, last


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_field_sets_get_a_4xx_or_store_a_valid_response(app, client, survey, database, final_page_form, data):
    token, field_names, fresh_state, last = final_page_form
    page = data.draw(st.sampled_from([0, last]), label="page")
    names = data.draw(st.lists(st.sampled_from([*field_names, "q_nope", "state", "lang", "nav", "switch_lang",
                                                "zzz", "csrf_token"]), max_size=8, unique=True), label="names")
    form = {"csrf_token": token, "state": fresh_state(page), "lang": "en", "nav": "submit"}
    for name in names:
        form[name] = data.draw(FIELD_VALUES, label=name)
    before = database.count(Response)
    response = client.post(f"/s/{survey.slug}/page", data=form)
    event(f"status {response.status_code}")
    assert response.status_code in {200, 303, 400, 409, 413, 422}, response.status_code
    assert b"Traceback" not in response.data
    after = database.count(Response)
    stored = response.status_code == 303 and "/thanks" in response.headers["Location"]
    if stored:
        assert after == before + 1
    else:
        assert after == before
        if response.status_code == 303:  # Post/Redirect/Get: the page again, with its errors or language
            response = client.get(response.headers["Location"])
            assert response.status_code in {200, 422}, response.status_code
        assert response.status_code not in {200, 422} or b'name="state"' in response.data  # a form page
    instrument = instrument_of(app, survey)
    for stored in _responses_with_answers(database):
        assert instrument.validate_answers(stored, "en") == {}


def _responses_with_answers(database) -> list[dict]:
    by_response: dict = {}
    for row in database.rows(Answer):
        answers = by_response.setdefault(row["response_id"], {})
        value = next(row[k] for k in ("code", "number", "text") if row[k] is not None)
        question_multiple = row["item_id"] == "alt_channel"
        if question_multiple:
            answers.setdefault(row["item_id"], []).append(int(value))
        else:
            answers[row["item_id"]] = int(value) if isinstance(value, float) and value.is_integer() else value
    return list(by_response.values())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(st.sampled_from(["jurisdiction", "invite_code", "lang", "switch_lang", "action",
                                               "csrf_token", "fixed_j", "x"]), FIELD_VALUES, max_size=6))
def test_random_start_page_posts_never_fail(client, survey, database, fields):
    form = {"csrf_token": csrf_token(client, survey.slug), **fields}
    response = client.post(f"/s/{survey.slug}", data=form)
    assert response.status_code in {303, 400, 413, 422}
    if response.status_code == 303:  # to a questionnaire page, or the start page again
        assert client.get(response.headers["Location"]).status_code in {200, 303, 422}
    assert nothing_stored(database)


def test_hidden_state_does_not_reveal_answers_or_invite_code(app):
    """Earlier answers travel encrypted: the page source on a seized device shows neither them nor the code."""
    import base64

    from surveys.respond.state import load_state

    with app.app_context():
        state = SurveyState(1, 2, 3, page=2, answers={"comments": "Maria at 12 Elm Street"}, invite_code="K7QM2XWP")
        value = dump_state(state)
        decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        for secret in (b"Maria", b"Elm Street", b"K7QM2XWP", b"comments"):
            assert secret not in decoded and secret.decode() not in value
        assert load_state(value, 1) == state
        tampered = value[:40] + ("A" if value[40] != "A" else "B") + value[41:]
        with pytest.raises(StateError):
            load_state(tampered, 1)
