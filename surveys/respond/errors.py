"""Respondent error pages: the right 4xx status, a plain message, the respondent's language.

The app-wide handlers (``surveys/web/errors.py``) answer in English; on the survey
pages a respondent may read only Spanish or Arabic, so this blueprint renders
its own page for the errors a respondent can meet: a missing or expired CSRF
token, an unknown survey, an oversized body, too many submissions, a malformed
request. The language comes from the request itself (``?lang=``, a posted
``lang``) or the browser's preference; a body is only read when it is within
the size limit.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app, request
from flask_babel import force_locale
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import BadRequest, HTTPException, NotFound, RequestEntityTooLarge

from ..web.errors import RETRY_AFTER_SECONDS, database_unavailable, release_failed_session, unexpected_error
from ..web.locale import safe_form_value
from .blueprint import bp
from .context import choose_language, find_survey, render_page
from .messages import error_text

if TYPE_CHECKING:  # pragma: no cover
    from .context import SurveyContext

RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "yi", "dv", "ku", "sd", "ug"}


def _error_context() -> tuple[SurveyContext | None, str, str]:
    """(survey, language, direction) for an error raised outside a view."""
    slug = (request.view_args or {}).get("slug")
    ctx = None
    if slug:
        try:
            ctx = find_survey(slug)
        except Exception:  # noqa: BLE001 - an error page must render even when the database does not answer
            ctx = None
    candidates = (safe_form_value("switch_lang"), safe_form_value("lang"), request.args.get("lang"))
    if ctx is not None:
        codes = [lang.code for lang in ctx.instrument.languages]
        language = choose_language(codes, ctx.instrument.default_language, *candidates)
        return ctx, language, ctx.language(language).direction
    codes = list(current_app.config.get("LANGUAGES", ("en",)))
    language = choose_language(codes, current_app.config.get("BABEL_DEFAULT_LOCALE", "en"), *candidates)
    return None, language, "rtl" if language in RTL_LANGUAGES else "ltr"


def respondent_error(kind: str, status: int, *, language: str | None = None, ctx: Any = None):
    """Render the respondent error page ``kind`` (see ``messages.error_text``) with ``status``."""
    if language is None:
        ctx, language, direction = _error_context()
    else:
        direction = ctx.language(language).direction if ctx is not None else (
            "rtl" if language in RTL_LANGUAGES else "ltr")
    with force_locale(language):
        title, message = error_text(kind)
    return render_page("respond/error.html", language, direction, status,
                       ctx=ctx, title=title, message=message, error_status=status, kind=kind)


@bp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError):
    return respondent_error("csrf", 400)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    return respondent_error("too_large", 413)


@bp.errorhandler(NotFound)
def _not_found(error: NotFound):
    return respondent_error("not_found", 404)


@bp.errorhandler(429)
def _rate_limited(error: HTTPException):
    return respondent_error("rate_limited", 429)


@bp.errorhandler(BadRequest)
def _bad_request(error: BadRequest):
    return respondent_error("bad_request", 400)


@bp.errorhandler(DBAPIError)
def _database_error(error: DBAPIError):
    """The database went away mid-request: the app-wide 503 handling, in the respondent's language."""
    if not database_unavailable(error):
        return unexpected_error(error)
    release_failed_session(error)
    body, status = respondent_error("unavailable", 503)
    return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}
