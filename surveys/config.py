"""Configuration read from the environment.

Why classes: the factory takes one (``create_app(TestConfig)``), so tests and
deployments differ only in data, never in code paths. Every value a deployment
may need to change comes from an environment variable named in the README.
"""
from __future__ import annotations

import os
from datetime import timedelta


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {value!r}") from exc


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


class Config:
    """Defaults for a real deployment; every secret must come from the environment."""

    TESTING = False
    # Set by the ``demo`` CLI command only: lets the app generate its own secret key file.
    DEMO = False
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # None means: a SQLite file under the instance folder, resolved by the factory.
    SQLALCHEMY_DATABASE_URI = (
        normalise_database_url(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
    )
    # hide_parameters: a database error's message and traceback (logged on a 500) never quote the
    # statement's values, which for a submission are a respondent's answers.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    SQLALCHEMY_RECORD_QUERIES = False

    # Rate limits (Flask-Limiter). Use redis://host:6379 when several workers run.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    SUBMISSION_RATE_LIMIT = os.environ.get("SUBMISSION_RATE_LIMIT", "30 per hour; 300 per day")

    # Anonymity and disclosure control.
    MIN_CELL_SIZE = _env_int("MIN_CELL_SIZE", 10)
    # Dashboard aggregates: a cached survey cube is served for this long before its response count is
    # checked again, and rebuilt after AGGREGATE_CACHE_SECONDS in any case.
    AGGREGATE_RECHECK_SECONDS = _env_int("AGGREGATE_RECHECK_SECONDS", 30)
    AGGREGATE_CACHE_SECONDS = _env_int("AGGREGATE_CACHE_SECONDS", 300)
    DATE_GRANULARITY = os.environ.get("DATE_GRANULARITY", "day")  # day | week

    # Cookies: HttpOnly + SameSite=Lax always; Secure when served over HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=_env_int("SESSION_ABSOLUTE_MINUTES", 8 * 60))
    SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 30)
    # A researcher session ends this long after login, however active (enforced per request).
    SESSION_ABSOLUTE_MINUTES = _env_int("SESSION_ABSOLUTE_MINUTES", 8 * 60)

    # Researcher login: a per-client limit (Flask-Limiter) and a per-account backoff that
    # always expires (see surveys/research/auth_throttle.py), so nobody can lock an account for long.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute; 60 per hour")
    LOGIN_THROTTLE_ENABLED = _env_bool("LOGIN_THROTTLE_ENABLED", True)
    LOGIN_FREE_FAILURES = _env_int("LOGIN_FREE_FAILURES", 5)
    LOGIN_BACKOFF_BASE_SECONDS = _env_int("LOGIN_BACKOFF_BASE_SECONDS", 1)
    LOGIN_BACKOFF_MAX_SECONDS = _env_int("LOGIN_BACKOFF_MAX_SECONDS", 300)
    LOGIN_FAILURE_WINDOW_SECONDS = _env_int("LOGIN_FAILURE_WINDOW_SECONDS", 3600)
    PREFERRED_URL_SCHEME = "https" if SESSION_COOKIE_SECURE else "http"

    # Request bodies larger than this are refused with 413 before parsing.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 256 * 1024)
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH
    WTF_CSRF_TIME_LIMIT = _env_int("WTF_CSRF_TIME_LIMIT", 6 * 3600)

    # Trust X-Forwarded-* from this many proxies (set to 1 behind nginx/caddy).
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)

    LANGUAGES = ("en", "es", "ar")
    BABEL_DEFAULT_LOCALE = "en"


class ProductionConfig(Config):
    """Same as Config, but insists on HTTPS cookies."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


class TestConfig(Config):
    """Fast, isolated settings for the test suite.

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
