"""Policy events after they were recorded: an edit page (every field) and a delete confirmation.

Deleting an event changes every estimate that uses its place's timing, so it takes two steps that
work without JavaScript: GET shows what will be deleted and what that changes; only the POST of
that page (CSRF-checked) deletes. Analysts and admins only; events of another survey are a 404.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from ...accounts.access import MANAGERS, acting_researcher, role_required, survey_for_current_user
from ...models import PolicyEvent, Survey
from ...studies.editing import policy_event_of, update_policy_event
from ...studies.service import StudyError, delete_policy_event
from ..blueprint import bp
from ..form_flow import PostForm, run_form
from .forms import POLICY_KIND_LABELS, PolicyEventForm


def _event_or_404(survey: Survey, event_id: int) -> PolicyEvent:
    try:
        return policy_event_of(survey, event_id)
    except LookupError:
        abort(404, description="No such policy event in this survey.")


@bp.route("/surveys/<slug>/events/<int:event_id>/edit", methods=["GET", "POST"])
@role_required(*MANAGERS)
def policy_event_edit(slug: str, event_id: int):
    survey = survey_for_current_user(slug)
    event = _event_or_404(survey, event_id)
    form = PolicyEventForm(obj=event, jurisdiction_id=event.jurisdiction_id)
    form.jurisdiction_id.choices = [SelectChoice(j.id, j.name) for j in survey.jurisdictions]
    form.submit.label.text = "Save policy event"
    outcome = run_form(
        form,
        lambda: update_policy_event(acting_researcher(), survey, event, jurisdiction_id=form.jurisdiction_id.data,
                                    event_date=form.event_date.data, kind=form.kind.data,
                                    entanglement=form.entanglement.data, description=form.description.data,
                                    source_url=form.source_url.data),
        errors=(StudyError,),
        field=form.jurisdiction_id,
    )
    if outcome.done:
        flash(f"Saved the policy event of {event.event_date} in {event.jurisdiction.name}.", "info")
        return redirect(url_for("research.survey_manage", slug=survey.slug))
    action = url_for("research.policy_event_edit", slug=survey.slug, event_id=event.id)
    page = render_template("research/manage/event_new.html", form=form, survey=survey, action=action,
                           heading=f"Edit the policy event of {event.event_date} in {event.jurisdiction.name}")
    return page, outcome.status


@bp.route("/surveys/<slug>/events/<int:event_id>/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def policy_event_delete(slug: str, event_id: int):
    """GET: the confirmation page; POST (from it): delete the event."""
    survey = survey_for_current_user(slug)
    event = _event_or_404(survey, event_id)
    form = PostForm()
    if request.method == "POST" and form.validate_on_submit():
        when = event.event_date
        delete_policy_event(acting_researcher(), survey, event.id)
        flash(f"Deleted the policy event of {when}.", "info")
        return redirect(url_for("research.survey_manage", slug=survey.slug))
    return render_template("research/manage/event_delete_confirm.html", survey=survey, event=event,
                           action_form=form, kind_labels=POLICY_KIND_LABELS)
