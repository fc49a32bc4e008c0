"""Configuration read from the environment, and the choice of configuration class.

Why classes: the factory takes one (``create_app(TestConfig)``), so tests and
deployments differ only in data, never in code paths. Every value a deployment
may need to change comes from an environment variable named in the README's
configuration table (``tests/test_config.py`` checks that each one changes
behaviour). Values are read from the environment when an app is created, not
when this module is imported, so one process can build differently configured
apps. ``APP_ENV`` (``production``, ``development``, ``testing``) picks the class
when ``create_app`` is given none.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

from flask import Flask

T = TypeVar("T")


def _parse_bool(name: str, value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _parse_int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {value!r}") from exc


def _parse_str(name: str, value: str) -> str:
    return value


def _parse_hosts(name: str, value: str) -> list[str] | None:
    hosts = [host.strip().lower() for host in value.split(",") if host.strip()]
    return hosts or None


def _parse_granularity(name: str, value: str) -> str:
    value = value.strip().lower()
    if value not in ("day", "week"):
        raise RuntimeError(f"{name} must be day or week, got {value!r}")
    return value


def normalise_database_url(url: str) -> str:
    """Map the URLs hosting platforms hand out onto SQLAlchemy's dialect names.

    ``postgres://`` (Heroku style) and plain ``postgresql://`` both become
    ``postgresql+psycopg://`` so that psycopg 3, the driver we ship, is used.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Env(Generic[T]):
    """A setting read from environment variable ``name`` each time it is looked up, else ``default``.

    A subclass that assigns a plain value (``TestConfig.RATELIMIT_ENABLED = False``)
    overrides it, as any class attribute would.
    """

    def __init__(self, name: str, default: T, parse: Callable[[str, str], T]) -> None:
        self.name, self.default, self.parse = name, default, parse

    def __get__(self, instance: object, owner: type | None = None) -> T:
        value = os.environ.get(self.name)
        if value is None or not value.strip():
            return self.default
        return self.parse(self.name, value)


class Derived(Generic[T]):
    """A setting computed from the other settings of the class it is read on."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute = compute

    def __get__(self, instance: object, owner: type | None = None) -> T:
        return self.compute(owner if owner is not None else type(instance))


# The settings below are typed as the values they read as (``Any`` here): a descriptor is what the
# class holds, a value is what ``app.config`` and a subclass see.
def _env_int(name: str, default: int) -> Any:
    return Env(name, default, _parse_int)


def _env_bool(name: str, default: bool) -> Any:
    return Env(name, default, _parse_bool)


def _env_str(name: str, default: str | None) -> Any:
    return Env(name, default, _parse_str)


def _derived(compute: Callable[[Any], Any]) -> Any:
    return Derived(compute)


def _database_url(name: str, value: str) -> str | None:
    return normalise_database_url(value)


def _database_setting() -> Any:
    return Env("DATABASE_URL", None, _database_url)


class Config:
    """Defaults for a real deployment; every secret must come from the environment."""

    TESTING = False
    # Set by the ``demo`` CLI command only: lets the app generate its own secret key file.
    DEMO = False
    SECRET_KEY: str | None = _env_str("SECRET_KEY", None)
    # None means: a SQLite file under the instance folder, resolved by the factory.
    SQLALCHEMY_DATABASE_URI: str | None = _database_setting()
    # hide_parameters: a database error's message and traceback (logged on a 500) never quote the
    # statement's values, which for a submission are a respondent's answers.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    SQLALCHEMY_RECORD_QUERIES = False

    # Rate limits (Flask-Limiter). Use redis://host:6379 when several workers run.
    RATELIMIT_STORAGE_URI: str = _env_str("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED: bool = _env_bool("RATELIMIT_ENABLED", True)
    SUBMISSION_RATE_LIMIT: str = _env_str("SUBMISSION_RATE_LIMIT", "30 per hour; 300 per day")

    # Anonymity and disclosure control. MIN_CELL_SIZE is the default of a new survey's minimum cell size.
    MIN_CELL_SIZE: int = _env_int("MIN_CELL_SIZE", 10)
    # Dashboard aggregates: a cached survey cube is served for this long before its response count is
    # checked again, and rebuilt after AGGREGATE_CACHE_SECONDS in any case.
    AGGREGATE_RECHECK_SECONDS: int = _env_int("AGGREGATE_RECHECK_SECONDS", 30)
    AGGREGATE_CACHE_SECONDS: int = _env_int("AGGREGATE_CACHE_SECONDS", 300)
    # The default of a new survey's date coarsening: day | week.
    DATE_GRANULARITY: str = Env("DATE_GRANULARITY", "day", _parse_granularity)  # type: ignore[assignment]

    # Cookies: HttpOnly + SameSite=Lax always; Secure when served over HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_IDLE_MINUTES: int = _env_int("SESSION_IDLE_MINUTES", 30)
    # A researcher session ends this long after login, however active (enforced per request).
    SESSION_ABSOLUTE_MINUTES: int = _env_int("SESSION_ABSOLUTE_MINUTES", 8 * 60)
    PERMANENT_SESSION_LIFETIME = _derived(lambda c: timedelta(minutes=c.SESSION_ABSOLUTE_MINUTES))

    # Researcher login: a per-client limit (Flask-Limiter) and a per-account backoff that
    # always expires (see surveys/accounts/throttle.py), so nobody can lock an account for long.
    LOGIN_RATE_LIMIT: str = _env_str("LOGIN_RATE_LIMIT", "10 per minute; 60 per hour")
    LOGIN_THROTTLE_ENABLED: bool = _env_bool("LOGIN_THROTTLE_ENABLED", True)
    LOGIN_FREE_FAILURES: int = _env_int("LOGIN_FREE_FAILURES", 5)
    LOGIN_BACKOFF_BASE_SECONDS: int = _env_int("LOGIN_BACKOFF_BASE_SECONDS", 1)
    LOGIN_BACKOFF_MAX_SECONDS: int = _env_int("LOGIN_BACKOFF_MAX_SECONDS", 300)
    LOGIN_FAILURE_WINDOW_SECONDS: int = _env_int("LOGIN_FAILURE_WINDOW_SECONDS", 3600)
    PREFERRED_URL_SCHEME = _derived(lambda c: "https" if c.SESSION_COOKIE_SECURE else "http")

    # Request bodies larger than this are refused with 413 before parsing.
    MAX_CONTENT_LENGTH: int = _env_int("MAX_CONTENT_LENGTH", 256 * 1024)
    MAX_FORM_MEMORY_SIZE = _derived(lambda c: c.MAX_CONTENT_LENGTH)
    # Police-records uploads (research/records) only: streamed to a temporary file, never held in memory.
    RECORDS_MAX_UPLOAD_BYTES: int = 256 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT: int = _env_int("WTF_CSRF_TIME_LIMIT", 6 * 3600)

    # Trust X-Forwarded-For/-Proto/-Host from this many proxies (set to 1 behind nginx/caddy):
    # the factory installs Werkzeug's ProxyFix with that many hops.
    PROXY_COUNT: int = _env_int("PROXY_COUNT", 0)
    # Host names the app answers to (comma-separated; ".example.org" admits subdomains). Any other
    # Host header is refused with 400 (Flask 3.1), so no redirect or invite link names a forged host.
    TRUSTED_HOSTS: list[str] | None = Env("TRUSTED_HOSTS", None, _parse_hosts)  # type: ignore[assignment]

    LANGUAGES = ("en", "es", "ar")
    BABEL_DEFAULT_LOCALE = "en"


class DevelopmentConfig(Config):
    """``APP_ENV=development`` (the default): the deployment defaults, cookies over plain HTTP allowed."""


class ProductionConfig(Config):
    """``APP_ENV=production``: as Config, but cookies only ever travel over HTTPS."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PRODUCTION = True  # web/deployment.py warns about memory:// rate limits and a missing TRUSTED_HOSTS


class TestConfig(Config):
    """Fast, isolated settings for the test suite (``APP_ENV=testing``).

    The database URL comes from ``TEST_DATABASE_URL`` (the tests create and drop
    a database of their own on that server) or defaults to a temporary SQLite
    file chosen by the fixture.
    """

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - tests only
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = False
    WTF_CSRF_ENABLED = True
    AGGREGATE_RECHECK_SECONDS = 0  # tests add responses and look again at once


CONFIGS: dict[str, type[Config]] = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestConfig,
}
DEFAULT_APP_ENV = "development"


def config_from_env() -> type[Config]:
    """The configuration class ``APP_ENV`` names (default ``development``)."""
    name = (os.environ.get("APP_ENV") or DEFAULT_APP_ENV).strip().lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, got {name!r}") from None


# --- the secret key -------------------------------------------------------------------------------


class MissingSecretKey(RuntimeError):
    """Raised when the app would run without a SECRET_KEY outside testing or the demo."""


# Flask CLI commands that never serve a request, so may run before a key exists
# (the ``demo`` command then writes one into the instance folder).
_KEYLESS_COMMANDS = {"demo", "db", "create-researcher", "load-instrument", "routes", "--help", "-h"}

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


def flask_cli_command() -> str | None:
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


def resolve_secret_key(app: Flask) -> None:
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
    if app.config.get("TESTING") or app.config.get("DEMO") or flask_cli_command() in _KEYLESS_COMMANDS:
        return
    raise MissingSecretKey(
        "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random value "
        "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`), "
        "or run `flask --app app demo` to generate one for a local demo."
    )
