"""Rate limits on stored submissions and invite-code guesses, through Flask-Limiter.

Only the events that matter are counted: a final submit (on surveys without
invite codes, where nothing else stops ballot stuffing) and a wrong invite
code (guessing). Moving between pages or switching language is never limited,
so people who share a connection (a family, a library, a community centre)
are not locked out halfway through a survey.

A final submit *reserves* its place before the response is stored
(``reserve_submission``: one atomic increment per limit, in Redis an INCR), so
a limit of N holds exactly under concurrency: a separate check-then-count let
every worker that checked at N-1 store one more (seen under load: 22 stored
for a limit of 20 with 50 concurrent clients across 4 workers). The price is
that a submit which then stores nothing (a repeated double click, a database
outage) still counts.

The key is ``extensions.anonymous_client_key``: a keyed hash of the address
that rotates daily; the address itself is never stored, in Redis or anywhere.
If the counter store is unreachable the submission is let through (a
respondent must not lose their answers to our outage) and a warning without
any client detail is logged.

With Redis and the fixed-window strategy (the production set-up) the
reservation is one round trip for all the limits (``_RESERVE_ALL``, a Lua
script doing in order what ``FixedWindowRateLimiter.hit`` does per limit, on
the very same keys, so ``submission_allowed`` and Flask-Limiter's own view of
them are unchanged). Any other store or strategy takes the per-limit path.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from flask import current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

from ..extensions import anonymous_client_key, limiter

SCOPE = "respond-submission"
log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def _parsed(spec: str) -> tuple[RateLimitItem, ...]:
    """The limit items of one setting, parsed once per process (they are immutable values)."""
    return tuple(parse_many(spec))


# KEYS: the limits' counters in order; ARGV: expiry and amount of each. Like the per-limit path,
# it stops at the first limit that refuses (whose counter has still been incremented, as ``hit``
# does), so a refused submit does not eat into the later (longer) windows.
_RESERVE_ALL = """
for i, key in ipairs(KEYS) do
    local current = redis.call("incrby", key, 1)
    if current == 1 then
        redis.call("expire", key, ARGV[2 * i - 1])
    end
    if current > tonumber(ARGV[2 * i]) then
        return 0
    end
end
return 1
"""
_scripts: dict[int, Any] = {}


def _reserve_script() -> tuple[RedisStorage, Any] | None:
    """The storage and the registered one-round-trip script, when the limiter counts in plain Redis."""
    strategy = limiter.limiter
    if type(strategy) is not FixedWindowRateLimiter or type(strategy.storage) is not RedisStorage:
        return None
    storage = strategy.storage
    script = _scripts.get(id(storage))
    if script is None:
        script = _scripts[id(storage)] = storage.get_connection().register_script(_RESERVE_ALL.encode())
    return storage, script


@limiter.request_filter
def _skip_flask_limiter() -> bool:
    """Flask-Limiter has nothing to check on the questionnaire POST: its limits are applied here.

    ``respond.page`` has no ``@limiter.limit`` and the app sets no default or application limits,
    so Flask-Limiter's before-request hook would only resolve an empty list (about 4% of a
    submission's CPU). If a decorated limit is ever put on that view, remove this filter.
    """
    return request.endpoint == "respond.page"


def _limits() -> tuple[RateLimitItem, ...]:
    return _parsed(current_app.config.get("SUBMISSION_RATE_LIMIT") or "30 per hour; 300 per day")


def _identifiers() -> tuple[str, ...]:
    """(RATELIMIT_KEY_PREFIX, scope, keyed hash of the address): what the counter store sees."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return (prefix, SCOPE, anonymous_client_key()) if prefix else (SCOPE, anonymous_client_key())


def _active() -> bool:
    return bool(limiter.enabled and current_app.config.get("RATELIMIT_ENABLED", True))


def submission_allowed() -> bool:
    """False when this client has used up any of the submission limits."""
    if not _active():
        return True
    identifiers = _identifiers()
    try:
        return all(limiter.limiter.test(item, *identifiers) for item in _limits())
    except Exception:  # noqa: BLE001 - a storage outage must not lose a respondent's answers
        log.warning("Rate-limit storage unavailable; submission allowed without a check.")
        return True


def reserve_submission() -> bool:
    """Count one final submit against this client; False (and store nothing) when over any limit."""
    if not _active():
        return True
    identifiers = _identifiers()
    try:
        fast = _reserve_script()
        if fast is not None:
            storage, script = fast
            items = _limits()
            keys = [storage.prefixed_key(item.key_for(*identifiers)) for item in items]
            args = [value for item in items for value in (item.get_expiry(), item.amount)]
            return bool(int(script(keys, args)))
        # Stops at the first limit that refuses: a refused submit does not eat into the longer windows.
        return all(limiter.limiter.hit(item, *identifiers) for item in _limits())
    except Exception:  # noqa: BLE001 - see submission_allowed
        log.warning("Rate-limit storage unavailable; submission allowed without a check.")
        return True


def count_submission() -> None:
    """Count one stored submission (or one wrong invite code) against this client."""
    if not _active():
        return
    identifiers = _identifiers()
    try:
        for item in _limits():
            limiter.limiter.hit(item, *identifiers)
    except Exception:  # noqa: BLE001 - see submission_allowed
        log.warning("Rate-limit storage unavailable; submission not counted.")
