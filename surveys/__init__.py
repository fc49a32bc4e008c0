"""Civic Trust Survey: the Flask application package.

``create_app`` is the only place an app is assembled: configuration, the
secret key check, extensions, security headers, logging that keeps no client
details, error pages and the blueprints. It has no side effects beyond the
instance folder: no prompts, no network, no ``create_all()`` (only Alembic
migrations make the schema).

The package is grouped by concept (README, "Architecture"): ``web/`` (headers,
errors, logging, locale, assets), ``accounts/`` (researchers, tokens, access,
sessions, audit), ``studies/`` (surveys, events, invite codes, submissions),
``publication/`` (everything published under the small-cell rule), and one
blueprint package per audience: ``respond/``, ``research/``, ``api/``.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from .config import Config, MissingSecretKey, config_from_env, resolve_secret_key

__all__ = ["MissingSecretKey", "create_app"]


def _default_database_url(app: Flask) -> str:
    return f"sqlite:///{Path(app.instance_path) / 'civic_trust.db'}"


def create_app(config_class: type[Config] | object | None = None) -> Flask:
    """Build a configured application.

    Parameters
    ----------
    config_class
        A class (or object) whose upper-case attributes become the config:
        ``TestConfig`` for tests; when None, the class ``APP_ENV`` names
        (``production``, ``development`` (default) or ``testing``).
    """
    root = Path(__file__).resolve().parent.parent
    app = Flask(
        __name__,
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
        instance_path=os.environ.get("INSTANCE_PATH", str(root / "instance")),
    )
    app.config.from_object(config_class if config_class is not None else config_from_env())
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = _default_database_url(app)
    resolve_secret_key(app)

    from . import web
    from .accounts.session import install_login
    from .extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(root / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale)

    from .database import configure_engine

    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine)

    web.install(app)
    from .web import deployment

    deployment.install(app)
    install_login(app)

    from .api import bp as api_bp
    from .research import bp as research_bp
    from .respond import bp as respond_bp

    app.register_blueprint(respond_bp)
    app.register_blueprint(research_bp, url_prefix="/research")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, not cookies
    csrf.exempt(respond_bp)  # respond/csrf.py: a double-submit cookie without a timestamp

    from .cli import register_commands

    register_commands(app)
    return app
