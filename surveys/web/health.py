"""The liveness check, the landing page, and the body-size guard every request passes."""
from __future__ import annotations

from flask import Response, abort, current_app, jsonify, render_template, request
from sqlalchemy import text

from ..extensions import db


def healthz() -> tuple[Response, int] | Response:
    """Liveness and database reachability, for load balancers and the quick-start check."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database=database)


def refuse_oversized_bodies() -> None:
    """Refuse a too-large body from its Content-Length, before any route reads it.

    A view may name another setting as its limit in a ``body_limit_setting``
    attribute (the police-records upload: ``RECORDS_MAX_UPLOAD_BYTES``).
    """
    view = current_app.view_functions.get(request.endpoint or "")
    setting = getattr(view, "body_limit_setting", None)
    limit = current_app.config.get(setting or "MAX_CONTENT_LENGTH")
    if setting:
        request.max_content_length = limit
    if limit and request.content_length and request.content_length > limit:
        abort(413, description=f"The request is too large (the limit is {limit // 1024} KB).")


def index() -> str:
    return render_template("index.html")
