"""Storage links no response to its invite code, its submission token or its submission order.

The attacks of issue 11, run as a database administrator (or whoever holds a
seized server) would run them after 30 submissions through the real pages,
each with its own invite code from a batch named after a household:

* join ``invite_code``/``submission_token`` to ``response`` on PostgreSQL's
  ``xmin`` (the id of the transaction that wrote the row);
* line the used codes up in physical order (``ctid``: PostgreSQL appends the
  updated row version, so code order is consumption order) against the
  responses in physical order (``ctid``, SQLite ``rowid``) and match them up;
* rank-correlate the physical order of the written-out responses with the
  order they were submitted in.

Before the buffer (responses written in the submit transaction) the first
attack named every household's answers and the last gave a correlation of 1.

The last tests decode every cookie and hidden field a respondent's browser
gets: the state used to be a Fernet token (creation time in clear) and the
session cookie and CSRF token carried itsdangerous timestamps.
"""
from __future__ import annotations

import base64
import binascii
import re
import time
import zlib
from typing import Any

import pytest
from cryptography.fernet import Fernet
from itsdangerous import URLSafeTimedSerializer
from scipy.stats import kendalltau, spearmanr
from sqlalchemy import text
from werkzeug.http import parse_cookie

from surveys import create_app
from surveys.extensions import db
from surveys.models import InviteCode, Survey
from surveys.studies.invites import hash_invite_code
from tests.conftest import config_for, empty_all_tables

from .helpers import SurveyWalker, make_default_survey

RESPONDENTS = 30
ALPHA = 1e-6  # a genuine shuffle fails this one run in a million; submission order gives p ~ 1e-30


def _codes() -> list[str]:
    return [f"HH{index:02d}-CODE" for index in range(RESPONDENTS)]


@pytest.fixture(scope="module")
def app(database_url):
    """One app and one set of 30 submissions for the whole module (they take a while)."""
    application = create_app(config_for(database_url))
    yield application
    empty_all_tables(application)


@pytest.fixture(scope="module")
def submitted(app):
    """30 submissions, in order, each with its own code (batch ``household-<i>``) and comment marker."""
    survey = make_default_survey(app, uses_invite_codes=True, min_cell_size=RESPONDENTS)
    with app.app_context():
        row = db.session.get(Survey, survey.id)
        for index, code in enumerate(_codes()):
            db.session.add(InviteCode(survey_id=row.id, code_hash=hash_invite_code(row, code),
                                      batch=f"household-{index:02d}"))
        db.session.commit()
    for index, code in enumerate(_codes()):
        walker = SurveyWalker(app.test_client(), survey)  # a browser of its own
        walker.start(invite_code=code)
        response = walker.answer_all({"trust_overall": index % 10, "born_abroad": 2, "comments": f"marker-{index:02d}"})
        assert response.status_code == 303, walker.html[:500]
    return survey


def _dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


def _rows(app, sql: str, **params: Any) -> list[tuple]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(text(sql), params)]


# Physical order: PostgreSQL's ctid (where the row version sits), SQLite's rowid.
RESPONSES_IN_STORAGE_ORDER = {
    "postgresql": "SELECT a.text FROM response r JOIN answer a ON a.response_id = r.id AND a.item_id = 'comments' "
                  "WHERE r.survey_id = :survey ORDER BY r.ctid",
    "sqlite": "SELECT a.text FROM response r JOIN answer a ON a.response_id = r.id AND a.item_id = 'comments' "
              "WHERE r.survey_id = :survey ORDER BY r.rowid",
}
USED_CODES_IN_STORAGE_ORDER = {
    "postgresql": "SELECT batch FROM invite_code WHERE used AND survey_id = :survey ORDER BY ctid",
    "sqlite": "SELECT batch FROM invite_code WHERE used AND survey_id = :survey ORDER BY rowid",
}


def _physical_order(app, survey_id: int) -> list[int]:
    """Submission index of each written-out response, in physical (storage) order."""
    rows = _rows(app, RESPONSES_IN_STORAGE_ORDER[_dialect(app)], survey=survey_id)
    return [int(marker.removeprefix("marker-")) for (marker,) in rows]


def test_thirty_responses_are_written_out_as_one_batch(app, submitted):
    assert _rows(app, "SELECT count(*) FROM response_buffer WHERE survey_id = :s", s=submitted.id) == [(0,)]
    assert sorted(_physical_order(app, submitted.id)) == list(range(RESPONDENTS))


def test_storage_order_does_not_replay_submission_order(app, submitted):
    order = _physical_order(app, submitted.id)
    ranks = list(range(RESPONDENTS))
    rho, p_spearman = spearmanr(ranks, order)
    tau, p_kendall = kendalltau(ranks, order)
    assert p_spearman > ALPHA and p_kendall > ALPHA, (rho, p_spearman, tau, p_kendall, order)


ANSWERS_IN_STORAGE_ORDER = {
    "postgresql": "SELECT a.text FROM answer a JOIN response r ON r.id = a.response_id "
                  "WHERE a.item_id = 'comments' AND r.survey_id = :survey ORDER BY a.ctid",
    "sqlite": "SELECT a.text FROM answer a JOIN response r ON r.id = a.response_id "
              "WHERE a.item_id = 'comments' AND r.survey_id = :survey ORDER BY a.rowid",
}


def test_answer_rows_do_not_replay_submission_order_either(app, submitted):
    rows = _rows(app, ANSWERS_IN_STORAGE_ORDER[_dialect(app)], survey=submitted.id)
    order = [int(marker.removeprefix("marker-")) for (marker,) in rows]
    assert sorted(order) == list(range(RESPONDENTS))
    rho, p_spearman = spearmanr(list(range(RESPONDENTS)), order)
    tau, p_kendall = kendalltau(list(range(RESPONDENTS)), order)
    assert p_spearman > ALPHA and p_kendall > ALPHA, (rho, p_spearman, tau, p_kendall, order)


def test_no_xmin_join_links_a_code_or_a_token_to_a_response(app, submitted):
    if _dialect(app) != "postgresql":
        pytest.skip("xmin is PostgreSQL's; SQLite's physical order is tested above")
    by_code = _rows(app, "SELECT ic.batch, r.id FROM invite_code ic JOIN response r "
                         "ON r.xmin::text = ic.xmin::text WHERE ic.used")
    by_token = _rows(app, "SELECT t.token_hash FROM submission_token t JOIN response r ON r.xmin::text = t.xmin::text")
    by_answer = _rows(app, "SELECT ic.batch FROM invite_code ic JOIN answer a ON a.xmin::text = ic.xmin::text")
    assert by_code == [] and by_token == [] and by_answer == []
    # The whole batch shares one transaction: its xmin says nothing about any one response.
    assert _rows(app, "SELECT count(DISTINCT xmin::text) FROM response") == [(1,)]


def test_code_order_matched_to_response_order_finds_no_more_than_chance(app, submitted):
    """Line up used codes and responses by physical position: at most chance-level matches."""
    codes = [int(batch.removeprefix("household-")) for (batch,) in _rows(
        app, USED_CODES_IN_STORAGE_ORDER[_dialect(app)], survey=submitted.id)]
    responses = _physical_order(app, submitted.id)
    matches = sum(code == response for code, response in zip(codes, responses, strict=True))
    # Matches of a random permutation are about Poisson(1): P(>= 6) < 0.0006.
    assert matches < 6, (codes, responses)


# --- what the respondent's device keeps ------------------------------------------------------------

WINDOW_SECONDS = 3600  # a decoded number this close to now is a timestamp (random bytes: p ~ 2e-6)


def _urlsafe_decode(segment: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None


def timestamps_in(value: str, now: float) -> list[int]:
    """Clear timestamps near ``now`` a decoder finds in ``value``: Fernet's (8 bytes after the
    version byte), itsdangerous' (a short base64 segment), or digits in decoded (zlib'd) JSON."""
    found: list[int] = []
    candidates = [value, *value.split(".")]
    for segment in candidates:
        raw = _urlsafe_decode(segment)
        if raw is None:
            continue
        try:
            raw = raw + b" " + zlib.decompress(raw)
        except zlib.error:
            pass
        for offset in range(4):
            for width in (4, 8):
                chunk = raw[offset:offset + width]
                if len(chunk) == width and abs(int.from_bytes(chunk, "big") - now) < WINDOW_SECONDS:
                    found.append(int.from_bytes(chunk, "big"))
        if len(raw) <= 8:  # an itsdangerous timestamp segment
            number = int.from_bytes(raw, "big")
            if abs(number - now) < WINDOW_SECONDS:
                found.append(number)
        found += [int(d) for d in re.findall(rb"\d{10}", raw) if abs(int(d) - now) < WINDOW_SECONDS]
    found += [int(d) for d in re.findall(r"\d{10}", value) if abs(int(d) - now) < WINDOW_SECONDS]
    return found


def test_the_detector_finds_the_old_formats():
    """Positive controls: a Fernet token and a timed-signed value (Flask's session, Flask-WTF's token)."""
    now = time.time()
    fernet = Fernet(Fernet.generate_key()).encrypt_at_time(b'{"a":1}', int(now)).decode()
    timed = URLSafeTimedSerializer("k").dumps({"csrf_token": "x" * 40})
    assert timestamps_in(fernet, now) and timestamps_in(timed, now)


def test_state_and_cookies_carry_no_timestamp(app):
    """Every cookie and every hidden field a respondent's browser receives, start to thank-you page."""
    survey = make_default_survey(app)
    client = app.test_client()
    walker = SurveyWalker(client, survey)
    seen: list[tuple[str, str]] = []

    def keep(response: Any) -> None:
        for header in response.headers.getlist("Set-Cookie"):
            seen.extend(("cookie", v) for v in parse_cookie(header.split(";", 1)[0]).values())
        html = response.get_data(as_text=True)
        seen.extend(("field", m[1]) for m in re.finditer(r'<input[^>]*type="hidden"[^>]*value="([^"]*)"', html))
        seen.extend(("field", m[1]) for m in re.finditer(r'<input[^>]*value="([^"]*)"[^>]*type="hidden"', html))

    keep(client.get(f"/s/{survey.slug}"))
    keep(walker.start())
    for _ in range(12):
        nav = "submit" if 'value="submit"' in walker.html else "next"
        response = walker.post_page({"trust_overall": 6} if 'name="q_trust_overall"' in walker.html else {}, nav=nav)
        if response.status_code == 303:
            keep(client.get(response.headers["Location"]))
            break
    for response in walker.history:  # each POST (its state cookie) and each page it led to
        keep(response)
    now = time.time()
    kinds = {kind for kind, _ in seen}
    assert kinds == {"cookie", "field"} and any(len(v) > 100 for _, v in seen), seen  # the state was seen
    assert any(kind == "cookie" and len(v) > 100 for kind, v in seen)  # ... in the cookie too (Back/Forward)
    assert [(kind, value[:40]) for kind, value in seen if timestamps_in(value, now)] == []
