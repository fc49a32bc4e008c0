"""Each anonymity promise of the survey pages, checked where it could break.

No IP address, user agent, referrer or time of day in any table or log line;
random response ids whose order is not the order of submission; the date kept
coarse; headers that keep pages same-origin; cookies that do not outlive the
browser session.
"""
from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import DateTime, Time
from werkzeug.http import parse_cookie

from surveys.extensions import db
from surveys.models import Answer, InviteCode, Response, SubmissionToken
from surveys.respond.carry import COOKIE_NAME as STATE_COOKIE
from surveys.respond.csrf import COOKIE_NAME as FORM_COOKIE
from surveys.web.security import CONTENT_SECURITY_POLICY
from tests.browser.live_server import LiveServer
from tests.conftest import config_for

from .helpers import SurveyWalker, add_invite_codes, make_default_survey
from .http_walker import HttpWalker

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ADDRESS = "198.51.100.23"
USER_AGENT = "Mozilla/5.0 (Linux; Android 14; SM-A546B) DistinctiveAgent/9.9"
REFERRER = "https://news.example.net/article?id=4471"
INVITE = "QZ7W-M4KT"
SECRET_TEXT = "Secret answer text 5512"
BROWSER_HEADERS = {"User-Agent": USER_AGENT, "Referer": REFERRER, "X-Forwarded-For": CLIENT_ADDRESS,
                   "X-Real-IP": CLIENT_ADDRESS, "Accept-Language": "es-MX,es;q=0.9"}
TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b")
DAY_AND_MONTH = re.compile(r"\d{1,2}/[A-Z][a-z]{2}/\d{4}|\[\d")


def _identifying_strings() -> tuple[str, ...]:
    return (CLIENT_ADDRESS, "DistinctiveAgent", "news.example.net", "SM-A546B", INVITE, INVITE.replace("-", ""))


def _submit_with_browser_headers(client, survey) -> SurveyWalker:
    client.environ_base.update({"REMOTE_ADDR": CLIENT_ADDRESS, "HTTP_USER_AGENT": USER_AGENT,
                                "HTTP_REFERER": REFERRER, "HTTP_X_FORWARDED_FOR": CLIENT_ADDRESS})
    walker = SurveyWalker(client, survey, "es")
    walker.start(invite_code=INVITE, query=f"&code={INVITE}")
    response = walker.answer_all({"trust_overall": 4, "comments": SECRET_TEXT, "born_abroad": 2})
    assert response.status_code == 303
    return walker


def test_no_table_holds_address_agent_referrer_code_or_time_of_day(app, client, database):
    survey = make_default_survey(app, uses_invite_codes=True)
    add_invite_codes(app, survey, INVITE)
    _submit_with_browser_headers(client, survey)
    with app.app_context():
        tables = db.metadata.sorted_tables
    for table in tables:
        for row in database.rows(table):
            for column, value in row.items():
                text = str(value)
                for needle in _identifying_strings():
                    assert needle not in text, f"{table.name}.{column} holds {needle!r}"
    # The tables a submission writes have no datetime column at all: dates only, coarse.
    for model in (Response, Answer, SubmissionToken, InviteCode):
        for column in model.__table__.columns:
            assert not isinstance(column.type, (DateTime, Time)), f"{model.__tablename__}.{column.name}"
            assert not re.search(r"ip|addr|agent|referr?er|created|time|ts$", column.name), column.name
    [response] = database.rows(Response)
    assert response["submitted_on"] == date.today() and isinstance(response["submitted_on"], date)
    [code] = database.rows(InviteCode)
    assert code["used"] is True and set(code) == {"id", "survey_id", "code_hash", "used", "batch"}
    assert INVITE not in code["code_hash"]


def test_submission_leaves_nothing_identifying_in_the_app_log(app, client, caplog):
    survey = make_default_survey(app, uses_invite_codes=True)
    add_invite_codes(app, survey, INVITE)
    caplog.set_level(logging.DEBUG)
    _submit_with_browser_headers(client, survey)
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    for needle in (*_identifying_strings(), SECRET_TEXT):
        assert needle not in logged


def test_development_server_log_lines_keep_only_method_path_and_status(app, survey, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    with LiveServer(app) as server:
        walker = HttpWalker(server.url, survey.slug, "es", headers=BROWSER_HEADERS)
        assert walker.complete({"trust_overall": 8}, query=f"&j=J01&code={INVITE}") == 303
        for _ in range(50):  # the server thread logs a request just after answering it
            if sum(1 for r in caplog.records if r.name == "werkzeug" and " 303 " in r.getMessage()):
                break
            time.sleep(0.05)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    requests = [line for line in lines if line.startswith('"')]
    assert len(requests) >= 9, "\n".join(lines)  # start page, begin, seven pages
    for line in requests:
        assert re.fullmatch(r'"(GET|POST) /[^ ?"]*" \d{3} (\d+|-)', line), line
        assert not TIME_OF_DAY.search(line) and not DAY_AND_MONTH.search(line), line
    for needle in (*_identifying_strings(), "127.0.0.1"):
        assert needle not in "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_access_log_of_a_real_submission(database_url, tmp_path):
    """Run gunicorn with the shipped gunicorn.conf.py and read the access log of a whole submission."""
    from surveys import create_app

    seed_app = create_app(config_for(database_url))
    survey = make_default_survey(seed_app)
    port = _free_port()
    access_log = tmp_path / "access.log"
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": uuid.uuid4().hex, "WEB_CONCURRENCY": "1",
           "BIND": f"127.0.0.1:{port}", "INSTANCE_PATH": str(tmp_path / "instance"), "RATELIMIT_ENABLED": "false"}
    gunicorn = subprocess.Popen(  # noqa: S603 - our own server, on loopback
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--access-logfile", str(access_log),
         "app:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        walker = HttpWalker(base, survey.slug, "en", headers=BROWSER_HEADERS)
        assert walker.complete({"trust_overall": 2, "comments": SECRET_TEXT}, query=f"&code={INVITE}") == 303
    finally:
        gunicorn.terminate()
        gunicorn.wait(20)
        gunicorn.stderr.close()
        from tests.conftest import empty_all_tables

        empty_all_tables(seed_app)
    lines = access_log.read_text().splitlines()
    assert len(lines) >= 9
    for line in lines:
        assert re.fullmatch(r'"(GET|POST) /[^ ?"]*" \d{3} (\d+|-) \d+ms', line), line
        assert not TIME_OF_DAY.search(line), line
    for needle in (*_identifying_strings(), "127.0.0.1", SECRET_TEXT, "lang="):
        assert needle not in access_log.read_text()


def test_response_ids_are_random_and_their_order_is_not_submission_order(client, survey, database):
    inserted = []
    for _ in range(12):
        walker = SurveyWalker(client, survey, "en")
        walker.start()
        walker.answer_all({})
        known = {row["id"] for row in database.rows(Response)}
        inserted.extend(sorted(known - set(inserted)))
    assert len(inserted) == 12
    assert all(isinstance(i, uuid.UUID) and i.version == 4 for i in inserted)
    assert sorted(inserted) != inserted  # ordering by id (as exports do) does not replay who answered when
    assert sorted(inserted) != inserted[::-1]


RESPONDENT_PAGES = ("start", "page", "thanks", "closed", "error")


def _respondent_responses(app, client, survey):
    walker = SurveyWalker(client, survey, "en")
    yield "start", client.get(f"/s/{survey.slug}")
    yield "page", walker.start()
    yield "thanks", client.get(f"/s/{survey.slug}/thanks")
    yield "error", client.get("/s/no-such-survey")
    closed = make_default_survey(app, today=date(2001, 1, 1))
    yield "closed", client.get(f"/s/{closed.slug}")


def test_security_headers_on_every_respondent_page(app, client, survey):
    seen = set()
    for name, response in _respondent_responses(app, client, survey):
        seen.add(name)
        headers = response.headers
        directives = {d.strip() for d in headers["Content-Security-Policy"].split(";")}
        assert directives == {
            "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
            "font-src 'self'", "connect-src 'self'", "form-action 'self'", "object-src 'none'",
            "base-uri 'none'", "frame-ancestors 'none'"}, name
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in headers  # plain http: no HSTS
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", html), name  # no inline script
        assert " style=" not in html and "<style" not in html, name
        assert not re.search(r'(src|href|action)="(https?:)?//', html), name  # nothing from another origin
    assert seen == set(RESPONDENT_PAGES)


def test_hsts_over_https(client, survey):
    response = client.get(f"/s/{survey.slug}", base_url="https://survey.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def _set_cookies(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def test_only_a_browser_session_cookie_httponly_samesite_lax(app, client, survey):
    cookies = []
    for _, response in _respondent_responses(app, client, survey):
        cookies += _set_cookies(response)
    walker = SurveyWalker(client, survey, "en")
    walker.start()
    walker.answer_all({})
    for response in walker.history:
        cookies += _set_cookies(response)
    assert cookies, "the CSRF token needs the form cookie"
    state_cookies = [h for h in cookies if h.startswith(f"{STATE_COOKIE}=")]
    assert state_cookies and all(f"Path=/s/{survey.slug};" in h for h in state_cookies)  # this survey only
    assert state_cookies[-1].startswith(f"{STATE_COOKIE}=;")  # emptied by the final submit
    for header in cookies:
        name = header.split("=", 1)[0]
        attributes = {a.strip().split("=")[0].lower() for a in header.split(";")[1:]}
        # never Flask's session cookie (it carries a signed timestamp); the sealed state has none in clear
        assert name in (FORM_COOKIE, STATE_COOKIE), header
        assert "httponly" in attributes and "samesite" in attributes and "SameSite=Lax" in header, header
        assert "expires" not in attributes and "max-age" not in attributes, header  # gone with the browser
        assert "secure" not in attributes  # plain http here; see the next test


def test_session_cookie_is_secure_when_configured_for_https(database_url, tmp_path):
    from surveys import create_app
    from tests.conftest import empty_all_tables

    app = create_app(config_for(database_url, SESSION_COOKIE_SECURE=True))
    try:
        survey = make_default_survey(app)
        response = app.test_client().get(f"/s/{survey.slug}", base_url="https://survey.example.org")
        [header] = _set_cookies(response)
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
        assert "Expires" not in header and "Max-Age" not in header
        assert FORM_COOKIE in parse_cookie(header)
    finally:
        empty_all_tables(app)


def test_free_text_items_warn_against_names_and_addresses(client, survey):
    walker = SurveyWalker(client, survey, "ar")
    walker.start()
    for _ in range(5):
        walker.post_page({})
    assert 'name="q_comments"' in walker.html
    warning = re.search(r'<p class="warning" id="warn-comments">([^<]+)</p>', walker.html)
    assert warning and "أسماء" in warning[1]  # "names"
    textarea = re.search(r"<textarea[^>]*>", walker.html, re.S)[0]
    assert "warn-comments" in textarea and 'autocomplete="off"' in textarea and 'spellcheck="false"' in textarea


@pytest.mark.parametrize("granularity", ["day", "week"])
def test_stored_date_is_coarsened(app, client, database, granularity):
    survey = make_default_survey(app, date_granularity=granularity)
    SurveyWalker(client, survey).start()
    walker = SurveyWalker(client, survey)
    walker.start()
    walker.answer_all({})
    [row] = database.rows(Response)
    today = date.today()
    expected = today if granularity == "day" else date.fromordinal(today.toordinal() - today.weekday())
    assert row["submitted_on"] == expected


def test_error_pages_set_no_cookie_either(client, survey):
    client.get(f"/s/{survey.slug}")  # a session with a CSRF token exists
    response = client.post(f"/s/{survey.slug}", data={"lang": "es"})  # no CSRF token: the error page
    assert response.status_code == 400
    assert all(h.startswith("session=") for h in _set_cookies(response))
