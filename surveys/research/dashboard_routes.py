"""Dashboard pages: per-survey charts and tables (any role), and the plotly.js assets.

Filters arrive as GET parameters and are validated by ``surveys.filters``
(400 malformed, 422 unknown). Figures travel to the browser as JSON in
``<script type="application/json">`` blocks, drawn by ``static/js/dashboard.js``:
the Content-Security-Policy allows no inline script.
"""
from __future__ import annotations

from flask import Response, abort, jsonify, render_template, request, url_for

from ..aggregates import available_languages
from ..estimates import survey_estimates
from ..filters import InvalidFilter, filter_form, parse_filters
from ..plotly_assets import maps_css, maps_style_id, plotly_css, plotly_js, plotly_js_version
from . import bp, dashboard_figures
from .access import ANY_ROLE, role_required, survey_for_current_user
from .dashboard_view import build_dashboard

ASSET_MAX_AGE = 365 * 24 * 3600  # the URL carries the plotly.js version


def selected_filters(survey):  # noqa: ANN001, ANN201 - used by the export and report views too
    """The request's filters for ``survey``, or a 400/422 error page naming the bad parameter."""
    languages = available_languages(survey)
    try:
        return parse_filters(survey, request.args, languages), languages
    except InvalidFilter as exc:
        abort(exc.status, description=str(exc))


@bp.get("/surveys/<slug>/dashboard")
@role_required(*ANY_ROLE)
def dashboard(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    filters, languages = selected_filters(survey)
    view = build_dashboard(survey, filters)
    return render_template(
        "research/dashboard.html",
        view=view,
        form=filter_form(survey, request.args, languages),
        query=request.query_string.decode("ascii", errors="ignore"),
        estimates_url=url_for("research.dashboard_estimates", slug=survey.slug),
    )


def _asset(body: bytes | str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={ASSET_MAX_AGE}, immutable"
    return response


def plotly_script(version: str):  # noqa: ANN201
    if version != plotly_js_version():
        abort(404)
    return _asset(plotly_js(), "text/javascript")


def plotly_stylesheet(version: str):  # noqa: ANN201
    if version != plotly_js_version():
        abort(404)
    return _asset(plotly_css(), "text/css")


def plotly_maps_stylesheet(version: str):  # noqa: ANN201
    if version != plotly_js_version():
        abort(404)
    return _asset(maps_css(), "text/css")


@bp.record_once
def _register_assets(state) -> None:  # noqa: ANN001
    """Serve the assets under /static/ (outside /research/), so they are cacheable like other static files."""
    state.app.add_url_rule("/static/vendor/plotly-<version>.min.js", "plotly_script", plotly_script)
    state.app.add_url_rule("/static/vendor/plotly-<version>.css", "plotly_stylesheet", plotly_stylesheet)
    state.app.add_url_rule("/static/vendor/plotly-<version>-maps.css", "plotly_maps_stylesheet",
                           plotly_maps_stylesheet)


@bp.app_context_processor
def plotly_urls() -> dict:
    version = plotly_js_version()
    return {"plotly_js_url": lambda: url_for("plotly_script", version=version),
            "plotly_css_url": lambda: url_for("plotly_stylesheet", version=version),
            "plotly_maps_css_url": lambda: url_for("plotly_maps_stylesheet", version=version),
            "plotly_maps_style_id": maps_style_id}


@bp.get("/surveys/<slug>/dashboard/estimates.json")
@role_required(*ANY_ROLE)
def dashboard_estimates(slug: str):  # noqa: ANN201
    """The dashboard's model estimates (fixed specification), as JSON for static/js/dashboard.js."""
    survey = survey_for_current_user(slug)
    result = survey_estimates(survey)
    figures = {}
    if result["effects"]:
        figures["effects"] = dashboard_figures.effects_figure(result["effects"])
    if result.get("event_study"):
        figures["event_study"] = dashboard_figures.event_study_figure(result["event_study"])
    return jsonify({**result, "figures": figures})
