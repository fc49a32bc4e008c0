"""Login, logout, session rotation, timeouts and ending sessions, through the real HTTP client."""
from __future__ import annotations

import re
import statistics
import time

import pytest

from surveys.extensions import db
from surveys.models import AuditLog, Researcher
from tests.accounts.helpers import Account, add_researcher
from tests.factories import STRONG_PASSWORD, csrf_token_from, login_as, post_form

NEW_PASSWORD = "a different long passphrase 7"


def _researcher(app, **kw) -> Account:
    return add_researcher(app, **kw)


def _login_post(client, email: str, password: str):
    return post_form(client, "/research/login", {"email": email, "password": password})


def test_login_page_contract(client):
    page = client.get("/research/login").get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' in page and 'name="csrf_token"' in page


def test_login_then_home(app, client):
    researcher = _researcher(app, role="viewer")
    response = login_as(client, researcher)
    assert response.headers["Location"].endswith("/research/")
    home = client.get("/research/")
    assert home.status_code == 200
    assert researcher.email in home.get_data(as_text=True)


def test_anonymous_home_redirects_to_login(client):
    response = client.get("/research/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/research/login?next=")


def test_login_follows_safe_next_only(app, client):
    researcher = _researcher(app)
    for target, expected in [("/research/account/tokens", "/research/account/tokens"),
                             ("//evil.example/x", "/research/"), ("https://evil.example/", "/research/")]:
        page = client.get("/research/login", query_string={"next": target})
        token = csrf_token_from(page.get_data(as_text=True))
        response = client.post("/research/login", query_string={"next": target},
                               data={"email": researcher.email, "password": STRONG_PASSWORD, "csrf_token": token})
        assert response.headers["Location"] == expected
        post_form(client, "/research/", {}, action="/research/logout")


def test_wrong_user_and_wrong_password_look_the_same(app, client):
    researcher = _researcher(app)
    wrong_password = _login_post(client, researcher.email, "not the password at all")
    wrong_user = _login_post(client, "nobody@example.org", "not the password at all")
    assert wrong_password.status_code == wrong_user.status_code == 200

    def message(response) -> str:
        return re.search(r'role="alert">([^<]*)<', response.get_data(as_text=True)).group(1)

    assert message(wrong_password) == message(wrong_user) == "Email or password is incorrect."


def test_disabled_account_cannot_log_in_and_looks_like_wrong_password(app, client):
    researcher = _researcher(app)
    with app.app_context():
        row = db.session.get(Researcher, researcher.id)
        row.active = False
        db.session.commit()
    response = _login_post(client, researcher.email, STRONG_PASSWORD)
    assert response.status_code == 200
    assert "Email or password is incorrect." in response.get_data(as_text=True)
    assert client.get("/research/").status_code == 302


def test_timing_of_wrong_user_and_wrong_password_is_similar(make_app):
    """Medians of the two failure paths differ by far less than one argon2 verification."""
    app = make_app(WTF_CSRF_ENABLED=False, LOGIN_THROTTLE_ENABLED=False)
    client = app.test_client()
    researcher = _researcher(app)
    known, unknown = [], []
    client.post("/research/login", data={"email": "warm@example.org", "password": "warm-up attempt"})
    for i in range(12):
        for email, bucket in ((researcher.email, known), (f"ghost{i}@example.org", unknown)):
            started = time.perf_counter()
            response = client.post("/research/login", data={"email": email, "password": f"wrong guess {i:04d}"})
            bucket.append(time.perf_counter() - started)
            assert response.status_code == 200
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    # One argon2 verification takes ~100 ms here; without the dummy hash the gap would be about that.
    assert abs(known_median - unknown_median) < 0.3 * max(known_median, unknown_median), (known, unknown)


def test_login_rotates_the_session(app, client):
    researcher = _researcher(app)
    client.get("/research/login")
    with client.session_transaction() as sess:
        sess["planted_by_attacker"] = "x"
        old_csrf = sess.get("csrf_token")
    assert old_csrf
    login_as(client, researcher)
    with client.session_transaction() as sess:
        assert "planted_by_attacker" not in sess
        assert sess.get("csrf_token") != old_csrf
        assert sess["_user_id"] == f"{researcher.id}:{researcher.session_version}"


def test_session_cookie_flags(app, client):
    researcher = _researcher(app)
    response = login_as(client, researcher)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires" not in cookie  # a browser-session cookie; lifetime is enforced server-side


def test_logout_ends_the_session_and_old_cookie_is_refused(app, client):
    researcher = _researcher(app)
    login_as(client, researcher)
    stolen = client.get_cookie("session").value
    response = post_form(client, "/research/", {}, action="/research/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/research/login"
    assert client.get("/research/").status_code == 302
    client.set_cookie("session", stolen)
    assert client.get("/research/").status_code == 302  # replaying the pre-logout cookie does not work


def test_logout_is_post_only(app, client):
    researcher = _researcher(app)
    login_as(client, researcher)
    assert client.get("/research/logout").status_code == 405
    assert client.get("/research/").status_code == 200


def test_logout_needs_csrf(app, client):
    researcher = _researcher(app)
    login_as(client, researcher)
    assert client.post("/research/logout").status_code == 400
    assert client.get("/research/").status_code == 200


@pytest.mark.parametrize("key, minutes, config_key", [
    ("cts_seen_at", 30, "SESSION_IDLE_MINUTES"),
    ("cts_login_at", 8 * 60, "SESSION_ABSOLUTE_MINUTES"),
])
def test_default_timeouts(app, client, key, minutes, config_key):
    assert app.config[config_key] == minutes
    researcher = _researcher(app)
    login_as(client, researcher)
    with client.session_transaction() as sess:
        sess[key] = int(time.time()) - (minutes * 60 - 30)
    assert client.get("/research/").status_code == 200  # just inside the limit
    with client.session_transaction() as sess:
        sess[key] = int(time.time()) - (minutes * 60 + 30)
    response = client.get("/research/")
    assert response.status_code == 302 and "/research/login" in response.headers["Location"]
    assert "Your session has ended" in client.get("/research/login").get_data(as_text=True)


def test_timeouts_are_configurable(make_app):
    app = make_app(SESSION_IDLE_MINUTES=2, SESSION_ABSOLUTE_MINUTES=5)
    client = app.test_client()
    researcher = _researcher(app)
    login_as(client, researcher)
    with client.session_transaction() as sess:
        sess["cts_seen_at"] -= 100
    assert client.get("/research/").status_code == 200
    with client.session_transaction() as sess:
        sess["cts_seen_at"] -= 130
    assert client.get("/research/").status_code == 302
    login_as(client, researcher)
    with client.session_transaction() as sess:
        sess["cts_login_at"] -= 5 * 60 + 1  # active all along, but past the absolute lifetime
    assert client.get("/research/").status_code == 302


def test_activity_extends_idle_clock(app, client):
    researcher = _researcher(app)
    login_as(client, researcher)
    with client.session_transaction() as sess:
        sess["cts_seen_at"] -= 20 * 60
    assert client.get("/research/").status_code == 200
    with client.session_transaction() as sess:
        assert time.time() - sess["cts_seen_at"] < 5


def test_disabling_an_account_ends_its_sessions(app):
    victim = _researcher(app, role="analyst")
    admin = add_researcher(app, victim.organisation_id, role="admin")
    victim_client, admin_client = app.test_client(), app.test_client()
    login_as(victim_client, victim)
    assert victim_client.get("/research/").status_code == 200
    login_as(admin_client, admin)
    page = f"/research/admin/researchers/{victim.id}"
    response = post_form(admin_client, page, {}, action=f"{page}/disable")
    assert response.status_code == 302
    assert victim_client.get("/research/").status_code == 302


def test_change_password_ends_other_sessions_but_keeps_this_one(app):
    researcher = _researcher(app)
    here, elsewhere = app.test_client(), app.test_client()
    login_as(here, researcher)
    login_as(elsewhere, researcher)
    response = post_form(here, "/research/account/password", {
        "current_password": STRONG_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert here.get("/research/").status_code == 200
    assert elsewhere.get("/research/").status_code == 302
    post_form(here, "/research/", {}, action="/research/logout")
    login_as(here, researcher, password=NEW_PASSWORD)
    with app.app_context():
        actions = [row.action for row in db.session.query(AuditLog).filter_by(researcher_id=researcher.id)]
    assert "account.password_change" in actions


@pytest.mark.parametrize("data, message", [
    ({"current_password": "wrong wrong wrong", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
     "current password is not correct"),
    ({"current_password": STRONG_PASSWORD, "new_password": "short pw", "confirm": "short pw"}, "at least 12"),
    ({"current_password": STRONG_PASSWORD, "new_password": "password1234", "confirm": "password1234"},
     "commonly used"),
    ({"current_password": STRONG_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"}, "differ"),
    ({"current_password": STRONG_PASSWORD, "new_password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD},
     "must differ"),
])
def test_change_password_refusals(app, client, data, message):
    researcher = _researcher(app)
    login_as(client, researcher)
    response = post_form(client, "/research/account/password", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Researcher, researcher.id).check_password(STRONG_PASSWORD)


def test_login_records_audit_and_last_login(app, client):
    researcher = _researcher(app)
    login_as(client, researcher)
    with app.app_context():
        row = db.session.get(Researcher, researcher.id)
        assert row.last_login_at is not None
        audit = db.session.query(AuditLog).filter_by(action="auth.login").one()
        assert audit.researcher_id == researcher.id


def test_session_cookie_is_bound_to_the_browser(app, client):
    """Flask-Login's "strong" session protection: the cookie replayed by another user agent is dropped."""
    researcher = _researcher(app)
    login_as(client, researcher)
    stolen = client.get_cookie("session").value
    same_browser, other_browser = app.test_client(), app.test_client()
    same_browser.set_cookie("session", stolen)
    other_browser.set_cookie("session", stolen)
    assert same_browser.get("/research/").status_code == 200  # the copy works from the same browser...
    assert other_browser.get("/research/", headers={"User-Agent": "Mozilla/5.0 (elsewhere)"}).status_code == 302
