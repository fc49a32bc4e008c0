"""The page language, and reading a posted value safely on error pages.

No cookie remembers the language: a respondent's choice travels in the URL and
the form, so nothing persistent is left on their device.
"""
from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import HTTPException


def safe_form_value(name: str) -> str | None:
    """A posted form value, without ever reading a body that is too large or malformed.

    Error pages and the locale selector look at the form; reading an oversized
    or broken body there would raise a second error inside the first.
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.method != "POST" or (limit and (request.content_length or 0) > limit):
        return None
    try:
        return request.form.get(name)
    except (HTTPException, ValueError):
        return None


def select_locale() -> str:
    """The UI language: ``?lang=`` when supported, else the browser's preference."""
    supported = current_app.config["LANGUAGES"]
    requested = request.args.get("lang") or safe_form_value("lang")
    if requested and requested in supported:
        return requested
    return str(request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"])
