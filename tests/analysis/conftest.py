"""Shared fixtures for the analysis tests."""

import pytest

from analysis.simulate import simulate


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: long simulation tests (still run in CI; deselect with -m 'not slow')"
    )


@pytest.fixture(scope="session")
def sim_df():
    """The default simulated survey (8 jurisdictions, 10 waves, staggered)."""
    return simulate()
