"""Ballot-stuffing guards: a double click stores one response; rate limits without stored addresses."""
from __future__ import annotations

import logging
import threading
import uuid

import pytest
import redis

from surveys import create_app
from surveys.extensions import db
from surveys.models import Response, SubmissionToken
from surveys.respond.csrf import COOKIE_NAME as FORM_COOKIE
from tests.conftest import config_for, empty_all_tables

from .helpers import Database, SurveyWalker, add_invite_codes, hidden_value, make_default_survey


def _final_page(client, survey) -> SurveyWalker:
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    for _ in range(20):  # to the last page, however many the default instrument has
        if 'value="submit"' in walker.html:
            break
        walker.post_page({"trust_overall": 6} if 'name="q_trust_overall"' in walker.html else {})
    assert 'value="submit"' in walker.html
    return walker


def _submit_form(walker: SurveyWalker) -> dict[str, str]:
    return {"csrf_token": hidden_value(walker.html, "csrf_token"), "state": hidden_value(walker.html, "state"),
            "lang": "en", "nav": "submit", "q_age_band": "2"}


def test_double_click_stores_one_response(client, survey, database):
    form = _submit_form(_final_page(client, survey))
    first = client.post(f"/s/{survey.slug}/page", data=form)
    second = client.post(f"/s/{survey.slug}/page", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]  # the same thank-you page
    assert database.count(Response) == 1 and database.count(SubmissionToken) == 1
    assert database.answers() == {"trust_overall": 6, "age_band": 2}


def test_simultaneous_double_submit_stores_one_response(app, client, survey, database):
    form = _submit_form(_final_page(client, survey))
    other = app.test_client()
    # The same browser, two requests at once.
    other.set_cookie(FORM_COOKIE, client.get_cookie(FORM_COOKIE, path="/s/").value, path="/s/")
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def post(c) -> None:
        barrier.wait()
        statuses.append(c.post(f"/s/{survey.slug}/page", data=form).status_code)

    threads = [threading.Thread(target=post, args=(c,)) for c in (client, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [303, 303]
    assert database.count(Response) == 1 and database.count(SubmissionToken) == 1


def test_submission_token_table_cannot_link_a_device_to_a_response(client, survey, database):
    walker = _final_page(client, survey)
    form = _submit_form(walker)
    client.post(f"/s/{survey.slug}/page", data=form)
    [token_row] = database.rows(SubmissionToken)
    assert set(token_row) == {"token_hash"}  # no response id, no date, no counter
    assert len(token_row["token_hash"]) == 64
    from surveys.respond.state import load_state

    with client.application.app_context():
        token = load_state(form["state"], survey.id).token
    assert token not in token_row["token_hash"]
    import hashlib

    assert token_row["token_hash"] != hashlib.sha256(token.encode()).hexdigest()  # keyed with the app secret


def test_each_new_start_gets_its_own_token(client, survey, database):
    for _ in range(2):
        walker = _final_page(client, survey)
        client.post(f"/s/{survey.slug}/page", data=_submit_form(walker))
    assert database.count(Response) == 2 and database.count(SubmissionToken) == 2


# --- rate limits ------------------------------------------------------------------------------

@pytest.fixture
def limited_app(database_url):
    """An app with submission limits on (2 per hour) and in-memory counters."""
    application = create_app(config_for(database_url, RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="2 per hour"))
    yield application
    empty_all_tables(application)


def _complete(client, survey, language="en") -> SurveyWalker:
    walker = SurveyWalker(client, survey, language)
    walker.start()
    walker.answer_all({"trust_overall": 1})
    return walker


def test_rate_limit_refuses_the_third_submission_in_the_respondents_language(limited_app):
    survey = make_default_survey(limited_app)
    database = Database(limited_app)
    client = limited_app.test_client()
    assert _complete(client, survey).status == 303
    assert _complete(client, survey).status == 303
    walker = _complete(client, survey, "es")
    assert walker.status == 429 and "Demasiados envíos" in walker.html
    assert database.count(Response) == 2
    # Moving through pages is never limited: only stored submissions count.
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    assert walker.status == 200 and walker.post_page({}).status_code == 200
    # Another connection has its own allowance.
    neighbour = limited_app.test_client()
    neighbour.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    assert _complete(neighbour, survey).status == 303
    assert database.count(Response) == 3


def test_invite_code_guessing_is_limited_but_codes_are_not(limited_app):
    survey = make_default_survey(limited_app, uses_invite_codes=True)
    add_invite_codes(limited_app, survey, "AAAA-1111", "BBBB-2222", "CCCC-3333")
    client = limited_app.test_client()
    for code in ("AAAA-1111", "BBBB-2222", "CCCC-3333"):  # three stored responses: codes are the guard
        walker = SurveyWalker(client, survey)
        walker.start(invite_code=code)
        assert walker.answer_all({}).status_code == 303
    guesser = limited_app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    for _ in range(2):
        walker = SurveyWalker(guesser, survey)
        walker.start(invite_code="GUESS-0000")
        assert walker.status == 422
    walker.start(invite_code="GUESS-0001")
    assert walker.status == 429


def _redis_or_skip() -> redis.Redis:
    connection = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379 (.ci/run starts one)")
    return connection


def test_redis_counters_hold_across_apps_and_never_hold_the_address(database_url):
    connection = _redis_or_skip()
    prefix = f"cts-test-{uuid.uuid4().hex[:8]}"
    config = config_for(database_url, RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="1 per hour",
                        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379", RATELIMIT_KEY_PREFIX=prefix)
    first_worker = create_app(config)
    second_worker = None
    try:
        survey = make_default_survey(first_worker)
        client = first_worker.test_client()
        client.environ_base["REMOTE_ADDR"] = "203.0.113.45"
        assert _complete(client, survey).status == 303
        keys = [k.decode() for k in connection.scan_iter(f"*{prefix}*")]
        assert keys, "the counter should be in Redis"
        assert not any("203.0.113.45" in k for k in keys)
        for key in keys:
            assert b"203.0.113.45" not in (connection.dump(key) or b"")
        second_worker = create_app(config)  # another gunicorn worker: same Redis, same counters
        other = second_worker.test_client()
        other.environ_base["REMOTE_ADDR"] = "203.0.113.45"
        assert _complete(other, survey).status == 429
    finally:
        for key in connection.scan_iter(f"*{prefix}*"):
            connection.delete(key)
        empty_all_tables(first_worker)
        if second_worker is not None:
            with second_worker.app_context():
                db.engine.dispose()


def test_unreachable_counter_store_does_not_lose_answers(database_url, caplog):
    """If Redis is down the response is still stored, and the warning names no client."""
    app = create_app(config_for(database_url, RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="1 per hour",
                                RATELIMIT_STORAGE_URI="redis://127.0.0.1:9"))
    try:
        survey = make_default_survey(app)
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "203.0.113.99"
        caplog.set_level(logging.WARNING)
        assert _complete(client, survey).status == 303
        assert Database(app).count(Response) == 1
        warnings = [r.getMessage() for r in caplog.records if r.name == "surveys.respond.throttle"]
        assert warnings and not any("203.0.113.99" in w for w in warnings)
    finally:
        empty_all_tables(app)
