"""Fixtures the research-area tests share: an analyst, and a client logged in as that analyst."""
import pytest

from tests.accounts.helpers import add_researcher
from tests.factories import login_as


@pytest.fixture
def analyst(app):
    return add_researcher(app, role="analyst")


@pytest.fixture
def logged_in(app, client, analyst):
    login_as(client, analyst)
    return client
