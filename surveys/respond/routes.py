"""The anonymous survey at ``/s/<slug>``: start page, questionnaire pages, thank-you page.

GET  /s/<slug>         the start page (consent in plain words, where you live, an invite code);
                       a clear page instead when no wave is open today
POST /s/<slug>         start the questionnaire (or switch language on the start page)
POST /s/<slug>/page    one questionnaire page: next, back, submit, or switch language
GET  /s/<slug>/thanks  the thank-you page

Nothing is stored before the final submit; then ``submission.store_response``
stores the response, its answers, the invite code's consumption and the
form's one-time token in one transaction. Every refusal is a 4xx page in the
respondent's language (``errors.py``), never a half-written row.
"""
from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for

from ..submission import DuplicateSubmission, InvalidInviteCode, store_response
from . import bp, messages, pages, throttle
from .context import SurveyContext, find_survey, render_page, survey_language, wave_status
from .errors import respondent_error
from .fields import field_name
from .forms import ConsentForm, page_form
from .invites import invite_code_usable
from .state import StateError, StateExpired, SurveyState, dump_state, load_state


def _survey_or_404(slug: str) -> SurveyContext:
    ctx = find_survey(slug)
    if ctx is None:
        abort(404)
    return ctx


def _direction(ctx: SurveyContext, language: str) -> str:
    return ctx.language(language).direction


def _closed_page(ctx: SurveyContext, language: str, status: int = 200):  # noqa: ANN202
    waves = wave_status(ctx.survey)
    key = "wave_not_open" if waves.reason == "not_open" else "wave_closed"
    return render_page(
        "respond/closed.html", language, _direction(ctx, language), status,
        ctx=ctx, reason=waves.reason, opens_on=waves.opens_on, message=ctx.text(key, language),
        switch_url=lambda code: url_for("respond.start", slug=ctx.survey.slug, lang=code),
    )


def _consent_page(ctx: SurveyContext, form: ConsentForm, language: str, status: int = 200,
                  fixed_jurisdiction: Any = None):  # noqa: ANN202
    return render_page(
        "respond/consent.html", language, _direction(ctx, language), status,
        ctx=ctx, form=form, fixed_jurisdiction=fixed_jurisdiction,
    )


def _consent_form(ctx: SurveyContext, formdata: Any, language: str) -> ConsentForm:
    form = ConsentForm(
        formdata=formdata, jurisdictions=list(ctx.survey.jurisdictions),
        uses_invite_codes=ctx.survey.uses_invite_codes,
    )
    form.lang.data = language
    return form


@bp.get("/s/<slug>")
def start(slug: str):  # noqa: ANN201
    """The start page, preset by the distributed link's ``?j=<code>``, ``?code=`` and ``?lang=``."""
    ctx = _survey_or_404(slug)
    language = survey_language(ctx, request.args.get("lang"))
    if wave_status(ctx.survey).open_wave is None:
        return _closed_page(ctx, language)
    form = _consent_form(ctx, None, language)
    fixed = None
    code = request.args.get("j")
    if code:
        fixed = next((j for j in ctx.survey.jurisdictions if j.code == code), None)
        if fixed is None:
            return respondent_error("unknown_jurisdiction", 404, language=language, ctx=ctx)
        form.jurisdiction.data = fixed.code
    if ctx.survey.uses_invite_codes and request.args.get("code"):
        form.invite_code.data = request.args.get("code", "")[:64]
    return _consent_page(ctx, form, language, fixed_jurisdiction=fixed)


@bp.post("/s/<slug>")
def begin(slug: str):  # noqa: ANN201
    """Start the questionnaire: check where the respondent lives and the invite code."""
    ctx = _survey_or_404(slug)
    switch = request.form.get("switch_lang")
    language = survey_language(ctx, switch, request.form.get("lang"))
    waves = wave_status(ctx.survey)
    if waves.open_wave is None:
        return _closed_page(ctx, language, 409)
    form = _consent_form(ctx, request.form, language)
    # A place fixed by the link's ?j= stays fixed when the page is shown again.
    fixed = next((j for j in ctx.survey.jurisdictions if j.code == request.form.get("fixed_j")), None)
    if switch:
        return _consent_page(ctx, form, language, fixed_jurisdiction=fixed)
    valid = form.validate()
    invite = (form.invite_code.data or "").strip() if ctx.survey.uses_invite_codes else None
    if valid and invite is not None:
        if not throttle.submission_allowed():
            return respondent_error("rate_limited", 429, language=language, ctx=ctx)
        if not invite_code_usable(ctx.survey, invite):
            throttle.count_submission()  # guessing codes counts against the limit
            form.invite_code.errors = [messages.invite_code_invalid()]
            valid = False
    if not valid:
        return _consent_page(ctx, form, language, 422, fixed_jurisdiction=fixed)
    state = SurveyState(
        survey_id=ctx.survey.id, wave_id=waves.open_wave.id,
        jurisdiction_id=form.chosen_jurisdiction.id, invite_code=invite,
    )
    first = pages.first_page(ctx.instrument, {})
    return _question_page(ctx, state.with_answers({}, first), language)


def _form_for(ctx: SurveyContext, state: SurveyState, language: str, formdata: Any) -> Any:
    questions = pages.page_questions(ctx.instrument, state.page)
    form_class = page_form(ctx.instrument, questions, language)
    data = {field_name(q.id): state.answers.get(q.id) for q in questions}
    form = form_class(formdata=formdata, data=data)
    form.earlier = dict(state.answers)
    form.state.data = dump_state(state)
    form.lang.data = language
    return form


def _question_page(ctx: SurveyContext, state: SurveyState, language: str, form: Any = None,
                   status: int = 200):  # noqa: ANN202
    form = form or _form_for(ctx, state, language, None)
    form.state.data = dump_state(state)
    form.lang.data = language
    instrument = ctx.instrument
    position, total = pages.progress(instrument, state.page, state.answers)
    is_last = pages.next_page(instrument, state.page, {**state.answers, **form.posted_answers()}) is None
    return render_page(
        "respond/page.html", language, _direction(ctx, language), status,
        ctx=ctx, form=form, block=instrument.blocks[state.page],
        units=pages.page_units(instrument, state.page, state.seed, state.answers),
        position=position, total=total, is_last=is_last,
        has_previous=pages.previous_page(instrument, state.page, state.answers) is not None,
    )


def _load_posted_state(ctx: SurveyContext, language: str) -> SurveyState | tuple:
    try:
        state = load_state(request.form.get("state"), ctx.survey.id)
    except StateExpired:
        return respondent_error("expired", 400, language=language, ctx=ctx)
    except StateError:
        return respondent_error("state", 400, language=language, ctx=ctx)
    if state.page >= pages.page_count(ctx.instrument):
        return respondent_error("state", 400, language=language, ctx=ctx)
    return state


@bp.post("/s/<slug>/page")
def page(slug: str):  # noqa: ANN201
    """One questionnaire page: validate it, then move on, go back, submit or re-render in another language."""
    ctx = _survey_or_404(slug)
    switch = request.form.get("switch_lang")
    language = survey_language(ctx, switch, request.form.get("lang"))
    state = _load_posted_state(ctx, language)
    if not isinstance(state, SurveyState):
        return state
    waves = wave_status(ctx.survey)
    if waves.open_wave is None or waves.open_wave.id != state.wave_id:
        return respondent_error("wave_changed", 409, language=language, ctx=ctx)
    form = _form_for(ctx, state, language, request.form)
    if switch:
        return _question_page(ctx, state, language, form)
    nav = request.form.get("nav", "next")
    instrument = ctx.instrument
    if nav == "back":
        answers = form.combined()
        previous = pages.previous_page(instrument, state.page, answers)
        target = state.page if previous is None else previous
        return _question_page(ctx, state.with_answers(answers, target), language)
    if not form.validate():
        return _question_page(ctx, state, language, form, 422)
    answers = form.combined()
    following = pages.next_page(instrument, state.page, answers)
    if following is not None:
        return _question_page(ctx, state.with_answers(answers, following), language)
    return _submit(ctx, state, answers, language)


def _submit(ctx: SurveyContext, state: SurveyState, answers: dict[str, Any], language: str):  # noqa: ANN202
    survey, instrument = ctx.survey, ctx.instrument
    jurisdiction = next((j for j in survey.jurisdictions if j.id == state.jurisdiction_id), None)
    wave = next((w for w in survey.waves if w.id == state.wave_id), None)
    if jurisdiction is None or wave is None:
        return respondent_error("state", 400, language=language, ctx=ctx)
    if instrument.validate_answers(answers, language):
        return respondent_error("invalid_answers", 422, language=language, ctx=ctx)
    thanks = url_for("respond.thanks", slug=survey.slug, lang=language)  # before storing expires the row
    # Invite codes are the guard where used; elsewhere the rate limit, reserved atomically before storing.
    if not survey.uses_invite_codes and not throttle.reserve_submission():
        return respondent_error("rate_limited", 429, language=language, ctx=ctx)
    try:
        store_response(
            instrument, survey, wave, jurisdiction, language, answers,
            invite_code=state.invite_code, submission_key=state.submission_key(),
        )
    except DuplicateSubmission:
        pass  # a double click: the first request stored the response; show the same thank-you page
    except InvalidInviteCode:
        return respondent_error("invite_used", 409, language=language, ctx=ctx)
    return redirect(thanks, 303)


@bp.get("/s/<slug>/page")
def page_get(slug: str):  # noqa: ANN201
    """A questionnaire page cannot be bookmarked (its answers live in the form): go to the start."""
    _survey_or_404(slug)
    return redirect(url_for("respond.start", slug=slug, lang=request.args.get("lang")), 303)


@bp.get("/s/<slug>/thanks")
def thanks(slug: str):  # noqa: ANN201
    ctx = _survey_or_404(slug)
    language = survey_language(ctx, request.args.get("lang"))
    return render_page(
        "respond/thanks.html", language, _direction(ctx, language),
        ctx=ctx, switch_url=lambda code: url_for("respond.thanks", slug=slug, lang=code),
    )
