"""The stated-vs-actual view: survey effect on willingness beside the records effect on reports.

Each side's verdict is tested against a smallest effect of interest the page states and a
GET form sets (``stated_sesoi`` in points, ``records_sesoi`` in percent); a bad value is a
422 with the reason on the page, never a silent default.
"""
from __future__ import annotations

import math
from typing import Any

from flask import render_template, request

from analysis.stated_verdicts import DEFAULT_RECORDS_SESOI

from ...accounts.access import ANY_ROLE, MANAGERS, has_role, role_required, survey_for_current_user
from ...publication.stated_actual import USE_PLAN, cached
from ..blueprint import bp


def _number(name: str, low: float, high: float, what: str) -> float | None:
    """The form's value of ``name`` (None when blank); ValueError with a message when not in (low, high)."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{what} must be a number (got {raw[:20]!r}).") from None
    if not (math.isfinite(value) and low < value < high):
        raise ValueError(f"{what} must be between {low:g} and {high:g} (exclusive).")
    return value


@bp.get("/surveys/<slug>/dashboard/stated-vs-actual")
@role_required(*ANY_ROLE)
def stated_vs_actual(slug: str) -> tuple[str, int]:
    survey = survey_for_current_user(slug)
    error, status = None, 200
    kwargs: dict[str, Any] = {}
    try:
        stated = _number("stated_sesoi", 0, 4, "The survey's smallest effect of interest (points)")
        records = _number("records_sesoi", 0, 100, "The records' smallest effect of interest (percent)")
        kwargs = {"stated_sesoi": USE_PLAN if stated is None else stated,
                  "records_sesoi": DEFAULT_RECORDS_SESOI if records is None else records}
    except ValueError as exc:
        error, status = str(exc), 422
    view = cached(survey, **kwargs)
    return render_template("research/stated_actual.html", survey=survey, view=view, result=view["result"],
                           can_import=has_role(*MANAGERS), form_error=error), status
