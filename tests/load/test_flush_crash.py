"""A write-out killed, or its database restarted, in the middle of moving a batch: nothing lost, nothing twice.

Issue 11 asks for crash safety "at any point of a flush". The load tests kill a worker or restart
PostgreSQL at 30% of a load, when a flush is probably under way; these tests make sure of it.
A survey's buffer is filled with a few thousand sealed responses, ``flask flush-responses`` moves
them in a subprocess, and the blow lands while the flush's one transaction is open, as seen from
the database side: on SQLite the write lock is held (another ``BEGIN IMMEDIATE`` is refused at
once), on PostgreSQL the flushing backend has written (``pg_stat_activity.backend_xid``).
Afterwards every response is either still in the buffer or written out with all its answers,
none in both places and none half-written, and a second flush finishes the job.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.conftest import ROOT, create_scratch_database, drop_scratch_database, postgres_base_url

from .client import ANSWERS
from .harness import _app_for, postgres_binaries_available, postgres_cluster, prepare_survey, require

pytestmark = pytest.mark.load

BUFFERED = 2500
SECRET = "flush-crash-test-secret-key-0123456789abcdef"


def _fill_buffer(database_url: str, instance: Path) -> tuple[int, int]:
    """Migrate, add a survey and seal ``BUFFERED`` responses into its buffer: (survey id, answer rows each)."""
    import uuid

    from surveys.extensions import db
    from surveys.models import Survey
    from surveys.studies.instrument_store import parsed_instrument
    from surveys.studies.submission import answer_rows, store_response

    survey = prepare_survey(database_url, instance)
    with _app_for(database_url, instance) as app, app.app_context():
        app.config["SECRET_KEY"] = SECRET
        row = db.session.get(Survey, survey.survey_id)
        instrument = parsed_instrument(row.instrument)
        wave, place = row.waves[-1], row.jurisdictions[0]
        assert not instrument.validate_answers(ANSWERS, "en")
        for _ in range(BUFFERED):
            store_response(instrument, row, wave, place, "en", ANSWERS)
        rows_each = len(answer_rows(uuid.uuid4(), instrument, ANSWERS))
    return survey.survey_id, rows_each


def _counts(database_url: str, survey_id: int) -> tuple[int, int, int]:
    """(buffered, written-out responses, their answer rows) for the survey."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            buffered = conn.execute(text("SELECT count(*) FROM response_buffer WHERE survey_id = :s"),
                                    {"s": survey_id}).scalar_one()
            responses = conn.execute(text("SELECT count(*) FROM response WHERE survey_id = :s"),
                                     {"s": survey_id}).scalar_one()
            answers = conn.execute(text("SELECT count(*) FROM answer a JOIN response r ON r.id = a.response_id "
                                        "WHERE r.survey_id = :s"), {"s": survey_id}).scalar_one()
    finally:
        engine.dispose()
    return buffered, responses, answers


def _start_flush(database_url: str, instance: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "TEST_DATABASE"))}
    env.update({"SECRET_KEY": SECRET, "DATABASE_URL": database_url, "INSTANCE_PATH": str(instance),
                "RATELIMIT_STORAGE_URI": "memory://", "PYTHONUNBUFFERED": "1"})
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "flush-responses"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _sqlite_writing(database_url: str) -> Callable[[], bool]:
    path = database_url.removeprefix("sqlite:///")

    def writing() -> bool:
        connection = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:  # "database is locked": the flush holds the write lock
            return True
        finally:
            connection.close()

    return writing


def _postgres_writing(database_url: str) -> Callable[[], bool]:
    def writing() -> bool:
        engine = create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return bool(conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")).scalar_one())
        finally:
            engine.dispose()

    return writing


def _strike_mid_flush(process: subprocess.Popen, writing: Callable[[], bool], blow: Callable[[], None]) -> None:
    """Wait until the flush's transaction has written, then deal the blow; fail if the flush ended first."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"the flush ended before it could be interrupted:\n{output}")
        if writing():
            blow()
            return
        time.sleep(0.005)
    pytest.fail("the flush never started writing")


def _assert_all_or_nothing_then_finish(database_url: str, instance: Path, survey_id: int,
                                       rows_each: int) -> tuple[int, int, int]:
    buffered, responses, answers = _counts(database_url, survey_id)
    assert (buffered, responses) in {(BUFFERED, 0), (0, BUFFERED)}, (buffered, responses)
    assert answers == responses * rows_each
    finished = _start_flush(database_url, instance)
    output, _ = finished.communicate(timeout=300)
    assert finished.returncode == 0, output
    after = _counts(database_url, survey_id)
    assert after[0] == 0 and after[1] == BUFFERED and after[2] == BUFFERED * rows_each, after
    return buffered, responses, answers


@pytest.fixture
def suite_database(tmp_path: Path) -> Iterator[str]:
    """A fresh database on the backend the suite runs on (SQLite file, or a scratch PostgreSQL database)."""
    base = postgres_base_url()
    if base is None:
        yield f"sqlite:///{tmp_path}/flush.db"
        return
    url = create_scratch_database(base)
    try:
        yield url
    finally:
        drop_scratch_database(url)


def test_a_flush_killed_midway_loses_nothing_and_writes_nothing_twice(suite_database: str, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    survey_id, rows_each = _fill_buffer(suite_database, instance)
    writing = (_sqlite_writing if suite_database.startswith("sqlite") else _postgres_writing)(suite_database)
    process = _start_flush(suite_database, instance)
    _strike_mid_flush(process, writing, lambda: process.send_signal(signal.SIGKILL))
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    buffered, responses, _ = _assert_all_or_nothing_then_finish(suite_database, instance, survey_id, rows_each)
    print(f"after SIGKILL mid-flush: {buffered} buffered, {responses} written out; second flush moved the rest")


def test_postgres_restarted_mid_flush_loses_nothing_and_writes_nothing_twice(tmp_path: Path) -> None:
    require(postgres_binaries_available(), "PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    with postgres_cluster() as cluster:
        url = cluster.create_database("cts_flush_restart")
        instance = tmp_path / "instance"
        survey_id, rows_each = _fill_buffer(url, instance)
        process = _start_flush(url, instance)

        def restart() -> None:
            cluster.stop("fast")  # ends the flush's connection mid-transaction
            cluster.start()

        _strike_mid_flush(process, _postgres_writing(url), restart)
        output, _ = process.communicate(timeout=60)
        if process.returncode != 0:  # the usual case: the restart cut the flush's connection
            assert "The database connection was lost during the write-out" in output, output
        assert "Traceback" not in output, output
        buffered, responses, _ = _assert_all_or_nothing_then_finish(url, instance, survey_id, rows_each)
        print(f"after a PostgreSQL restart mid-flush: {buffered} buffered, {responses} written out")
