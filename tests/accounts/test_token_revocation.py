"""Remediating an account ends its API tokens for good; refused logins leave an audit row.

Issue 11: after a password reset an old token still exported rows, and
re-enabling a disabled account revived its tokens. Each remediation here runs
through the service the admin pages call, against a token made through the
real token page and used through the real bearer-token guard.
"""
from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from surveys.accounts import service
from surveys.extensions import db
from surveys.models import ApiToken, AuditLog, Researcher

from .helpers import add_researcher
from .test_tokens import PROBE, _bearer, _create_token, api_app  # noqa: F401 - api_app is a fixture

ATTACKER_ADDRESS = "203.0.113.77"
WRONG_PASSWORD = "not-the-password-Zq81"  # noqa: S105 - a wrong password the audit must not keep


def _reset(actor: Researcher, account: Researcher) -> None:
    service.reset_password(actor, account)


def _demote(actor: Researcher, account: Researcher) -> None:
    service.change_role(actor, account, "analyst")  # the probe still admits analysts: only revocation stops it


def _disable_and_enable(actor: Researcher, account: Researcher) -> None:
    service.set_active(actor, account, False)
    service.set_active(actor, account, True)


REMEDIATIONS: dict[str, Callable[[Researcher, Researcher], None]] = {
    "password_reset": _reset, "role_change": _demote, "disable_then_enable": _disable_and_enable,
}


@pytest.mark.parametrize("name", sorted(REMEDIATIONS))
def test_remediation_revokes_every_token_for_good(api_app, name):  # noqa: F811 - the imported fixture
    admin = add_researcher(api_app, role="admin")
    account = add_researcher(api_app, organisation_id=admin.organisation_id, role="admin")
    tokens = [_create_token(api_app, account, name=f"script {i}") for i in range(2)]
    client = api_app.test_client()
    assert all(client.get(PROBE, headers=_bearer(t)).status_code == 200 for t in tokens)
    with api_app.app_context():
        REMEDIATIONS[name](db.session.get(Researcher, admin.id), db.session.get(Researcher, account.id))
        assert db.session.get(Researcher, account.id).active
        assert all(db.session.scalars(select(ApiToken.revoked).where(ApiToken.researcher_id == account.id)))
    assert [client.get(PROBE, headers=_bearer(t)).status_code for t in tokens] == [401, 401]


def test_own_password_change_revokes_tokens(api_app):  # noqa: F811
    account = add_researcher(api_app, role="analyst")
    token = _create_token(api_app, account)
    with api_app.app_context():
        from tests.factories import STRONG_PASSWORD

        own = db.session.get(Researcher, account.id)
        service.change_own_password(own, STRONG_PASSWORD, "a new Long passphrase 2026")
    assert api_app.test_client().get(PROBE, headers=_bearer(token)).status_code == 401


@pytest.mark.parametrize("known", [True, False])
def test_failed_login_is_audited_without_password_or_address(api_app, known):  # noqa: F811
    account = add_researcher(api_app, role="viewer")
    email = account.email if known else "nobody-here@example.org"
    client = api_app.test_client()
    client.environ_base["REMOTE_ADDR"] = ATTACKER_ADDRESS
    page = client.get("/research/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/research/login", data={"email": email, "password": WRONG_PASSWORD, "csrf_token": token})
    assert response.status_code in (200, 401, 422)
    with api_app.app_context():
        [row] = db.session.scalars(select(AuditLog).where(AuditLog.action == "auth.login_failed"))
        kept = f"{row.target} {row.parameters} {row.researcher_id} {row.organisation_id}"
    assert WRONG_PASSWORD not in kept and ATTACKER_ADDRESS not in kept and "nobody-here" not in kept
    if known:
        assert row.target == f"researcher:{account.id}" and row.organisation_id == account.organisation_id
    else:
        assert row.target == "" and row.organisation_id is None
