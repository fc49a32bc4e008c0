"""Admins manage researchers; every account change leaves an audit row; admins read the log."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from surveys.accounts.audit import record
from surveys.extensions import db
from surveys.models import AuditLog, Researcher
from tests.accounts.helpers import add_researcher
from tests.factories import STRONG_PASSWORD, login_as, post_form

NEW_PASSWORD = "initial passphrase for the new colleague"


@pytest.fixture
def admin(app):
    return add_researcher(app, role="admin")


@pytest.fixture
def admin_client(app, admin):
    client = app.test_client()
    login_as(client, admin)
    return client


def _audit(app) -> list[AuditLog]:
    with app.app_context():
        rows = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        db.session.expunge_all()
        return rows


def _researcher(app, email: str) -> Researcher:
    with app.app_context():
        row = db.session.scalar(select(Researcher).where(Researcher.email == email))
        db.session.expunge_all()
        return row


def test_account_lifecycle_is_audited_and_never_logs_secrets(app, admin, admin_client):
    created = post_form(admin_client, "/research/admin/researchers/new",
                        {"email": "New.Colleague@Example.org", "role": "analyst", "password": NEW_PASSWORD})
    assert created.status_code == 302
    colleague = _researcher(app, "new.colleague@example.org")
    assert colleague.organisation_id == admin.organisation_id and colleague.role == "analyst"
    page = f"/research/admin/researchers/{colleague.id}"
    assert post_form(admin_client, page, {"role": "viewer"}).status_code == 302
    assert post_form(admin_client, page, {}, action=f"{page}/disable").status_code == 302
    assert post_form(admin_client, page, {}, action=f"{page}/enable").status_code == 302
    reset = post_form(admin_client, page, {}, action=f"{page}/reset-password")
    assert reset.status_code == 200
    temporary = re.search(r'id="temporary-password"[^>]*value="([^"]+)"', reset.get_data(as_text=True)).group(1)
    assert len(temporary) >= 12

    rows = [row for row in _audit(app) if row.action.startswith("account.")]
    assert [row.action for row in rows] == [
        "account.create", "account.role_change", "account.disable", "account.enable", "account.password_reset",
    ]
    assert all(row.researcher_id == admin.id and row.target == f"researcher:{colleague.id}" for row in rows)
    assert all(row.organisation_id == admin.organisation_id and row.occurred_at is not None for row in rows)
    assert rows[1].parameters == {"from": "analyst", "to": "viewer"}
    dumped = repr([(row.action, row.target, row.parameters) for row in _audit(app)])
    for secret in (NEW_PASSWORD, temporary, STRONG_PASSWORD, "argon2"):
        assert secret not in dumped

    colleague_client = app.test_client()
    old = post_form(colleague_client, "/research/login", {"email": colleague.email, "password": NEW_PASSWORD})
    assert old.status_code == 200 and "Email or password is incorrect." in old.get_data(as_text=True)
    login_as(colleague_client, _researcher(app, colleague.email), password=temporary)


def test_role_change_ends_the_targets_sessions(app, admin, admin_client):
    colleague = add_researcher(app, admin.organisation_id, role="analyst")
    colleague_client = app.test_client()
    login_as(colleague_client, colleague)
    assert colleague_client.get("/research/surveys/new").status_code == 200
    post_form(admin_client, f"/research/admin/researchers/{colleague.id}", {"role": "viewer"})
    assert colleague_client.get("/research/").status_code == 302
    login_as(colleague_client, colleague)
    assert colleague_client.get("/research/surveys/new").status_code == 403


def test_the_last_admin_is_protected(app, admin, admin_client):
    page = f"/research/admin/researchers/{admin.id}"
    demote = post_form(admin_client, page, {"role": "analyst"})
    assert demote.status_code == 400 and "last active admin" in demote.get_data(as_text=True)
    post_form(admin_client, page, {}, action=f"{page}/disable")
    assert _researcher(app, admin.email).active and _researcher(app, admin.email).role == "admin"
    assert "cannot disable your own account" in admin_client.get(page).get_data(as_text=True)


def test_second_admin_can_be_demoted(app, admin, admin_client):
    other = add_researcher(app, admin.organisation_id, role="admin")
    assert post_form(admin_client, f"/research/admin/researchers/{other.id}", {"role": "viewer"}).status_code == 302
    assert _researcher(app, other.email).role == "viewer"


def test_duplicate_email_is_refused(app, admin, admin_client):
    response = post_form(admin_client, "/research/admin/researchers/new",
                         {"email": admin.email.upper(), "role": "viewer", "password": NEW_PASSWORD})
    assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)


def test_researcher_list_shows_only_own_organisation(app, admin, admin_client):
    colleague = add_researcher(app, admin.organisation_id, role="viewer")
    stranger = add_researcher(app, role="viewer")
    page = admin_client.get("/research/admin/researchers").get_data(as_text=True)
    assert colleague.email in page and admin.email in page and stranger.email not in page


def _fill_audit(app, admin, n: int, action: str = "export.csv") -> None:
    with app.app_context():
        actor = db.session.get(Researcher, admin.id)
        for i in range(n):
            record(action, actor=actor, target=f"survey:{i}", parameters={"format": "csv", "i": i})
        db.session.commit()


def test_audit_page_is_paginated_newest_first(app, admin, admin_client):
    _fill_audit(app, admin, 60)
    first = admin_client.get("/research/admin/audit").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "survey:59" in first and "survey:0<" not in first
    second = admin_client.get("/research/admin/audit", query_string={"page": 2}).get_data(as_text=True)
    assert "survey:0<" in second and "survey:59" not in second
    assert admin_client.get("/research/admin/audit", query_string={"page": 99}).status_code == 200
    assert admin_client.get("/research/admin/audit", query_string={"page": "x"}).status_code == 200


def test_audit_filters_by_action_and_researcher(app, admin, admin_client):
    colleague = add_researcher(app, admin.organisation_id, role="analyst")
    _fill_audit(app, admin, 3, "export.csv")
    _fill_audit(app, colleague, 2, "report.html")
    by_action = admin_client.get("/research/admin/audit", query_string={"action": "report.html"})
    text = by_action.get_data(as_text=True)
    assert text.count('(report.html)</span></th>') == 2 and '(export.csv)</span></th>' not in text
    by_person = admin_client.get("/research/admin/audit", query_string={"researcher": colleague.id})
    text = by_person.get_data(as_text=True)
    assert text.count('(report.html)</span></th>') == 2 and '(auth.login)</span></th>' not in text
    assert '<option value="report.html">' in admin_client.get("/research/admin/audit").get_data(as_text=True)


def test_audit_shows_only_own_organisation(app, admin, admin_client):
    stranger = add_researcher(app, role="admin")
    _fill_audit(app, stranger, 1, "export.secret_other_org")
    assert "export.secret_other_org" not in admin_client.get("/research/admin/audit").get_data(as_text=True)


def test_audit_log_is_admin_only(app, admin):
    analyst = add_researcher(app, admin.organisation_id, role="analyst")
    client = app.test_client()
    login_as(client, analyst)
    assert client.get("/research/admin/audit").status_code == 403


def test_audit_log_is_readable(app, admin, admin_client):
    """Human action names, "survey: <title>" for a survey target, parameters as a definition list."""
    from tests.factories import make_survey

    with app.app_context():
        organisation = db.session.get(Researcher, admin.id).organisation
        survey = make_survey(organisation=organisation, title="Riverside <trust> survey")
        db.session.flush()
        record("view.dashboard", actor=db.session.get(Researcher, admin.id), organisation_id=organisation.id,
               target=f"survey:{survey.id}", parameters={"filters": {"waves": [1, 2], "language": None},
                                                          "release": 3})
        db.session.commit()
        target = f"survey:{survey.id}"
    text = admin_client.get("/research/admin/audit").get_data(as_text=True)
    assert "Viewed the dashboard" in text
    assert "survey: Riverside &lt;trust&gt; survey" in text and f">{target}<" not in text
    assert "<dt>filters</dt><dd>waves: 1, 2</dd>" in text and "<dt>release</dt><dd>3</dd>" in text
    assert '{"filters"' not in text and "&#34;filters&#34;" not in text
    assert '<option value="view.dashboard">Viewed the dashboard</option>' in text
