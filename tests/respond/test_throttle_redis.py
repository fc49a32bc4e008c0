"""The submission reservation's one-round-trip Redis path counts exactly like Flask-Limiter's per-limit hits.

``throttle.reserve_submission`` reserves every submission limit in one Lua script when the
limiter counts in Redis with the fixed-window strategy; these tests hold it to the per-limit
semantics (same keys, same counts, stops at the first refusing limit) against a real Redis.
"""
from __future__ import annotations

import uuid

import pytest
import redis

from surveys import create_app
from surveys.extensions import db, limiter
from surveys.respond import throttle
from tests.conftest import config_for


@pytest.fixture()
def redis_app(database_url):
    connection = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379 (.ci/run starts one)")
    prefix = f"cts-test-{uuid.uuid4().hex[:8]}"
    app = create_app(config_for(database_url, RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="2 per minute; 3 per day",
                                RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379", RATELIMIT_KEY_PREFIX=prefix))
    try:
        yield app
    finally:
        for key in connection.scan_iter(f"*{prefix}*"):
            connection.delete(key)
        with app.app_context():
            db.engine.dispose()


def _remaining(app) -> list[int]:
    """What Flask-Limiter's own strategy says is left of each limit (reads the same counters)."""
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "198.51.100.7"}):
        identifiers = throttle._identifiers()
        return [limiter.limiter.get_window_stats(item, *identifiers).remaining for item in throttle._limits()]


def test_one_round_trip_reservation_counts_like_per_limit_hits(redis_app):
    with redis_app.test_request_context("/", environ_base={"REMOTE_ADDR": "198.51.100.7"}):
        assert throttle._reserve_script() is not None, "Redis + fixed window should take the script path"
        assert throttle.submission_allowed()
        assert throttle.reserve_submission() is True
        assert throttle.reserve_submission() is True
    assert _remaining(redis_app) == [0, 1]
    with redis_app.test_request_context("/", environ_base={"REMOTE_ADDR": "198.51.100.7"}):
        assert not throttle.submission_allowed()
        # Refused by the per-minute limit, which stops there: the daily window is not charged.
        assert throttle.reserve_submission() is False
    assert _remaining(redis_app) == [0, 1]
    with redis_app.test_request_context("/", environ_base={"REMOTE_ADDR": "198.51.100.8"}):
        assert throttle.reserve_submission() is True  # another client has its own counters


def test_reservation_keys_expire_with_their_window(redis_app):
    connection = redis.Redis(host="127.0.0.1", port=6379)
    prefix = redis_app.config["RATELIMIT_KEY_PREFIX"]
    with redis_app.test_request_context("/", environ_base={"REMOTE_ADDR": "198.51.100.9"}):
        assert throttle.reserve_submission() is True
    ttls = sorted(connection.ttl(key) for key in connection.scan_iter(f"*{prefix}*"))
    assert len(ttls) == 2
    assert 0 < ttls[0] <= 60 and 3600 < ttls[1] <= 86400
