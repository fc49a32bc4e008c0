"""Publishing releases (analysts, admins) and granting restricted microdata (admins), on the survey page.

A release freezes the closed waves for viewers and the API (``publication.releases``); closing a
wave publishes one too. A grant lets one named analyst download restricted microdata (exact day,
free text) for a stated purpose until it expires (``publication.grants``). Both are audited.
"""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, url_for
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from ...accounts.access import ADMINS, MANAGERS, acting_researcher, role_required, survey_for_current_user
from ...extensions import db
from ...models import MicrodataGrant, Researcher, Role, Survey, utcnow
from ...publication.grants import GrantError, grant_microdata
from ...publication.releases import NothingToRelease, invalidate, publish_release
from ..blueprint import bp
from ..form_flow import PostForm
from .forms import MicrodataGrantForm


def _back_to(survey: Survey, message: str) -> Response:
    flash(message, "info")
    return redirect(url_for("research.survey_manage", slug=survey.slug))


def publish(survey: Survey, kind: str) -> str:
    """Publish a release of the waves closed since the last one; the message says what happened."""
    try:
        release = publish_release(survey, acting_researcher(), kind=kind)
    except NothingToRelease:
        return "No wave has closed since the last release, so there is nothing new to publish."
    db.session.commit()
    invalidate(survey.id)
    return f"Release {release.number} published (waves {', '.join(map(str, release.waves))})."


@bp.post("/surveys/<slug>/releases")
@role_required(*MANAGERS)
def release_publish(slug: str):
    """Publish a release of every closed wave not released yet (analysts and admins)."""
    survey = survey_for_current_user(slug)
    if not PostForm().validate_on_submit():
        return redirect(url_for("research.survey_manage", slug=survey.slug))
    return _back_to(survey, publish(survey, "manual"))


def grant_form(survey: Survey) -> MicrodataGrantForm:
    form = MicrodataGrantForm()
    analysts = db.session.scalars(db.select(Researcher).where(
        Researcher.organisation_id == survey.organisation_id, Researcher.active.is_(True),
        Researcher.role.in_([Role.ANALYST.value, Role.ADMIN.value])).order_by(Researcher.email)).all()
    form.analyst.choices = [SelectChoice(r.id, r.email) for r in analysts]
    return form


def survey_grants(survey: Survey) -> list[MicrodataGrant]:
    return list(db.session.scalars(db.select(MicrodataGrant).where(MicrodataGrant.survey_id == survey.id)
                                   .order_by(MicrodataGrant.id)).all())


@bp.post("/surveys/<slug>/grants")
@role_required(*ADMINS)
def microdata_grant(slug: str):
    """An admin grants restricted microdata to a named analyst, with a purpose and an expiry."""
    survey = survey_for_current_user(slug)
    form = grant_form(survey)
    if not form.validate_on_submit():
        abort(400, description="; ".join(f"{name}: {', '.join(errors)}" for name, errors in form.errors.items()))
    analyst = db.session.get(Researcher, form.analyst.data)
    if analyst is None:
        abort(422, description="No such analyst.")
    try:
        grant = grant_microdata(acting_researcher(), survey, analyst, form.purpose.data or "",
                                utcnow() + timedelta(days=form.days.data or 90))
    except GrantError as exc:
        abort(422, description=str(exc))
    return _back_to(survey, f"Grant {grant.id}: {analyst.email} may download restricted microdata "
                            f"until {grant.expires_at:%Y-%m-%d}.")
