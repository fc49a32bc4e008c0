"""A researcher in a real browser (Debian's Chromium): log in, create a survey with two
jurisdictions and a policy event; every request stays on the app's origin; axe-core finds
no serious or critical violation on any researcher page visited.

Skips when Chromium, Playwright or axe-core is missing, unless ``CTS_REQUIRE_BROWSER=1``.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from surveys.extensions import db
from surveys.instrument_store import store_instrument
from surveys.instruments import DEFAULT_INSTRUMENT_PATH
from surveys.models import PolicyEvent, Survey
from tests.factories import STRONG_PASSWORD
from tests.research.accounts_helpers import add_researcher

from .live_server import LiveServer

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CTS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required (CTS_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture
def researcher_page(app) -> Iterator[tuple[Any, list[str], str]]:  # noqa: ANN001
    """(page, every URL the browser requested, the live server's origin)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    if not AXE.exists():
        _unavailable("node_modules/axe-core is missing (npm ci)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    requested: list[str] = []
    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(locale="en-US")
        context.set_default_timeout(15_000)
        context.on("request", lambda request: requested.append(request.url))
        try:
            yield context.new_page(), requested, server.url
        finally:
            context.close()
            browser.close()


def axe_serious(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the current page (injected through DevTools, not a tag)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [{"id": v["id"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_researcher_creates_a_survey_with_two_jurisdictions_and_a_policy_event(app, researcher_page):
    page, requested, origin = researcher_page
    with app.app_context():
        store_instrument(DEFAULT_INSTRUMENT_PATH)
    admin = add_researcher(app, role="admin")
    violations: dict[str, list] = {}

    def scan() -> None:
        found = axe_serious(page)
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
    page.get_by_label("Expected effect on trust").select_option(value="-1")
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
        assert (event.jurisdiction.code, event.kind, event.direction) == ("BAY", "287g_signed", -1)

    foreign = [url for url in requested if not url.startswith(origin + "/") and not url.startswith("data:")]
    assert not foreign, f"requests left the app's origin: {foreign}"
    assert not violations, violations
