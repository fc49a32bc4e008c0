"""Fixtures for the instrument tests."""

from __future__ import annotations

import pytest
from instrument_helpers import MINI

from surveys.instruments import (
    DEFAULT_INSTRUMENT_PATH,
    load_instrument,
    parse_instrument,
)


@pytest.fixture(scope="session")
def mini():
    return parse_instrument(MINI, source_name="mini.yaml")


@pytest.fixture(scope="session")
def core():
    return load_instrument(DEFAULT_INSTRUMENT_PATH)
