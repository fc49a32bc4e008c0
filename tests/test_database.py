"""SQLite settings and concurrent writers: no write is lost when several processes insert at once."""
from __future__ import annotations

import multiprocessing
import uuid
from datetime import date

import pytest
from sqlalchemy import func, insert, select, text

from surveys import create_app
from surveys.database import write_transaction
from surveys.extensions import db
from surveys.models import Response

from .conftest import config_for
from .factories import make_survey


def _is_sqlite(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def test_sqlite_runs_in_wal_mode_with_busy_timeout(app):
    if not _is_sqlite(app):
        pytest.skip("SQLite settings; this run is on PostgreSQL")
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_write_transaction_rolls_back_everything_on_error(app_ctx):
    survey = make_survey()
    db.session.commit()
    row = {"survey_id": survey.id, "wave_id": survey.waves[0].id, "jurisdiction_id": survey.jurisdictions[0].id,
           "language": "en", "instrument_version": "1", "submitted_on": date.today(), "scores": {}}
    with pytest.raises(RuntimeError), write_transaction(db.session) as session:
        session.execute(insert(Response), [{**row, "id": uuid.uuid4()}])
        raise RuntimeError("fail half-way")
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def _writer(url: str, row: dict, count: int, queue) -> None:
    app = create_app(config_for(url))
    stored = 0
    with app.app_context():
        for _ in range(count):
            with write_transaction(db.session) as session:
                # Read then write inside one transaction: the pattern that loses writes without BEGIN IMMEDIATE.
                session.execute(select(func.count()).select_from(Response)).scalar()
                session.execute(insert(Response), [{**row, "id": uuid.uuid4()}])
            stored += 1
        db.engine.dispose()
    queue.put(stored)


def test_concurrent_processes_lose_no_writes(app, database_url):
    with app.app_context():
        survey = make_survey()
        db.session.commit()
        row = {"survey_id": survey.id, "wave_id": survey.waves[0].id,
               "jurisdiction_id": survey.jurisdictions[0].id, "language": "en", "instrument_version": "1",
               "submitted_on": date.today(), "scores": {}}
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=_writer, args=(database_url, row, 40, queue)) for _ in range(6)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=180)
    assert all(p.exitcode == 0 for p in processes)
    reported = sum(queue.get(timeout=5) for _ in processes)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == reported == 240
