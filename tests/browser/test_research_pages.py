"""A researcher in a real browser (Debian's Chromium): log in, create a survey with two
jurisdictions and a policy event; every request stays on the app's origin; axe-core finds
no serious or critical violation on any researcher page visited.

Uses the shared infrastructure in ``tests/browser/conftest.py`` (skips without Chromium,
Playwright or axe-core unless ``CTS_REQUIRE_BROWSER=1``).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from surveys.extensions import db
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import PolicyEvent, Survey
from surveys.studies.instrument_store import store_instrument
from tests.accounts.helpers import add_researcher
from tests.factories import STRONG_PASSWORD

from .conftest import axe_violations


def test_researcher_creates_a_survey_with_two_jurisdictions_and_a_policy_event(app, live_server, page, page_requests):
    origin = live_server.url
    with app.app_context():
        store_instrument(DEFAULT_INSTRUMENT_PATH)
    admin = add_researcher(app, role="admin")
    violations: dict[str, list] = {}

    def scan() -> None:
        found = axe_violations(page)
        if found:
            violations[urlsplit(page.url).path] = found

    def submit(label: str) -> None:
        with page.expect_navigation():
            page.get_by_role("button", name=label).click()

    page.goto(f"{origin}/research/")
    assert urlsplit(page.url).path == "/research/login"
    scan()
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    submit("Log in")
    assert urlsplit(page.url).path == "/research/"
    scan()

    page.get_by_role("link", name="New survey").first.click()
    scan()
    page.get_by_label("Title").fill("Riverside trust survey")
    page.get_by_label("Survey address").fill("riverside-trust")
    page.get_by_label("Respondents need a one-time invite code").check()
    submit("Create survey")
    assert urlsplit(page.url).path == "/research/surveys/riverside-trust/manage"
    scan()

    for name, code in (("Alder County", "ALD"), ("Bayview City", "BAY")):
        page.get_by_role("link", name="Add a jurisdiction").click()
        scan()
        page.get_by_label("Name (city or county)").fill(name)
        page.get_by_label("Code").fill(code)
        submit("Add jurisdiction")

    page.get_by_role("link", name="Add a wave").click()
    scan()
    page.get_by_label("Opens on").fill("2025-01-01")
    page.get_by_label("Closes on").fill("2025-03-31")
    submit("Add wave")

    page.get_by_role("link", name="Record a policy event").click()
    scan()
    page.get_by_label("Jurisdiction").select_option(label="Bayview City")
    page.get_by_label("Date the change took effect").fill("2025-02-15")
    page.get_by_label("Type of change").select_option(value="287g_signed")
    page.get_by_label("More (e.g. a 287(g) agreement signed, a sanctuary policy ended)").check()
    page.get_by_label("Description").fill("County sheriff signs a 287(g) agreement.")
    page.get_by_label("Source link").fill("https://example.org/news/287g")
    submit("Record policy event")
    body = page.inner_text("main")
    assert "Alder County" in body and "Bayview City" in body and "287(g) agreement signed" in body
    scan()

    page.get_by_role("link", name="Create invite codes").click()
    scan()
    page.get_by_label("How many codes").fill("4")
    submit("Create codes")
    assert page.locator(".invite-code").count() == 4
    scan()

    for path in ("/research/account/tokens", "/research/account/password", "/research/admin/researchers",
                 "/research/admin/researchers/new", f"/research/admin/researchers/{admin.id}",
                 "/research/admin/tokens", "/research/admin/audit", "/research/surveys/riverside-trust/settings"):
        page.goto(f"{origin}{path}")
        scan()

    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == "riverside-trust"))
        assert sorted(j.code for j in survey.jurisdictions) == ["ALD", "BAY"]
        event = db.session.scalar(select(PolicyEvent))
        assert (event.jurisdiction.code, event.kind, event.direction, event.entanglement) == (
            "BAY", "287g_signed", -1, "more")

    assert page_requests.urls, "the recorder saw no request"
    assert not page_requests.other_origins(origin), page_requests.other_origins(origin)
    assert not violations, violations
