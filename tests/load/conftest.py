"""Load-test fixtures: migrated survey databases and gunicorn servers, always stopped in teardown.

The database is the suite's backend (a SQLite WAL file, or a scratch database
on ``TEST_DATABASE_URL``'s PostgreSQL). The server is the real
``gunicorn -c gunicorn.conf.py app:app`` with 4 workers on a free loopback port.
Starting 4 workers that import pandas and SciPy takes seconds on a busy
2-core machine, so tests that can share one server do (``shared_site``): each
then works on a survey of its own and counts only that survey's responses.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from .harness import (
    REDIS_URL,
    Gunicorn,
    LoadSurvey,
    add_survey,
    gunicorn_server,
    migrate_database,
    prepare_survey,
    redis_available,
    server_env,
)

HIGH_LIMIT = "1000000 per hour; 1000000 per day"


def limiter_env() -> dict[str, str]:
    """Rate limiting on, shared through Redis when it runs, far above any load (all clients share 127.0.0.1)."""
    storage = REDIS_URL if redis_available() else "memory://"
    return {"RATELIMIT_STORAGE_URI": storage, "SUBMISSION_RATE_LIMIT": HIGH_LIMIT}


@dataclass
class Site:
    """A database and the gunicorn serving it; ``new_survey`` adds a survey (usable at once)."""

    server: Gunicorn
    database_url: str
    instance: Path

    def new_survey(self, invite_codes: tuple[str, ...] = ()) -> LoadSurvey:
        return add_survey(self.database_url, self.instance, invite_codes)


@pytest.fixture(scope="module")
def shared_site(empty_database_url, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One migrated database of the suite's backend and one gunicorn for a whole test module."""
    instance = tmp_path_factory.mktemp("load-instance")
    url = empty_database_url()
    migrate_database(url, instance)
    with gunicorn_server(server_env(url, instance, **limiter_env())) as server:
        yield Site(server, url, instance)


@pytest.fixture
def load_survey(empty_database_url, tmp_path: Path) -> Callable[..., LoadSurvey]:
    """A factory: a fresh migrated database of the suite's backend holding one open survey."""

    def make(invite_codes: tuple[str, ...] = ()) -> LoadSurvey:
        return prepare_survey(empty_database_url(), tmp_path / "instance", invite_codes)

    return make


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Gunicorn]]:
    """A factory: start gunicorn for a survey with extra environment; every server stops at teardown."""
    with ExitStack() as stack:

        def start(survey: LoadSurvey, **env: str) -> Gunicorn:
            instance = tmp_path / "instance"
            instance.mkdir(exist_ok=True)
            return stack.enter_context(gunicorn_server(server_env(survey.database_url, instance, **env)))

        yield start
