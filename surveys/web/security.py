"""HTTP security headers on every response.

Respondent safety depends on pages that load nothing from another origin and
leak nothing to one: the Content-Security-Policy allows only ``'self'``, the
referrer never leaves the site, and responses to the survey are not cached.
"""
from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=63072000; includeSubDomains"


def set_security_headers(response: Response) -> Response:
    """Add the headers every page gets (see the README's security section)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    # same-origin, not no-referrer: Flask-WTF's HTTPS CSRF check compares the Referer.
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    if not request.path.startswith("/static/"):
        # Answers must not linger in a shared device's cache or a proxy.
        headers["Cache-Control"] = "no-store"
    return response


def install_security(app: Flask) -> None:
    app.after_request(set_security_headers)
