"""Preview and test mode: walk the survey as a respondent would, in any of its languages, before or
during a wave, with the answers kept apart as test data.

``GET /research/surveys/<slug>/preview?lang=<code>&j=<place code>`` (any role of the survey's
organisation) seals a *preview* state (``SurveyState.preview``) in the respondent cookie and sends
the researcher to the first questionnaire page. The respondent pages never look at logins: the
sealed marker is what makes them show the preview banner, skip the open-wave check and store the
final submit with ``studies.test_submissions`` instead of the response buffer. No invite code and
no rate limit is used. Deleting the test submissions (managers) takes a confirmation page.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from ...accounts.access import ANY_ROLE, MANAGERS, acting_researcher, role_required, survey_for_current_user
from ...respond import pages
from ...respond.context import find_survey, wave_status
from ...respond.moves import go_to
from ...respond.state import SurveyState
from ...studies.test_submissions import delete_test_submissions, groups_of_test_submissions
from ..blueprint import bp
from ..form_flow import PostForm


@bp.get("/surveys/<slug>/preview")
@role_required(*ANY_ROLE)
def survey_preview(slug: str):
    """Start a preview in ``?lang=`` (default: the instrument's) at the place ``?j=`` (default: the first)."""
    survey = survey_for_current_user(slug)
    ctx = find_survey(survey.slug)
    if ctx is None:
        abort(404, description="This survey is archived: its questionnaire cannot be previewed.")
    codes = [lang.code for lang in ctx.instrument.languages]
    language = request.args.get("lang") or ctx.instrument.default_language
    if language not in codes:
        abort(404, description=f"The questionnaire has no language {language[:16]!r}; it has {', '.join(codes)}.")
    places = list(ctx.survey.jurisdictions)
    if not places:
        abort(409, description="Add a jurisdiction first: every response belongs to a place.")
    wanted = request.args.get("j")
    place = next((p for p in places if p.code == wanted), None) if wanted else places[0]
    if place is None:
        abort(404, description="No such jurisdiction in this survey.")
    wave = wave_status(ctx.survey).open_wave
    state = SurveyState(survey_id=ctx.survey.id, wave_id=wave.id if wave else 0,
                        jurisdiction_id=place.id, preview=True)
    return go_to(ctx, state.with_answers({}, pages.first_page(ctx.instrument, {})), language)


@bp.route("/surveys/<slug>/test-submissions/delete", methods=["GET", "POST"])
@role_required(*MANAGERS)
def test_submissions_delete(slug: str):
    """GET: what will be deleted; POST (from that page): delete every test submission of the survey."""
    survey = survey_for_current_user(slug)
    form = PostForm()
    if request.method == "POST" and form.validate_on_submit():
        count = delete_test_submissions(acting_researcher(), survey)
        flash(f"Deleted {count} test submission{'s' if count != 1 else ''}.", "info")
        return redirect(url_for("research.survey_manage", slug=survey.slug))
    return render_template("research/manage/test_submissions_delete.html", survey=survey,
                           groups=groups_of_test_submissions(survey), action_form=form)
