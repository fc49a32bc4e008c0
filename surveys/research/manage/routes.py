"""Study management: create a survey, add jurisdictions and waves, open/close waves,
record policy events, create and print invite codes (releases and grants: ``disclosure``;
links, QR codes and invite cards: ``distribution``; editing and deleting events: ``events``).

Analysts and admins change things (POST only); viewers may read the overview.
Every survey is looked up through ``survey_for_current_user`` (404 across organisations).
"""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from ...accounts.access import (
    ADMINS,
    ANY_ROLE,
    MANAGERS,
    acting_researcher,
    has_role,
    role_required,
    survey_for_current_user,
)
from ...models import Survey
from ...publication.downloads import audit_download
from ...publication.releases import latest_release
from ...studies.instrument_versions import published_instruments
from ...studies.service import (
    StudyError,
    add_jurisdiction,
    add_wave,
    create_invite_codes,
    create_survey,
    invite_code_batches,
    record_policy_event,
    set_wave_closed,
    update_survey,
)
from ...studies.test_submissions import groups_of_test_submissions
from ..blueprint import bp
from ..form_flow import PostForm, run_form
from .disclosure import grant_form, publish, survey_grants
from .distribution import card_languages, codes_csv, invite_cards, place_links
from .forms import (
    POLICY_KIND_LABELS,
    InviteCodesForm,
    JurisdictionForm,
    PolicyEventForm,
    SurveyForm,
    SurveySettingsForm,
    WaveForm,
)
from .lookups import wave_or_404


def _back_to(survey: Survey, message: str) -> Response:
    flash(message, "info")
    return redirect(url_for("research.survey_manage", slug=survey.slug))


@bp.route("/surveys/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def survey_new():
    form = SurveyForm()
    stored = published_instruments(acting_researcher())  # drafts cannot be fielded
    form.instrument_id.choices = [SelectChoice(i.id, f"{i.title} ({i.key}, version {i.version})") for i in stored]
    outcome = run_form(
        form,
        lambda: create_survey(
            acting_researcher(),
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
def survey_manage(slug: str):
    survey = survey_for_current_user(slug)
    return render_template(
        "research/manage/survey.html",
        survey=survey,
        can_manage=has_role(*MANAGERS),
        action_form=PostForm(),
        kind_labels={k.value: v for k, v in POLICY_KIND_LABELS.items()},
        batches=invite_code_batches(survey) if survey.uses_invite_codes else [],
        release=latest_release(survey),
        grant_form=grant_form(survey) if has_role(*ADMINS) else None,
        grants=survey_grants(survey) if has_role(*ADMINS) else [],
        today=date.today(),
        test_groups=groups_of_test_submissions(survey),
    )


@bp.route("/surveys/<slug>/settings", methods=["GET", "POST"])
@role_required(*MANAGERS)
def survey_settings(slug: str):
    survey = survey_for_current_user(slug)
    form = SurveySettingsForm(obj=survey)
    outcome = run_form(
        form,
        lambda: update_survey(
            acting_researcher(),
            survey,
            title=form.title.data,
            description=form.description.data or "",
            min_cell_size=form.min_cell_size.data,
            archived=form.archived.data,
            min_answered_share=form.min_answered_share.data,
        ),
        errors=(StudyError,),
        field=form.title,
    )
    if outcome.done:
        return _back_to(survey, "Saved the survey settings.")
    return render_template("research/manage/survey_settings.html", form=form, survey=survey), outcome.status


@bp.route("/surveys/<slug>/jurisdictions/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def jurisdiction_new(slug: str):
    survey = survey_for_current_user(slug)
    form = JurisdictionForm()
    outcome = run_form(
        form,
        lambda: add_jurisdiction(
            acting_researcher(), survey, name=form.name.data, code=form.code.data, district=form.district.data
        ),
        errors=(StudyError,),
        field=form.code,
    )
    if outcome.done:
        return _back_to(survey, f"Added {outcome.result.name}.")
    return render_template("research/manage/jurisdiction_new.html", form=form, survey=survey), outcome.status


@bp.route("/surveys/<slug>/waves/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def wave_new(slug: str):
    survey = survey_for_current_user(slug)
    form = WaveForm()
    outcome = run_form(
        form,
        lambda: add_wave(
            acting_researcher(),
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


def _wave_closed(slug: str, number: int, closed: bool):
    survey = survey_for_current_user(slug)
    wave = wave_or_404(survey, number)
    if not PostForm().validate_on_submit():
        return redirect(url_for("research.survey_manage", slug=survey.slug))
    set_wave_closed(acting_researcher(), wave, closed)
    message = f"{wave.label} is {'closed' if closed else 'open again (within its dates)'}."
    if closed:  # a closed wave is released at once (the dashboard and API show releases only)
        message += " " + publish(survey, "wave_closed")
    return _back_to(survey, message)


@bp.route("/surveys/<slug>/waves/<int:number>/close", methods=["GET", "POST"])
@role_required(*MANAGERS)
def wave_close(slug: str, number: int):
    """GET: a confirmation page (works without JavaScript) saying what closing does; POST: close it."""
    if request.method == "POST":
        return _wave_closed(slug, number, True)
    survey = survey_for_current_user(slug)
    wave = wave_or_404(survey, number)
    return render_template("research/manage/wave_close_confirm.html", survey=survey, wave=wave,
                           action_form=PostForm(), today=date.today())


@bp.post("/surveys/<slug>/waves/<int:number>/reopen")
@role_required(*MANAGERS)
def wave_reopen(slug: str, number: int):
    return _wave_closed(slug, number, False)


@bp.route("/surveys/<slug>/events/new", methods=["GET", "POST"])
@role_required(*MANAGERS)
def policy_event_new(slug: str):
    survey = survey_for_current_user(slug)
    if not survey.jurisdictions:
        return _back_to(survey, "Add a jurisdiction first: every policy event happens in one.")
    form = PolicyEventForm()
    form.jurisdiction_id.choices = [SelectChoice(j.id, j.name) for j in survey.jurisdictions]
    outcome = run_form(
        form,
        lambda: record_policy_event(
            acting_researcher(),
            survey,
            jurisdiction_id=form.jurisdiction_id.data,
            event_date=form.event_date.data,
            kind=form.kind.data,
            entanglement=form.entanglement.data,
            description=form.description.data,
            source_url=form.source_url.data,
        ),
        errors=(StudyError,),
        field=form.jurisdiction_id,
    )
    if outcome.done:
        return _back_to(survey, "Recorded the policy event.")
    return render_template("research/manage/event_new.html", form=form, survey=survey), outcome.status


@bp.route("/surveys/<slug>/invite-codes", methods=["GET", "POST"])
@role_required(*MANAGERS)
def invite_codes(slug: str):
    survey = survey_for_current_user(slug)
    form = InviteCodesForm()
    languages = card_languages(survey)
    form.language.choices = [SelectChoice(lang.code, lang.name) for lang in languages]
    outcome = run_form(
        form,
        lambda: create_invite_codes(acting_researcher(), survey, count=form.count.data, batch=form.batch.data or ""),
        errors=(StudyError,),
        field=form.count,
    )
    if outcome.done:
        batch = form.batch.data or ""
        if form.output.data == "csv":  # the codes in clear leave the server: audited like any export
            audit_download("export.invite_codes", acting_researcher(), survey,
                           {"count": len(outcome.result), "batch": batch})
            return Response(codes_csv(survey, outcome.result, batch), mimetype="text/csv", headers={
                "Content-Disposition": f'attachment; filename="{survey.slug}-invite-codes.csv"',
                "Cache-Control": "no-store"})
        # The only time these codes exist in clear: a printable page, sent no-store.
        shown = next((lang for lang in languages if lang.code == form.language.data), languages[0])
        return render_template(
            "research/manage/invite_codes_print.html", survey=survey, batch=batch, language=shown,
            cards=invite_cards(survey, outcome.result, shown.code),
        )
    page = render_template(
        "research/manage/invite_codes.html", form=form, survey=survey, batches=invite_code_batches(survey)
    )
    return page, outcome.status


@bp.get("/surveys/<slug>/distribution")
@role_required(*ANY_ROLE)
def distribution(slug: str):
    """Per place a link and a QR code to print or share (they fix the place, nothing else)."""
    survey = survey_for_current_user(slug)
    return render_template("research/manage/distribution.html", survey=survey, places=place_links(survey),
                           general_url=url_for("respond.start", slug=survey.slug, _external=True),
                           can_manage=has_role(*MANAGERS))
