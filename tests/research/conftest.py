"""Fixtures for the researcher-area tests (accounts, access, study management, audit)."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from surveys import create_app
from tests.conftest import config_for, empty_all_tables


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
