"""Downloads: suppressed aggregate tables and regression reports (every role), row-level data
and codebook (analysts, admins).

Each download is a POST with a CSRF token and answers with an attachment; the
file is built and its AuditLog row written by ``surveys.publication.downloads``
(who exported what, with which parameters, never the data). Filters use the
dashboard's parameter names and validation. Analysts and admins choose a
report's specification; viewers (dashboards and reports only) download the
report of the default one, so they cannot vary a specification to isolate a
small group.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from flask import Response, abort, render_template, request
from flask_wtf import FlaskForm

from analysis.errors import AnalysisError

from ...accounts.access import (
    ANY_ROLE,
    MANAGERS,
    acting_researcher,
    has_role,
    role_required,
    survey_for_current_user,
)
from ...instruments import InstrumentError
from ...models import Researcher, Role, Survey
from ...publication import downloads
from ...publication.aggregates import available_languages
from ...publication.exports import ExportFile
from ...publication.filters import filter_form, selected_filters, with_filter_choices
from ...publication.grants import GrantError, active_grant
from ...publication.reports import InvalidSpecification, ReportSpec
from ...publication.safe_microdata import safe_microdata
from ...studies.wave_versions import version_notes
from ...web.errors import unreadable_instrument
from ..blueprint import bp
from .forms import AggregateExportForm, CodebookForm, ReportForm, ResponseExportForm, report_form

bp.register_error_handler(InstrumentError, unreadable_instrument)


def attachment(export: ExportFile) -> Response:
    response = Response(export.content, mimetype=export.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def _aggregate_form(survey: Survey, languages: tuple[str, ...]) -> AggregateExportForm:
    return with_filter_choices(AggregateExportForm(), survey, languages)


def _validated(form: FlaskForm) -> None:
    if not form.validate_on_submit():
        abort(400, description="; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()) or "Invalid form.")


def _report_spec(form: ReportForm) -> ReportSpec:
    researcher = acting_researcher()
    if researcher is None or researcher.role == Role.VIEWER.value:
        return ReportSpec()
    return ReportSpec(outcome=form.outcome.data, estimator=form.estimator.data,
                      comparison=tuple(form.comparison.data or ()) or None, subgroup=form.subgroup.data,
                      weights=form.weights.data)


@bp.get("/surveys/<slug>/export")
@role_required(*ANY_ROLE)
def export_page(slug: str) -> str:
    survey = survey_for_current_user(slug)
    languages = available_languages(survey)
    aggregate_form = _aggregate_form(survey, languages)
    preset = filter_form(survey, request.args, languages)  # carry the dashboard's filters over
    if preset.validate():
        for name in ("wave_from", "wave_to", "jurisdiction", "language"):
            getattr(aggregate_form, name).data = getattr(preset, name).data
    safe = safe_microdata(survey).summary() if has_role(*MANAGERS) else None
    return render_template("research/export.html", survey=survey, aggregate_form=aggregate_form,
                           response_form=ResponseExportForm(), codebook_form=CodebookForm(),
                           report_form=report_form(survey), safe=safe,
                           grant=active_grant(survey, acting_researcher()) if safe else None,
                           version_notes=version_notes(survey))


@bp.post("/surveys/<slug>/export/aggregates")
@role_required(*ANY_ROLE)
def export_aggregates(slug: str) -> Response:
    survey = survey_for_current_user(slug)
    languages = available_languages(survey)
    form = _aggregate_form(survey, languages)
    _validated(form)
    filters, _ = selected_filters(survey, request.form)
    by = tuple(form.by.data.split(","))
    return attachment(downloads.aggregate_file(survey, by, filters, form.format.data, acting_researcher()))


def _file_download(slug: str, form_class: type[ResponseExportForm | CodebookForm],
                   build: Callable[[Survey, str, Researcher], ExportFile]) -> Response:
    """A download whose form only picks a format: validate, build and audit, send."""
    survey = survey_for_current_user(slug)
    form = form_class()
    _validated(form)
    return attachment(build(survey, form.format.data, acting_researcher()))


@bp.post("/surveys/<slug>/export/responses")
@role_required(*MANAGERS)
def export_responses(slug: str) -> Response:
    survey = survey_for_current_user(slug)
    form = ResponseExportForm()
    _validated(form)
    try:
        return attachment(downloads.responses_file(survey, form.format.data, acting_researcher(),
                                                   tier=form.tier.data or "safe"))
    except GrantError as exc:
        abort(403, description=str(exc))


@bp.post("/surveys/<slug>/export/codebook")
@role_required(*MANAGERS)
def export_codebook(slug: str) -> Response:
    return _file_download(slug, CodebookForm, downloads.codebook_file)


@bp.post("/surveys/<slug>/reports")
@role_required(*ANY_ROLE)
def export_report(slug: str) -> Response:
    survey = survey_for_current_user(slug)
    form = report_form(survey)
    _validated(form)
    spec = _report_spec(form)
    try:
        result = downloads.report_file(survey, spec, form.format.data, acting_researcher())
    except (InvalidSpecification, AnalysisError, ArithmeticError, np.linalg.LinAlgError) as exc:
        abort(422, description=f"This report cannot be computed: {exc}")
    return attachment(result)
