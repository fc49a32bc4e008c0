"""A database error logged on a 500 never carries the statement's values (a respondent's answers).

Found while reading the server logs of the fault tests (tests/load): SQLAlchemy
puts ``[parameters: (...)]`` into an error's message, and ``errors.py`` logs an
unexpected error with its traceback. ``hide_parameters`` keeps the values out.
"""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from surveys.extensions import db

SECRET = "the police took my cousin"  # what a free-text answer could say


def _failing_insert() -> None:
    db.session.execute(
        text("INSERT INTO answer (response_id, item_id, position, text) VALUES (:r, 'comments', 0, :t)"),
        {"r": "00000000000000000000000000000000", "t": SECRET},
    )
    db.session.flush()


def test_database_errors_do_not_quote_values(app_ctx):
    with pytest.raises(IntegrityError) as caught:
        _failing_insert()
    db.session.rollback()
    assert SECRET not in str(caught.value)
    assert "parameters hidden" in str(caught.value)


def test_a_500_logs_no_answer(app, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # serve the 500 page as in production

    def view() -> str:
        _failing_insert()
        return "unreachable"

    app.add_url_rule("/_test/failing-insert", "failing_insert", view)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/_test/failing-insert")
    assert response.status_code == 500
    logged = "\n".join(record.getMessage() + (caplog.text or "") for record in caplog.records)
    assert "Unhandled error" in logged
    assert SECRET not in logged and SECRET not in response.get_data(as_text=True)
