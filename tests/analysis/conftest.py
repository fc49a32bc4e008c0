"""Shared fixtures and settings for the analysis tests."""

import pytest

from analysis.simulate import simulate

# Third-party warnings we cannot fix, matched narrowly (message, category, module).
THIRD_PARTY_WARNINGS = (
    # pyfixest 0.60 calls DataFrame.reset_index(inplace=True), deprecated in pandas 3.1
    "ignore:The inplace keyword:pandas.errors.Pandas4Warning:pyfixest",
    # differences 0.3.0 (test-only cross-check of Callaway-Sant'Anna) does the same
    "ignore:The inplace keyword:pandas.errors.Pandas4Warning:differences",
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: long simulation tests (still run in CI; deselect with -m 'not slow')"
    )


def pytest_collection_modifyitems(config, items):
    # marks take precedence over -W error, so the run stays strict for everything else
    for item in items:
        for spec in THIRD_PARTY_WARNINGS:
            item.add_marker(pytest.mark.filterwarnings(spec))


@pytest.fixture(scope="session")
def sim_df():
    """The default simulated survey (8 jurisdictions, 10 waves, staggered)."""
    return simulate()
