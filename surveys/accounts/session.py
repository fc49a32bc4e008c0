"""Researcher session lifecycle: start, keep alive, expire, end.

Flask keeps the session in a signed cookie, so "rotating the session id"
means starting a *fresh* session at login: every old key is dropped
(including the CSRF token, so a token planted before login is worthless),
and the new cookie carries the login time and the last time it was seen.

A before-request hook ends the session when it has been idle longer than
``SESSION_IDLE_MINUTES`` or exists longer than ``SESSION_ABSOLUTE_MINUTES``.
Both times travel inside the signed cookie, so a copied cookie dies by the
same clocks. Logging out, a password change and disabling an account bump
``Researcher.session_version``; the user loader (``load_researcher``) then
refuses every cookie made before, on every device: a cookie session cannot
be revoked one by one, so logout means "log out everywhere".
"""
from __future__ import annotations

import time

from flask import Flask, current_app, flash, request, session
from flask_login import login_user, logout_user

from ..extensions import db, login_manager
from ..models import Researcher

LOGIN_AT = "cts_login_at"
SEEN_AT = "cts_seen_at"


def _absolute_seconds() -> float:
    minutes = current_app.config.get("SESSION_ABSOLUTE_MINUTES")
    if minutes:
        return float(minutes) * 60
    return current_app.permanent_session_lifetime.total_seconds()


def _idle_seconds() -> float:
    return float(current_app.config.get("SESSION_IDLE_MINUTES", 30)) * 60


def start_session(researcher: Researcher) -> None:
    """Log ``researcher`` in on a brand-new session (the caller has checked the password)."""
    session.clear()
    login_user(researcher, remember=False, fresh=True)
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now


def end_session() -> None:
    """Forget the login and everything else in the cookie."""
    logout_user()
    session.clear()


def session_expired(now: float | None = None) -> bool:
    now = time.time() if now is None else now
    login_at = session.get(LOGIN_AT)
    seen_at = session.get(SEEN_AT)
    if not isinstance(login_at, int | float) or not isinstance(seen_at, int | float):
        return True
    return now - login_at > _absolute_seconds() or now - seen_at > _idle_seconds()


def enforce_session_lifetime() -> None:
    """Before each request: end an expired researcher session, else note the activity.

    Static files and the token-authenticated API neither extend nor end a session.
    """
    if "_user_id" not in session or request.endpoint == "static" or request.path.startswith("/api/"):
        return
    if session_expired():
        end_session()
        flash("Your session has ended. Please log in again.", "info")
        return
    session[SEEN_AT] = int(time.time())


def load_researcher(session_id: str) -> Researcher | None:
    """Load a researcher from ``"<id>:<session_version>"``; stale versions are logged out."""
    try:
        raw_id, raw_version = session_id.split(":", 1)
        researcher = db.session.get(Researcher, int(raw_id))
        version = int(raw_version)
    except (ValueError, TypeError):
        return None
    if researcher is None or researcher.session_version != version or not researcher.active:
        return None
    return researcher


def install_login(app: Flask) -> None:
    """Flask-Login: where to send anonymous visitors, how to load a session's researcher."""
    login_manager.user_loader(load_researcher)
    login_manager.login_view = "research.login"
    login_manager.session_protection = "strong"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
