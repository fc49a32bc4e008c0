"""Models: behaviour, constraints and the anonymity built into the schema."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from argon2 import extract_parameters
from argon2.low_level import Type
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from surveys.extensions import db
from surveys.models import Answer, AuditLog, InviteCode, Researcher, Response, Wave

from .factories import STRONG_PASSWORD, make_policy_event, make_researcher, make_survey


def test_researcher_password_is_argon2id(app_ctx):
    researcher = make_researcher()
    params = extract_parameters(researcher.password_hash)
    assert researcher.password_hash.startswith("$argon2id$")
    assert params.type is Type.ID
    assert params.memory_cost >= 64 * 1024 and params.time_cost >= 3 and params.parallelism >= 1
    assert researcher.check_password(STRONG_PASSWORD)
    assert not researcher.check_password(STRONG_PASSWORD + "x")


def test_session_id_carries_version(app_ctx):
    researcher = make_researcher()
    assert researcher.get_id() == f"{researcher.id}:{researcher.session_version}"


def test_unknown_role_is_rejected_by_database(app_ctx):
    researcher = make_researcher()
    researcher.role = "superuser"
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_wave_is_open(app_ctx):
    wave = Wave(number=1, label="W1", opens_on=date(2026, 1, 1), closes_on=date(2026, 3, 31))
    assert wave.is_open(date(2026, 1, 1)) and wave.is_open(date(2026, 3, 31))
    assert not wave.is_open(date(2025, 12, 31)) and not wave.is_open(date(2026, 4, 1))
    wave.closed = True
    assert not wave.is_open(date(2026, 2, 1))


def test_survey_finds_open_wave(app_ctx):
    today = date(2026, 6, 1)
    survey = make_survey(n_waves=3, today=today)
    assert survey.wave_open_on(today).number == 3
    assert survey.wave_open_on(today - timedelta(days=400)) is None


def test_policy_event_direction_is_a_sign(app_ctx):
    survey = make_survey()
    make_policy_event(survey.jurisdictions[0], date(2026, 1, 1), direction=1)
    with pytest.raises(IntegrityError):
        make_policy_event(survey.jurisdictions[0], date(2026, 1, 1), direction=2)
    db.session.rollback()


def _store_raw_response(survey, **extra):
    wave, jurisdiction = survey.waves[-1], survey.jurisdictions[0]
    response_id = uuid.uuid4()
    db.session.execute(insert(Response), [{
        "id": response_id, "survey_id": survey.id, "wave_id": wave.id, "jurisdiction_id": jurisdiction.id,
        "language": "en", "instrument_version": "1", "submitted_on": date.today(), "scores": {}, **extra,
    }])
    return response_id


def test_response_ids_are_random_uuids(app_ctx):
    survey = make_survey()
    ids = [_store_raw_response(survey) for _ in range(20)]
    db.session.commit()
    stored = list(db.session.scalars(select(Response.id).order_by(Response.id)))
    assert sorted(ids) == stored
    assert all(isinstance(i, uuid.UUID) and i.version == 4 for i in stored)
    assert stored != ids  # ordering by id is not insertion order (probability 1/20! of a false failure)


def test_answers_cascade_with_their_response(app_ctx):
    survey = make_survey()
    response_id = _store_raw_response(survey)
    db.session.execute(insert(Answer), [
        {"response_id": response_id, "item_id": "q1", "position": 0, "code": 3},
        {"response_id": response_id, "item_id": "q2", "position": 0, "code": 1},
        {"response_id": response_id, "item_id": "q2", "position": 1, "code": 4},
    ])
    db.session.commit()
    assert len(db.session.get(Response, response_id).answers) == 3
    db.session.delete(db.session.get(Response, response_id))
    db.session.commit()
    assert db.session.scalar(select(Answer).limit(1)) is None


def test_no_column_can_hold_client_details_or_time_of_day(app_ctx):
    """The schema itself keeps the promise: no IP, user agent, referrer or submission time."""
    forbidden = ("ip", "addr", "agent", "referrer", "referer", "user_agent", "remote", "fingerprint")
    inspector = inspect(db.engine)
    for table in ("response", "answer", "invite_code"):
        for column in inspector.get_columns(table):
            assert not any(word in column["name"].lower() for word in forbidden), (table, column["name"])
            assert "TIMESTAMP" not in str(column["type"]).upper() and "DATETIME" not in str(column["type"]).upper()
    invite_columns = {c["name"] for c in inspector.get_columns("invite_code")}
    assert invite_columns == {"id", "survey_id", "code_hash", "used", "batch"}


def test_audit_log_row(app_ctx):
    researcher = make_researcher(role="admin")
    db.session.add(AuditLog(action="export.csv", researcher_id=researcher.id, parameters={"format": "csv"}))
    db.session.commit()
    row = db.session.scalar(select(AuditLog))
    assert row.parameters == {"format": "csv"} and row.occurred_at is not None


def test_invite_code_hash_is_unique(app_ctx):
    survey = make_survey()
    db.session.add(InviteCode(survey_id=survey.id, code_hash="a" * 64))
    db.session.add(InviteCode(survey_id=survey.id, code_hash="a" * 64))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_disabled_researcher_is_not_active(app_ctx):
    researcher = make_researcher()
    researcher.active = False
    assert not researcher.is_active
    assert isinstance(researcher, Researcher)
