"""Every variable in the README's configuration table changes what the app does.

The table is parsed from README.md, so a documented variable without a probe
here fails, and so does one that is read nowhere (or read but never used).
Each probe builds an app with ``create_app()`` from the environment, as a
deployment does, once with the variable unset (its documented default) and
once set, and looks at the place the value acts: a cookie flag, a form
default, a refused request, a lock duration, the engine URL...
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from surveys import MissingSecretKey, create_app
from tests.conftest import ROOT, postgres_base_url

BASE_KEY = "b" * 64


def documented_variables() -> list[str]:
    """The backticked names in the first column of README.md's configuration table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names: list[str] = []
    for line in section.splitlines():
        if line.startswith("| `"):
            names += re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])
    return names


def _cookie(app: Flask) -> str:
    return app.test_client().get("/research/login").headers.get("Set-Cookie", "")


def secure_cookie(app: Flask) -> bool:
    return "Secure" in _cookie(app)


def signature(app: Flask) -> str:
    return app.session_interface.get_signing_serializer(app).dumps({"probe": 1})


def engine_url(app: Flask) -> str:
    from surveys.extensions import db

    with app.app_context():
        return db.engine.url.render_as_string(hide_password=False)


def throttle_storage(app: Flask) -> str:
    from surveys.accounts import throttle

    with app.app_context():
        return type(throttle._storage()).__name__


def submission_limits(app: Flask) -> list[str]:
    from surveys.respond import throttle

    with app.app_context():
        return [str(item) for item in throttle._limits()]


def new_survey_defaults(app: Flask) -> tuple:
    from surveys.research.manage.forms import SurveyForm

    with app.test_request_context("/research/surveys/new"):
        form = SurveyForm()
        return form.date_granularity.data, form.min_cell_size.data


def aggregate_cache(app: Flask) -> tuple[float, float]:
    from surveys.publication.cube import cache_seconds, recheck_seconds

    with app.app_context():
        return recheck_seconds(), cache_seconds()


def session_ends(app: Flask) -> tuple[bool, bool]:
    """(ended after 45 idle minutes, ended 9 hours after login while active)."""
    from flask import session

    from surveys.accounts.session import LOGIN_AT, SEEN_AT, session_expired

    now = time.time()
    with app.test_request_context():
        session[LOGIN_AT], session[SEEN_AT] = now - 45 * 60, now - 45 * 60
        idle = session_expired(now)
        session[LOGIN_AT], session[SEEN_AT] = now - 9 * 3600, now - 60
        absolute = session_expired(now)
    return idle, absolute


def login_limit(app: Flask) -> str:
    from surveys.research.auth.routes import login_rate_limit

    with app.app_context():
        return login_rate_limit()


def backoff(app: Flask) -> list[float | None]:
    from surveys.accounts.throttle import backoff_seconds

    with app.app_context():
        return [backoff_seconds(failures) for failures in range(1, 20)]


def failure_window(app: Flask) -> int:
    """How long the failure count of an account lives, as the counter store holds it."""
    from surveys.accounts import throttle

    with app.test_request_context():
        throttle.record_failure("probe@example.org")
        key = f"cts-login-fail/{throttle.account_key('probe@example.org')}"
        return round((throttle._storage().get_expiry(key) - time.time()) / 60)


def oversized_post(app: Flask) -> int:
    return app.test_client().post("/research/login", data={"email": "x" * 2000}).status_code


def client_key(app: Flask) -> str:
    """The rate-limit key of a client behind one proxy that says who the client is (a real request
    through the app's WSGI stack, where ProxyFix sits)."""
    from surveys.extensions import anonymous_client_key

    keys: list[str] = []
    app.before_request(lambda: keys.append(anonymous_client_key()))
    app.test_client().get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    return keys[0]


def forged_host(app: Flask) -> int:
    return app.test_client().get("/healthz", headers={"Host": "forged.example.net"}).status_code


def instance(app: Flask) -> str:
    return app.instance_path


def app_env(app: Flask) -> tuple[bool, bool]:
    return secure_cookie(app), bool(app.config["TESTING"])


def test_database(app: Flask) -> str | None:
    return postgres_base_url()


test_database.__test__ = False  # a probe, not a test

# variable -> (value to set, probe); the probe is compared with the variable unset and set.
PROBES: dict[str, tuple[str, Callable[[Flask], object]]] = {
    "APP_ENV": ("production", app_env),
    "SECRET_KEY": ("k" * 64, signature),
    "DATABASE_URL": ("postgres://probe@db.invalid/civic", engine_url),
    "RATELIMIT_STORAGE_URI": ("redis://127.0.0.1:6379", throttle_storage),
    "SUBMISSION_RATE_LIMIT": ("5 per minute", submission_limits),
    "MIN_CELL_SIZE": ("25", new_survey_defaults),
    "AGGREGATE_RECHECK_SECONDS": ("7", aggregate_cache),
    "AGGREGATE_CACHE_SECONDS": ("70", aggregate_cache),
    "DATE_GRANULARITY": ("week", new_survey_defaults),
    "SESSION_COOKIE_SECURE": ("true", secure_cookie),
    "SESSION_IDLE_MINUTES": ("60", session_ends),
    "SESSION_ABSOLUTE_MINUTES": ("600", session_ends),
    "LOGIN_RATE_LIMIT": ("3 per minute", login_limit),
    "LOGIN_FREE_FAILURES": ("2", backoff),
    "LOGIN_BACKOFF_BASE_SECONDS": ("3", backoff),
    "LOGIN_BACKOFF_MAX_SECONDS": ("20", backoff),
    "LOGIN_FAILURE_WINDOW_SECONDS": ("600", failure_window),
    "MAX_CONTENT_LENGTH": ("1024", oversized_post),
    "PROXY_COUNT": ("1", client_key),
    "TRUSTED_HOSTS": ("survey.example.org", forged_host),
    "INSTANCE_PATH": ("", instance),  # set to a second folder by the test
    "TEST_DATABASE_URL": ("postgresql://probe@db.invalid/test", test_database),
}
NOT_YET: dict[str, str] = {}


def test_every_documented_variable_has_a_probe():
    documented = documented_variables()
    assert len(documented) == len(set(documented)), "a variable is documented twice"
    assert set(documented) == set(PROBES), "README table and probes differ"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Flask]:
    """Build an app from a clean environment (every documented variable unset but a base
    SECRET_KEY and INSTANCE_PATH) plus ``values``; ``without`` unsets those two as well."""

    def build(without: tuple[str, ...] = (), **values: str) -> Flask:
        for name in [*PROBES, "FLASK_RUN_FROM_CLI", "LOGIN_THROTTLE_ENABLED", "RATELIMIT_ENABLED"]:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("SECRET_KEY", BASE_KEY)
        monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
        for name in without:
            monkeypatch.delenv(name)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return create_app()

    return build


def _outcome(probe: Callable[[Flask], object], build: Callable[[], Flask]) -> object:
    try:
        return probe(build())
    except MissingSecretKey:
        return "refused to start"


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, marks=pytest.mark.xfail(reason=NOT_YET[name], strict=True)) if name in NOT_YET else name
     for name in PROBES],
)
def test_documented_variable_changes_behaviour(name: str, environment: Callable[..., Flask], tmp_path: Path):
    value, probe = PROBES[name]
    if name == "INSTANCE_PATH":
        value = str(tmp_path / "elsewhere")
    # SECRET_KEY's documented default is none: unset, the app refuses to start.
    without = ("SECRET_KEY",) if name == "SECRET_KEY" else ()
    before = _outcome(probe, lambda: environment(without=without))
    after = _outcome(probe, lambda: environment(**{name: value}))
    assert before != after, f"{name}={value!r} changes nothing: {before!r}"
