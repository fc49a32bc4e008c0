"""Routes for respondents. Placeholder until the respondent-side issue lands."""
from __future__ import annotations

from flask import abort, render_template
from sqlalchemy import select

from ..extensions import db
from ..models import Survey
from . import bp


@bp.get("/s/<slug>")
def survey(slug: str):  # noqa: ANN201
    found = db.session.scalar(select(Survey).where(Survey.slug == slug, Survey.archived.is_(False)))
    if found is None:
        abort(404, description="There is no survey at this address. Please check the link you were given.")
    return render_template("respond/placeholder.html", survey=found)
