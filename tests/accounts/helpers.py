"""Helpers for the researcher-area tests: committed researchers as plain snapshots."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from surveys.extensions import db
from surveys.models import Organisation
from tests.factories import make_researcher


@dataclass(frozen=True)
class Account:
    """What a test needs of a researcher after the app context that made it is gone."""

    id: int
    email: str
    role: str
    organisation_id: int
    session_version: int


def add_researcher(app: Any, organisation_id: int | None = None, **kw: Any) -> Account:
    """Create and commit a researcher (in a new organisation unless one is given)."""
    with app.app_context():
        organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
        row = make_researcher(organisation=organisation, **kw)
        db.session.commit()
        return Account(row.id, row.email, row.role, row.organisation_id, row.session_version)
