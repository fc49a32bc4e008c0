"""Population margins page: the current upload and its table, and a form to upload a new CSV.

A file that cannot be read is answered with 400, one that does not fit the survey (unknown
jurisdiction or answer code, shares not summing to one) with 422; both show the page again with
the reason. A good file is stored and audited by ``publication.margins.store_margins``; web
reports then offer "raking to uploaded margins".
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response

from ...accounts.access import MANAGERS, acting_researcher, role_required, survey_for_current_user
from ...models import Survey
from ...publication import margins
from ..blueprint import bp


class MarginsForm(FlaskForm):
    file = FileField("Margins (CSV: jurisdiction, variable, level, share)",
                     validators=[FileRequired("Choose a CSV file.")])


def _page(survey: Survey, form: MarginsForm, status: int = 200, error: str | None = None) -> tuple[str, int]:
    return render_template("research/margins/index.html", survey=survey, form=form, error=error,
                           current=margins.current_margins(survey),
                           variables=margins.raking_variables(survey)), status


@bp.get("/surveys/<slug>/margins")
@role_required(*MANAGERS)
def margins_page(slug: str) -> tuple[str, int]:
    return _page(survey_for_current_user(slug), MarginsForm())


@bp.post("/surveys/<slug>/margins")
@role_required(*MANAGERS)
def margins_upload(slug: str) -> Response | tuple[str, int]:
    survey = survey_for_current_user(slug)
    form = MarginsForm()
    if not form.validate_on_submit():
        return _page(survey, form, 400)
    upload = form.file.data
    try:
        stored = margins.store_margins(acting_researcher(), survey, upload.read(margins.MAX_BYTES + 1),
                                       upload.filename or "margins.csv")
    except margins.MarginsError as exc:
        return _page(survey, form, exc.status, str(exc))
    flash(f"Margins stored ({len(stored.rows)} rows, SHA-256 {stored.sha256[:12]}): reports can now rake to them.")
    return redirect(url_for("research.margins_page", slug=slug))
