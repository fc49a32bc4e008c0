"""The submission service: one transaction, invite codes used once, coarse dates, derived scores."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from surveys import create_app
from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import Answer, InviteCode, Response, Survey
from surveys.studies.instrument_store import parsed_instrument, store_instrument
from surveys.studies.invites import hash_invite_code
from surveys.studies.submission import InvalidInviteCode, coarsen_date, store_response
from surveys.studies.write_out import flush_all
from tests.conftest import config_for
from tests.factories import make_survey

ANSWERS = {
    "report_burglary_victim": 5, "report_assault_victim": 4, "report_dv_victim": 4, "report_fraud_victim": 3,
    "pf_respect": 2, "pf_fair_decisions": 4, "fear_report": 5, "fear_self": 4, "born_abroad": 1,
    "alt_channel": [1, 3], "comments": "Police were helpful.",
}


@pytest.fixture
def study(app_ctx):
    row, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
    survey = make_survey(instrument=row)
    db.session.commit()
    return parsed_instrument(row), survey


def _count(model) -> int:
    """Rows of ``model``'s table once every buffered response is written out (as at a wave's closure)."""
    flush_all(reason="test")
    return db.session.scalar(select(func.count()).select_from(model))


def test_coarsen_date():
    assert coarsen_date(date(2026, 11, 25), "day") == date(2026, 11, 25)
    assert coarsen_date(date(2026, 11, 25), "week") == date(2026, 11, 23)  # Monday
    with pytest.raises(ValueError, match="granularity"):
        coarsen_date(date(2026, 11, 25), "hour")


def test_store_response_writes_answers_and_scores(study):
    instrument, survey = study
    response_id = store_response(instrument, survey, survey.waves[-1], survey.jurisdictions[0], "es", ANSWERS,
                                 on=date(2026, 11, 25))
    assert db.session.get(Response, response_id) is None  # buffered: written out in a batch of k
    flush_all(reason="test")
    response = db.session.get(Response, response_id)
    assert response.language == "es" and response.submitted_on == date(2026, 11, 25)
    assert response.immigrant is True
    assert response.willingness == pytest.approx(4.0)
    stored = {(a.item_id, a.position): (a.code, a.text) for a in response.answers}
    assert stored[("report_burglary_victim", 0)] == (5, None)
    assert stored[("alt_channel", 0)] == (1, None) and stored[("alt_channel", 1)] == (3, None)
    assert stored[("comments", 0)] == (None, "Police were helpful.")


def test_week_granularity_stores_week_start(study):
    instrument, survey = study
    survey.date_granularity = "week"
    db.session.commit()
    response_id = store_response(instrument, survey, survey.waves[-1], survey.jurisdictions[0], "en", ANSWERS,
                                 on=date(2026, 11, 27))
    flush_all(reason="test")
    assert db.session.get(Response, response_id).submitted_on == date(2026, 11, 23)


def test_invite_code_is_used_once_and_not_linked(study):
    instrument, survey = study
    survey.uses_invite_codes = True
    db.session.add(InviteCode(survey_id=survey.id, code_hash=hash_invite_code(survey, "K7QM-2XWP")))
    db.session.commit()
    wave, place = survey.waves[-1], survey.jurisdictions[0]
    with pytest.raises(InvalidInviteCode):
        store_response(instrument, survey, wave, place, "en", ANSWERS)
    with pytest.raises(InvalidInviteCode):
        store_response(instrument, survey, wave, place, "en", ANSWERS, invite_code="WRONG-CODE")
    store_response(instrument, survey, wave, place, "en", ANSWERS, invite_code="k7qm 2xwp")
    with pytest.raises(InvalidInviteCode):
        store_response(instrument, survey, wave, place, "en", ANSWERS, invite_code="K7QM-2XWP")
    assert _count(Response) == 1
    assert db.session.scalar(select(InviteCode.used)) is True


def test_failed_submission_stores_nothing(study):
    instrument, survey = study
    bad = {**ANSWERS, "pf_respect": "not-a-number"}
    with pytest.raises(ValueError):
        store_response(instrument, survey, survey.waves[-1], survey.jurisdictions[0], "en", bad)
    assert _count(Response) == 0 and _count(Answer) == 0


def test_racing_submissions_with_one_code_exactly_one_wins(app, database_url):
    with app.app_context():
        row, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
        survey = make_survey(instrument=row, uses_invite_codes=True)
        db.session.add(InviteCode(survey_id=survey.id, code_hash=hash_invite_code(survey, "RACE1234")))
        db.session.commit()
        survey_id = survey.id
    results: list[str] = []
    barrier = threading.Barrier(20, timeout=60)
    # An app (and connection pool) per thread, like separate workers. Built here, not in the
    # threads: CPython 3.11's ast.parse (used by Werkzeug's router) is not thread-safe.
    worker_apps = [create_app(config_for(database_url)) for _ in range(20)]

    def submit(worker_app) -> None:
        with worker_app.app_context():
            try:
                survey = db.session.get(Survey, survey_id)
                instrument = parsed_instrument(survey.instrument)
                wave, place = survey.waves[-1], survey.jurisdictions[0]
                barrier.wait()
                store_response(instrument, survey, wave, place, "en", ANSWERS, invite_code="RACE1234")
                results.append("ok")
            except InvalidInviteCode:
                results.append("refused")
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                barrier.abort()
                results.append(f"error: {exc!r}")
            finally:
                db.session.remove()
                db.engine.dispose()

    threads = [threading.Thread(target=submit, args=(worker_app,)) for worker_app in worker_apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == ["ok"] + ["refused"] * 19
    with app.app_context():
        assert _count(Response) == 1
