"""Fixtures of the editor tests: a draft made from the bundled default (the analyst and the
logged-in client come from tests/research/conftest.py)."""
import pytest

from tests.factories import post_form


@pytest.fixture
def draft_url(logged_in) -> str:
    """The page of a new draft ``riverside`` copied from the bundled default."""
    response = post_form(logged_in, "/research/instruments/new", {"key": "riverside", "base": "default"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]
