"""Helpers for respondent tests: a default-instrument survey and a walker that answers it over HTTP.

``SurveyWalker`` drives the real pages with the test client: it reads the CSRF
token and the signed state from each page and posts the next one, like a
browser without JavaScript would.
"""
from __future__ import annotations

import re
from html import unescape
from typing import Any

from surveys.extensions import db
from surveys.instrument_store import parsed_instrument, store_instrument
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import InviteCode, Survey
from surveys.submission import hash_invite_code
from tests.factories import make_survey

_INPUT = re.compile(r'<input[^>]*name="(?P<name>[^"]+)"[^>]*value="(?P<value>[^"]*)"', re.S)


def make_default_survey(**kw: Any) -> Survey:
    """A survey on the shipped default instrument (stored through the real loader)."""
    instrument, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
    survey = make_survey(instrument=instrument, **kw)
    db.session.commit()
    return survey


def add_invite_codes(survey: Survey, *codes: str) -> None:
    for code in codes:
        db.session.add(InviteCode(survey_id=survey.id, code_hash=hash_invite_code(survey, code)))
    db.session.commit()


def instrument_of(survey: Survey) -> Any:
    return parsed_instrument(survey.instrument)


def hidden_value(html: str, name: str) -> str | None:
    """The value of the (first) hidden/text input called ``name`` in ``html``."""
    for match in _INPUT.finditer(html):
        if match["name"] == name:
            return unescape(match["value"])
    match = re.search(rf'<input[^>]*value="([^"]*)"[^>]*name="{re.escape(name)}"', html)
    return unescape(match[1]) if match else None


def page_field_names(html: str) -> set[str]:
    return set(re.findall(r'name="(q_[a-z0-9_]+)"', html))


class SurveyWalker:
    """Answers a survey page by page through the test client."""

    def __init__(self, client: Any, survey: Survey, language: str = "en"):
        self.client = client
        self.survey = survey
        self.language = language
        self.html = ""
        self.status = 0

    @property
    def slug(self) -> str:
        return self.survey.slug

    def start(self, jurisdiction: str = "J01", query: str = "", invite_code: str | None = None,
              **extra: str) -> Any:
        response = self.client.get(f"/s/{self.slug}?lang={self.language}{query}")
        assert response.status_code == 200, response.status_code
        html = response.get_data(as_text=True)
        data = {"csrf_token": hidden_value(html, "csrf_token"), "lang": self.language,
                "jurisdiction": jurisdiction, "action": "start", **extra}
        if invite_code is not None:
            data["invite_code"] = invite_code
        return self._post(f"/s/{self.slug}", data)

    def _post(self, url: str, data: dict[str, Any]) -> Any:
        response = self.client.post(url, data=data)
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        return response

    def post_page(self, answers: dict[str, Any], nav: str = "next", **extra: str) -> Any:
        """Post the current page with ``answers`` (question id -> value or list of values)."""
        data: dict[str, Any] = {
            "csrf_token": hidden_value(self.html, "csrf_token"),
            "state": hidden_value(self.html, "state"),
            "lang": self.language, "nav": nav, **extra,
        }
        for qid, value in answers.items():
            data[f"q_{qid}"] = [str(v) for v in value] if isinstance(value, list) else str(value)
        return self._post(f"/s/{self.slug}/page", data)

    def fields(self) -> set[str]:
        return page_field_names(self.html)

    def answer_all(self, answers: dict[str, Any]) -> Any:
        """Post every page with the subset of ``answers`` it shows; returns the final response."""
        for _ in range(20):
            shown = {name[2:] for name in self.fields()}
            page_answers = {qid: value for qid, value in answers.items() if qid in shown}
            nav = "submit" if 'value="submit"' in self.html else "next"
            response = self.post_page(page_answers, nav=nav)
            if response.status_code != 200:
                return response
        raise AssertionError("the survey never ended")
