"""The respondent blueprint (``/s/<slug>``), shared by its route modules.

The templates use Jinja's ``do`` statement (building lists of ARIA ids) and a
``plain_number`` filter; both are installed when the blueprint is registered.
CSRF is checked here for every route of the blueprint (``csrf.py``).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from . import csrf

bp = Blueprint("respond", "surveys.respond")


def plain_number(value: Any) -> Any:
    """5.0 -> 5, so ranges read "from 0 to 120" rather than "from 0.0 to 120.0"."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


bp.before_request(csrf.check_request)  # every POST: the form token matches the browser's cookie
bp.after_request(csrf.set_cookie)


@bp.record_once
def _install_template_helpers(state: Any) -> None:
    state.app.jinja_env.add_extension("jinja2.ext.do")
    state.app.jinja_env.filters.setdefault("plain_number", plain_number)
