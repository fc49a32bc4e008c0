"""API tokens: shown once, stored as SHA-256 only, expiring, revocable; ``api_auth_required``."""
from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import jsonify

from surveys.accounts.access import api_auth_required, current_researcher, survey_for_current_user
from surveys.extensions import db
from surveys.models import ApiToken, AuditLog, Researcher
from tests.accounts.helpers import add_researcher
from tests.factories import login_as, make_survey, post_form

PROBE = "/api/v1/_probe/whoami"
PROBE_SURVEY = "/api/v1/_probe/surveys/<slug>"


@pytest.fixture
def api_app(make_app):
    """An app with two probe endpoints guarded by ``api_auth_required`` (added before any request)."""
    app = make_app()

    @api_auth_required("admin", "analyst")
    def whoami():
        me = current_researcher()
        return jsonify(email=me.email, role=me.role)

    @api_auth_required()
    def survey_probe(slug: str):
        return jsonify(slug=survey_for_current_user(slug).slug)

    app.add_url_rule(PROBE, "api.probe_whoami", whoami)
    app.add_url_rule(PROBE_SURVEY, "api.probe_survey", survey_probe)
    return app


def _create_token(app, account, name: str = "script", days: int = 30) -> str:
    client = app.test_client()
    login_as(client, account)
    response = post_form(client, "/research/account/tokens", {"name": name, "lifetime_days": days})
    assert response.status_code == 200
    match = re.search(r'value="(cts_[A-Za-z0-9_-]+)"', response.get_data(as_text=True))
    assert match
    return match.group(1)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_token_is_shown_once_and_only_its_hash_is_stored(api_app):
    account = add_researcher(api_app, role="analyst")
    token = _create_token(api_app, account)
    with api_app.app_context():
        row = db.session.query(ApiToken).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in repr([(c, getattr(row, c.key)) for c in ApiToken.__table__.columns])
        audit = db.session.query(AuditLog).filter_by(action="api_token.create").one()
        assert token not in str(audit.parameters)
    client = api_app.test_client()
    login_as(client, account)
    assert token not in client.get("/research/account/tokens").get_data(as_text=True)


def test_valid_token_authenticates_without_a_session(api_app):
    account = add_researcher(api_app, role="analyst")
    token = _create_token(api_app, account)
    response = api_app.test_client().get(PROBE, headers=_bearer(token))
    assert response.status_code == 200
    assert response.get_json() == {"email": account.email, "role": "analyst"}
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer cts_not-a-real-token", "Basic dXNlcjpwYXNz", "Token x"])
def test_missing_or_bad_token_is_401_json(api_app, header):
    headers = {"Authorization": header} if header else {}
    response = api_app.test_client().get(PROBE, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"]["status"] == 401


def test_session_cookie_does_not_authenticate_the_api(api_app):
    account = add_researcher(api_app, role="admin")
    client = api_app.test_client()
    login_as(client, account)
    assert client.get("/research/").status_code == 200
    assert client.get(PROBE).status_code == 401


def test_wrong_role_is_403(api_app):
    viewer = add_researcher(api_app, role="viewer")
    token = _create_token(api_app, viewer)
    response = api_app.test_client().get(PROBE, headers=_bearer(token))
    assert response.status_code == 403
    assert response.get_json()["error"]["status"] == 403


@pytest.mark.parametrize("change", ["expired", "revoked", "owner_disabled"])
def test_unusable_tokens_are_refused(api_app, change):
    account = add_researcher(api_app, role="admin")
    token = _create_token(api_app, account)
    client = api_app.test_client()
    assert client.get(PROBE, headers=_bearer(token)).status_code == 200
    with api_app.app_context():
        row = db.session.query(ApiToken).one()
        if change == "expired":
            row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        elif change == "revoked":
            row.revoked = True
        else:
            db.session.get(Researcher, account.id).active = False
        db.session.commit()
    assert client.get(PROBE, headers=_bearer(token)).status_code == 401


def test_token_sees_only_its_organisations_surveys(api_app):
    account = add_researcher(api_app, role="viewer")
    with api_app.app_context():
        own = make_survey(organisation=db.session.get(Researcher, account.id).organisation).slug
        other = make_survey().slug
        db.session.commit()
    token = _create_token(api_app, account)
    client = api_app.test_client()
    assert client.get(PROBE_SURVEY.replace("<slug>", own), headers=_bearer(token)).get_json() == {"slug": own}
    hidden = client.get(PROBE_SURVEY.replace("<slug>", other), headers=_bearer(token))
    missing = client.get(PROBE_SURVEY.replace("<slug>", "no-such-survey"), headers=_bearer(token))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()


def test_revoke_own_token_in_the_ui(api_app):
    account = add_researcher(api_app, role="analyst")
    token = _create_token(api_app, account)
    client = api_app.test_client()
    login_as(client, account)
    with api_app.app_context():
        token_id = db.session.query(ApiToken.id).scalar()
    response = post_form(client, "/research/account/tokens", {}, action=f"/research/account/tokens/{token_id}/revoke")
    assert response.status_code == 302
    assert api_app.test_client().get(PROBE, headers=_bearer(token)).status_code == 401
    with api_app.app_context():
        assert db.session.query(AuditLog).filter_by(action="api_token.revoke").count() == 1


def test_cannot_revoke_someone_elses_token(api_app):
    owner = add_researcher(api_app, role="analyst")
    colleague = add_researcher(api_app, owner.organisation_id, role="analyst")
    outsider_admin = add_researcher(api_app, role="admin")
    token = _create_token(api_app, owner)
    with api_app.app_context():
        token_id = db.session.query(ApiToken.id).scalar()
    for account, action in ((colleague, f"/research/account/tokens/{token_id}/revoke"),
                            (outsider_admin, f"/research/admin/tokens/{token_id}/revoke")):
        client = api_app.test_client()
        login_as(client, account)
        response = post_form(client, "/research/account/tokens", {}, action=action)
        assert response.status_code == 404
    assert api_app.test_client().get(PROBE, headers=_bearer(token)).status_code == 200


def test_admin_revokes_a_token_of_their_organisation(api_app):
    owner = add_researcher(api_app, role="analyst")
    admin = add_researcher(api_app, owner.organisation_id, role="admin")
    token = _create_token(api_app, owner, name="nightly export")
    with api_app.app_context():
        token_id = db.session.query(ApiToken.id).scalar()
    client = api_app.test_client()
    login_as(client, admin)
    listing = client.get("/research/admin/tokens").get_data(as_text=True)
    assert "nightly export" in listing and owner.email in listing and token not in listing
    post_form(client, "/research/admin/tokens", {}, action=f"/research/admin/tokens/{token_id}/revoke")
    assert api_app.test_client().get(PROBE, headers=_bearer(token)).status_code == 401


@pytest.mark.parametrize("data", [{"name": "", "lifetime_days": 30}, {"name": "x", "lifetime_days": 0},
                                  {"name": "x", "lifetime_days": 367}])
def test_token_form_validation(api_app, data):
    account = add_researcher(api_app)
    client = api_app.test_client()
    login_as(client, account)
    assert post_form(client, "/research/account/tokens", data).status_code == 400
    with api_app.app_context():
        assert db.session.query(ApiToken).count() == 0
