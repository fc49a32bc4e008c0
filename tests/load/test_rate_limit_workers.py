"""The submission rate limit is one limit for the whole service, not one per gunicorn worker.

Every client here is 127.0.0.1, so every submission counts against one key:
with ``SUBMISSION_RATE_LIMIT = "20 per hour"`` exactly 20 of 100 concurrent
submissions may be stored, whichever of the 4 workers serves them. That holds
with Redis storage (one counter shared by the workers); with ``memory://`` each
worker keeps its own counter and lets through up to 20 each, which the second
test shows, so the first one can fail.

Isolation from other runs on the same Redis: each server gets a fresh random
SECRET_KEY, and the limiter key is an HMAC of the address under that key
(``extensions.anonymous_client_key``), so no two runs share a counter.
"""
from __future__ import annotations

import pytest

from .client import StateSigner
from .firing import Stored, fire, template_state
from .harness import REDIS_URL, redis_available, require

pytestmark = pytest.mark.load

LIMIT = 20
SUBMISSIONS = 100
THREADS = 50  # enough in flight to catch a check-then-count race (it let 21-22 of 20 through)


def _fire_against_limit(load_survey, serve, storage: str):
    survey = load_survey()
    server = serve(survey, RATELIMIT_STORAGE_URI=storage, SUBMISSION_RATE_LIMIT=f"{LIMIT} per hour")
    signer = StateSigner(server.secret_key, survey.survey_id, template_state(server.url, survey))
    fired = fire(server.url, survey, signer, SUBMISSIONS, THREADS, walk_every=0)
    print(f"{storage}: {fired.summary()}")
    stored = Stored.read(survey.database_url, survey.survey_id, server.secret_key)
    stored.check_each(fired)  # accepted -> stored once; refused (429) -> not stored
    assert not fired.server_errors(), fired.summary()
    assert {o.status for o in fired.outcomes} <= {303, 429}, fired.summary()
    return fired, stored


def test_limit_of_n_is_n_in_total_across_four_workers_with_redis(load_survey, serve):
    require(redis_available(), f"no Redis at {REDIS_URL} (.ci/run starts one)")
    fired, stored = _fire_against_limit(load_survey, serve, REDIS_URL)
    assert len(fired.accepted) == LIMIT, fired.summary()
    assert stored.responses == LIMIT


def test_memory_storage_would_not_hold_across_workers(load_survey, serve):
    """The contrast: per-process counters let each worker accept its own 20."""
    fired, stored = _fire_against_limit(load_survey, serve, "memory://")
    assert LIMIT < len(fired.accepted) <= 4 * LIMIT, fired.summary()
    assert stored.responses == len(fired.accepted)
