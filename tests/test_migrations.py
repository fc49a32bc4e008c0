"""Alembic makes the schema: upgrading an empty database yields exactly the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from surveys import create_app
from surveys.extensions import db

from .conftest import config_for


def _pending_diff(app) -> list:
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_on_empty_database_matches_models(empty_database_url):
    app = create_app(config_for(empty_database_url()))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
    assert {"response", "answer", "survey", "wave", "jurisdiction", "policy_event", "researcher",
            "organisation", "instrument", "invite_code", "audit_log", "api_token", "alembic_version"} <= tables
    assert _pending_diff(app) == []
    with app.app_context():
        db.engine.dispose()


def test_downgrade_to_base_and_back(empty_database_url):
    app = create_app(config_for(empty_database_url()))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
    assert _pending_diff(app) == []
    with app.app_context():
        db.engine.dispose()
