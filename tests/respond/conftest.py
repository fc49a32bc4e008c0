"""Respondent-side fixtures: surveys on the default and the all-item-types instruments.

No fixture here keeps an app context open: each request then gets its own ``g``
and database session, as in production (a shared context would hide bugs such as
a locale or a session that leaks from one request into the next).
"""
from __future__ import annotations

import pytest

from .helpers import Database, make_all_types_survey, make_default_survey


@pytest.fixture
def survey(app):
    """An open survey (jurisdictions J01 Alpha, J02 Beta; the last of two waves open today), default instrument."""
    return make_default_survey(app)


@pytest.fixture
def typed_survey(app):
    """An open survey on the all-item-types test instrument."""
    return make_all_types_survey(app)


@pytest.fixture
def database(app):
    return Database(app)
