"""Stand-in for ``surveys.research.access`` (branch ``accounts``), with the same names and contract.

Replaced by an import of the real module once that branch is merged; kept
minimal on purpose: session login for pages, bearer tokens for the API,
404 for another organisation's survey.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, make_response, request
from flask_login import current_user
from sqlalchemy import select

from ..errors import render_error
from ..extensions import db, login_manager
from ..models import ApiToken, Researcher, Role, Survey

F = TypeVar("F", bound=Callable[..., Any])
ANY_ROLE = (Role.ADMIN, Role.ANALYST, Role.VIEWER)
MANAGERS = (Role.ADMIN, Role.ANALYST)


def _values(roles: tuple) -> frozenset[str]:
    return frozenset(Role(r).value for r in roles) if roles else frozenset(r.value for r in Role)


def current_researcher() -> Researcher | None:
    if current_user is None or not getattr(current_user, "is_authenticated", False):
        return None
    return current_user._get_current_object()  # type: ignore[attr-defined]


def role_required(*roles: Role | str) -> Callable[[F], F]:
    allowed = _values(roles)

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


def _token_owner(presented: str) -> Researcher | None:
    digest = hashlib.sha256(presented.encode()).hexdigest()
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked.is_(False)))
    if token is None or not token.researcher.active:
        return None
    if token.expires_at is not None and token.expires_at.replace(tzinfo=token.expires_at.tzinfo or UTC) < datetime.now(UTC):
        return None
    return token.researcher


def api_auth_required(*roles: Role | str) -> Callable[[F], F]:
    allowed = _values(roles)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            scheme, _, value = request.headers.get("Authorization", "").partition(" ")
            owner = _token_owner(value.strip()) if scheme.lower() == "bearer" and value.strip() else None
            if owner is None:
                response = make_response(render_error(401, "Unauthorized", "Send a valid API token as 'Authorization: Bearer <token>'."))
                response.headers["WWW-Authenticate"] = 'Bearer realm="civic-trust-survey"'
                return response
            current_app.login_manager._update_request_context_with_user(owner)  # type: ignore[attr-defined]
            if owner.role not in allowed:
                abort(403, description="The token owner's role does not allow this endpoint.")
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]
        wrapped.api_auth = True  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def survey_for_current_user(survey_id_or_slug: int | str) -> Survey:
    researcher = current_researcher()
    if researcher is None:
        abort(404)
    query = select(Survey).where(Survey.organisation_id == researcher.organisation_id)
    if str(survey_id_or_slug).isdigit():
        query = query.where(Survey.id == int(survey_id_or_slug))
    else:
        query = query.where(Survey.slug == str(survey_id_or_slug))
    survey = db.session.scalar(query)
    if survey is None:
        abort(404, description="No such survey.")
    return survey
