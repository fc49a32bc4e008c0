"""CSRF protection for the survey pages that leaves no timestamp on the respondent's device.

Flask-WTF's token is signed with a timestamp (``itsdangerous``' timed
serializer) and lives in Flask's session cookie, which carries a signed
timestamp of its own: both survive on a shared or seized device and tell when
the survey was taken. The respondent pages use a double-submit cookie instead:

* a random value in the ``cts_form`` cookie (HttpOnly, SameSite=Lax, Secure
  when configured, no expiry: it ends with the browser session), and
* in each form, an HMAC of that value under a key derived from SECRET_KEY.

A POST to the blueprint without both, or with a form token that does not
belong to the cookie, is refused with Flask-WTF's ``CSRFError`` (a translated
400 page, ``errors.py``). A cross-site page can neither read nor set the
cookie, and SameSite=Lax keeps the browser from sending it on a cross-site
POST. The blueprint is exempt from the app-wide ``CSRFProtect``; Flask's
session is never touched on respondent routes, so no session cookie is set.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from flask import current_app, g, request
from flask_wtf.csrf import CSRFError
from wtforms import ValidationError
from wtforms.csrf.core import CSRF

COOKIE_NAME = "cts_form"
FIELD_NAME = "csrf_token"
_SALT = b"civic-trust-survey.respond.csrf.v1"
_WTFORMS_MESSAGE = "The CSRF token is missing."  # WTForms' own message, translated by its catalogue


def enabled() -> bool:
    return bool(current_app.config.get("WTF_CSRF_ENABLED", True))


def _token_for(cookie_value: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret + _SALT, cookie_value.encode(), hashlib.sha256).hexdigest()


def _cookie_value() -> str | None:
    value = request.cookies.get(COOKIE_NAME)
    return value if value and 16 <= len(value) <= 64 and value.isascii() else None


def form_token() -> str:
    """The token for this browser's forms; creates its cookie (set by ``set_cookie``) when missing."""
    value = _cookie_value() or g.get("respond_csrf_new")
    if value is None:
        value = g.respond_csrf_new = secrets.token_urlsafe(24)
    return _token_for(value)


def token_valid(posted: str | None) -> bool:
    value = _cookie_value()
    if not value or not posted:
        return False
    return hmac.compare_digest(_token_for(value).encode(), str(posted).encode("utf-8", "replace"))


def check_request() -> None:
    """Refuse a POST whose form token does not match the browser's cookie (``CSRFError``)."""
    if request.method != "POST" or not enabled():
        return
    if not token_valid(request.form.get(FIELD_NAME)):
        raise CSRFError("The CSRF token is missing or does not match.")


def set_cookie(response: Any) -> Any:
    """Send the cookie created by ``form_token`` in this request, if any."""
    value = g.get("respond_csrf_new")
    if value is not None:
        response.set_cookie(
            COOKIE_NAME, value, httponly=True, samesite="Lax", path="/s/",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        )
    return response


class RespondentCSRF(CSRF):
    """WTForms' CSRF hook: the form field holds ``form_token()``; a mismatch fails validation."""

    def generate_csrf_token(self, csrf_token_field: Any) -> str:
        return form_token()

    def validate_csrf_token(self, form: Any, field: Any) -> None:
        if not token_valid(field.data):
            raise ValidationError(field.gettext(_WTFORMS_MESSAGE))
