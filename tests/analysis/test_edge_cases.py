"""Degenerate inputs give a named analysis error or a sensible answer, never a crash."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import did
from analysis.errors import AnalysisError, NotEnoughResponses


def _panel() -> pd.DataFrame:
    df = pd.DataFrame({"j": np.repeat(np.arange(10), 20), "t": np.tile(np.arange(20), 10)})
    df["treated"] = (df.j < 5).astype(int)
    df["post"] = (df.t >= 10).astype(int)
    return df


def test_exact_fit_with_wild_bootstrap_gives_a_point_interval():
    df = _panel()
    df["y"] = 1.0 + 0.5 * df.treated * df.post
    result = did(df, "y", "treated", "post", cluster="j", se="wild")
    row = result.tidy.set_index("term").loc["treated:post"]
    assert row.estimate == pytest.approx(0.5)
    assert row.ci_low == pytest.approx(0.5) and row.ci_high == pytest.approx(0.5)


def test_empty_data_is_a_named_error():
    df = _panel()
    df["y"] = 1.0
    with pytest.raises(AnalysisError):
        did(df.iloc[:0], "y", "treated", "post", cluster="j")


def test_all_outcomes_missing_is_not_enough_responses():
    df = _panel()
    df["y"] = np.nan
    with pytest.raises(NotEnoughResponses):
        did(df, "y", "treated", "post", cluster="j")
