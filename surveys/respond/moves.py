"""What both respondent route modules need: the survey or a 404, and a move to a questionnaire page.

A move is a 303 to the GET page of ``state.page`` with the state sealed in the
browser-session cookie (``carry``): Post/Redirect/Get, so Back and Forward reload pages.
"""
from __future__ import annotations

from typing import Any

from flask import abort, redirect, url_for

from . import carry
from .context import SurveyContext, find_survey
from .state import StateError, SurveyState, dump_state, load_state


def survey_or_404(slug: str) -> SurveyContext:
    ctx = find_survey(slug)
    if ctx is None:
        abort(404)
    return ctx


def direction(ctx: SurveyContext, language: str) -> str:
    return str(ctx.language(language).direction)


def go_to(ctx: SurveyContext, state: SurveyState, language: str) -> Any:
    """303 to the GET page of ``state.page`` (``?step=`` counts from 1), the state sealed in the cookie."""
    target = url_for("respond.page_get", slug=ctx.survey.slug, step=state.page + 1, lang=language)
    return carry.write_value(redirect(target, 303), ctx.survey.slug, dump_state(state))


def carried_state(ctx: SurveyContext, wave_id: int) -> SurveyState | None:
    """The questionnaire state in this browser's cookie for this survey's open wave, if any and valid."""
    try:
        state = load_state(carry.read_value(), ctx.survey.id)
    except StateError:
        return None
    # A researcher's preview never becomes a real response in the same browser.
    return state if state.wave_id == wave_id and not state.preview else None
