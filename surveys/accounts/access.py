"""Access control for researcher pages and the JSON API: the one place roles are checked.

Stable API (other blueprints rely on it):

``role_required(*roles)``
    View decorator. Anonymous visitor: redirect to ``research.login`` (with
    ``next``). Logged in with another role: 403. No roles given: any
    logged-in researcher.
``api_auth_required(*roles)``
    View decorator for ``/api/v1``. Needs ``Authorization: Bearer <token>``
    (cookies are ignored, so the CSRF-exempt API cannot be driven by a
    browser session): missing/invalid/expired/revoked token or disabled owner
    -> 401 JSON with ``WWW-Authenticate: Bearer``; wrong role -> 403 JSON.
    Inside the view ``current_user`` (and ``current_researcher()``) is the
    token's owner and ``g.api_token`` the token row.
``survey_for_current_user(survey_id_or_slug)``
    The survey if it belongs to the current researcher's organisation, else
    404 (never 403: another organisation's survey must not be shown to exist).
``current_researcher()``
    The logged-in (session or token) researcher, or None.
``acting_researcher()``
    The same inside a view guarded by one of the decorators, where there
    always is one (a 401 otherwise, which the decorators make unreachable).

Role groups: ``ANY_ROLE`` (admin, analyst, viewer), ``MANAGERS`` (admin,
analyst: manage surveys, run analyses, row-level export), ``ADMINS``.
Each decorated view carries ``allowed_roles`` (a frozenset of role values) so
tests and docs can read the policy back from the code.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, make_response
from flask import request as flask_request
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db, login_manager
from ..models import Researcher, Role, Survey
from ..web.errors import render_error
from .tokens import token_for_bearer

F = TypeVar("F", bound=Callable[..., Any])

ANY_ROLE: tuple[Role, ...] = (Role.ADMIN, Role.ANALYST, Role.VIEWER)
MANAGERS: tuple[Role, ...] = (Role.ADMIN, Role.ANALYST)
ADMINS: tuple[Role, ...] = (Role.ADMIN,)


def _role_values(roles: tuple[Role | str, ...]) -> frozenset[str]:
    values = frozenset(Role(r).value for r in roles) if roles else frozenset(r.value for r in Role)
    return values


def current_researcher() -> Researcher | None:
    """The researcher behind this request (session login or API token), or None."""
    user = current_user
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user._get_current_object() if hasattr(user, "_get_current_object") else user


def acting_researcher() -> Researcher:
    """The researcher a guarded view acts for (``role_required`` / ``api_auth_required``)."""
    researcher = current_researcher()
    if researcher is None:
        abort(401)
    return researcher


def has_role(*roles: Role | str) -> bool:
    """For templates and views: does the current researcher hold one of ``roles``?"""
    researcher = current_researcher()
    return researcher is not None and researcher.role in _role_values(roles)


def role_required(*roles: Role | str) -> Callable[[F], F]:
    """Restrict a researcher page to ``roles`` (any logged-in researcher when none given)."""
    allowed = _role_values(roles)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            researcher = current_researcher()
            if researcher is None:
                return login_manager.unauthorized()
            if researcher.role not in allowed:
                abort(403, description="Your role does not allow this page.")
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def _bearer_value() -> str | None:
    header = flask_request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _api_unauthorized(message: str):
    response = make_response(render_error(401, "Unauthorized", message))
    response.headers["WWW-Authenticate"] = 'Bearer realm="civic-trust-survey"'
    return response


def api_auth_required(*roles: Role | str) -> Callable[[F], F]:
    """Restrict an API view to bearer tokens whose owner holds one of ``roles``."""
    allowed = _role_values(roles)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            presented = _bearer_value()
            if presented is None:
                return _api_unauthorized("Send an API token as 'Authorization: Bearer <token>'.")
            token = token_for_bearer(presented)
            if token is None:
                return _api_unauthorized("The API token is unknown, expired or revoked.")
            researcher = token.researcher
            g.api_token = token
            # Make current_user the token's owner for this request only; nothing goes into a session.
            current_app.login_manager._update_request_context_with_user(researcher)  # type: ignore[attr-defined]
            if researcher.role not in allowed:
                abort(403, description="The token owner's role does not allow this endpoint.")
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]
        wrapped.api_auth = True  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def survey_for_current_user(survey_id_or_slug: int | str) -> Survey:
    """The current organisation's survey by id or slug; 404 for anyone else's or a missing one."""
    researcher = current_researcher()
    if researcher is None:
        abort(404)
    query = select(Survey).where(Survey.organisation_id == researcher.organisation_id)
    if isinstance(survey_id_or_slug, int) or (isinstance(survey_id_or_slug, str) and survey_id_or_slug.isdigit()):
        query = query.where(Survey.id == int(survey_id_or_slug))
    else:
        query = query.where(Survey.slug == str(survey_id_or_slug))
    survey = db.session.scalar(query)
    if survey is None:
        abort(404, description="No such survey.")
    return survey


def researcher_in_my_organisation(researcher_id: int) -> Researcher:
    """A researcher of the current organisation, else 404 (for admin pages)."""
    me = current_researcher()
    other = db.session.get(Researcher, researcher_id)
    if me is None or other is None or other.organisation_id != me.organisation_id:
        abort(404, description="No such researcher.")
    return other
