"""Civic Trust Survey: the Flask application package.

``create_app`` is the only place an app is assembled: configuration, the
secret key check, extensions, security headers, logging that keeps no client
details, error pages and the blueprints. It has no side effects beyond the
instance folder: no prompts, no network, no ``create_all()`` (only Alembic
migrations make the schema).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from flask import Flask

from .config import Config


class MissingSecretKey(RuntimeError):
    """Raised when the app would run without a SECRET_KEY outside testing or the demo."""


# Flask CLI commands that never serve a request, so may run before a key exists
# (the ``demo`` command then writes one into the instance folder).
_KEYLESS_COMMANDS = {"demo", "db", "create-researcher", "load-instrument", "routes", "--help", "-h"}

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


def _flask_cli_command() -> str | None:
    """The sub-command of a ``flask ...`` invocation, or None when not under the Flask CLI."""
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        return None
    args = sys.argv[1:]
    skip_next = False
    for arg in args:
        if skip_next:
            skip_next = False
            continue
        if arg in ("--app", "-A", "--env-file", "-e"):
            skip_next = True
            continue
        if arg.startswith("--app=") or arg.startswith("-A") and len(arg) > 2:
            continue
        if arg in ("--help", "-h"):
            return arg
        if arg.startswith("-"):
            continue
        return arg
    return None


def _resolve_secret_key(app: Flask) -> None:
    """Take SECRET_KEY from the config/environment, else from ``instance/secret_key``.

    The instance file is only ever written by the ``demo`` command. Without a
    key from either place the app refuses to start, except in testing and for
    CLI commands that serve no requests.
    """
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / SECRET_KEY_FILE
    if key_file.is_file():
        key = key_file.read_text().strip()
        if key:
            app.config["SECRET_KEY"] = key
            return
    if app.config.get("TESTING") or app.config.get("DEMO") or _flask_cli_command() in _KEYLESS_COMMANDS:
        return
    raise MissingSecretKey(
        "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random value "
        "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`), "
        "or run `flask --app app demo` to generate one for a local demo."
    )


def _default_database_url(app: Flask) -> str:
    return f"sqlite:///{Path(app.instance_path) / 'civic_trust.db'}"


def create_app(config_class: type[Config] | object = Config) -> Flask:
    """Build a configured application.

    Parameters
    ----------
    config_class
        A class (or object) whose upper-case attributes become the config:
        ``Config`` for deployments, ``TestConfig`` for tests.
    """
    root = Path(__file__).resolve().parent.parent
    app = Flask(
        __name__,
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
        instance_path=os.environ.get("INSTANCE_PATH", str(root / "instance")),
    )
    app.config.from_object(config_class)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = _default_database_url(app)
    _resolve_secret_key(app)

    from . import web
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

    from .api import bp as api_bp
    from .research import bp as research_bp
    from .respond import bp as respond_bp

    app.register_blueprint(respond_bp)
    app.register_blueprint(research_bp, url_prefix="/research")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, not cookies

    from .cli import register_commands

    register_commands(app)
    return app
