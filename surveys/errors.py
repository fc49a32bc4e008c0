"""Error pages: a clear message and the right status, never a traceback.

Under ``/api/`` errors are JSON ``{"error": {"status", "title", "message"}}``;
elsewhere an HTML page. A 500 rolls the session back first, so a failed
request cannot leave half a response behind.
"""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db


def wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(status: int, title: str, message: str):  # noqa: ANN201 - Flask view return
    if wants_json():
        body = {"error": {"status": status, "title": title, "message": message}}
        return jsonify(body), status
    return render_template("error.html", status=status, title=title, message=message), status


def _http_error(error: HTTPException):  # noqa: ANN202
    if error.code and error.code >= 500:
        db.session.rollback()
    return render_error(error.code or 500, error.name, error.description or error.name)


def _csrf_error(error: CSRFError):  # noqa: ANN202
    return render_error(
        400,
        "Form expired",
        "This form could not be verified (it may have been open too long, or cookies are blocked). "
        "Please go back, reload the page and try again.",
    )


def _unexpected_error(error: Exception):  # noqa: ANN202
    db.session.rollback()
    if isinstance(error, HTTPException):
        return _http_error(error)
    from flask import current_app

    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    internal = InternalServerError()
    return render_error(500, internal.name, "Something went wrong on our side. Nothing was stored.")


def install_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
