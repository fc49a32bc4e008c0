"""Error pages: a clear message and the right status, never a traceback.

Under ``/api/`` errors are JSON ``{"error": {"status", "title", "message"}}``;
elsewhere an HTML page. A 500 rolls the session back first, so a failed
request cannot leave half a response behind.

A database that does not answer (PostgreSQL restarting, a dropped connection,
SQLite still locked after its busy timeout) is a 503 with ``Retry-After``, not
a 500: the transaction was rolled back, the pool reconnects by itself
(``pool_pre_ping``), and sending the same form again is safe (a survey form's
one-time token stores it at most once). The log names only the error class:
a driver's message can quote the SQL parameters, i.e. a respondent's answers.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from ..extensions import db
from ..instruments import InstrumentError


def wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(status: int, title: str, message: str) -> tuple[Response, int] | tuple[str, int]:
    if wants_json():
        body = {"error": {"status": status, "title": title, "message": message}}
        return jsonify(body), status
    return render_template("error.html", status=status, title=title, message=message), status


def _http_error(error: HTTPException):
    if error.code and error.code >= 500:
        db.session.rollback()
    return render_error(error.code or 500, error.name, error.description or error.name)


def _untrusted_host(error: SecurityError) -> tuple[str, int, dict[str, str]]:
    """A Host outside TRUSTED_HOSTS: plain text, no template (no URL may be built for that host)."""
    return "400 Bad Request: this server does not answer for that host name.\n", 400, {
        "Content-Type": "text/plain; charset=utf-8"}


def _csrf_error(error: CSRFError):
    return render_error(
        400,
        "Form expired",
        "This form could not be verified (it may have been open too long, or cookies are blocked). "
        "Please go back, reload the page and try again.",
    )


RETRY_AFTER_SECONDS = 10


def release_failed_session(error: DBAPIError) -> None:
    """Roll back (or drop) the session of a request whose database went away, and log only the error class."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is already gone; the pool discards it
        db.session.remove()
    current_app.logger.warning(
        "Database unavailable on %s %s (%s)", request.method, request.path, type(error.orig or error).__name__
    )


def _database_unavailable(error: DBAPIError):
    """The database went away (OperationalError, or any DBAPI error on an invalidated connection): 503."""
    release_failed_session(error)
    body, status = render_error(
        503,
        "Service briefly unavailable",
        "The service could not reach its database. Please try again in a minute "
        "(a survey can safely be sent again: it is never stored twice).",
    )
    return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def database_unavailable(error: DBAPIError) -> bool:
    """Whether ``error`` means the database cannot be reached (as opposed to a bug in a query)."""
    return isinstance(error, OperationalError) or bool(error.connection_invalidated)


def _dbapi_error(error: DBAPIError):
    if database_unavailable(error):
        return _database_unavailable(error)
    return unexpected_error(error)


def _remove_session_quietly(exc: BaseException | None) -> None:
    """End the request's database session; a connection the server has already closed is no error.

    Registered after Flask-SQLAlchemy's own teardown, so it runs first. When the
    database restarts between the view and the teardown, the rollback of the
    (read) transaction fails: the server has discarded it already, so nothing is
    lost, but the exception would replace a finished page with a 500.
    """
    try:
        db.session.remove()
    except DBAPIError as error:
        current_app.logger.warning(
            "Database connection lost while ending the request (%s)", type(error.orig or error).__name__
        )


def unexpected_error(error: Exception):
    db.session.rollback()
    if isinstance(error, HTTPException):
        return _http_error(error)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    internal = InternalServerError()
    return render_error(500, internal.name, "Something went wrong on our side. Nothing was stored.")


def install_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(SecurityError, _untrusted_host)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DBAPIError, _dbapi_error)
    app.teardown_appcontext(_remove_session_quietly)
    app.register_error_handler(Exception, unexpected_error)


UNREADABLE_INSTRUMENT = ("This survey's stored instrument cannot be read, so its items cannot be exported; "
                         "load a valid version of the instrument.")


def unreadable_instrument(error: InstrumentError) -> tuple[Response, int] | tuple[str, int]:
    """409 for an export or API call on a survey whose stored instrument no longer parses."""
    return render_error(409, "Instrument unreadable", UNREADABLE_INSTRUMENT)
