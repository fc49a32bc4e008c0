"""Helpers for respondent tests: a default-instrument survey and a walker that answers it over HTTP.

``SurveyWalker`` drives the real pages with the test client: it reads the CSRF
token and the signed state from each page and posts the next one, like a
browser without JavaScript would.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import Answer, InviteCode, Survey
from surveys.studies.instrument_store import parsed_instrument, store_instrument
from surveys.studies.invites import hash_invite_code
from surveys.studies.write_out import flush_all
from tests.factories import make_survey

ALL_TYPES_PATH = Path(__file__).with_name("data") / "all-types.yaml"
_INPUT = re.compile(r'<input[^>]*name="(?P<name>[^"]+)"[^>]*value="(?P<value>[^"]*)"', re.S)


@dataclass(frozen=True)
class SurveyInfo:
    """What a test needs to know about a survey, usable outside any app context.

    Respondent tests send requests without an app context of their own held open
    (as in production, each request then gets fresh ``g`` and database session).
    """

    id: int
    slug: str
    organisation: str
    jurisdictions: dict[str, int]  # code -> id
    wave_ids: tuple[int, ...]
    instrument_row_id: int

    @property
    def open_wave_id(self) -> int:
        return self.wave_ids[-1]


def _info(survey: Survey) -> SurveyInfo:
    return SurveyInfo(
        id=survey.id, slug=survey.slug, organisation=survey.organisation.name,
        jurisdictions={j.code: j.id for j in survey.jurisdictions},
        wave_ids=tuple(w.id for w in survey.waves), instrument_row_id=survey.instrument_id,
    )


def make_survey_from(app: Any, path: Path, **kw: Any) -> SurveyInfo:
    """A survey on the instrument file at ``path`` (stored through the real loader)."""
    with app.app_context():
        instrument, _ = store_instrument(path)
        survey = make_survey(instrument=instrument, **kw)
        db.session.commit()
        return _info(survey)


def make_default_survey(app: Any, **kw: Any) -> SurveyInfo:
    """A survey on the shipped default instrument: the last of two waves open today, jurisdictions J01, J02."""
    return make_survey_from(app, DEFAULT_INSTRUMENT_PATH, **kw)


def make_all_types_survey(app: Any, **kw: Any) -> SurveyInfo:
    """A survey on ``data/all-types.yaml``: every item type, required items, skip logic, a skippable page."""
    return make_survey_from(app, ALL_TYPES_PATH, **kw)


def add_invite_codes(app: Any, survey: SurveyInfo, *codes: str) -> None:
    with app.app_context():
        row = db.session.get(Survey, survey.id)
        for code in codes:
            db.session.add(InviteCode(survey_id=row.id, code_hash=hash_invite_code(row, code)))
        db.session.commit()


def instrument_of(app: Any, survey: SurveyInfo) -> Any:
    with app.app_context():
        return parsed_instrument(db.session.get(Survey, survey.id).instrument)


def flush_buffer(app: Any) -> None:
    """Write every buffered response out (``flask flush-responses``), as at a wave's closure."""
    with app.app_context():
        flush_all(reason="test")


class Database:
    """Reads (and small edits) in a fresh app context each time, never left open during a request.

    Reads of the response tables first write out the buffer (``flush_buffer``): what was
    submitted is what a closed wave publishes.
    """

    def __init__(self, app: Any):
        self.app = app

    def _flush_if_final(self, table: Any) -> None:
        if getattr(table, "name", None) in ("response", "answer"):
            flush_buffer(self.app)

    def count(self, model: Any) -> int:
        self._flush_if_final(getattr(model, "__table__", model))
        with self.app.app_context():
            return db.session.scalar(select(func.count()).select_from(model))

    def rows(self, model_or_table: Any) -> list[dict[str, Any]]:
        """Every row of a model's (or a Table's) table as a plain dict of column values."""
        table = getattr(model_or_table, "__table__", model_or_table)
        self._flush_if_final(table)
        with self.app.app_context():
            return [dict(row._mapping) for row in db.session.execute(select(table))]

    def answers(self) -> dict[str, Any]:
        """Stored answers as {item: value}; a multiple-choice item gives a list of codes."""
        answers: dict[str, Any] = {}
        rows = sorted(self.rows(Answer), key=lambda r: (r["item_id"], r["position"]))
        for row in rows:
            value = next((row[k] for k in ("code", "number", "text") if row[k] is not None), None)
            if row["item_id"] in answers:
                previous = answers[row["item_id"]]
                answers[row["item_id"]] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                answers[row["item_id"]] = value
        return answers

    def run(self, function: Any) -> Any:
        """Call ``function()`` in an app context and commit what it changed."""
        with self.app.app_context():
            result = function()
            db.session.commit()
            return result


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

    def __init__(self, client: Any, survey: SurveyInfo, language: str = "en"):
        self.client = client
        self.survey = survey
        self.language = language
        self.html = ""
        self.status = 0
        self.history: list[Any] = []

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
        """POST, then follow the 303 to a survey page as a browser does (Post/Redirect/Get).

        Returns the page's response (its status: 200, or 422 with errors), or the POST's own
        response when it does not lead to a survey page (the thank-you redirect, an error page).
        Every response on the way is kept in ``history``.
        """
        response = self.client.post(url, data=data)
        self.history.append(response)
        for _ in range(3):
            location = response.headers.get("Location", "")
            if response.status_code != 303 or "/thanks" in location:
                break
            response = self.client.get(location)
            self.history.append(response)
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
