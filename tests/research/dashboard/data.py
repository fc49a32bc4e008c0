"""Response rows for dashboard, suppression, export and API tests, written straight to the table.

The aggregates read only the stored columns of ``response`` (wave, jurisdiction,
language, immigrant flag, scale scores), so the tests build exactly the cells they
need, e.g. a jurisdiction x wave cell of 9 immigrant respondents.
"""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

from flask import g, has_app_context
from sqlalchemy import insert

from surveys.extensions import db
from surveys.models import Response, Survey
from tests.factories import STRONG_PASSWORD


def add_responses(
    survey: Survey,
    wave_number: int,
    jurisdiction_code: str,
    n: int,
    *,
    immigrant: bool | None = False,
    language: str = "en",
    trust: float | None = 3.0,
    willingness: float | None = 3.5,
    fear: float | None = 2.0,
    involvement: float | None = 2.5,
) -> list[uuid.UUID]:
    """Insert ``n`` responses into one cell; scores vary a little so intervals are finite."""
    wave = next(w for w in survey.waves if w.number == wave_number)
    jurisdiction = next(j for j in survey.jurisdictions if j.code == jurisdiction_code)
    rows = []
    for i in range(n):
        wobble = (i % 3 - 1) * 0.5
        rows.append({
            "id": uuid.uuid4(), "survey_id": survey.id, "wave_id": wave.id,
            "jurisdiction_id": jurisdiction.id, "language": language, "instrument_version": "1.0",
            "submitted_on": wave.opens_on + timedelta(days=i % 20), "immigrant": immigrant,
            "trust": None if trust is None else trust + wobble,
            "willingness": None if willingness is None else willingness + wobble,
            "fear": None if fear is None else fear - wobble,
            "involvement": None if involvement is None else involvement, "scores": {},
        })
    if rows:
        db.session.execute(insert(Response), rows)
    db.session.flush()
    return [r["id"] for r in rows]


CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    """The CSRF token of the form on ``path`` (a real GET, as a browser would).

    Tests that hold an app context (``app_ctx``) share one ``g`` across the
    client's requests, and Flask-WTF caches the token in ``g``: drop it, so the
    page makes a token for the current session as it would for a browser.
    """
    if has_app_context():
        g.pop("csrf_token", None)
    page = client.get(path)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1) or match.group(2)


def login(client, researcher, password: str = STRONG_PASSWORD) -> None:
    """Log in through the real login form."""
    token = csrf_token(client, "/research/login")
    response = client.post("/research/login", data={"email": researcher.email, "password": password,
                                                    "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def post_form(client, path: str, form_page: str, data: dict):
    """POST ``data`` to ``path`` with the CSRF token from ``form_page``."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_page)})


def default_instrument():
    """The shipped instrument, stored (once per database) for surveys that need real items."""
    from surveys.instruments import DEFAULT_INSTRUMENT_PATH
    from surveys.studies.instrument_store import store_instrument

    row, _ = store_instrument(DEFAULT_INSTRUMENT_PATH)
    return row
