"""App-wide web pieces: security headers, privacy-preserving logging, error pages,
the page language, the liveness check and the plotly.js assets.

``install`` wires them into a new app; the factory calls it once.
"""
from __future__ import annotations

from flask import Flask

from .assets import install_assets
from .errors import install_error_handlers
from .health import healthz, index, refuse_oversized_bodies
from .locale import safe_form_value, select_locale
from .privacy_logging import install_privacy_logging
from .security import install_security

__all__ = ["install", "safe_form_value", "select_locale"]


def install(app: Flask) -> None:
    install_security(app)
    install_privacy_logging()
    install_error_handlers(app)
    app.before_request(refuse_oversized_bodies)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.add_url_rule("/", "index", index)
    install_assets(app)
