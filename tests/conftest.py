"""Shared fixtures: a migrated database per test session, a fresh app per test.

The same suite runs on SQLite (default: a temporary file) and on PostgreSQL
when ``TEST_DATABASE_URL`` points at a server: the session then creates a
database of its own on that server (so parallel runs never collide) and
drops it at the end. The schema is made by the Alembic migrations, exactly as
in production; between tests every table is emptied.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, delete, make_url, text

from surveys import create_app
from surveys.config import TestConfig, normalise_database_url

ROOT = Path(__file__).resolve().parent.parent

# Test folders (and files) that never touch a database. They carry the ``database_free`` marker;
# with CTS_SKIP_DATABASE_FREE=1 they are deselected, with CTS_ONLY_DATABASE_FREE=1 only they run:
# .ci/run runs them once, beside its PostgreSQL pass. Run by hand, the suite runs everything.
DATABASE_FREE = ("tests/analysis", "tests/instruments", "tests/test_architecture.py")
DATABASE_FIXTURES = {"database_url", "empty_database_url"}


def _database_free(item: pytest.Item) -> bool:
    relative = Path(item.path).resolve().relative_to(ROOT).as_posix()
    return any(relative == place or relative.startswith(place + "/") for place in DATABASE_FREE)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_free = os.environ.get("CTS_SKIP_DATABASE_FREE") == "1"
    only_free = os.environ.get("CTS_ONLY_DATABASE_FREE") == "1"
    if skip_free and only_free:
        raise pytest.UsageError("CTS_SKIP_DATABASE_FREE and CTS_ONLY_DATABASE_FREE exclude each other")
    kept, dropped = [], []
    for item in items:
        if not _database_free(item):
            (dropped if only_free else kept).append(item)
            continue
        used = DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        if used:
            raise pytest.UsageError(f"{item.nodeid} is in a database-free folder but uses {sorted(used)}")
        item.add_marker(pytest.mark.database_free)
        (dropped if skip_free else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def create_scratch_database(base_url: str) -> str:
    """Create an empty PostgreSQL database next to ``base_url``; return its URL."""
    name = f"cts_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(_admin_url(base_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_scratch_database(url: str) -> None:
    name = make_url(url).database
    engine = create_engine(_admin_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def postgres_base_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return normalise_database_url(url) if url else None


@pytest.fixture(scope="session")
def empty_database_url(tmp_path_factory: pytest.TempPathFactory):
    """A factory of empty databases on the backend under test (SQLite file or PostgreSQL)."""
    created: list[str] = []

    def make() -> str:
        base = postgres_base_url()
        if base:
            url = create_scratch_database(base)
            created.append(url)
            return url
        path = tmp_path_factory.mktemp("db") / "test.db"
        return f"sqlite:///{path}"

    yield make
    for url in created:
        drop_scratch_database(url)


def config_for(url: str, **overrides: object) -> type[TestConfig]:
    """A TestConfig subclass bound to ``url`` (and any overrides)."""
    return type("BoundTestConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, **overrides})


@pytest.fixture(scope="session")
def database_url(empty_database_url, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The session's database, migrated once with ``flask db upgrade``."""
    from flask_migrate import upgrade

    url = empty_database_url()
    instance = tmp_path_factory.mktemp("instance")
    os.environ.setdefault("INSTANCE_PATH", str(instance))
    app = create_app(config_for(url))
    with app.app_context():
        upgrade()
        from surveys.extensions import db

        db.engine.dispose()
    return url


def empty_all_tables(app) -> None:
    from surveys.extensions import db
    from surveys.studies.snapshot import forget_all

    forget_all()  # emptied outside the app's sessions: the next test's surveys may reuse slugs
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(delete(table))
        db.engine.dispose()


@pytest.fixture
def app(database_url: str) -> Iterator:
    application = create_app(config_for(database_url))
    yield application
    empty_all_tables(application)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Build apps on the session database with config overrides; tables are emptied afterwards."""
    built: list[Flask] = []

    def make(**overrides: object) -> Flask:
        application = create_app(config_for(database_url, **overrides))
        built.append(application)
        return application

    yield make
    from surveys.extensions import db

    for application in built[1:]:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
    if built:
        empty_all_tables(built[0])
