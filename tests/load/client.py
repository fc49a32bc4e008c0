"""A respondent over real HTTP (``requests``): the start page, the questionnaire pages, the final submit.

Two ways through the survey, both through the real routes, CSRF token and
session cookie included:

* ``walk``: what a browser without JavaScript does: GET the start page, POST it,
  POST each of the seven questionnaire pages with the hidden encrypted state the
  previous page returned (9 requests).
* ``submit_last_page``: GET the start page (a fresh session and CSRF token),
  then POST the last page with an encrypted state that holds the earlier pages'
  answers (2 requests). The state is one a real walk received from the server,
  re-sealed with the app's own ``dump_state`` after giving it a fresh one-time
  token and this submission's marker, so that thousands of submissions fit in a
  bounded test. The client knows the SECRET_KEY because the test started the server.

Each submission carries a unique marker in its free-text ``comments`` answer: the
only way to find it again in the database without an identifying column.

A request that gets no answer at all (connection reset by a killed worker) is
sent again, like a browser's retry: the one-time token makes a repeated final
POST harmless (the second one is a duplicate and shows the same thank-you page).
"""
from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field, replace
from html import unescape
from typing import Any

import requests

from .harness import LoadSurvey

ANSWERS: dict[str, Any] = {
    "report_burglary_victim": 4, "report_dv_witness": 2, "trust_overall": 7, "pf_respect": 3,
    "df_immigrants": 2, "inv_ask_status": 5, "heard_policy": 1, "fear_family": 4,
    "alt_channel": [1, 3], "comments": "set per submission", "age_band": 3,
    "born_abroad": 1, "years_in_country": 2, "home_language": 2,
}
# Answer rows one complete submission stores: one per answered item, two for the two alt_channel codes.
ANSWER_ROWS = len(ANSWERS) + 1
LAST_PAGE_ITEMS = ("age_band", "born_abroad", "years_in_country", "home_language")

_INPUT = re.compile(r"<input\b[^>]*>", re.S)
_ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
RETRIES = 4


def hidden_inputs(html: str) -> dict[str, str]:
    """name -> value of every ``<input>`` that has both (csrf_token, state, lang...)."""
    found: dict[str, str] = {}
    for tag in _INPUT.findall(html):
        attrs = dict(_ATTR.findall(tag))
        if "name" in attrs and "value" in attrs and attrs.get("type") == "hidden":
            found.setdefault(attrs["name"], unescape(attrs["value"]))
    return found


def question_fields(html: str) -> set[str]:
    return {name[2:] for name in re.findall(r'name="(q_[a-z0-9_]+)"', html)}


class NoAnswer(Exception):
    """The server never answered (connection refused or reset) after every retry."""


@dataclass
class Outcome:
    """How one submission ended, as the respondent saw it."""

    marker: str
    status: int | None = None  # the last HTTP status received (303 on success)
    stage: str = ""  # which request gave that status: start, begin, page, submit
    dropped: int = 0  # requests that got no answer and were sent again
    submit_dropped: bool = False  # the final POST itself went unanswered at least once
    seconds: float = 0.0
    statuses: list[int] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.stage == "submit" and self.status == 303

    @property
    def refused(self) -> bool:
        """An error answer was received (never a 'maybe': nothing may be stored)."""
        return self.status is not None and not self.accepted and not (self.stage == "submit" and self.submit_dropped)


class Respondent:
    """One respondent session against ``base_url`` (a fresh cookie jar per submission)."""

    def __init__(self, base_url: str, survey: LoadSurvey, timeout: float = 30.0):
        self.base = base_url
        self.survey = survey
        self.timeout = timeout

    # -- transport -----------------------------------------------------------------------
    def _send(self, session: requests.Session, outcome: Outcome, stage: str, method: str, url: str,
              **kw: Any) -> requests.Response:
        for attempt in range(RETRIES + 1):
            try:
                response = session.request(method, self.base + url, timeout=self.timeout,
                                            allow_redirects=False, **kw)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                # Refused, reset, or cut off mid-body by a killed worker: no complete answer came.
                outcome.dropped += 1
                if stage == "submit":
                    outcome.submit_dropped = True
                if attempt == RETRIES:
                    raise NoAnswer(stage) from None
                time.sleep(0.2 * (attempt + 1))
                continue
            outcome.status, outcome.stage = response.status_code, stage
            outcome.statuses.append(response.status_code)
            return response
        raise AssertionError("unreachable")

    def _follow(self, session: requests.Session, outcome: Outcome, stage: str,
                response: requests.Response) -> requests.Response:
        """A page POST answers 303 to the next page's GET (Post/Redirect/Get): load it, as a browser does."""
        location = response.headers.get("Location", "")
        if response.status_code != 303 or "/page?" not in location:
            return response
        path = location.split("://", 1)[-1].split("/", 1)[-1] if "://" in location else location.lstrip("/")
        return self._send(session, outcome, stage, "GET", f"/{path}")

    def _start(self, session: requests.Session, outcome: Outcome) -> dict[str, str] | None:
        response = self._send(session, outcome, "start", "GET", f"/s/{self.survey.slug}?lang=en")
        return hidden_inputs(response.text) if response.status_code == 200 else None

    # -- the two ways through --------------------------------------------------------------
    def walk(self, answers: dict[str, Any], jurisdiction: str = "J01", invite_code: str | None = None,
             stop_before_submit: bool = False) -> tuple[Outcome, dict[str, str]]:
        """Answer every page like a browser; returns the outcome and the last page's hidden fields.

        With ``stop_before_submit`` the last page is not posted (the caller submits it later).
        """
        outcome = Outcome(str(answers.get("comments", "")))
        began = time.perf_counter()
        with _session() as session:
            try:
                hidden = self._start(session, outcome)
                if hidden is None:
                    return outcome, {}
                data = {"csrf_token": hidden["csrf_token"], "lang": "en", "jurisdiction": jurisdiction}
                if invite_code is not None:
                    data["invite_code"] = invite_code
                response = self._follow(session, outcome, "begin",
                                        self._send(session, outcome, "begin", "POST", f"/s/{self.survey.slug}",
                                                   data=data))
                for _ in range(12):
                    if response.status_code != 200:
                        return outcome, {}
                    html = response.text
                    hidden = hidden_inputs(html)
                    last = 'value="submit"' in html
                    if last and stop_before_submit:
                        hidden["_cookies"] = session.cookies.get_dict()
                        return outcome, hidden
                    page = {f"q_{q}": _form_value(answers[q]) for q in question_fields(html) if q in answers}
                    data = {"csrf_token": hidden["csrf_token"], "state": hidden["state"], "lang": "en",
                            "nav": "submit" if last else "next", **page}
                    stage = "submit" if last else "page"
                    response = self._send(session, outcome, stage, "POST", f"/s/{self.survey.slug}/page", data=data)
                    if last:
                        return outcome, hidden
                    response = self._follow(session, outcome, stage, response)
                raise AssertionError("the survey never ended")
            except NoAnswer:
                return outcome, {}
            finally:
                outcome.seconds = time.perf_counter() - began

    def submit_last_page(self, signer: StateSigner, answers: dict[str, Any]) -> Outcome:
        """GET the start page, then POST the last page carrying every answer (see the module docstring)."""
        outcome = Outcome(str(answers["comments"]))
        began = time.perf_counter()
        with _session() as session:
            try:
                hidden = self._start(session, outcome)
                if hidden is None:
                    return outcome
                data = {"csrf_token": hidden["csrf_token"], "state": signer.sign(answers), "lang": "en",
                        "nav": "submit"}
                data.update({f"q_{q}": _form_value(answers[q]) for q in LAST_PAGE_ITEMS if q in answers})
                self._send(session, outcome, "submit", "POST", f"/s/{self.survey.slug}/page", data=data)
            except NoAnswer:
                pass
            finally:
                outcome.seconds = time.perf_counter() - began
        return outcome


    def submit_prepared(self, prepared: dict[str, Any], answers: dict[str, Any]) -> Outcome:
        """POST the last page a ``walk(..., stop_before_submit=True)`` reached, in that walk's session."""
        outcome = Outcome(str(answers.get("comments", "")))
        began = time.perf_counter()
        with _session() as session:
            session.cookies.update(prepared["_cookies"])
            data = {"csrf_token": prepared["csrf_token"], "state": prepared["state"], "lang": "en", "nav": "submit"}
            data.update({f"q_{q}": _form_value(answers[q]) for q in LAST_PAGE_ITEMS if q in answers})
            try:
                self._send(session, outcome, "submit", "POST", f"/s/{self.survey.slug}/page", data=data)
            except NoAnswer:
                pass
        outcome.seconds = time.perf_counter() - began
        return outcome


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only: no proxy look-ups in the environment (costly per request)
    return session


def _form_value(value: Any) -> Any:
    return [str(v) for v in value] if isinstance(value, list) else str(value)


class StateSigner:
    """Re-signs a real last-page state with a fresh one-time token and this submission's earlier answers.

    Uses the app's own ``surveys.respond.state`` code inside a bare Flask app that holds the same
    SECRET_KEY as the server, so the state is exactly what the server would have produced.
    """

    def __init__(self, secret_key: str, survey_id: int, template_state: str):
        from flask import Flask

        from surveys.respond.state import load_state

        self._app = Flask("state-signer")
        self._app.config["SECRET_KEY"] = secret_key
        with self._app.app_context():
            self.template = load_state(template_state, survey_id)

    def sign(self, answers: dict[str, Any]) -> str:
        from surveys.respond.state import dump_state

        earlier = {k: v for k, v in answers.items() if k not in LAST_PAGE_ITEMS}
        state = replace(self.template, answers={**self.template.answers, **earlier}, token=uuid.uuid4().hex)
        with self._app.app_context():
            return dump_state(state)


def answers_for(marker: str) -> dict[str, Any]:
    return {**ANSWERS, "comments": marker}


def new_marker(prefix: str = "load") -> str:
    return f"{prefix}-{uuid.uuid4().hex}"
