"""Data factories for tests: real rows through the real models, with sensible defaults."""
from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from surveys.extensions import db
from surveys.models import Instrument, Jurisdiction, Organisation, PolicyEvent, Researcher, Survey, Wave

_counter = itertools.count(1)
STRONG_PASSWORD = "correct horse battery staple 42"


def make_organisation(name: str | None = None) -> Organisation:
    organisation = Organisation(name=name or f"Organisation {next(_counter)}")
    db.session.add(organisation)
    db.session.flush()
    return organisation


def make_researcher(
    role: str = "analyst",
    organisation: Organisation | None = None,
    email: str | None = None,
    password: str = STRONG_PASSWORD,
) -> Researcher:
    researcher = Researcher(
        email=email or f"researcher{next(_counter)}@example.org",
        role=role,
        organisation=organisation or make_organisation(),
    )
    researcher.set_password(password)
    db.session.add(researcher)
    db.session.flush()
    return researcher


def make_instrument(source_yaml: str = "id: test\n", version: str | None = None, key: str = "test") -> Instrument:
    import hashlib

    instrument = Instrument(
        key=key,
        version=version or f"0.{next(_counter)}",
        title="Test instrument",
        source_yaml=source_yaml,
        sha256=hashlib.sha256(source_yaml.encode()).hexdigest(),
    )
    db.session.add(instrument)
    db.session.flush()
    return instrument


def make_survey(
    organisation: Organisation | None = None,
    instrument: Instrument | None = None,
    n_waves: int = 2,
    jurisdictions: tuple[str, ...] = ("Alpha", "Beta"),
    today: date | None = None,
    **kw: Any,
) -> Survey:
    """A survey whose last wave is open ``today`` and earlier waves are closed.

    Its ``min_answered_share`` is 0 unless given: most tests submit a few answers (or none) to test
    something else; the data-quality tests (``tests/studies/test_quality.py``) set it.
    """
    today = today or date.today()
    n = next(_counter)
    survey = Survey(
        organisation=organisation or make_organisation(),
        instrument=instrument or make_instrument(),
        slug=kw.pop("slug", f"survey-{n}"),
        title=kw.pop("title", f"Survey {n}"),
        min_answered_share=kw.pop("min_answered_share", 0.0),
        **kw,
    )
    db.session.add(survey)
    for number in range(1, n_waves + 1):
        opens = today - timedelta(days=30 + 90 * (n_waves - number))
        closes = opens + timedelta(days=89)
        survey.waves.append(Wave(number=number, label=f"Wave {number}", opens_on=opens, closes_on=closes))
    for index, name in enumerate(jurisdictions):
        survey.jurisdictions.append(Jurisdiction(name=name, code=f"J{index + 1:02d}"))
    db.session.flush()
    return survey


def make_policy_event(jurisdiction: Jurisdiction, event_date: date, direction: int = -1) -> PolicyEvent:
    """An event; ``direction`` -1 = more entanglement (the model derives ``entanglement``)."""
    event = PolicyEvent(jurisdiction=jurisdiction, event_date=event_date, kind="287g_signed", direction=direction)
    db.session.add(event)
    db.session.flush()
    return event


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def login_as(client: Any, researcher: Researcher, password: str = STRONG_PASSWORD) -> Any:
    """Log ``researcher`` in through the real login form (CSRF token included); returns the POST response.

    Commit the researcher first: the login runs in its own request.
    """
    page = client.get("/research/login")
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(
        "/research/login", data={"email": researcher.email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, f"login as {researcher.email} failed ({response.status_code})"
    return response


def post_form(client: Any, page_url: str, data: dict[str, Any], action: str | None = None) -> Any:
    """GET a page, take its CSRF token, POST ``data`` to ``action`` (default: the same URL)."""
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    return client.post(action or page_url, data={**data, "csrf_token": token})
