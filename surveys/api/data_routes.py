"""Data endpoints of the JSON API: surveys, suppressed aggregates, estimates, row exports, codebook.

Bearer tokens only (``api_auth_required``); a token acts with its owner's role
and organisation, so another organisation's survey is a 404 and a viewer's
token gets 403 on row-level data. Aggregates come from
``surveys.aggregates.aggregate`` like every other table. Every data answer
writes an AuditLog row. The OpenAPI description is ``docs/openapi.yaml``.
"""
from __future__ import annotations

from flask import Response, abort, jsonify, request

from .. import codebook as codebooks
from .. import exports
from ..aggregates import DIMENSIONS, aggregate, available_languages
from ..audit import record
from ..errors import render_error
from ..estimates import survey_estimates
from ..extensions import db
from ..filters import InvalidFilter, parse_filters
from ..instrument_store import InstrumentError
from ..models import Survey
from ..research.access import ANY_ROLE, MANAGERS, api_auth_required, current_researcher, survey_for_current_user
from ..research.export_routes import UNREADABLE
from . import bp

TRUE_FALSE = {"true": True, "false": False, "1": True, "0": False}


@bp.errorhandler(InstrumentError)
def _unreadable_instrument(error: InstrumentError):  # noqa: ANN202
    return render_error(409, "Instrument unreadable", UNREADABLE)


def _audit(action: str, survey: Survey, parameters: dict) -> None:
    record(action, actor=current_researcher(), organisation_id=survey.organisation_id,
           target=f"survey:{survey.id}", parameters={"via": "api", **parameters})
    db.session.commit()


def _survey_summary(survey: Survey) -> dict:
    return {"slug": survey.slug, "title": survey.title, "min_cell_size": survey.min_cell_size,
            "date_granularity": survey.date_granularity,
            "instrument": {"key": survey.instrument.key, "version": survey.instrument.version}}


@bp.get("/surveys")
@api_auth_required(*ANY_ROLE)
def surveys():  # noqa: ANN201
    researcher = current_researcher()
    rows = db.session.scalars(db.select(Survey).where(Survey.organisation_id == researcher.organisation_id)
                              .order_by(Survey.slug)).all()
    return jsonify(surveys=[_survey_summary(s) for s in rows])


@bp.get("/surveys/<slug>")
@api_auth_required(*ANY_ROLE)
def survey_detail(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    body = _survey_summary(survey)
    body["waves"] = [{"number": w.number, "label": w.label, "opens_on": w.opens_on.isoformat(),
                      "closes_on": w.closes_on.isoformat()} for w in survey.waves]
    body["jurisdictions"] = [{"code": j.code, "name": j.name} for j in survey.jurisdictions]
    body["policy_events"] = [{"jurisdiction": j.code, "date": e.event_date.isoformat(), "kind": e.kind,
                              "direction": e.direction, "description": e.description}
                             for j in survey.jurisdictions for e in j.policy_events]
    return jsonify(body)


def _grouping() -> tuple[tuple[str, ...], bool]:
    raw = request.args.get("by", "wave,jurisdiction")
    by = tuple(part.strip() for part in raw.split(",") if part.strip()) if len(raw) <= 100 else ("?",)
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown or len(set(by)) != len(by):
        abort(422, description=f"by must list distinct dimensions from {', '.join(DIMENSIONS)} (got {raw[:100]!r}).")
    margins = request.args.get("margins", "false").lower()
    if margins not in TRUE_FALSE:
        abort(400, description="margins must be true or false.")
    return by, TRUE_FALSE[margins]


@bp.get("/surveys/<slug>/aggregates")
@api_auth_required(*ANY_ROLE)
def aggregates(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    by, margins = _grouping()
    try:
        filters = parse_filters(survey, request.args, available_languages(survey))
    except InvalidFilter as exc:
        abort(exc.status, description=str(exc))
    table = aggregate(survey, by, filters, margins=margins)
    _audit("export.aggregates", survey, {"format": "json", "by": list(by), "filters": filters.as_dict()})
    return Response(exports.aggregate_json(table, survey), mimetype="application/json")


@bp.get("/surveys/<slug>/estimates")
@api_auth_required(*ANY_ROLE)
def estimates(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    result = survey_estimates(survey)
    _audit("report.estimates", survey, {"specification": result.get("specification", {})})
    return jsonify(result)


@bp.get("/surveys/<slug>/responses")
@api_auth_required(*MANAGERS)
def responses(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    fmt = request.args.get("format", "csv")
    if fmt not in exports.ROW_FORMATS:
        abort(422, description=f"format must be one of {', '.join(exports.ROW_FORMATS)}.")
    result = exports.export_responses(survey, fmt)
    _audit("export.responses", survey, {"format": fmt, "rows": result.rows})
    response = Response(result.content, mimetype=result.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


@bp.get("/surveys/<slug>/codebook")
@api_auth_required(*MANAGERS)
def codebook(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    _audit("export.codebook", survey, {"format": "json"})
    return jsonify(codebooks.codebook(survey))
