"""Study management: create a survey, add jurisdictions and waves, open/close waves,
record policy events, create and print invite codes.

Analysts and admins change things (POST only); viewers may read the overview.
Every survey is looked up through ``survey_for_current_user`` (404 across organisations).
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from wtforms import SelectChoice

from ..studies import (
    StudyError,
    add_jurisdiction,
    add_wave,
    create_invite_codes,
    create_survey,
    delete_policy_event,
    instruments,
    invite_code_batches,
    record_policy_event,
    set_wave_closed,
    update_survey,
)
from . import bp
from .access import ANY_ROLE, MANAGERS, current_researcher, has_role, role_required, survey_for_current_user
from .auth_forms import PostForm
from .form_flow import run_form
from .manage_forms import (
    POLICY_KIND_LABELS,
    InviteCodesForm,
    JurisdictionForm,
    PolicyEventForm,
    SurveyForm,
    SurveySettingsForm,
    WaveForm,
)


@bp.context_processor
def _endpoint_helpers() -> dict:
    """``has_endpoint(name)`` lets pages link to views other modules may or may not register."""
    return {"has_endpoint": lambda name: name in current_app.view_functions}


def _back_to(survey, message: str):  # noqa: ANN001, ANN202
    flash(message, "info")
    return redirect(url_for("research.survey_manage", slug=survey.slug))


@bp.route("/surveys/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def survey_new():  # noqa: ANN201
    form = SurveyForm()
    stored = instruments()
    form.instrument_id.choices = [SelectChoice(i.id, f"{i.title} ({i.key}, version {i.version})") for i in stored]
    outcome = run_form(
        form,
        lambda: create_survey(
            current_researcher(),
            instrument_id=form.instrument_id.data,
            slug=form.slug.data,
            title=form.title.data,
            description=form.description.data or "",
            uses_invite_codes=form.uses_invite_codes.data,
            date_granularity=form.date_granularity.data,
            min_cell_size=form.min_cell_size.data,
        ),
        errors=(StudyError,),
        field=form.slug,
    )
    if outcome.done:
        return _back_to(outcome.result, f"Created “{outcome.result.title}”. Now add its jurisdictions and waves.")
    page = render_template("research/manage/survey_new.html", form=form, has_instruments=bool(stored))
    return page, outcome.status


@bp.get("/surveys/<slug>/manage")
@role_required(*ANY_ROLE)
def survey_manage(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    return render_template(
        "research/manage/survey.html",
        survey=survey,
        can_manage=has_role(*MANAGERS),
        action_form=PostForm(),
        kind_labels={k.value: v for k, v in POLICY_KIND_LABELS.items()},
        batches=invite_code_batches(survey) if survey.uses_invite_codes else [],
    )


@bp.route("/surveys/<slug>/settings", methods=["GET", "POST"])
@role_required(*MANAGERS)
def survey_settings(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    form = SurveySettingsForm(obj=survey)
    outcome = run_form(
        form,
        lambda: update_survey(
            current_researcher(),
            survey,
            title=form.title.data,
            description=form.description.data or "",
            min_cell_size=form.min_cell_size.data,
            archived=form.archived.data,
        ),
        errors=(StudyError,),
        field=form.title,
    )
    if outcome.done:
        return _back_to(survey, "Saved the survey settings.")
    return render_template("research/manage/survey_settings.html", form=form, survey=survey), outcome.status


@bp.route("/surveys/<slug>/jurisdictions/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def jurisdiction_new(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    form = JurisdictionForm()
    outcome = run_form(
        form,
        lambda: add_jurisdiction(
            current_researcher(), survey, name=form.name.data, code=form.code.data, district=form.district.data
        ),
        errors=(StudyError,),
        field=form.code,
    )
    if outcome.done:
        return _back_to(survey, f"Added {outcome.result.name}.")
    return render_template("research/manage/jurisdiction_new.html", form=form, survey=survey), outcome.status


@bp.route("/surveys/<slug>/waves/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def wave_new(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    form = WaveForm()
    outcome = run_form(
        form,
        lambda: add_wave(
            current_researcher(),
            survey,
            label=form.label.data or "",
            opens_on=form.opens_on.data,
            closes_on=form.closes_on.data,
        ),
        errors=(StudyError,),
        field=form.opens_on,
    )
    if outcome.done:
        return _back_to(survey, f"Added {outcome.result.label}.")
    return render_template("research/manage/wave_new.html", form=form, survey=survey), outcome.status


def _wave_closed(slug: str, number: int, closed: bool):  # noqa: ANN202
    survey = survey_for_current_user(slug)
    wave = next((w for w in survey.waves if w.number == number), None)
    if wave is None:
        abort(404, description="No such wave.")
    if not PostForm().validate_on_submit():
        return redirect(url_for("research.survey_manage", slug=survey.slug))
    set_wave_closed(current_researcher(), wave, closed)
    return _back_to(survey, f"{wave.label} is {'closed' if closed else 'open again (within its dates)'}.")


@bp.post("/surveys/<slug>/waves/<int:number>/close")
@role_required(*MANAGERS)
def wave_close(slug: str, number: int):  # noqa: ANN201
    return _wave_closed(slug, number, True)


@bp.post("/surveys/<slug>/waves/<int:number>/reopen")
@role_required(*MANAGERS)
def wave_reopen(slug: str, number: int):  # noqa: ANN201
    return _wave_closed(slug, number, False)


@bp.route("/surveys/<slug>/events/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def policy_event_new(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    if not survey.jurisdictions:
        return _back_to(survey, "Add a jurisdiction first: every policy event happens in one.")
    form = PolicyEventForm()
    form.jurisdiction_id.choices = [SelectChoice(j.id, j.name) for j in survey.jurisdictions]
    outcome = run_form(
        form,
        lambda: record_policy_event(
            current_researcher(),
            survey,
            jurisdiction_id=form.jurisdiction_id.data,
            event_date=form.event_date.data,
            kind=form.kind.data,
            direction=form.direction.data,
            description=form.description.data,
            source_url=form.source_url.data,
        ),
        errors=(StudyError,),
        field=form.jurisdiction_id,
    )
    if outcome.done:
        return _back_to(survey, "Recorded the policy event.")
    return render_template("research/manage/event_new.html", form=form, survey=survey), outcome.status


@bp.post("/surveys/<slug>/events/<int:event_id>/delete")
@role_required(*MANAGERS)
def policy_event_delete(slug: str, event_id: int):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    if not PostForm().validate_on_submit():
        return redirect(url_for("research.survey_manage", slug=survey.slug))
    try:
        event = delete_policy_event(current_researcher(), survey, event_id)
    except LookupError:
        abort(404, description="No such policy event.")
    return _back_to(survey, f"Deleted the policy event of {event.event_date}.")


@bp.route("/surveys/<slug>/invite-codes", methods=["GET", "POST"])
@role_required(*MANAGERS)
def invite_codes(slug: str):  # noqa: ANN201
    survey = survey_for_current_user(slug)
    form = InviteCodesForm()
    outcome = run_form(
        form,
        lambda: create_invite_codes(current_researcher(), survey, count=form.count.data, batch=form.batch.data or ""),
        errors=(StudyError,),
        field=form.count,
    )
    if outcome.done:
        # The only time these codes exist in clear: a printable page, sent no-store.
        return render_template(
            "research/manage/invite_codes_print.html", survey=survey, codes=outcome.result, batch=form.batch.data or ""
        )
    page = render_template(
        "research/manage/invite_codes.html", form=form, survey=survey, batches=invite_code_batches(survey)
    )
    return page, outcome.status
