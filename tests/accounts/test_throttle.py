"""Login throttling: a per-client limit, and a per-account backoff that always expires."""
from __future__ import annotations

import os
import time
import uuid

import pytest

from tests.accounts.helpers import add_researcher
from tests.factories import STRONG_PASSWORD

FAST_BACKOFF = {
    "WTF_CSRF_ENABLED": False,
    "LOGIN_FREE_FAILURES": 3,
    "LOGIN_BACKOFF_BASE_SECONDS": 1,
    "LOGIN_BACKOFF_MAX_SECONDS": 2,
}


def _attempt(client, email: str, password: str):
    return client.post("/research/login", data={"email": email, "password": password})


@pytest.mark.parametrize("known", [True, False], ids=["known-email", "unknown-email"])
def test_backoff_after_free_failures_is_the_same_for_known_and_unknown_emails(make_app, known):
    app = make_app(**FAST_BACKOFF)
    client = app.test_client()
    email = add_researcher(app).email if known else f"{uuid.uuid4().hex[:8]}@example.org"
    for _ in range(3):
        assert _attempt(client, email, "wrong password guess").status_code == 200
    assert _attempt(client, email, "wrong password guess").status_code == 200  # 4th failure starts a 1 s wait
    locked = _attempt(client, email, "wrong password guess")
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "1"
    assert "Too many failed attempts for this account" in locked.get_data(as_text=True)


def test_correct_password_is_refused_while_locked_and_accepted_after(make_app):
    app = make_app(**FAST_BACKOFF)
    client = app.test_client()
    account = add_researcher(app)
    for _ in range(4):
        _attempt(client, account.email, "wrong password guess")
    assert _attempt(client, account.email, STRONG_PASSWORD).status_code == 429
    time.sleep(1.2)
    assert _attempt(client, account.email, STRONG_PASSWORD).status_code == 302


def test_backoff_grows_but_is_capped(make_app):
    app = make_app(**FAST_BACKOFF)
    client = app.test_client()
    email = "target@example.org"
    waits = []
    for _ in range(4):
        _attempt(client, email, "wrong password guess")
    for _ in range(3):
        locked = _attempt(client, email, "wrong password guess")
        assert locked.status_code == 429
        wait = int(locked.headers["Retry-After"])
        waits.append(wait)
        time.sleep(wait + 0.1)
        assert _attempt(client, email, "wrong password guess").status_code == 200
    assert waits[0] == 1 and max(waits) == 2  # 1 s, then 2 s, never beyond the 2 s cap


def test_success_clears_the_failure_count(make_app):
    app = make_app(**FAST_BACKOFF)
    client = app.test_client()
    account = add_researcher(app)
    for _ in range(3):
        _attempt(client, account.email, "wrong password guess")
    assert _attempt(client, account.email, STRONG_PASSWORD).status_code == 302
    client.delete_cookie("session")
    for _ in range(3):
        assert _attempt(client, account.email, "wrong password guess").status_code == 200


def test_other_accounts_are_not_affected(make_app):
    app = make_app(**FAST_BACKOFF)
    client = app.test_client()
    account = add_researcher(app)
    for _ in range(5):
        _attempt(client, "attacked@example.org", "wrong password guess")
    assert _attempt(client, account.email, STRONG_PASSWORD).status_code == 302


def test_per_client_limit(make_app):
    app = make_app(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    for i in range(3):
        assert _attempt(client, f"user{i}@example.org", "wrong password guess").status_code == 200
    limited = _attempt(client, "user9@example.org", "wrong password guess")
    assert limited.status_code == 429
    assert client.get("/research/login").status_code == 200  # only POSTs count


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:  # noqa: BLE001 - any failure means: no Redis here
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis at TEST_REDIS_URL (CI starts one)")
def test_backoff_is_shared_through_redis(make_app):
    """Two app instances (think: two gunicorn workers) see the same per-account count in Redis."""
    settings = {**FAST_BACKOFF, "RATELIMIT_STORAGE_URI": REDIS_URL, "LOGIN_BACKOFF_MAX_SECONDS": 5}
    worker_a, worker_b = make_app(**settings), make_app(**settings)
    email = f"{uuid.uuid4().hex}@example.org"
    for worker in (worker_a, worker_b, worker_a, worker_b):
        assert _attempt(worker.test_client(), email, "wrong password guess").status_code == 200
    assert _attempt(worker_b.test_client(), email, "wrong password guess").status_code == 429


def test_throttle_fails_open_when_the_store_is_down(make_app):
    app = make_app(**FAST_BACKOFF, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    account = add_researcher(app)
    client = app.test_client()
    for _ in range(6):
        assert _attempt(client, account.email, "wrong password guess").status_code == 200
    assert _attempt(client, account.email, STRONG_PASSWORD).status_code == 302
