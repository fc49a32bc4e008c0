"""Shared browser-test infrastructure: a live server, Debian's Chromium through Playwright, a
recorder of every network request, and an axe-core scan.

Fixtures
--------
``live_server``      the test app (and the test database) served over HTTP on 127.0.0.1 in a thread.
``browser``          one headless Chromium per session (``/usr/bin/chromium``; no Playwright download).
``browser_context``  a fresh context (no cookies, no cache) per test; ``new_context(**kw)`` for others.
``page``             a page in that context; every request it makes is in ``page_requests``.
``page_requests``    the ``RequestRecorder`` of the test's context.

Helpers: ``axe_violations(page, impacts=("serious", "critical"))`` runs axe-core (npm ``axe-core``,
installed by ``npm ci`` into ``node_modules/``) in the page and returns the violations.

When ``/usr/bin/chromium`` (or the ``playwright`` package, or axe-core) is missing these tests skip,
unless ``CTS_REQUIRE_BROWSER=1`` (``.ci/run`` sets it), where they fail instead.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .live_server import LiveServer

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def _unavailable(reason: str) -> None:
    if os.environ.get("CTS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here (CTS_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/browser is a browser test."""
    browser_dir = Path(__file__).parent
    for item in items:
        if browser_dir in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


class RequestRecorder:
    """Every request a browser context made (documents, CSS, JS, images, fonts, XHR...)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def record(self, request: Any) -> None:
        self.urls.append(request.url)

    def other_origins(self, origin: str) -> list[str]:
        """The recorded URLs whose origin is not ``origin`` (``data:`` URLs are inline, not a request)."""
        wanted = urlsplit(origin)
        foreign = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme == "data":
                continue
            if (parts.scheme, parts.hostname, parts.port) != (wanted.scheme, wanted.hostname, wanted.port):
                foreign.append(url)
        return foreign


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser) -> Iterator[Any]:
    """``new_context(**options)``: more contexts (other languages, JavaScript off), all closed afterwards."""
    contexts = []

    def make(**options: Any) -> Any:
        options.setdefault("locale", "en-US")
        context = browser.new_context(**options)
        # Generous: a loaded 2-core CI machine took over 15 s for one axe scan page load.
        context.set_default_timeout(45_000)
        context.set_default_navigation_timeout(45_000)
        recorder = RequestRecorder()
        context.on("request", recorder.record)
        context.recorder = recorder
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def browser_context(new_context) -> Any:
    return new_context()


@pytest.fixture
def page_requests(browser_context) -> RequestRecorder:
    return browser_context.recorder


@pytest.fixture
def page(browser_context) -> Any:
    return browser_context.new_page()


def _axe_source() -> str:
    if not AXE_PATH.exists():
        _unavailable(f"{AXE_PATH.relative_to(ROOT)} is missing (run npm ci)")
    return AXE_PATH.read_text()


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """Run axe-core on the current page; the violations of the given impacts.

    ``page.evaluate`` runs in the page through the DevTools protocol, which the
    page's Content-Security-Policy does not govern (an injected ``<script>`` tag
    would be refused: our CSP allows no inline script), so the page is scanned
    exactly as respondents get it.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "targets": [node["target"] for node in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in impacts
    ]
