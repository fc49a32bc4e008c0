"""First-run setup in the browser: organisation + first admin while no researcher exists, then a 404."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.models import AuditLog, Researcher
from tests.accounts.helpers import add_researcher
from tests.factories import STRONG_PASSWORD, csrf_token_from

FORM = {"organisation": "Riverside survey team", "email": "Lead@Example.org", "password": STRONG_PASSWORD,
        "confirm": STRONG_PASSWORD}


def _post(client, data):
    token = csrf_token_from(client.get("/research/setup").get_data(as_text=True))
    return client.post("/research/setup", data={**data, "csrf_token": token})


def test_first_run_creates_the_organisation_and_admin_then_closes(app, client):
    page = client.get("/research/setup")
    assert page.status_code == 200 and "Set up Civic Trust Survey" in page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post("/research/setup", data={**FORM, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/research/login")
    with app.app_context():
        admin = db.session.scalar(select(Researcher))
        assert (admin.email, admin.role, admin.organisation.name) == ("lead@example.org", "admin",
                                                                     "Riverside survey team")
        assert db.session.scalar(select(AuditLog.action)) == "account.create"
    assert client.get("/research/setup").status_code == 404
    again = {**FORM, "email": "second@example.org", "csrf_token": token}
    assert client.post("/research/setup", data=again).status_code == 404
    with app.app_context():
        assert db.session.query(Researcher).count() == 1
    token = csrf_token_from(client.get("/research/login").get_data(as_text=True))
    login = client.post("/research/login", data={"email": "lead@example.org", "password": STRONG_PASSWORD,
                                                 "csrf_token": token})
    assert login.status_code == 302


def test_setup_is_404_once_any_researcher_exists(app, client):
    add_researcher(app, role="viewer")
    assert client.get("/research/setup").status_code == 404


@pytest.mark.parametrize("change", [{"password": "short", "confirm": "short"}, {"confirm": "something else entirely"},
                                    {"email": "not-an-email"}, {"organisation": ""}, {"organisation": "x" * 300},
                                    {"email": "a@b.c" * 100}])
def test_bad_setup_input_is_400_and_creates_nothing(app, client, change):
    response = _post(client, {**FORM, **change})
    assert response.status_code == 400
    assert 'class="errors"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Researcher.id)) is None
    assert client.get("/research/setup").status_code == 200


def test_setup_without_csrf_token_is_refused(app, client):
    assert client.post("/research/setup", data=FORM).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Researcher.id)) is None
