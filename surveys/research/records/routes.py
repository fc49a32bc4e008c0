"""Police-records pages (analysts and admins): upload, map, import; the imports and their tallies.

Flow: ``records`` (upload form and every import's account of its rows) ->
POST ``records/upload`` (streamed to a temporary file; only its header and row
count are read) -> ``records/map`` (choose columns, then map the values of the
district, offence and victim columns; GET parameters choose the columns so
only those are profiled) -> POST ``records/map`` (import: counts stored, the
temporary file deleted) -> back to ``records`` with the new import open.
A duplicate is refused with 422 and a message; a bad file or mapping is
400/422 with the reason, never a 500. Upload size: ``RECORDS_MAX_UPLOAD_BYTES``.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response

from analysis.errors import AnalysisError, DuplicateUpload
from analysis.import_result import REASONS
from analysis.records_profile import profile_records

from ...accounts.access import MANAGERS, acting_researcher, role_required, survey_for_current_user
from ...extensions import csrf, db
from ...models import Survey
from ...studies.records import (
    EXCLUDE,
    GROUPS,
    PERIODS,
    category_choices,
    import_for_survey,
    known_fingerprints,
    survey_imports,
)
from ..blueprint import bp
from . import pending
from .mapping import ROLES, MappingError, chosen_columns, mapping_from_form, value_rows

PROFILE_TOP = 200


class UploadForm(FlaskForm):
    file = FileField("Police records (CSV with a header row)", validators=[FileRequired("Choose a CSV file.")])


def _records_page(survey: Survey, form: UploadForm, status: int = 200, error: str | None = None):
    return render_template("research/records/index.html", survey=survey, form=form, imports=survey_imports(survey),
                           pending=pending.current(survey.slug), error=error, reasons=REASONS,
                           opened=request.args.get("import", type=int)), status


@bp.get("/surveys/<slug>/records")
@role_required(*MANAGERS)
def records(slug: str):
    survey = survey_for_current_user(slug)
    return _records_page(survey, UploadForm())


@bp.post("/surveys/<slug>/records/upload")
@role_required(*MANAGERS)
@csrf.exempt  # checked by UploadForm, after the larger body limit is set (CSRFProtect would parse it first)
def records_upload(slug: str):
    survey = survey_for_current_user(slug)
    form = UploadForm()
    if not form.validate_on_submit():
        return _records_page(survey, form, 400)
    pending.sweep()
    token = pending.new_token()
    path = pending.folder() / f"{token}.csv"
    form.file.data.save(path)
    try:
        profile = profile_records(str(path))
    except (AnalysisError, ValueError) as exc:
        path.unlink(missing_ok=True)
        return _records_page(survey, form, 422, f"This file cannot be read as CSV: {exc}")
    if not profile.columns or profile.n_rows == 0:
        path.unlink(missing_ok=True)
        return _records_page(survey, form, 422, "This file has no rows under its header.")
    if profile.content_hash in known_fingerprints(survey):
        path.unlink(missing_ok=True)
        return _records_page(survey, form, 422, "Not uploaded: this file was imported for this survey before "
                                                "(same SHA-256); nothing was stored.")
    pending.remember(token, survey.slug, form.file.data.filename or "records.csv", list(profile.columns),
                     profile.n_rows)
    return redirect(url_for("research.records_map", slug=survey.slug))


records_upload.body_limit_setting = "RECORDS_MAX_UPLOAD_BYTES"


def _map_page(survey: Survey, upload: pending.Pending, columns: dict[str, str], status: int = 200,
              error: str | None = None, period: str = "month"):
    profiled = [c for role, c in columns.items() if role != "date"]
    profile = profile_records(str(upload.path), profiled, top=PROFILE_TOP)
    values = {role: value_rows(role, survey, profile, columns.get(role)) for role in ("district", "category", "victim")}
    return render_template(
        "research/records/map.html", survey=survey, upload=upload, columns=columns, roles=ROLES, values=values,
        places=[(j.code, j.name) for j in survey.jurisdictions], categories=category_choices(), groups=GROUPS,
        periods=PERIODS, period=period, exclude=EXCLUDE, error=error, top=PROFILE_TOP,
    ), status


@bp.get("/surveys/<slug>/records/map")
@role_required(*MANAGERS)
def records_map(slug: str):
    survey = survey_for_current_user(slug)
    upload = pending.current(survey.slug)
    if upload is None:
        flash("Upload a file first.")
        return redirect(url_for("research.records", slug=survey.slug))
    try:
        columns = chosen_columns(upload.header, request.args)
    except MappingError as exc:
        return _map_page(survey, upload, chosen_columns(upload.header, {}), 422, str(exc))
    return _map_page(survey, upload, columns, period=request.args.get("period", "month"))


@bp.post("/surveys/<slug>/records/map")
@role_required(*MANAGERS)
@csrf.exempt  # checked by FlaskForm below, after the form-size limits are raised for many value fields
def records_import(slug: str) -> Response | tuple[str, int]:
    survey = survey_for_current_user(slug)
    request.max_form_parts = 20_000
    request.max_form_memory_size = 4 * 1024 * 1024
    upload = pending.current(survey.slug)
    if upload is None or not FlaskForm().validate_on_submit():
        flash("Nothing to import: upload a file first.")
        return redirect(url_for("research.records", slug=survey.slug))
    try:
        mapping, period = mapping_from_form(request.form, survey, upload.header)
        done = import_for_survey(survey, upload.path, mapping, period=period, filename=upload.filename,
                                 actor=acting_researcher())
    except DuplicateUpload as exc:
        db.session.rollback()
        pending.discard()
        return _records_page(survey, UploadForm(), 422, f"Not imported: {exc}.")
    except (MappingError, AnalysisError, ValueError) as exc:
        db.session.rollback()
        columns = {r: request.form[r] for r in ROLES if request.form.get(r) in upload.header}
        return _map_page(survey, upload, columns, 422, f"Not imported: {exc}", request.form.get("period", "month"))
    pending.discard()
    flash(f"Imported {upload.filename}: {done.summary}")
    target = url_for("research.records", slug=survey.slug) + f"?import={done.row.id}#import-{done.row.id}"
    return redirect(target)
