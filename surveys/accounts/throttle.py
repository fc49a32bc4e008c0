"""Per-account login throttling: exponential backoff that always expires.

Why not a lockout after N failures: then anyone who knows a colleague's email
can lock them out at will. Instead each account (keyed by an HMAC of the
typed email, so unknown emails behave exactly like known ones and the store
never holds an address) gets ``LOGIN_FREE_FAILURES`` failed attempts; after
that every further failure forbids attempts for ``base * 2**k`` seconds,
capped at ``LOGIN_BACKOFF_MAX_SECONDS`` (default 5 minutes). The failure
count itself expires ``LOGIN_FAILURE_WINDOW_SECONDS`` after the first failure.
So an attacker gets roughly 25 guesses an hour per account, and the owner
waits at most a few minutes. A successful login clears the count.

Counters live in the same store as Flask-Limiter's (``RATELIMIT_STORAGE_URI``:
memory for one process, Redis for several workers). If the store is down the
check fails open (the per-client limit and the password hash still stand) and
the problem is logged.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import time

from flask import current_app
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string

EXTENSION_KEY = "cts_login_throttle"


def _storage() -> Storage:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    storage = app.extensions.get(EXTENSION_KEY)
    if storage is None:
        storage = storage_from_string(app.config.get("RATELIMIT_STORAGE_URI") or "memory://", wrap_exceptions=True)
        app.extensions[EXTENSION_KEY] = storage
    return storage


def _enabled() -> bool:
    return bool(current_app.config.get("LOGIN_THROTTLE_ENABLED", True))


def account_key(email: str) -> str:
    """A stable, non-reversible key for whatever was typed into the email field."""
    secret = str(current_app.config.get("SECRET_KEY") or "").encode()
    digest = hmac.new(secret, b"login|" + email.strip().lower().encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def seconds_locked(email: str) -> int:
    """How long attempts for this account are still refused (0: go ahead)."""
    if not _enabled():
        return 0
    lock = f"cts-login-lock/{account_key(email)}"
    try:
        if _storage().get(lock) <= 0:
            return 0
        return max(1, math.ceil(_storage().get_expiry(lock) - time.time()))
    except StorageError:
        current_app.logger.warning("login throttle store unavailable; not throttling")
        return 0


def backoff_seconds(failures: int) -> float | None:
    """How long the ``failures``-th failed attempt locks the account (None within the free failures)."""
    config = current_app.config
    free = int(config.get("LOGIN_FREE_FAILURES", 5))
    base = float(config.get("LOGIN_BACKOFF_BASE_SECONDS", 1))
    cap = float(config.get("LOGIN_BACKOFF_MAX_SECONDS", 300))
    return min(cap, base * 2 ** (failures - free - 1)) if failures > free else None


def failure_window_seconds() -> int:
    """How long a failure count lives after the first failure (``LOGIN_FAILURE_WINDOW_SECONDS``)."""
    return int(current_app.config.get("LOGIN_FAILURE_WINDOW_SECONDS", 3600))


def record_failure(email: str) -> None:
    """Count a failed attempt; from the threshold on, start an expiring backoff."""
    if not _enabled():
        return
    key = account_key(email)
    try:
        failures = _storage().incr(f"cts-login-fail/{key}", failure_window_seconds())
        delay = backoff_seconds(failures)
        if delay is not None:
            _storage().incr(f"cts-login-lock/{key}", max(1, math.ceil(delay)))
    except StorageError:
        current_app.logger.warning("login throttle store unavailable; failure not counted")


def record_success(email: str) -> None:
    if not _enabled():
        return
    key = account_key(email)
    try:
        _storage().clear(f"cts-login-fail/{key}")
        _storage().clear(f"cts-login-lock/{key}")
    except StorageError:
        current_app.logger.warning("login throttle store unavailable; count not cleared")
