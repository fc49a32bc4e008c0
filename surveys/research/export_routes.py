"""Downloads: suppressed aggregate tables (every role), row-level data and codebook (analysts, admins).

Each download is a POST with a CSRF token (it writes an AuditLog row naming
who exported what, with which parameters, never the data) and answers with an
attachment. Filters use the dashboard's parameter names and validation.
"""
from __future__ import annotations

from flask import Response, abort, render_template, request

from .. import codebook as codebooks
from .. import exports
from ..aggregates import aggregate, available_languages
from ..audit import record
from ..errors import render_error
from ..extensions import db
from ..filters import InvalidFilter, filter_form, parse_filters, with_filter_choices
from ..instrument_store import InstrumentError
from . import bp
from .access import ANY_ROLE, MANAGERS, current_researcher, role_required, survey_for_current_user
from .export_forms import AggregateExportForm, CodebookForm, ResponseExportForm

UNREADABLE = ("This survey's stored instrument cannot be read, so its items cannot be exported; "
              "load a valid version of the instrument.")


@bp.errorhandler(InstrumentError)
def _unreadable_instrument(error: InstrumentError):  # noqa: ANN202
    return render_error(409, "Instrument unreadable", UNREADABLE)


def attachment(content: bytes, filename: str, mimetype: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _audit(action: str, survey, parameters: dict) -> None:  # noqa: ANN001
    record(action, actor=current_researcher(), organisation_id=survey.organisation_id,
           target=f"survey:{survey.id}", parameters=parameters)
    db.session.commit()


def _aggregate_form(survey, languages):  # noqa: ANN001, ANN202
    return with_filter_choices(AggregateExportForm(), survey, languages)


def _validated(form) -> None:  # noqa: ANN001
    if not form.validate_on_submit():
        abort(400, description="; ".join(f"{k}: {v[0]}" for k, v in form.errors.items()) or "Invalid form.")


@bp.get("/surveys/<slug>/export")
@role_required(*ANY_ROLE)
def export_page(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    languages = available_languages(survey)
    aggregate_form = _aggregate_form(survey, languages)
    preset = filter_form(survey, request.args, languages)  # carry the dashboard's filters over
    if preset.validate():
        for name in ("wave_from", "wave_to", "jurisdiction", "language"):
            getattr(aggregate_form, name).data = getattr(preset, name).data
    from .export_reports import report_form

    return render_template("research/export.html", survey=survey, aggregate_form=aggregate_form,
                           response_form=ResponseExportForm(), codebook_form=CodebookForm(),
                           report_form=report_form(survey))


@bp.post("/surveys/<slug>/export/aggregates")
@role_required(*ANY_ROLE)
def export_aggregates(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    languages = available_languages(survey)
    form = _aggregate_form(survey, languages)
    _validated(form)
    try:
        filters = parse_filters(survey, request.form, languages)
    except InvalidFilter as exc:
        abort(exc.status, description=str(exc))
    by = tuple(form.by.data.split(","))
    table = aggregate(survey, by, filters, margins=True)
    _audit("export.aggregates", survey, {"format": form.format.data, "by": list(by), "filters": filters.as_dict()})
    if form.format.data == "json":
        return attachment(exports.aggregate_json(table, survey), f"{survey.slug}-aggregates.json",
                          "application/json")
    return attachment(exports.aggregate_csv(table), f"{survey.slug}-aggregates.csv", "text/csv; charset=utf-8")


@bp.post("/surveys/<slug>/export/responses")
@role_required(*MANAGERS)
def export_responses(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    form = ResponseExportForm()
    _validated(form)
    result = exports.export_responses(survey, form.format.data)
    _audit("export.responses", survey, {"format": form.format.data, "rows": result.rows})
    return attachment(result.content, result.filename, result.mimetype)


@bp.post("/surveys/<slug>/export/codebook")
@role_required(*MANAGERS)
def export_codebook(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    form = CodebookForm()
    _validated(form)
    _audit("export.codebook", survey, {"format": form.format.data})
    if form.format.data == "json":
        return attachment(codebooks.codebook_json(survey).encode("utf-8"), f"{survey.slug}-codebook.json",
                          "application/json")
    return attachment(codebooks.codebook_csv(survey).encode("utf-8"), f"{survey.slug}-codebook.csv",
                      "text/csv; charset=utf-8")
