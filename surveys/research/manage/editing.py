"""Edit pages for places (name, district) and waves (label, dates): study management without a terminal.

Analysts and admins only; each page is a plain form (no JavaScript), errors beside the field.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ...accounts.access import MANAGERS, acting_researcher, role_required, survey_for_current_user
from ...studies.editing import update_jurisdiction, update_wave
from ...studies.service import StudyError
from ..blueprint import bp
from ..form_flow import run_form
from .lookups import wave_or_404


class PlaceEditForm(FlaskForm):
    name = StringField("Name (city or county)", validators=[DataRequired(), Length(max=200)])
    district = StringField("Coarse district (optional)", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Save")


class WaveEditForm(FlaskForm):
    label = StringField("Label (optional)", validators=[Optional(), Length(max=100)])
    opens_on = DateField("Opens on", validators=[DataRequired()])
    closes_on = DateField("Closes on", validators=[DataRequired()])
    submit = SubmitField("Save")

    def validate_closes_on(self, field: DateField) -> None:
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError("A wave cannot close before it opens.")


@bp.route("/surveys/<slug>/jurisdictions/<code>/edit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def jurisdiction_edit(slug: str, code: str):
    survey = survey_for_current_user(slug)
    place = next((j for j in survey.jurisdictions if j.code == code), None)
    if place is None:
        abort(404, description="No such jurisdiction.")
    form = PlaceEditForm(obj=place)
    outcome = run_form(form, lambda: update_jurisdiction(acting_researcher(), place, name=form.name.data,
                                                         district=form.district.data),
                       errors=(StudyError,), field=form.name)
    if outcome.done:
        flash(f"Saved {place.name}.", "info")
        return redirect(url_for("research.survey_manage", slug=survey.slug))
    page = render_template("research/manage/edit.html", form=form, survey=survey,
                           heading=f"Edit {place.name} ({place.code})",
                           note="The code stays as it is: it is in every distributed link and in the data.")
    return page, outcome.status


@bp.route("/surveys/<slug>/waves/<int:number>/edit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def wave_edit(slug: str, number: int):
    survey = survey_for_current_user(slug)
    wave = wave_or_404(survey, number)
    form = WaveEditForm(obj=wave)
    outcome = run_form(form, lambda: update_wave(acting_researcher(), wave, label=form.label.data or "",
                                                 opens_on=form.opens_on.data, closes_on=form.closes_on.data),
                       errors=(StudyError,), field=form.opens_on)
    if outcome.done:
        flash(f"Saved {wave.label}: {wave.opens_on} to {wave.closes_on}.", "info")
        return redirect(url_for("research.survey_manage", slug=survey.slug))
    page = render_template("research/manage/edit.html", form=form, survey=survey,
                           heading=f"Edit wave {wave.number} ({wave.label})",
                           note="Dates may not overlap another wave. Answers already given stay in this wave.")
    return page, outcome.status
