"""Respondent-facing pages: the anonymous survey at ``/s/<slug>``.

The templates use Jinja's ``do`` statement (building lists of ARIA ids) and a
``plain_number`` filter; both are installed when the blueprint is registered.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..extensions import login_manager

bp = Blueprint("respond", __name__)


def plain_number(value: Any) -> Any:
    """5.0 -> 5, so ranges read "from 0 to 120" rather than "from 0.0 to 120.0"."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


@bp.before_request
def _respondents_are_anonymous() -> None:
    """Survey pages never look at researcher logins.

    Without this, Flask-Login's template context loads the user on every page,
    and its "strong" session protection rewrites the session and sends a
    remember-me cookie deletion to respondents, who have nothing to do with it.
    """
    login_manager._update_request_context_with_user()  # the anonymous user, for this request only


@bp.record_once
def _install_template_helpers(state: Any) -> None:
    state.app.jinja_env.add_extension("jinja2.ext.do")
    state.app.jinja_env.filters.setdefault("plain_number", plain_number)


from . import routes  # noqa: E402,F401  (routes register themselves on bp)
