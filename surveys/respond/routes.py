"""The anonymous survey's questionnaire pages and thank-you page (the start page is ``start.py``).

GET  /s/<slug>         the start page (consent in plain words, where you live, an invite code);
                       a clear page instead when no wave is open today
POST /s/<slug>         start the questionnaire (or switch language on the start page): 303
GET  /s/<slug>/page    ?step=N: a questionnaire page, from the sealed state cookie (``carry``)
POST /s/<slug>/page    one questionnaire page: next, back, errors or another language (303 to
                       a GET page), or the final submit (303 to the thank-you page)
GET  /s/<slug>/thanks  the thank-you page

Post/Redirect/Get throughout: the browser's history holds only GET pages, so Back and
Forward reload a page (answers kept, from the cookie) and never ask to resend a form.

Nothing is stored before the final submit; then ``submission.buffer_response``
stores the sealed response in the buffer, the invite code's consumption and the
form's one-time token in one transaction, and ``write_out.write_out_ready``
moves a full batch from the buffer to the response tables in another. Every refusal is a 4xx page in the
respondent's language (``errors.py``), never a half-written row.
"""
from __future__ import annotations

import logging
import math
from typing import Any

from flask import redirect, request, url_for
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..studies.quality import assess
from ..studies.submission import DuplicateSubmission, InvalidInviteCode, WaveClosed, buffer_response
from ..studies.test_submissions import store_test_submission
from ..studies.write_out import write_out_ready
from . import carry, csrf, pages, throttle
from .blueprint import bp
from .context import SurveyContext, render_page, survey_language, wave_status
from .csrf import FIELD_NAME
from .errors import respondent_error
from .fields import field_name
from .forms import final_page_answers, page_form
from .moves import direction, go_to, survey_or_404
from .state import StateError, StateExpired, SurveyState, dump_state, load_state

log = logging.getLogger(__name__)


def _form_for(ctx: SurveyContext, state: SurveyState, language: str, formdata: Any) -> Any:
    questions = pages.page_questions(ctx.instrument, state.page)
    form_class = page_form(ctx.instrument, questions, language)
    data = {field_name(q.id): state.answers.get(q.id) for q in questions}
    form = form_class(formdata=formdata, data=data)
    form.earlier = dict(state.answers)
    # The state field is filled (sealed afresh) only when a page is rendered (``_question_page``):
    # a final submit never shows it again, and sealing costs an AES-GCM encryption.
    form.lang.data = language
    return form


def _too_few(ctx: SurveyContext, state: SurveyState) -> dict[str, int]:
    """The figures of the "too few answers" notice: answered, applicable, needed."""
    quality = assess(ctx.instrument, state.answers)
    needed = math.ceil(ctx.survey.min_answered_share * quality.applicable)
    return {"answered": quality.answered, "total": quality.applicable, "needed": needed}


def _question_page(ctx: SurveyContext, state: SurveyState, language: str, form: Any = None,
                   status: int = 200, too_few: dict[str, int] | None = None):
    form = form or _form_for(ctx, state, language, None)
    form.state.data = dump_state(state.without_draft())
    form.lang.data = language
    instrument = ctx.instrument
    position, total = pages.progress(instrument, state.page, state.answers)
    is_last = pages.next_page(instrument, state.page, {**state.answers, **form.posted_answers()}) is None
    return render_page(
        "respond/page.html", language, direction(ctx, language), status,
        ctx=ctx, form=form, block=instrument.blocks[state.page],
        units=pages.page_units(instrument, state.page, state.seed, state.answers),
        position=position, total=total, is_last=is_last,
        has_previous=pages.previous_page(instrument, state.page, state.answers) is not None,
        too_few=too_few, preview=state.preview,
    )


def _state_error(ctx: SurveyContext, language: str, error: StateError):
    kind = "expired" if isinstance(error, StateExpired) else "state"
    return respondent_error(kind, 400, language=language, ctx=ctx)


def _load_posted_state(ctx: SurveyContext, language: str) -> SurveyState | tuple:
    """The state of the posted page: its hidden field, else (a page restored without one) the cookie."""
    try:
        state = load_state(request.form.get("state") or carry.read_value(), ctx.survey.id)
    except StateError as error:
        return _state_error(ctx, language, error)
    if state.page >= pages.page_count(ctx.instrument):
        return respondent_error("state", 400, language=language, ctx=ctx)
    return state


def _wave_still_open(ctx: SurveyContext, state: SurveyState) -> bool:
    """The state's wave is the one open today; a preview needs no open wave (it stores test data only)."""
    if state.preview:
        return True
    waves = wave_status(ctx.survey)
    return waves.open_wave is not None and waves.open_wave.id == state.wave_id


def _posted_draft(form: Any) -> dict[str, list[str]]:
    """This page's raw posted answers, to show them again after the redirect (capped like the form)."""
    names = [field.name for field in form.answer_fields()]
    return {name: request.form.getlist(name)[:50] for name in names if request.form.getlist(name)}


@bp.post("/s/<slug>/page")
def page(slug: str):
    """One questionnaire page: validate it, then go (303) to the next or previous page, to the same page
    with its errors or in another language, or submit."""
    ctx = survey_or_404(slug)
    switch = request.form.get("switch_lang")
    language = survey_language(ctx, switch, request.form.get("lang"))
    state = _load_posted_state(ctx, language)
    if not isinstance(state, SurveyState):
        return state
    if not _wave_still_open(ctx, state):
        return respondent_error("wave_changed", 409, language=language, ctx=ctx)
    nav = request.form.get("nav", "next")
    instrument = ctx.instrument
    if nav == "submit" and not switch:
        # The final submit's lean path: the page form's checks without building the form. Anything
        # it does not accept (a problem, a page that is not the last) takes the form path below.
        answers = final_page_answers(instrument, pages.page_questions(instrument, state.page), language,
                                     state.answers, request.form)
        if answers is not None and pages.next_page(instrument, state.page, answers) is None:
            return _submit(ctx, state, answers, language)
    form = _form_for(ctx, state, language, request.form)
    if switch:
        return go_to(ctx, state.with_draft(_posted_draft(form), errors=False), language)
    if nav == "back":
        answers = form.combined()
        previous = pages.previous_page(instrument, state.page, answers)
        target = state.page if previous is None else previous
        return go_to(ctx, state.with_answers(answers, target), language)
    if not form.validate():
        return go_to(ctx, state.with_draft(_posted_draft(form), errors=True), language)
    answers = form.combined()
    following = pages.next_page(instrument, state.page, answers)
    if following is not None:
        return go_to(ctx, state.with_answers(answers, following), language)
    return _submit(ctx, state, answers, language)


def _step(value: str | None) -> int | None:
    """``?step=N`` (1-based, as shown in the address bar) as a page index, or None."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 4 or int(value) < 1:
        return None
    return int(value) - 1


@bp.get("/s/<slug>/page")
def page_get(slug: str):
    """A questionnaire page, from the state cookie: where each POST leads, and what Back and Forward reload.

    ``?step=`` may name any page already reached (Back, Forward); a later page, a page the
    answers skip, or a malformed step shows the page the respondent is on. Without a state
    (a bookmark, another browser, after the final submit) the start page is the way in.
    """
    ctx = survey_or_404(slug)
    language = survey_language(ctx, request.args.get("lang"))
    value = carry.read_value()
    if value is None:
        return redirect(url_for("respond.start", slug=slug, lang=language), 303)
    try:
        state = load_state(value, ctx.survey.id)
    except StateExpired as error:
        return _state_error(ctx, language, error)
    except StateError:
        return redirect(url_for("respond.start", slug=slug, lang=language), 303)
    instrument = ctx.instrument
    if not _wave_still_open(ctx, state):
        return respondent_error("wave_changed", 409, language=language, ctx=ctx)
    if state.page >= pages.page_count(instrument):
        return respondent_error("state", 400, language=language, ctx=ctx)
    step = _step(request.args.get("step"))
    count = pages.page_count(instrument)
    if step is None or step > state.reached or step >= count or pages.is_empty(instrument, step, state.answers):
        if step == state.page:
            return _show(ctx, state, language)
        return redirect(url_for("respond.page_get", slug=slug, step=state.page + 1, lang=language), 303)
    return _show(ctx, state.at(step), language)


def _show(ctx: SurveyContext, state: SurveyState, language: str):
    """Render ``state.page``: with its draft (after a language switch or an error) or the saved answers."""
    if state.notice == "too_few":
        return _question_page(ctx, state, language, status=422, too_few=_too_few(ctx, state))
    if state.draft is None:
        return _question_page(ctx, state, language)
    formdata = MultiDict([(name, value) for name, values in state.draft.items() for value in values])
    formdata.add(FIELD_NAME, csrf.form_token())
    form = _form_for(ctx, state, language, formdata)
    if state.draft_errors and not form.validate():
        return _question_page(ctx, state, language, form, 422)
    return _question_page(ctx, state, language, form)


def _submit(ctx: SurveyContext, state: SurveyState, answers: dict[str, Any], language: str):
    survey, instrument = ctx.survey, ctx.instrument
    if state.preview:
        return _submit_preview(ctx, state, answers, language)
    jurisdiction = next((j for j in survey.jurisdictions if j.id == state.jurisdiction_id), None)
    wave = next((w for w in survey.waves if w.id == state.wave_id), None)
    if jurisdiction is None or wave is None:
        return respondent_error("state", 400, language=language, ctx=ctx)
    if instrument.validate_answers(answers, language):
        return respondent_error("invalid_answers", 422, language=language, ctx=ctx)
    quality = assess(instrument, answers)
    if quality.share < survey.min_answered_share:
        # Too few answers to be counted: back to this page with a notice, nothing stored, the invite
        # code and the rate limit untouched; the answers stay in the state cookie.
        return go_to(ctx, state.with_answers(answers, state.page).with_notice("too_few"), language)
    thanks = url_for("respond.thanks", slug=survey.slug, lang=language)  # before storing expires the row
    # Invite codes are the guard where used; elsewhere the rate limit, reserved atomically before storing.
    if not survey.uses_invite_codes and not throttle.reserve_submission():
        return respondent_error("rate_limited", 429, language=language, ctx=ctx)
    survey_id, batch_size = survey.id, survey.min_cell_size
    waiting: int | None = None
    try:
        waiting = buffer_response(
            instrument, survey, wave, jurisdiction, language, answers,
            invite_code=state.invite_code, submission_key=state.submission_key(), require_open_wave=True,
            quality=quality,
        ).waiting
    except DuplicateSubmission:
        pass  # a double click: the first request stored the response; show the same thank-you page
    except WaveClosed:
        return respondent_error("wave_changed", 409, language=language, ctx=ctx)
    except InvalidInviteCode:
        return respondent_error("invite_used", 409, language=language, ctx=ctx)
    try:
        write_out_ready(survey_id, batch_size, waiting)
    except Exception:  # noqa: BLE001 - the response is safe in the buffer; the next flush moves it
        db.session.rollback()
        log.warning("Writing out buffered responses failed; they stay in the buffer.")
    return carry.forget(redirect(thanks, 303), survey.slug)


def _submit_preview(ctx: SurveyContext, state: SurveyState, answers: dict[str, Any], language: str):
    """A preview's final submit: the same checks, then the test store only (no buffer, code, token or
    rate limit), and back to the survey's manage page, where test submissions are listed."""
    survey, instrument = ctx.survey, ctx.instrument
    if instrument.validate_answers(answers, language):
        return respondent_error("invalid_answers", 422, language=language, ctx=ctx)
    if assess(instrument, answers).share < survey.min_answered_share:
        return go_to(ctx, state.with_answers(answers, state.page).with_notice("too_few"), language)
    store_test_submission(survey.id, language, answers)
    done = url_for("research.survey_manage", slug=survey.slug, preview="stored", _anchor="test-submissions")
    return carry.forget(redirect(done, 303), survey.slug)


@bp.get("/s/<slug>/thanks")
def thanks(slug: str):
    ctx = survey_or_404(slug)
    language = survey_language(ctx, request.args.get("lang"))
    return render_page(
        "respond/thanks.html", language, direction(ctx, language),
        ctx=ctx, switch_url=lambda code: url_for("respond.thanks", slug=slug, lang=code),
    )
