"""Dashboard pages: per-survey charts and tables (any role), and the estimates behind them.

Every view is audited like a download (``view.dashboard`` with the filters, ``view.estimates``):
who looked at which survey with which selection, never any figure shown.

Filters arrive as GET parameters and are validated by
``surveys.publication.filters`` (400 malformed, 422 unknown; on the page the message
is shown inline above the filters, with that status). Figures travel to
the browser as JSON in ``<script type="application/json">`` blocks, drawn by
``static/js/dashboard.js``: the Content-Security-Policy allows no inline script.
plotly.js itself is served by ``surveys.web.assets``.
"""
from __future__ import annotations

from flask import Response, jsonify, render_template, request, url_for

from ...accounts.access import ANY_ROLE, acting_researcher, role_required, survey_for_current_user
from ...publication.aggregates import Filters, available_languages
from ...publication.downloads import audit_download
from ...publication.estimates import survey_estimates
from ...publication.filters import InvalidFilter, filter_form, parse_filters
from ...publication.quality import CATEGORIES as QUALITY_CATEGORIES
from ...publication.quality import quality_table
from ...studies.wave_versions import version_notes
from ..blueprint import bp
from ..manage.forms import POLICY_KIND_LABELS
from . import figures
from .view import build_dashboard


@bp.get("/surveys/<slug>/dashboard")
@role_required(*ANY_ROLE)
def dashboard(slug: str) -> tuple[str, int]:
    """The page; a bad filter value keeps the page (its 400/422 status, the message above the
    filters, the whole survey shown) rather than replacing it with an error page."""
    survey = survey_for_current_user(slug)
    languages = available_languages(survey)
    status, error = 200, None
    try:
        filters = parse_filters(survey, request.args, languages)
    except InvalidFilter as exc:
        status, error, filters = exc.status, str(exc), Filters()
    view = build_dashboard(survey, filters, filter_error=error)
    audit_download("view.dashboard", acting_researcher(), survey, {"filters": filters.as_dict(),
                                                                   "release": view.release})
    page = render_template(
        "research/dashboard.html",
        view=view,
        form=filter_form(survey, request.args, languages),
        query="" if error else request.query_string.decode("ascii", errors="ignore"),
        estimates_url=url_for("research.dashboard_estimates", slug=survey.slug),
        names={j.code: j.name for j in survey.jurisdictions},
        kind_labels=dict(POLICY_KIND_LABELS),  # StrEnum keys: looked up by the stored string too
        quality=quality_table(survey), quality_categories=QUALITY_CATEGORIES,
        version_notes=version_notes(survey, [int(w) for w, _label in view.counts.waves if w is not None] or None),
    )
    return page, status


@bp.get("/surveys/<slug>/dashboard/estimates.json")
@role_required(*ANY_ROLE)
def dashboard_estimates(slug: str) -> Response:
    """The dashboard's model estimates (fixed specification), as JSON for static/js/dashboard.js."""
    survey = survey_for_current_user(slug)
    result = survey_estimates(survey)
    audit_download("view.estimates", acting_researcher(), survey, {"release": result.get("release")})
    shown = {}
    if result["effects"]:
        shown["effects"] = figures.effects_figure(result["effects"])
    if result.get("event_study"):
        shown["event_study"] = figures.event_study_figure(result["event_study"])
    return jsonify({**result, "figures": shown})
