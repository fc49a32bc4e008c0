"""Fixtures for the instrument tests."""

from __future__ import annotations

import pytest

from surveys.instruments import (
    DEFAULT_INSTRUMENT_PATH,
    load_instrument,
    parse_instrument,
)
from tests.instruments.instrument_helpers import MINI


@pytest.fixture(scope="session")
def mini():
    return parse_instrument(MINI, source_name="mini.yaml")


@pytest.fixture(scope="session")
def core():
    return load_instrument(DEFAULT_INSTRUMENT_PATH)
