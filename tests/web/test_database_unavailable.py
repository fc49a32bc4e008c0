"""A database that does not answer gives a clean 503 with Retry-After, never a 500 or a traceback.

The load test ``tests/load/test_postgres_restart.py`` shows it under a real
PostgreSQL restart; here the database is simply unreachable (a PostgreSQL port
nobody listens on, or a SQLite file in a folder that does not exist).
"""
from __future__ import annotations

import logging

import pytest

from surveys import create_app
from tests.conftest import config_for

UNREACHABLE = {
    "postgresql": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
    "sqlite": "sqlite:////nonexistent-folder/for/sure/civic.db",
}


@pytest.fixture(params=sorted(UNREACHABLE))
def offline_client(request, tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app(config_for(UNREACHABLE[request.param]))
    return app.test_client()


@pytest.mark.parametrize("path", ["/s/some-survey", "/s/some-survey/thanks", "/s/some-survey/page"])
def test_pages_answer_503_when_the_database_is_away(offline_client, path, caplog):
    with caplog.at_level(logging.WARNING):
        response = offline_client.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:500]
    assert response.headers["Retry-After"] == "10"
    assert "try again in a minute" in body and "Traceback" not in body
    # The log names the error class only, never the driver's message (it can quote SQL parameters).
    assert any("Database unavailable" in r.getMessage() for r in caplog.records)
    assert not any(r.exc_info for r in caplog.records)


@pytest.mark.parametrize(
    ("language", "title"),
    [("es", "Servicio no disponible por un momento"), ("ar", "الخدمة غير متاحة مؤقتًا")],
)
def test_respondent_503_is_in_the_respondents_language(offline_client, language, title):
    response = offline_client.get(f"/s/some-survey?lang={language}")
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert title in body and f'lang="{language}"' in body
    assert ('dir="rtl"' in body) is (language == "ar")


def test_posted_survey_page_answers_503_not_500(offline_client):
    response = offline_client.post("/s/some-survey/page", data={"state": "x", "q_comments": "secret answer"})
    # CSRF is checked first (no database needed): a 400; with it off the database is reached: a 503.
    assert response.status_code in (400, 503)


def test_api_answers_json_503(offline_client):
    response = offline_client.get("/api/v1/surveys", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 503
    assert response.get_json()["error"]["status"] == 503


def test_connection_lost_after_the_view_does_not_turn_the_page_into_a_500(app):
    """PostgreSQL closes the request's connection after the view ran (a restart): the page still stands."""
    from sqlalchemy import text

    from surveys.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL (pg_terminate_backend); the suite's PostgreSQL run covers it")

    def view() -> str:
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()  # opens a transaction
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()
        return "finished"

    app.add_url_rule("/_test/connection-lost", "connection_lost", view)
    response = app.test_client().get("/_test/connection-lost")
    assert response.status_code == 200 and response.get_data(as_text=True) == "finished"
    assert app.test_client().get("/healthz").status_code == 200  # the pool replaced the dead connection
