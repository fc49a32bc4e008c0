"""The JSON API's endpoints: its root, surveys, suppressed aggregates, estimates, row exports, codebook.

Bearer tokens only (``api_auth_required``); a token acts with its owner's role
and organisation, so another organisation's survey is a 404 and a viewer's
token gets 403 on row-level data. Aggregates come from
``surveys.publication.aggregates.aggregate`` like every other table, and every
data answer writes an AuditLog row (``surveys.publication.downloads``, marked
``via: api``). The OpenAPI description is ``docs/openapi.yaml``.
"""
from __future__ import annotations

from flask import Response, abort, jsonify, request

from ..accounts.access import (
    ANY_ROLE,
    MANAGERS,
    acting_researcher,
    api_auth_required,
    survey_for_current_user,
)
from ..extensions import db
from ..instruments import InstrumentError
from ..models import Survey
from ..publication import downloads, exports, fieldwork
from ..publication.aggregates import DIMENSIONS
from ..publication.filters import selected_filters
from ..publication.grants import GrantError
from ..web.errors import unreadable_instrument
from .blueprint import bp

API_VERSION = "1"
TRUE_FALSE = {"true": True, "false": False, "1": True, "0": False}
VIA = "api"

bp.register_error_handler(InstrumentError, unreadable_instrument)


@bp.get("/")
def root() -> Response:
    return jsonify(name="Civic Trust Survey API", version=API_VERSION)


def _survey_summary(survey: Survey) -> dict:
    return {"slug": survey.slug, "title": survey.title, "min_cell_size": survey.min_cell_size,
            "date_granularity": survey.date_granularity,
            "instrument": {"key": survey.instrument.key, "version": survey.instrument.version}}


@bp.get("/surveys")
@api_auth_required(*ANY_ROLE)
def surveys():
    researcher = acting_researcher()
    rows = db.session.scalars(db.select(Survey).where(Survey.organisation_id == researcher.organisation_id)
                              .order_by(Survey.slug)).all()
    return jsonify(surveys=[_survey_summary(s) for s in rows])


@bp.get("/surveys/<slug>")
@api_auth_required(*ANY_ROLE)
def survey_detail(slug: str):
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
def aggregates(slug: str):
    survey = survey_for_current_user(slug)
    by, margins = _grouping()
    filters, _ = selected_filters(survey, request.args)
    table = downloads.aggregate_table(survey, by, filters, margins=margins, fmt="json", actor=acting_researcher(),
                                      via=VIA)
    progress = [row.as_dict() for row in fieldwork.progress(survey)]
    return Response(exports.aggregate_json(table, survey, progress), mimetype="application/json")


@bp.get("/surveys/<slug>/estimates")
@api_auth_required(*ANY_ROLE)
def estimates(slug: str):
    survey = survey_for_current_user(slug)
    return jsonify(downloads.estimates_document(survey, acting_researcher(), via=VIA))


@bp.get("/surveys/<slug>/responses")
@api_auth_required(*MANAGERS)
def responses(slug: str):
    survey = survey_for_current_user(slug)
    fmt = request.args.get("format", "csv")
    if fmt not in exports.ROW_FORMATS:
        abort(422, description=f"format must be one of {', '.join(exports.ROW_FORMATS)}.")
    tier = request.args.get("tier", "safe")
    if tier not in ("safe", "restricted"):
        abort(422, description="tier must be safe or restricted.")
    try:
        result = downloads.responses_file(survey, fmt, acting_researcher(), via=VIA, tier=tier)
    except GrantError as exc:
        abort(403, description=str(exc))
    response = Response(result.content, mimetype=result.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


@bp.get("/surveys/<slug>/codebook")
@api_auth_required(*MANAGERS)
def codebook(slug: str):
    survey = survey_for_current_user(slug)
    return jsonify(downloads.codebook_document(survey, acting_researcher(), via=VIA))
