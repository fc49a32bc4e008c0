"""The start page of the anonymous survey: ``GET /s/<slug>`` and ``POST /s/<slug>``.

The start page says in plain words what is asked and what is never stored, asks where
the respondent lives (and an invite code if the survey uses them), then starts the
questionnaire with a 303 to its first page (``moves.go_to``). A language switch or an
error also answers with a 303, back to this page, carrying what was typed sealed in the
state cookie and shown once (``carry.seal_start_draft``): the history holds only GET
pages, so Back from the questionnaire never asks to resend a form. After Back from the
questionnaire, the place and code already chosen are filled in, and starting again keeps
the answers so far (same invitation, same browser session).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import make_response, redirect, request, url_for

from ..studies.invites import invite_code_usable
from . import carry, messages, pages, throttle
from .blueprint import bp
from .context import SurveyContext, render_page, survey_language, wave_status
from .errors import respondent_error
from .forms import ConsentForm
from .moves import carried_state, direction, go_to, survey_or_404
from .state import SurveyState


def _closed_page(ctx: SurveyContext, language: str, status: int = 200):
    waves = wave_status(ctx.survey)
    key = "wave_not_open" if waves.reason == "not_open" else "wave_closed"
    return render_page(
        "respond/closed.html", language, direction(ctx, language), status,
        ctx=ctx, reason=waves.reason, opens_on=waves.opens_on, message=ctx.text(key, language),
        switch_url=lambda code: url_for("respond.start", slug=ctx.survey.slug, lang=code),
    )


def _consent_page(ctx: SurveyContext, form: ConsentForm, language: str, status: int = 200,
                  fixed_jurisdiction: Any = None):
    return render_page(
        "respond/consent.html", language, direction(ctx, language), status,
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
def start(slug: str):
    """The start page, preset by the distributed link's ``?j=<code>``, ``?code=`` and ``?lang=``."""
    ctx = survey_or_404(slug)
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
    status = _restore_start(ctx, form, wave_status(ctx.survey).open_wave)
    page = _consent_page(ctx, form, language, status or 200, fixed_jurisdiction=fixed)
    if status is None:
        return page
    return carry.forget(make_response(page), ctx.survey.slug)  # a draft is shown once, like a flash


def _restore_start(ctx: SurveyContext, form: ConsentForm, wave: Any) -> int | None:
    """Fill the start form again from the state cookie. A start-page draft (after an error or a
    language switch) gives its status (422 with errors, else 200) and is used up; after Back from
    the questionnaire, the place and invite code already chosen are filled in (None)."""
    draft = carry.start_draft()
    if draft is not None:
        fields, kinds = draft
        form.jurisdiction.data = fields.get("jurisdiction") or form.jurisdiction.data
        form.invite_code.data = fields.get("invite_code") or form.invite_code.data
        check = kinds.get("check")
        if check in ("form", "invite"):
            form.validate()
            if "csrf_token" in form:  # absent where CSRF is switched off (tests)
                form.csrf_token.errors = []  # a GET: the token is checked on the next POST
            if check == "invite":
                form.invite_code.errors = [messages.invite_code_invalid()]
            return 422
        return 200
    earlier = carried_state(ctx, wave.id)
    if earlier is not None:
        place = next((j for j in ctx.survey.jurisdictions if j.id == earlier.jurisdiction_id), None)
        form.jurisdiction.data = place.code if place else form.jurisdiction.data
        form.invite_code.data = earlier.invite_code or form.invite_code.data
    return None


@bp.post("/s/<slug>")
def begin(slug: str):
    """Start the questionnaire: check where the respondent lives and the invite code."""
    ctx = survey_or_404(slug)
    switch = request.form.get("switch_lang")
    language = survey_language(ctx, switch, request.form.get("lang"))
    waves = wave_status(ctx.survey)
    if waves.open_wave is None:
        return _closed_page(ctx, language, 409)
    form = _consent_form(ctx, request.form, language)
    # A place fixed by the link's ?j= stays fixed when the page is shown again.
    fixed = next((j for j in ctx.survey.jurisdictions if j.code == request.form.get("fixed_j")), None)
    if switch:
        return _back_to_start(ctx, form, language, fixed)
    valid = form.validate()
    invite_refused = False
    invite = (form.invite_code.data or "").strip() if ctx.survey.uses_invite_codes else None
    if valid and invite is not None:
        if not throttle.submission_allowed():
            return respondent_error("rate_limited", 429, language=language, ctx=ctx)
        if not invite_code_usable(ctx.survey, invite):
            throttle.count_submission()  # guessing codes counts against the limit
            invite_refused, valid = True, False
    if not valid:
        return _back_to_start(ctx, form, language, fixed, invite_refused=invite_refused)
    earlier = carried_state(ctx, waves.open_wave.id)
    if earlier is not None and earlier.invite_code != invite:
        earlier = None  # another invitation: a new response, not the one under way in this browser
    answers = earlier.answers if earlier is not None else {}
    first = pages.first_page(ctx.instrument, answers)
    if earlier is not None:  # back on the start page and started again: the answers so far are kept
        state = replace(earlier, jurisdiction_id=form.chosen_jurisdiction.id, invite_code=invite)
    else:
        state = SurveyState(
            survey_id=ctx.survey.id, wave_id=waves.open_wave.id,
            jurisdiction_id=form.chosen_jurisdiction.id, invite_code=invite,
        )
    return go_to(ctx, state.with_answers(answers, first), language)


def _back_to_start(ctx: SurveyContext, form: ConsentForm, language: str, fixed: Any,
                   invite_refused: bool | None = None):
    """303 to the start page, with what was typed sealed in the state cookie.

    ``invite_refused`` None: a language switch (no errors shown); False: the form's own checks
    failed (the GET runs them again); True: the invite code was looked up and refused.
    """
    fields = {"jurisdiction": form.jurisdiction.data or "", "invite_code": form.invite_code.data or ""}
    kinds = {} if invite_refused is None else {"check": "invite" if invite_refused else "form"}
    target = url_for("respond.start", slug=ctx.survey.slug, lang=language, j=fixed.code if fixed else None)
    return carry.write_value(redirect(target, 303), ctx.survey.slug, carry.seal_start_draft(fields, kinds))
