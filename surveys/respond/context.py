"""What every respondent page needs: the survey, its instrument, the language, the wave.

Pages are rendered inside ``force_locale(language)`` so the Flask-Babel chrome,
the instrument's texts and ``<html lang dir>`` all agree. The language comes
from the page itself (``?lang=``, a posted ``lang`` or ``switch_lang``), then
the browser's preference; it is never remembered in a cookie.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app, render_template, request
from flask_babel import force_locale

from ..extensions import login_manager
from ..studies.snapshot import SurveySnapshot, WaveSnapshot, survey_snapshot


@dataclass(frozen=True)
class SurveyContext:
    survey: SurveySnapshot
    instrument: Any

    @property
    def languages(self) -> tuple[Any, ...]:
        return tuple(self.instrument.languages)

    def language(self, code: str) -> Any:
        return next(lang for lang in self.instrument.languages if lang.code == code)

    def text(self, key_or_dict: Any, language: str) -> str:
        return self.instrument.text_for(key_or_dict, language)


def find_survey(slug: str) -> SurveyContext | None:
    """The live (not archived) survey at ``slug`` with its parsed instrument, or None.

    From this worker's snapshot (``studies.snapshot``): one indexed query per request
    checks the survey's version; the survey, waves and places are reloaded only when it moved.
    """
    if len(slug) > 80:
        return None
    found = survey_snapshot(slug)
    if found is None:
        return None
    return SurveyContext(*found)


def choose_language(codes: tuple[str, ...] | list[str], default: str, *candidates: str | None) -> str:
    """The first candidate that is one of ``codes``; else the browser's best match; else ``default``."""
    for candidate in candidates:
        if candidate and candidate in codes:
            return candidate
    return request.accept_languages.best_match(list(codes)) or default


def survey_language(ctx: SurveyContext, *candidates: str | None) -> str:
    codes = [lang.code for lang in ctx.instrument.languages]
    return choose_language(codes, ctx.instrument.default_language, *candidates)


@dataclass(frozen=True)
class WaveStatus:
    """The wave open today, or why there is none (``closed`` / ``not_open`` with its date)."""

    open_wave: WaveSnapshot | None
    reason: str | None = None
    opens_on: date | None = None


def wave_status(survey: SurveySnapshot, today: date | None = None) -> WaveStatus:
    today = today or date.today()
    wave = survey.wave_open_on(today)
    if wave is not None:
        return WaveStatus(wave)
    upcoming = [w for w in survey.waves if not w.closed and w.opens_on > today]
    if upcoming:
        return WaveStatus(None, "not_open", min(w.opens_on for w in upcoming))
    return WaveStatus(None, "closed")


def render_page(template: str, language: str, direction: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render a respondent template in ``language`` (chrome, formats and ``<html lang dir>``).

    Survey pages never look at researcher logins: without the anonymous user set
    here, Flask-Login's template context would load the user, and its "strong"
    session protection would rewrite the session and send respondents a
    remember-me cookie deletion (error pages included).
    """
    login_manager._update_request_context_with_user()  # the anonymous user, for this request only
    with force_locale(language):
        body = render_template(
            template, page_lang=language, page_dir=direction, lang=language,
            supported_ui=current_app.config.get("LANGUAGES", ()), **context,
        )
    return body, status
