"""Behind a reverse proxy: one rate-limit key per client, forged hosts refused, no silent memory:// limits.

The proxy is a real one of the test's own: a threaded HTTP server that forwards
every request to the app's live server and adds ``X-Forwarded-For`` with the
address the client connected from, as nginx's ``proxy_add_x_forwarded_for``
does. Two clients connect from two loopback addresses (127.0.0.2, 127.0.0.3).
"""
from __future__ import annotations

import http.client
import logging
import os
import re
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import pytest

from surveys import create_app
from surveys.config import ProductionConfig
from tests.browser.live_server import LiveServer
from tests.conftest import ROOT, config_for, empty_all_tables
from tests.respond.helpers import make_default_survey

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection"}


class _Forwarder(BaseHTTPRequestHandler):
    upstream: tuple[str, int] = ("127.0.0.1", 0)

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        previous = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{previous}, {self.client_address[0]}" if previous else self.client_address[0]
        connection = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_HEADERS and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        finally:
            connection.close()

    do_GET = do_POST = _forward

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def reverse_proxy(upstream: LiveServer) -> Iterator[tuple[str, int]]:
    handler = type("Forwarder", (_Forwarder,), {"upstream": ("127.0.0.1", upstream.port)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class Browser:
    """A client connecting from ``source`` (a loopback address) that keeps its cookies."""

    def __init__(self, proxy: tuple[str, int], source: str):
        self.proxy, self.source, self.cookies = proxy, source, {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection(*self.proxy, timeout=30, source_address=(self.source, 0))
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            text = answer.read().decode("utf-8", "replace")
            for name, value in answer.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return answer.status, text
        finally:
            connection.close()

    def failed_login(self) -> int:
        _, page = self.request("GET", "/research/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
        status, _ = self.request("POST", "/research/login",
                                 {"csrf_token": token, "email": "nobody@example.org", "password": "wrong guess"})
        return status


def _statuses(database_url: str, proxy_count: int) -> tuple[list[int], int]:
    """Three failed logins from one address, then one from another, through the proxy."""
    app = create_app(config_for(
        database_url, RATELIMIT_ENABLED=True, LOGIN_THROTTLE_ENABLED=False, LOGIN_RATE_LIMIT="2 per minute",
        PROXY_COUNT=proxy_count, SECRET_KEY=secrets.token_hex(16),  # a key of its own: counters of its own
    ))
    try:
        with LiveServer(app) as server, reverse_proxy(server) as proxy:
            first = Browser(proxy, "127.0.0.2")
            statuses = [first.failed_login() for _ in range(3)]
            return statuses, Browser(proxy, "127.0.0.3").failed_login()
    finally:
        empty_all_tables(app)


def test_behind_a_proxy_two_clients_get_separate_limits(database_url):
    statuses, other = _statuses(database_url, proxy_count=1)
    assert statuses[:2] != [429, 429] and statuses[2] == 429, statuses
    assert other != 429  # a different address, a limit of its own


def test_without_proxy_count_every_client_shares_the_proxys_limit(database_url):
    """The contrast that issue 11 found: one key for a whole city."""
    statuses, other = _statuses(database_url, proxy_count=0)
    assert statuses[2] == 429 and other == 429


def _production(database_url: str, **overrides: object) -> type:
    return type("BoundProduction", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "p" * 64, **overrides})


def test_forged_host_is_refused_in_production(database_url, tmp_path):
    app = create_app(_production(database_url, TRUSTED_HOSTS=["survey.example.org"]))
    try:
        survey = make_default_survey(app)
        client = app.test_client()
        good = client.get(f"/s/{survey.slug}", base_url="https://survey.example.org")
        assert good.status_code == 200
        for path in (f"/s/{survey.slug}", "/research/login", "/api/v1/surveys", "/no-such-page"):
            forged = client.get(path, base_url="https://evil.example.net")
            assert forged.status_code == 400, path
            assert "evil.example.net" not in forged.get_data(as_text=True)
            assert "Location" not in forged.headers
        proxied = client.get(f"/s/{survey.slug}", base_url="https://survey.example.org",
                             headers={"X-Forwarded-Host": "evil.example.net"})
        assert proxied.status_code == 200 and "evil.example.net" not in proxied.get_data(as_text=True)
    finally:
        empty_all_tables(app)


def test_production_warns_about_memory_limits_and_missing_hosts(database_url, caplog):
    with caplog.at_level(logging.WARNING, logger="surveys.web.deployment"):
        create_app(_production(database_url))
    warned = " ".join(record.getMessage() for record in caplog.records)
    assert "memory://" in warned and "TRUSTED_HOSTS" in warned
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="surveys.web.deployment"):
        create_app(_production(database_url, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
                               TRUSTED_HOSTS=["survey.example.org"]))
    assert not caplog.records


@pytest.mark.parametrize(("storage", "workers", "refused"), [
    ("", "4", True), ("memory://", "2", True), ("redis://127.0.0.1:6379", "4", False), ("", "1", False)])
def test_gunicorn_refuses_several_workers_with_memory_storage_in_production(tmp_path: Path, storage, workers,
                                                                            refused):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "RATELIMIT", "WEB_CONCURRENCY"))}
    env.update({"APP_ENV": "production", "WEB_CONCURRENCY": workers, "SECRET_KEY": "g" * 64,
                "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    if storage:
        env["RATELIMIT_STORAGE_URI"] = storage
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run([str(gunicorn), "-c", "gunicorn.conf.py", "--check-config", "app:app"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    if refused:
        assert result.returncode != 0 and "memory://" in output, output[-2000:]
    else:
        assert result.returncode == 0, output[-2000:]
