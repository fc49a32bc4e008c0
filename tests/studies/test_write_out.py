"""The response buffer: batches of at least k, small batches only at closure (audited), never lost."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import AuditLog, Response, ResponseBuffer
from surveys.studies.instrument_store import parsed_instrument, store_instrument
from surveys.studies.sealing import seal
from surveys.studies.service import set_wave_closed
from surveys.studies.submission import BUFFER_PURPOSE, store_response
from surveys.studies.write_out import buffered_count, write_out_ready
from tests.factories import make_researcher, make_survey

ANSWERS = {"trust_overall": 6, "born_abroad": 1, "comments": "fine"}


@pytest.fixture
def study(app_ctx):
    row, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
    survey = make_survey(instrument=row, min_cell_size=4)
    db.session.commit()
    return parsed_instrument(row), survey


def _submit(study, count: int) -> None:
    instrument, survey = study
    for _ in range(count):
        store_response(instrument, survey, survey.waves[-1], survey.jurisdictions[0], "en", ANSWERS)


def _responses() -> int:
    return db.session.scalar(select(func.count()).select_from(Response))


def test_a_batch_leaves_the_buffer_only_when_it_holds_k(study):
    _, survey = study
    survey_id = survey.id
    _submit(study, 3)
    assert write_out_ready(survey_id, 4) == 0 and buffered_count(survey_id) == 3 and _responses() == 0
    _submit(study, 1)
    assert write_out_ready(survey_id, 4) == 4 and buffered_count(survey_id) == 0 and _responses() == 4


def test_wave_closure_flushes_a_small_batch_and_audits_it(study):
    _, survey = study
    survey_id = survey.id
    _submit(study, 2)
    admin = make_researcher(role="admin", organisation=survey.organisation)
    db.session.commit()
    set_wave_closed(admin, survey.waves[-1], True)
    assert buffered_count(survey_id) == 0 and _responses() == 2
    [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "responses.write_out_small_batch"))
    assert row.parameters["responses"] == 2 and row.parameters["min_cell_size"] == 4


def test_a_flush_that_fails_leaves_every_response_in_the_buffer(study):
    _, survey = study
    survey_id = survey.id
    _submit(study, 4)
    db.session.add(ResponseBuffer(id=uuid.uuid4(), survey_id=survey_id,
                                  sealed=seal(b"{}", BUFFER_PURPOSE, secret="another key")))
    db.session.commit()
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        write_out_ready(survey_id, 4)
    assert buffered_count(survey_id) == 5 and _responses() == 0


def test_flush_responses_command(app, runner):
    with app.app_context():
        row, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
        survey = make_survey(instrument=row)
        db.session.commit()
        instrument, slug = parsed_instrument(row), survey.slug
        store_response(instrument, survey, survey.waves[-1], survey.jurisdictions[0], "en", ANSWERS)
    bad = runner.invoke(args=["flush-responses", "--survey", "no-such-survey"])
    assert bad.exit_code == 1 and "No survey" in bad.output and "Traceback" not in bad.output
    ready = runner.invoke(args=["flush-responses", "--ready-only"])
    assert ready.exit_code == 0 and f"{slug}: 0 responses written out" in ready.output
    done = runner.invoke(args=["flush-responses"])
    assert done.exit_code == 0 and f"{slug}: 1 responses written out" in done.output
    with app.app_context():
        assert _responses() == 1
