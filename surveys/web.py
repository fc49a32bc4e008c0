"""App-wide web pieces: locale choice, the liveness check, the landing page.

``install`` wires security headers, privacy-preserving logging and error
handlers into a new app; the factory calls it once.
"""
from __future__ import annotations

from flask import Flask, abort, current_app, jsonify, render_template, request
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from .errors import install_error_handlers
from .extensions import db
from .privacy_logging import install_privacy_logging
from .security import install_security


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
    """The UI language: ``?lang=`` when supported, else the browser's preference.

    No cookie remembers it: a respondent's language choice travels in the URL
    and the form, so nothing persistent is left on their device.
    """
    supported = current_app.config["LANGUAGES"]
    requested = request.args.get("lang") or safe_form_value("lang")
    if requested in supported:
        return requested
    return request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]


def healthz():  # noqa: ANN201
    """Liveness and database reachability, for load balancers and the quick-start check."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database=database)


def refuse_oversized_bodies() -> None:
    """Refuse a too-large body from its Content-Length, before any route reads it."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length and request.content_length > limit:
        abort(413, description=f"The request is too large (the limit is {limit // 1024} KB).")


def index():  # noqa: ANN201
    return render_template("index.html")


def install(app: Flask) -> None:
    install_security(app)
    install_privacy_logging()
    install_error_handlers(app)
    app.before_request(refuse_oversized_bodies)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/", "index", index)
