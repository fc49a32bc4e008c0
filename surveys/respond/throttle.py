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
"""
from __future__ import annotations

import logging

from flask import current_app
from limits import RateLimitItem, parse_many

from ..extensions import anonymous_client_key, limiter

SCOPE = "respond-submission"
log = logging.getLogger(__name__)


def _limits() -> list[RateLimitItem]:
    return parse_many(current_app.config.get("SUBMISSION_RATE_LIMIT") or "30 per hour; 300 per day")


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
