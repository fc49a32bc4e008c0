"""Respondent-side fixtures: a survey on the default instrument, and a client that answers it."""
from __future__ import annotations

import pytest

from .helpers import make_default_survey


@pytest.fixture
def survey(app_ctx):  # noqa: ANN001, ANN201
    """An open survey (two jurisdictions, the last of two waves open today) on the default instrument."""
    return make_default_survey()
