"""Answering a survey over real HTTP (urllib with a cookie jar), for the server and log tests."""
from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from .helpers import hidden_value, page_field_names


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpWalker:
    """Like ``SurveyWalker`` but over a socket, with browser-like headers that must never be kept."""

    def __init__(self, base_url: str, slug: str, language: str = "en", headers: dict[str, str] | None = None):
        self.base_url = base_url
        self.slug = slug
        self.language = language
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)
        self.headers = headers or {}
        self.html = ""
        self.status = 0

    def request(self, path: str, data: dict[str, Any] | None = None) -> int:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, headers=self.headers)  # noqa: S310 - our own http://127.0.0.1 server
        try:
            with self.opener.open(request, timeout=30) as response:  # noqa: S310 - see above
                self.status, self.html = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            self.status, self.html = error.code, error.read().decode()
            location = error.headers.get("Location", "")
            if error.code == 303 and "/page?" in location:  # Post/Redirect/Get: on to the next page
                return self.request(urllib.parse.urlsplit(location)._replace(scheme="", netloc="").geturl())
        return self.status

    def complete(self, answers: dict[str, Any], query: str = "") -> int:
        self.request(f"/s/{self.slug}?lang={self.language}{query}")
        self.request(f"/s/{self.slug}", {"csrf_token": hidden_value(self.html, "csrf_token"), "lang": self.language,
                                         "jurisdiction": "J01", "action": "start"})
        for _ in range(20):
            if self.status != 200:
                return self.status
            shown = {name[2:] for name in page_field_names(self.html)}
            data = {"csrf_token": hidden_value(self.html, "csrf_token"), "state": hidden_value(self.html, "state"),
                    "lang": self.language, "nav": "submit" if 'value="submit"' in self.html else "next"}
            data.update({f"q_{k}": v for k, v in answers.items() if k in shown})
            self.request(f"/s/{self.slug}/page", data)
        raise AssertionError("the survey never ended")
